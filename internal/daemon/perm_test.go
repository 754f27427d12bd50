//go:build unix

package daemon

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Under a umask that would keep the group out (077), the folders the daemon
// creates are 2775 and filed files 0664 (the defaults), and every folder
// files go into exists from the start, before anything was filed there.
func TestFolderAndFileModesUnderUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	e := newTemplateEnv(t, "")
	p := e.write("a.txt", "apple orchard harvest")
	os.Chmod(p, 0o600)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.run(ctx, e.localBackend(ctx), nil); err != nil {
		t.Fatal(err)
	}
	y := time.Now().Format("2006")
	if fi, err := os.Stat(p); err == nil {
		t.Fatalf("not filed: %v", fi)
	}
	mode := func(rel string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(filepath.Join(e.out, rel))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode() & (os.ModePerm | os.ModeSetgid)
	}
	for _, d := range []string{"Food", "Food/" + y, "Garage", "Garage/Cars", "_review", "_unmatched", "_failed", "_duplicates"} {
		if got := mode(d); got != os.ModeSetgid|0o775 {
			t.Errorf("folder %s: %v, want %v", d, got, os.ModeSetgid|0o775)
		}
	}
	var filed string
	filepath.Walk(filepath.Join(e.out, "Food"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			filed, _ = filepath.Rel(e.out, p)
		}
		return nil
	})
	if filed == "" {
		t.Fatal("nothing filed under Food")
	}
	if got := mode(filed); got != 0o664 {
		t.Errorf("file %s: %v, want 0664", filed, got)
	}
}

// Modes set to 0 leave them to the umask, as before.
func TestModesZeroLeaveUmask(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	e := newTemplateEnv(t, "permissions: {folder_mode: \"0\", file_mode: \"0\"}\n")
	e.write("c.txt", "car engine wheels")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.run(ctx, e.localBackend(ctx), nil); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(e.out, "Garage", "Cars"))
	if err != nil || fi.Mode().Perm() != 0o750 {
		t.Fatalf("Garage/Cars: %v %v, want 0750", fi.Mode(), err)
	}
}

// permissions.group gives the created folders and filed files that group
// (root only: another group needs chown rights).
func TestPermissionsGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files another group")
	}
	e := newTemplateEnv(t, "permissions: {group: \"65534\"}\n")
	e.write("c.txt", "car engine wheels")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.run(ctx, e.localBackend(ctx), nil); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"Garage", "Garage/Cars", "Garage/Cars/c.txt", "_review"} {
		fi, err := os.Stat(filepath.Join(e.out, rel))
		if err != nil {
			t.Fatal(err)
		}
		if gid := fi.Sys().(*syscall.Stat_t).Gid; gid != 65534 {
			t.Errorf("%s: gid %d, want 65534", rel, gid)
		}
	}
}
