package state

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// classified makes a record and takes it to classified.
func classified(t *testing.T, s *Store, path string) uint64 {
	t.Helper()
	res, err := s.Enqueue([]Stat{stat(path, 10, "sum-"+path)})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].File.ID
	if err := s.Classify([]Outcome{{FileID: id, Kind: KindType, Type: "invoice", Confidence: 0.9}}, 0); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Get(id); f.Status != Classified {
		t.Fatalf("record %d is %s, want classified", id, f.Status)
	}
	return id
}

// A transition asked of a record in a status it does not leave from is an
// error that names the record, the transition and the statuses; before the
// table, AbortMove of a record that was not moving did nothing, silently.
func TestWrongStateIsAnError(t *testing.T) {
	s := open(t)
	id := classified(t, s, "/in/a.pdf")
	queued, err := s.Enqueue([]Stat{stat("/in/q.pdf", 10, "q")})
	if err != nil {
		t.Fatal(err)
	}
	q := queued[0].File.ID
	for _, c := range []struct {
		name string
		call func() error
		op   string
	}{
		{"abort move of a classified record", func() error { return s.AbortMove([]uint64{id}, "", time.Time{}) }, opAbortMove.name},
		{"finish move of a classified record", func() error { return s.FinishMove([]uint64{id}) }, opFinishMv.name},
		{"begin move of a queued record", func() error { return s.BeginMove([]Move{{FileID: q, Dest: "/out/q.pdf"}}) }, opBeginMove.name},
		{"defer move of a queued record", func() error { return s.DeferMove(q, "x", time.Time{}) }, opDeferMove.name},
		{"forget an active record", func() error { return s.Forget(id) }, opForget.name},
		{"relocate an active record", func() error { _, err := s.Relocate(id, "/out/x", "", time.Now()); return err }, opRelocate.name},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			var se *StateError
			if !errors.Is(err, ErrWrongState) || !errors.As(err, &se) {
				t.Fatalf("got %v, want a *StateError", err)
			}
			if se.Op != c.op || len(se.Want) == 0 {
				t.Errorf("error %q: op %q want %v", err, se.Op, se.Want)
			}
		})
	}
	// Nothing changed.
	if f, _ := s.Get(id); f.Status != Classified || f.MoveTries != 0 {
		t.Errorf("record changed by refused transitions: %+v", f)
	}
	if f, _ := s.Get(q); f.Status != Queued {
		t.Errorf("queued record changed by refused transitions: %+v", f)
	}
}

// A move put off stays classified, counts a try and waits; it never passes
// through moving (before, it was BeginMove with no destination then AbortMove).
func TestDeferMove(t *testing.T) {
	s := open(t)
	id := classified(t, s, "/in/a.pdf")
	later := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := s.DeferMove(id, "cannot file: no space", later); err != nil {
		t.Fatal(err)
	}
	f, err := s.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if f.Status != Classified || f.MoveTries != 1 || !f.NotBefore.Equal(later) || f.Reason != "cannot file: no space" || f.Dest != "" {
		t.Fatalf("after DeferMove: %+v", f)
	}
	if c := mustCounts(t, s); c[Moving] != 0 || c[Classified] != 1 {
		t.Errorf("counts %v", c)
	}
	if err := s.BeginMove([]Move{{FileID: id, Dest: ""}}); err == nil {
		t.Error("BeginMove with no destination accepted")
	}
}

// Batch transitions leave out records that moved on, as their docs say, and
// make the transition for the rest.
func TestBatchLeavesOutWhatMovedOn(t *testing.T) {
	s := open(t)
	moved := classified(t, s, "/in/a.pdf")
	res, err := s.Enqueue([]Stat{stat("/in/b.pdf", 10, "b")})
	if err != nil {
		t.Fatal(err)
	}
	b := res[0].File.ID
	now := time.Now()
	if err := s.Submit(Job{ID: "j", FileIDs: []uint64{moved, b, 999}, NextPoll: now}, []string{"r1", "r2", "r3"}); err != nil {
		t.Fatal(err)
	}
	jobs, err := s.Jobs()
	if err != nil || len(jobs) != 1 || !slices.Equal(jobs[0].FileIDs, []uint64{b}) {
		t.Fatalf("job %+v (%v): want only the queued record", jobs, err)
	}
	if f, _ := s.Get(moved); f.Status != Classified {
		t.Errorf("a classified record was submitted: %+v", f)
	}
}

// The table is consistent: every transition leaves from some status, and no
// status is both allowed and "moved on".
func TestTransitionTable(t *testing.T) {
	for _, o := range transitions {
		if len(o.from) == 0 {
			t.Errorf("%s: leaves from no status", o.name)
		}
		for _, st := range o.movedOn {
			if slices.Contains(o.from, st) {
				t.Errorf("%s: %s both allowed and moved on", o.name, st)
			}
		}
		for _, st := range AllStatuses {
			f := File{ID: 1, Status: st}
			err := o.check(&f)
			switch {
			case slices.Contains(o.from, st) && err != nil:
				t.Errorf("%s from %s: %v", o.name, st, err)
			case slices.Contains(o.movedOn, st) && !errors.Is(err, errMovedOn):
				t.Errorf("%s from %s: %v, want moved on", o.name, st, err)
			case !slices.Contains(o.from, st) && !slices.Contains(o.movedOn, st) && !errors.Is(err, ErrWrongState):
				t.Errorf("%s from %s: %v, want ErrWrongState", o.name, st, err)
			}
		}
	}
}
