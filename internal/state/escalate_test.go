package state

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestEscalationLifecycle: Finish sends an unsure file to escalating with
// the engine's answer; ReserveEscalation counts it against the day's budget
// once (a second intent returns the first, uncounted) and refuses past the
// budget; the counts survive a reopen; Escalated files it as classified
// with the remote's answer; a record that is not escalating is left alone.
func TestEscalationLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Enqueue([]Stat{stat("/in/a", 1, "aa"), stat("/in/b", 2, "bb"), stat("/in/c", 3, "cc")})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := res[0].File.ID, res[1].File.ID, res[2].File.ID
	now := time.Now()
	if err := s.Submit(Job{ID: "j", FileIDs: []uint64{a, b, c}, Submitted: now, NextPoll: now}, []string{"ra", "rb", "rc"}); err != nil {
		t.Fatal(err)
	}
	esc := func(id uint64) Outcome {
		return Outcome{FileID: id, Kind: KindType, Type: "fruit", Confidence: 0.3, Reasoning: "local",
			Escalate: &Escalation{LocalType: "fruit", LocalConfidence: 0.3, LocalKind: KindType}}
	}
	if err := s.Finish("j", []Outcome{esc(a), esc(b), {FileID: c, Kind: KindType, Type: "fruit", Confidence: 0.9}}); err != nil {
		t.Fatal(err)
	}
	counts, _ := s.Counts()
	if counts[Escalating] != 2 || counts[Classified] != 1 {
		t.Fatalf("counts %v", counts)
	}
	if n, _ := s.Active(0); n != 3 {
		t.Errorf("active %d, want 3 (escalating is active)", n)
	}
	fa, _ := s.Get(a)
	if fa.Esc == nil || fa.Esc.LocalType != "fruit" || fa.Reasoning != "local" || fa.Type != "fruit" {
		t.Fatalf("a: %+v %+v", fa, fa.Esc)
	}
	const day = "2026-12-01"
	e1, err := s.ReserveEscalation(a, day, 1, "tx-a", 2)
	if err != nil || e1.TxID != "tx-a" || e1.Day != day || e1.Pages != 2 {
		t.Fatalf("reserve a: %+v %v", e1, err)
	}
	// A second intent for a (after a crash) keeps the first and is not counted.
	e2, err := s.ReserveEscalation(a, day, 1, "tx-other", 5)
	if err != nil || e2.TxID != "tx-a" {
		t.Fatalf("reserve a again: %+v %v", e2, err)
	}
	if _, err := s.ReserveEscalation(b, day, 1, "tx-b", 1); !errors.Is(err, ErrBudgetSpent) {
		t.Fatalf("reserve b past the budget: %v", err)
	}
	if _, err := s.ReserveEscalation(c, day, 10, "tx-c", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("reserve of a classified record: %v, want ErrNotFound", err)
	}
	s.Close()
	if s, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d, _ := s.EscalationsOn(day); d.Files != 1 || d.Pages != 2 {
		t.Errorf("after reopen: %+v, want 1 file, 2 pages", d)
	}
	if d, _ := s.EscalationsOn("2026-12-02"); d.Files != 0 {
		t.Errorf("the next day: %+v", d)
	}
	if err := s.EscalationUpdate(a, func(e *Escalation) { e.JobID = "clj-1" }); err != nil {
		t.Fatal(err)
	}
	if err := s.Escalated(Outcome{FileID: a, Kind: KindType, Type: "vehicle", Confidence: 0.95, Reasoning: "remote"},
		Escalation{LocalType: "fruit", TxID: "tx-a", JobID: "clj-1", RemoteType: "vehicle", Decided: DecidedRemote}); err != nil {
		t.Fatal(err)
	}
	fa, _ = s.Get(a)
	if fa.Status != Classified || fa.Type != "vehicle" || fa.Reasoning != "remote" || fa.Esc.Decided != DecidedRemote || fa.Esc.JobID != "clj-1" {
		t.Fatalf("a escalated: %+v %+v", fa, fa.Esc)
	}
	if err := s.Escalated(Outcome{FileID: a, Kind: KindReview}, Escalation{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("a second outcome: %v, want ErrNotFound", err)
	}
}
