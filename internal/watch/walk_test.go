package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
)

// tree builds a backlog with every kind of entry Walk must handle.
func tree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "target.pdf"), []byte("t"), 0o644)
	for rel, data := range map[string]string{
		"a.pdf":              "a",
		"b.txt":              "bb",
		"x.part":             "partial",
		".dot.pdf":           "dot",
		"~$lock.docx":        "lock",
		"sub/c.pdf":          "ccc",
		"sub/deep/d.pdf":     "dddd",
		"sub/y.crdownload":   "partial",
		".hidden/e.pdf":      "in a dot folder",
		"out/invoice/f.pdf":  "already sorted",
		"sub/out/g.pdf":      "not the excluded out",
		"sub/deep/h.pdf.tmp": "temp",
	} {
		p := filepath.Join(root, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.Symlink(filepath.Join(outside, "target.pdf"), filepath.Join(root, "link.pdf")))
	must(t, os.Symlink(outside, filepath.Join(root, "linkdir")))
	must(t, syscall.Mkfifo(filepath.Join(root, "fifo.pdf"), 0o644))
	must(t, syscall.Mkfifo(filepath.Join(root, "sub", "fifo2"), 0o644))
	return root
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestWalk(t *testing.T) {
	root := tree(t)
	for _, tc := range []struct {
		name      string
		recursive bool
		ignore    []string
		exclude   []string
		want      []string
	}{
		{"flat", false, nil, nil, []string{"a.pdf", "b.txt"}},
		{"recursive", true, nil, []string{filepath.Join(root, "out")},
			[]string{"a.pdf", "b.txt", "sub/c.pdf", "sub/deep/d.pdf", "sub/out/g.pdf"}},
		{"recursive without exclude", true, nil, nil,
			[]string{"a.pdf", "b.txt", "out/invoice/f.pdf", "sub/c.pdf", "sub/deep/d.pdf", "sub/out/g.pdf"}},
		{"ignore nothing", true, []string{}, []string{filepath.Join(root, "out"), filepath.Join(root, "sub")},
			[]string{".dot.pdf", ".hidden/e.pdf", "a.pdf", "b.txt", "x.part", "~$lock.docx"}},
		{"own patterns", true, []string{"*.txt", "deep"}, []string{filepath.Join(root, "out")},
			[]string{".dot.pdf", ".hidden/e.pdf", "a.pdf", "sub/c.pdf", "sub/out/g.pdf", "sub/y.crdownload", "x.part", "~$lock.docx"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := Walk(t.Context(), root, tc.recursive, tc.ignore, tc.exclude, func(ev Event) error {
				rel, _ := filepath.Rel(root, ev.Path)
				got = append(got, filepath.ToSlash(rel))
				fi, err := os.Lstat(ev.Path)
				if err != nil || fi.Size() != ev.Size || !fi.ModTime().Equal(ev.ModTime) || !filepath.IsAbs(ev.Path) {
					t.Errorf("event %+v does not match the file (%v)", ev, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestWalkStops(t *testing.T) {
	root := tree(t)
	t.Run("callback error", func(t *testing.T) {
		stop := errors.New("enough")
		n := 0
		err := Walk(t.Context(), root, true, nil, nil, func(Event) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("err %v after %d files", err, n)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		err := Walk(ctx, root, true, nil, nil, func(Event) error { cancel(); return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("missing root", func(t *testing.T) {
		err := Walk(t.Context(), filepath.Join(root, "nope"), true, nil, nil, func(Event) error { return nil })
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("bad pattern", func(t *testing.T) {
		err := Walk(t.Context(), root, true, []string{"[x-"}, nil, func(Event) error { return nil })
		if !errors.Is(err, filepath.ErrBadPattern) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestWalkUnreadableSubdir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every directory")
	}
	root := tree(t)
	locked := filepath.Join(root, "sub", "deep")
	must(t, os.Chmod(locked, 0))
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	var got []string
	err := Walk(t.Context(), root, true, nil, []string{filepath.Join(root, "out")}, func(ev Event) error {
		got = append(got, filepath.Base(ev.Path))
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "1 unreadable") || !errors.Is(err, os.ErrPermission) {
		t.Fatalf("err %v", err)
	}
	if len(got) != 4 { // a, b, c, g: everything else was still walked
		t.Fatalf("got %v", got)
	}
}

// A directory larger than one ReadDir batch is listed completely.
func TestWalkLargeDir(t *testing.T) {
	root := t.TempDir()
	const n = 3*readDirBatch + 7
	for i := range n {
		os.WriteFile(filepath.Join(root, fmt.Sprintf("f%04d.pdf", i)), nil, 0o644)
	}
	seen := map[string]bool{}
	err := Walk(t.Context(), root, false, nil, nil, func(ev Event) error {
		if seen[ev.Path] {
			t.Errorf("twice: %s", ev.Path)
		}
		seen[ev.Path] = true
		return nil
	})
	if err != nil || len(seen) != n {
		t.Fatalf("err %v, %d of %d", err, len(seen), n)
	}
}
