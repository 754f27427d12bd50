package admin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/daemon"
	"github.com/classifyd/classifyd/internal/state"
	"github.com/classifyd/classifyd/internal/testutil"
)

type nopLearner struct{}

func (nopLearner) Learn(context.Context, string, string) error           { return nil }
func (nopLearner) Correct(context.Context, string, string, string) error { return nil }

// runLearning runs the daemon (not once) with learning on until the state
// records a correction.
func (e *env) runUntilCorrected(t *testing.T) {
	t.Helper()
	e.cfg.Learn = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lb := testutil.KeywordBackend(t, ctx)
	st := e.open()
	defer st.Close()
	d, err := daemon.New(daemon.Options{Config: e.cfg, Backend: lb, Store: st, Learner: nopLearner{}, LearnInterval: 10 * time.Millisecond,
		RetryBase: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); d.Run(ctx) }()
	defer wg.Wait()
	defer cancel()
	for ctx.Err() == nil {
		if cs, _ := st.Corrections(); len(cs) > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no correction recorded")
}

// A person corrects a filing by moving the file to another type folder:
// the state, the journal and status follow it, a duplicate names where it
// is now, and undo moves it back from there.
func TestCorrectionFollowedEverywhere(t *testing.T) {
	e := newEnv(t)
	const text = "the apple harvest in the orchard, banana too"
	e.write("apple.txt", text)
	e.once()
	filed := filepath.Join(e.out, "fruit", "apple.txt")
	moved := filepath.Join(e.out, "vehicle", "apple.txt")
	if err := os.Rename(filed, moved); err != nil { // vehicle/ exists from the start
		t.Fatal(err)
	}
	e.runUntilCorrected(t)

	st := e.open()
	rec, ok, err := st.ByDest(moved)
	if err != nil || !ok || rec.Type != "vehicle" || rec.FiledAs != "fruit" || rec.Corrected.IsZero() {
		t.Fatalf("state does not follow the file: %+v %v %v", rec, ok, err)
	}
	s, err := Snapshot(st, e.cfg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Corrections) != 1 || s.Corrections[0].To != moved || s.Corrections[0].From != filed || s.Corrections[0].Was != "fruit" || s.Corrections[0].Is != "vehicle" {
		t.Fatalf("status corrections: %+v", s.Corrections)
	}
	var corr int
	for _, j := range testutil.Journal(t, e.out) {
		if j.Correction {
			corr++
			if j.Dest != moved || j.MovedFrom != filed || j.Type != "vehicle" {
				t.Errorf("correction line: %+v", j)
			}
		}
	}
	if corr != 1 {
		t.Fatalf("%d correction lines, want 1", corr)
	}
	st.Close()

	// The same content dropped again: a duplicate naming where the file is now.
	e.write("again.txt", text)
	e.once()
	var dup string
	for _, j := range testutil.Journal(t, e.out) {
		if strings.HasSuffix(j.Source, "again.txt") {
			dup = j.Reason
		}
	}
	if !strings.Contains(dup, moved) {
		t.Fatalf("duplicate reason %q does not name %s", dup, moved)
	}

	// undo (of the corrected file) moves it back from where it is now.
	st = e.open()
	defer st.Close()
	// Every filing: the duplicate and the corrected file, none refused as
	// "no longer where it was filed".
	rep, err := Undo(context.Background(), UndoOptions{Config: e.cfg, Store: st, All: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Moved() != 2 || rep.Failed() != 0 {
		t.Fatalf("undo: %+v", rep.Actions)
	}
	if b, err := os.ReadFile(filepath.Join(e.in, "apple.txt")); err != nil || string(b) != text {
		t.Fatalf("not back in the inbox: %v", err)
	}
	if _, err := st.Get(rec.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("record not forgotten: %v", err)
	}
}
