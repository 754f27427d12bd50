package pathjson_test

import (
	"encoding/json"
	"testing"

	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// Start-up repair compares a journal line's source with the state record's
// path: a name that is not UTF-8 must come back from both byte for byte.
func TestStateRecordAndJournalLineAgree(t *testing.T) {
	src, dst := "/in/caf\xe9 \xff.pdf", "/out/invoice/caf\xe9 \xff.pdf"
	b, err := json.Marshal(state.File{ID: 7, Path: src, Dest: dst})
	if err != nil {
		t.Fatal(err)
	}
	var f state.File
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	b, err = json.Marshal(sorter.Entry{ID: 7, Source: src, Dest: dst})
	if err != nil {
		t.Fatal(err)
	}
	var e sorter.Entry
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	if f.Path != src || f.Dest != dst {
		t.Errorf("state record: path %q dest %q, want %q %q", f.Path, f.Dest, src, dst)
	}
	if e.Source != f.Path || e.Dest != f.Dest {
		t.Errorf("journal line: source %q dest %q, state record: %q %q", e.Source, e.Dest, f.Path, f.Dest)
	}
}
