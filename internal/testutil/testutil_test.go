package testutil

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/classifyd/classifyd/internal/sorter"
)

// Tree reads what a run left: nested files by slash path, without the
// journal; a missing folder is an empty tree.
func TestTree(t *testing.T) {
	f := NewFolders(t)
	if got := Tree(t, f.Out); len(got) != 0 {
		t.Fatalf("missing output: %v", got)
	}
	Sample(t, f.In)
	Write(t, f.In, sorter.JournalName, "{}\n")
	if err := os.MkdirAll(filepath.Join(f.In, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"apple.txt":   "the apple harvest in the orchard, banana too",
		"sub/car.txt": "my car engine needs new wheels from the garage",
		"nothing.txt": "nothing to see here at all",
		"blob.bin":    "\x00\x01binary\x00",
	}
	SameTree(t, Tree(t, f.In), want)
}

// The config of Folders parses with the Fast settings and the Rules.
func TestConfig(t *testing.T) {
	f := NewFolders(t)
	cfg := f.Config(t, Fast, Rules)
	if cfg.Inbox != f.In || len(cfg.Rules) != 2 || cfg.Rules[0].Type != "fruit" || cfg.Rules[1].Type != "vehicle" {
		t.Fatalf("config %+v", cfg)
	}
}
