package sorter

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDirNeverEscapes(t *testing.T) {
	out := t.TempDir()
	s := New(Options{Output: out, TypeFolder: map[string]string{"invoice": "Finance/Invoices"}, Unmatched: "_unmatched", Review: "_review", Failed: "_failed", Duplicates: "_duplicates"})
	cases := []struct{ kind, typ, want string }{
		{KindType, "invoice", "Finance/Invoices"},
		{KindType, "../../etc", "_unmatched"},
		{KindType, "/abs", "_unmatched"},
		{KindType, "a/b", "_unmatched"},
		{KindType, "..", "_unmatched"},
		{KindType, "in\x00voice", "_unmatched"},
		{KindType, strings.Repeat("x", 4096), "_unmatched"},
		{KindReview, "invoice", "_review"},
		{KindFailed, "", "_failed"},
		{KindDuplicate, "", "_duplicates"},
		{"bogus", "", "_unmatched"},
	}
	for _, c := range cases {
		if got := s.Dir(c.kind, c.typ); got != filepath.Join(out, c.want) {
			t.Errorf("Dir(%q, %q) = %q, want %q", c.kind, c.typ, got, c.want)
		}
	}
}

func TestPlanConflicts(t *testing.T) {
	out := t.TempDir()
	dir := filepath.Join(out, "t")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "a.pdf"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "a (1).pdf"), nil, 0o644)
	s := New(Options{Output: out})
	got, err := s.Plan("/in/a.pdf", dir, nil)
	if err != nil || got != filepath.Join(dir, "a (2).pdf") {
		t.Fatalf("rename: %q %v", got, err)
	}
	taken := map[string]bool{got: true}
	got2, _ := s.Plan("/in/a.pdf", dir, func(p string) bool { return taken[p] })
	if got2 != filepath.Join(dir, "a (3).pdf") {
		t.Fatalf("promised names must be skipped: %q", got2)
	}
	skip := New(Options{Output: out, OnConflict: Skip})
	if _, err := skip.Plan("/in/a.pdf", dir, nil); !errors.Is(err, ErrExists) {
		t.Fatalf("skip: %v", err)
	}
	ow := New(Options{Output: out, OnConflict: Overwrite})
	if got, _ := ow.Plan("/in/a.pdf", dir, nil); got != filepath.Join(dir, "a.pdf") {
		t.Fatalf("overwrite: %q", got)
	}
	if got, _ := s.Plan("/in/..", dir, nil); filepath.Dir(got) != dir {
		t.Fatalf("dot-dot name escaped: %q", got)
	}
}

func TestMoveNeverReplaces(t *testing.T) {
	d := t.TempDir()
	src, dst := filepath.Join(d, "a"), filepath.Join(d, "sub", "b")
	os.WriteFile(src, []byte("new"), 0o644)
	os.MkdirAll(filepath.Dir(dst), 0o755)
	os.WriteFile(dst, []byte("old"), 0o644)
	if err := Move(src, dst, false); err == nil {
		t.Fatal("move replaced an existing file")
	}
	if b, _ := os.ReadFile(dst); string(b) != "old" {
		t.Fatalf("destination changed: %q", b)
	}
	if err := Move(src, filepath.Join(d, "new", "deep", "c"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("source still there")
	}
}

func TestCopyAcross(t *testing.T) {
	// /dev/shm is a different filesystem from the temp dir on most machines.
	shm, err := os.MkdirTemp("/dev/shm", "classifyd-test-")
	if err != nil {
		t.Skip("no /dev/shm")
	}
	defer os.RemoveAll(shm)
	src := filepath.Join(shm, "a.txt")
	os.WriteFile(src, []byte("content"), 0o640)
	dst := filepath.Join(t.TempDir(), "x", "a.txt")
	if err := Move(src, dst, false); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dst)
	if err != nil || string(b) != "content" {
		t.Fatalf("copy: %q %v", b, err)
	}
	if _, err := os.Stat(src); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("source not removed after copy")
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".classifyd-*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestJournalTornLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), JournalName)
	j, err := OpenJournal(p)
	if err != nil {
		t.Fatal(err)
	}
	j.Append(Entry{ID: 1, Source: "a"}, Entry{ID: 2, Source: "b"})
	j.Close()
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id":3,"sou`)
	f.Close()
	var ids []uint64
	if err := ReadJournal(p, func(e Entry) error { ids = append(ids, e.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[1] != 2 {
		t.Fatalf("ids %v", ids)
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{"a/b": "a_b", "..": "_", "": "_", "x\x00y": "x_y", "ok.pdf": "ok.pdf"} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SafeName(strings.Repeat("a", 300) + ".pdf"); len(got) != 255 || !strings.HasSuffix(got, ".pdf") {
		t.Errorf("long name: %d %q", len(got), got[len(got)-8:])
	}
}

// TestPlanLongNameCollides: a 255-byte name that is taken gets a shortened
// stem so that "stem (1).ext" still fits (it used to try a million names,
// each "file name too long", and give up).
func TestPlanLongNameCollides(t *testing.T) {
	out := t.TempDir()
	dir := filepath.Join(out, "t")
	os.MkdirAll(dir, 0o755)
	s := New(Options{Output: out})
	for _, stem := range []string{strings.Repeat("a", 251), strings.Repeat("ä", 125) + "a"} {
		name := stem + ".txt"
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 2; i++ {
			dst, err := s.Plan(filepath.Join("/in", name), dir, nil)
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			b := filepath.Base(dst)
			if len(b) > 255 || !strings.HasSuffix(b, fmt.Sprintf(" (%d).txt", i)) || !utf8.ValidString(b) {
				t.Fatalf("Plan = %q (%d bytes)", b, len(b))
			}
			if err := os.WriteFile(dst, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
