package state

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every loop over a bucket goes through scan (scan.go), which does the
// bookkeeping: a new loop written with its own cursor or ForEach fails here.
func TestEveryScanGoesThroughTheHelper(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "scan.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Cursor" || sel.Sel.Name == "ForEach" || sel.Sel.Name == "ForEachBucket") {
				t.Errorf("%s: a loop over a bucket outside scan (use s.scan or s.each)", fset.Position(call.Pos()))
			}
			return true
		})
	}
	if checked < 5 {
		t.Fatalf("checked %d files: the test is not looking at the package", checked)
	}
}

// The helper counts what it reads, so read paths can be held to what they
// should cost: the counts and the in-flight records, not the history.
func TestScansCostWhatTheyRead(t *testing.T) {
	s := open(t)
	var stats []Stat
	for i := range 300 {
		stats = append(stats, stat(fmt.Sprintf("/in/%d.txt", i), 10, ""))
	}
	res, err := s.Enqueue(stats)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]uint64, 0, 290)
	for _, r := range res[:290] {
		ids = append(ids, r.File.ID)
	}
	fileAll(t, s, "j", ids) // 290 filed (and unjournaled), 10 queued
	if err := s.SetJournaled(ids[:280]); err != nil {
		t.Fatal(err)
	}

	cost := func(name string, max int64, fn func() error) {
		t.Helper()
		before := s.KeysScanned()
		if err := fn(); err != nil {
			t.Fatal(err)
		}
		if got := s.KeysScanned() - before; got > max || (max > 0 && got == 0) {
			t.Errorf("%s read %d keys, want %d at most (and some)", name, got, max)
		}
	}
	cost("Counts", int64(len(AllStatuses)), func() error { _, err := s.Counts(); return err })
	cost("Active", 10, func() error { _, err := s.Active(0); return err })
	cost("Active(1)", 1, func() error { _, err := s.Active(1); return err })
	cost("Unjournaled", 10, func() error {
		u, err := s.Unjournaled()
		if len(u) != 10 {
			t.Errorf("unjournaled: %d records, want 10", len(u))
		}
		return err
	})
	cost("List(queued, 3)", 3, func() error { _, err := s.List(Queued, 3); return err })
	cost("RecentlyFiled", recentFiledScan, func() error { _, _, err := s.RecentlyFiled("/nowhere", time.Time{}); return err })
}

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"filed\x00", "filed\x01"},
		{"a\xff", "b"},
		{"\xff\xff", ""},
	} {
		if got := string(prefixEnd([]byte(c.in))); got != c.want {
			t.Errorf("prefixEnd(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
