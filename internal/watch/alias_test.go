package watch

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestExcludeThroughSymlinkAndBindMount: the output given as a symlink (or,
// as root, a bind mount) of a folder inside the inbox is excluded by its
// identity: nothing filed there is emitted, by the watcher or by Walk.
func TestExcludeThroughSymlinkAndBindMount(t *testing.T) {
	outer := t.TempDir()
	root := filepath.Join(outer, "inbox")
	os.MkdirAll(filepath.Join(root, "sorted", "receipt"), 0o755)
	os.MkdirAll(filepath.Join(root, "bound", "receipt"), 0o755)
	link := filepath.Join(outer, "outlink")
	if err := os.Symlink(filepath.Join(root, "sorted"), link); err != nil {
		t.Fatal(err)
	}
	exclude := []string{link}
	if os.Geteuid() == 0 {
		mnt := filepath.Join(outer, "mnt")
		os.Mkdir(mnt, 0o755)
		if err := exec.Command("mount", "--bind", filepath.Join(root, "bound"), mnt).Run(); err == nil {
			t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
			exclude = append(exclude, mnt)
		} else {
			t.Logf("no bind mount: %v", err)
		}
	} else {
		t.Log("not root: the bind mount case is skipped")
	}
	os.WriteFile(filepath.Join(root, "sorted", "receipt", "old.txt"), []byte("filed"), 0o644)
	os.WriteFile(filepath.Join(root, "bound", "receipt", "old.txt"), []byte("filed"), 0o644)
	os.WriteFile(filepath.Join(root, "a.txt"), []byte("new"), 0o644)

	var walked []string
	if err := Walk(context.Background(), root, true, nil, exclude, func(ev Event) error {
		walked = append(walked, ev.Path)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(walked) != 1 || walked[0] != filepath.Join(root, "a.txt") {
		t.Errorf("Walk emitted %v, want only a.txt", walked)
	}

	h := start(t, Options{Root: root, Recursive: true, Exclude: exclude}, nil)
	h.expect("a.txt")
	h.write("sorted/receipt/new.txt", "filed now")
	h.write("bound/receipt/new.txt", "filed now")
	h.sentinel("s.txt")
}

// TestInside: the output reached through a symlink is the inbox.
func TestInside(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "inbox")
	os.MkdirAll(filepath.Join(in, "sub"), 0o755)
	os.Symlink(in, filepath.Join(dir, "outlink"))
	os.Symlink(filepath.Join(in, "sub"), filepath.Join(dir, "sublink"))
	os.Mkdir(filepath.Join(dir, "other"), 0o755)
	for _, c := range []struct {
		path         string
		inside, same bool
	}{
		{filepath.Join(dir, "outlink"), true, true},
		{filepath.Join(dir, "outlink", "x", ".."), true, true},
		{filepath.Join(dir, "sublink"), true, false},
		{filepath.Join(dir, "other"), false, false},
		{filepath.Join(dir, "missing"), false, false},
	} {
		inside, same, err := Inside(c.path, in)
		if err != nil || inside != c.inside || same != c.same {
			t.Errorf("Inside(%s) = %v, %v, %v; want %v, %v", c.path, inside, same, err, c.inside, c.same)
		}
	}
}
