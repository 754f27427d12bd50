package sorter

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The helper mode of the test binary: move $SORTER_MOVE_SRC to
// $SORTER_MOVE_DST and print the error (run under setpriv as another user).
func TestMain(m *testing.M) {
	if src := os.Getenv("SORTER_MOVE_SRC"); src != "" {
		err := Move(src, os.Getenv("SORTER_MOVE_DST"), false)
		fmt.Printf("stuck=%v err=%v\n", errors.Is(err, ErrSourceStuck), err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestMoveSourceNotRemovable: a file in a sticky-bit drop folder on a tmpfs
// (another filesystem than the output), owned by someone else, moved by an
// unprivileged user: the move fails with ErrSourceStuck and no copy is left
// in the output, however often it is tried. Likewise for a folder the user
// may not write.
func TestMoveSourceNotRemovable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mounts a tmpfs and runs the move as another user with setpriv")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv not installed")
	}
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755) // t.TempDir makes both 0700
	os.Chmod(dir, 0o755)
	tin := filepath.Join(dir, "tin")
	os.Mkdir(tin, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", tin).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", tin).Run() })
	// The test binary, where the other user can run it.
	self, _ := os.Executable()
	bin := filepath.Join(dir, "sorter.test")
	copyFile(t, self, bin, 0o755)

	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	os.Chown(out, 65534, 65534)
	for _, c := range []struct {
		name string
		mode os.FileMode
	}{{"sticky", 0o777 | os.ModeSticky}, {"readonly", 0o755}} {
		t.Run(c.name, func(t *testing.T) {
			in := filepath.Join(tin, c.name)
			os.Mkdir(in, 0o755)
			os.Chmod(in, c.mode)
			src := filepath.Join(in, "receipt.txt")
			os.WriteFile(src, []byte("a receipt\n"), 0o644)
			for try := 0; try < 3; try++ {
				dst := filepath.Join(out, "receipt", fmt.Sprintf("receipt (%d).txt", try))
				cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin)
				cmd.Env = append(os.Environ(), "SORTER_MOVE_SRC="+src, "SORTER_MOVE_DST="+dst)
				got, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("helper: %v %s", err, got)
				}
				if !strings.HasPrefix(string(got), "stuck=true ") {
					t.Errorf("try %d: want ErrSourceStuck, got %s", try, got)
				}
			}
			if _, err := os.Stat(src); err != nil {
				t.Errorf("source gone: %v", err)
			}
			var copies []string
			filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					copies = append(copies, p)
				}
				return nil
			})
			if len(copies) > 0 {
				t.Errorf("copies left in the output: %v", copies)
			}
		})
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	o, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(o, in); err != nil {
		t.Fatal(err)
	}
	o.Close()
}
