package admin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/state"
	"github.com/classifyd/classifyd/internal/testutil"
)

// TestUndoRestoresInbox: undo after once puts every file back byte for byte,
// forgets the records and removes the error notes; a second undo does nothing;
// the files filed again are not duplicates of themselves.
func TestUndoRestoresInbox(t *testing.T) {
	e := newEnv(t)
	e.sample()
	before := testutil.Tree(t, e.in)
	e.once()
	if n := len(testutil.Tree(t, e.in)); n != 0 {
		t.Fatalf("inbox has %d files after once", n)
	}
	if _, err := os.Stat(filepath.Join(e.out, "_failed", "blob.bin.error.txt")); err != nil {
		t.Fatal("want the error note of the failed file:", err)
	}
	ctx := context.Background()
	st := e.open()
	rep, err := Undo(ctx, UndoOptions{Config: e.cfg, Store: st, All: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Moved() != len(before) || rep.Failed() != 0 {
		t.Fatalf("moved %d failed %d: %+v", rep.Moved(), rep.Failed(), rep.Actions)
	}
	testutil.SameTree(t, testutil.Tree(t, e.in), before)
	if left := testutil.Tree(t, e.out); len(left) != 0 {
		t.Fatalf("output still has %v", left)
	}
	counts, err := st.Counts()
	if err != nil {
		t.Fatal(err)
	}
	for s, n := range counts {
		if n != 0 {
			t.Fatalf("state still has %d %s records", n, s)
		}
	}
	undos := 0
	for _, j := range testutil.Journal(t, e.out) {
		if j.Undo {
			undos++
		}
	}
	if undos != len(before) {
		t.Fatalf("%d undo lines, want %d", undos, len(before))
	}

	// A second undo does nothing.
	rep, err = Undo(ctx, UndoOptions{Config: e.cfg, Store: st, All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Actions) != 0 {
		t.Fatalf("second undo: %+v", rep.Actions)
	}
	testutil.SameTree(t, testutil.Tree(t, e.in), before)
	st.Close()

	// Filed again: the same folders as the first time, no duplicates.
	e.once()
	got := testutil.Tree(t, e.out)
	for _, want := range []string{"fruit/apple.txt", "vehicle/car.txt", "_unmatched/nothing.txt", "_failed/blob.bin"} {
		if _, ok := got[want]; !ok {
			t.Fatalf("after undo and once: no %s in %v", want, got)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(e.out, "_duplicates")); len(ents) > 0 {
		t.Fatal("files filed again went to the duplicates folder")
	}
}

func TestUndoSelectors(t *testing.T) {
	e := newEnv(t)
	e.sample()
	e.once()
	es := testutil.Journal(t, e.out)
	car := filepath.Join(e.in, "sub", "car.txt")
	var carJob string
	for _, j := range es {
		if j.Source == car {
			carJob = j.JobID
		}
	}
	jobFiles := 0
	for _, j := range es {
		if j.JobID == carJob {
			jobFiles++
		}
	}
	for _, tc := range []struct {
		name  string
		o     UndoOptions
		moved int
	}{
		{"nothing selected", UndoOptions{}, -1},
		{"future since", UndoOptions{Since: time.Now().Add(time.Hour)}, 0},
		{"past since", UndoOptions{Since: time.Now().Add(-time.Hour)}, len(es)},
		{"job", UndoOptions{Job: carJob}, jobFiles},
		{"job and since", UndoOptions{Job: carJob, Since: time.Now().Add(time.Hour)}, 0},
		{"filed file", UndoOptions{Files: []string{filepath.Join(e.out, "vehicle", "car.txt")}}, 1},
		{"source path", UndoOptions{Files: []string{car}}, 1},
		{"folder", UndoOptions{Files: []string{filepath.Join(e.out, "fruit")}}, 2},
		{"unknown file", UndoOptions{Files: []string{filepath.Join(e.out, "nope.txt")}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.Config, o.DryRun = e.cfg, true
			rep, err := Undo(context.Background(), o)
			if tc.moved < 0 {
				if !errors.Is(err, ErrNothingSelected) {
					t.Fatalf("got %v, want ErrNothingSelected", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.Moved() != tc.moved || rep.Failed() != 0 {
				t.Fatalf("would move %d (failed %d), want %d: %+v", rep.Moved(), rep.Failed(), tc.moved, rep.Actions)
			}
			for _, a := range rep.Actions {
				if a.Done {
					t.Fatal("dry run did something")
				}
			}
		})
	}
	// The dry runs moved nothing and wrote nothing.
	if n := len(testutil.Tree(t, e.in)); n != 0 {
		t.Fatalf("dry runs put %d files back", n)
	}
	if len(testutil.Journal(t, e.out)) != len(es) {
		t.Fatal("dry runs wrote to the journal")
	}
}

// TestUndoRefuses: a file at the source is never overwritten, a changed or
// vanished file is left alone, and each is reported; the rest is undone.
func TestUndoRefuses(t *testing.T) {
	e := newEnv(t)
	e.sample()
	e.once()
	apple := e.write("apple.txt", "a new apple.txt dropped since")
	if err := os.WriteFile(filepath.Join(e.out, "vehicle", "car.txt"), []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(e.out, "_unmatched", "nothing.txt")); err != nil {
		t.Fatal(err)
	}
	st := e.open()
	defer st.Close()
	rep, err := Undo(context.Background(), UndoOptions{Config: e.cfg, Store: st, All: true})
	if err != nil {
		t.Fatal(err)
	}
	errs := map[string]string{}
	for _, a := range rep.Actions {
		if a.Error != "" {
			errs[filepath.Base(a.From)] = a.Error
		}
	}
	want := map[string]error{"apple.txt": ErrSourceExists, "car.txt": ErrChanged, "nothing.txt": ErrGone}
	if len(errs) != len(want) {
		t.Fatalf("errors %v, want %v", errs, want)
	}
	for name, err := range want {
		if errs[name] != err.Error() {
			t.Fatalf("%s: %q, want %q", name, errs[name], err)
		}
	}
	if b, _ := os.ReadFile(apple); string(b) != "a new apple.txt dropped since" {
		t.Fatal("the file at the source was overwritten")
	}
	if _, err := os.Stat(filepath.Join(e.out, "fruit", "apple.txt")); err != nil {
		t.Fatal("the refused file left its folder")
	}
	// The refused records stay; the undone ones are forgotten.
	counts, _ := st.Counts()
	if counts[state.Filed] != 3 { // apple, car, nothing (copy.txt was undone)
		t.Fatalf("filed records %d, want 3: %v", counts[state.Filed], counts)
	}
	// Undo again: the same three refusals, nothing else.
	rep, err = Undo(context.Background(), UndoOptions{Config: e.cfg, Store: st, All: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Moved() != 0 || rep.Failed() != 3 {
		t.Fatalf("second undo: %+v", rep.Actions)
	}
}

// TestUndoFoundBack: an undo stopped between the move and its journal line is
// completed by the next one, without moving anything.
func TestUndoFoundBack(t *testing.T) {
	e := newEnv(t)
	e.write("apple.txt", "the apple harvest in the orchard")
	e.once()
	src, dst := filepath.Join(e.in, "apple.txt"), filepath.Join(e.out, "fruit", "apple.txt")
	if err := os.Rename(dst, src); err != nil {
		t.Fatal(err)
	}
	st := e.open()
	defer st.Close()
	rep, err := Undo(context.Background(), UndoOptions{Config: e.cfg, Store: st, All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Actions) != 1 || !rep.Actions[0].Done || rep.Actions[0].Error != "" {
		t.Fatalf("%+v", rep.Actions)
	}
	if n, _ := st.Active(0); n != 0 {
		t.Fatal(n)
	}
	if c, _ := st.Counts(); c[state.Filed] != 0 {
		t.Fatal("record not forgotten")
	}
	rep, _ = Undo(context.Background(), UndoOptions{Config: e.cfg, Store: st, All: true})
	if len(rep.Actions) != 0 {
		t.Fatalf("%+v", rep.Actions)
	}
}

func TestUndoNoJournal(t *testing.T) {
	e := newEnv(t)
	st := e.open()
	defer st.Close()
	rep, err := Undo(context.Background(), UndoOptions{Config: e.cfg, Store: st, All: true})
	if err != nil || len(rep.Actions) != 0 {
		t.Fatal(rep, err)
	}
}
