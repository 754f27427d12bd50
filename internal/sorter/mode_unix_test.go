//go:build unix

package sorter

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Under the unit's UMask=0007, folders Move creates are group-writable and
// inherit a setgid parent's group bit, so the group can correct filings.
func TestMoveFoldersFollowUmask(t *testing.T) {
	old := syscall.Umask(0o007)
	defer syscall.Umask(old)
	out := t.TempDir()
	if err := os.Chmod(out, os.ModeSetgid|0o770); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "a.txt")
	if err := os.WriteFile(src, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Move(src, filepath.Join(out, "Finance", "Invoices", "a.txt"), false); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"Finance", "Finance/Invoices"} {
		st, err := os.Stat(filepath.Join(out, d))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := st.Mode()&(os.ModePerm|os.ModeSetgid), os.ModeSetgid|0o770; got != want {
			t.Errorf("%s: mode %v, want %v", d, got, want)
		}
	}
}
