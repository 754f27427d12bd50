package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Escalation (local first, LlamaCloud when unsure) adds one status to the
// machine, between submitted and classified:
//
//	submitted ──Finish (local answer under the threshold)──▶ escalating
//	escalating ──ReserveEscalation (budget counted, transaction id recorded)
//	           ──EscalationJob (the remote job's id)
//	           ──Escalated (the remote's answer, or the fallback)──▶ classified
//
// An escalating record carries the engine's answer in Kind, Type,
// Confidence and Reasoning (what the fallback files it as) and the
// escalation in Esc. The budget lives in its own bucket:
//
//	escalations/
//	  <YYYY-MM-DD>      JSON EscalationDay: remote jobs intended that day, pages sent
//
// A job is counted when its intent is recorded, in the same transaction,
// before the create is sent: a crash after the count sends the same create
// (the same transaction id) again and is not counted again, so the budget
// is never exceeded, whatever the crashes.

// Escalating: the engine was unsure; the file waits for the remote's answer.
const Escalating Status = "escalating"

// Who decided an escalated file.
const (
	DecidedRemote   = "remote"   // the remote's answer
	DecidedFallback = "fallback" // budget spent or the remote failed: the configured fallback
	DecidedDryRun   = "dry_run"  // a dry run: nothing was sent
)

// Escalation is the record of an escalated file.
type Escalation struct {
	// The engine's answer.
	LocalType       string  `json:"local_type,omitempty"`
	LocalConfidence float64 `json:"local_confidence"`
	LocalKind       Kind    `json:"local_kind,omitempty"`

	Day      string    `json:"day,omitempty"`       // budget day the job was counted on
	TxID     string    `json:"tx_id,omitempty"`     // transaction_id, recorded before the create
	Pages    int       `json:"pages,omitempty"`     // pages sent (counted with the job)
	RemoteID string    `json:"remote_id,omitempty"` // the remote's file id
	JobID    string    `json:"job_id,omitempty"`    // the remote job
	Polls    int       `json:"polls,omitempty"`
	Tries    int       `json:"tries,omitempty"` // failures that may pass
	Started  time.Time `json:"started,omitzero"`
	NextPoll time.Time `json:"next_poll,omitzero"`

	// The outcome.
	RemoteType       string  `json:"remote_type,omitempty"`
	RemoteConfidence float64 `json:"remote_confidence,omitempty"`
	Decided          string  `json:"decided,omitempty"`
	Why              string  `json:"why,omitempty"` // why the fallback
	Learned          bool    `json:"learned,omitempty"`
}

// EscalationDay is one day's use of the budget.
type EscalationDay struct {
	Files int `json:"files"`
	Pages int `json:"pages"`
}

var bEscalations = []byte("escalations")

// ErrBudgetSpent: the day's escalation budget is used up.
var ErrBudgetSpent = errors.New("escalation budget spent")

func getDay(tx *bolt.Tx, day string) EscalationDay {
	var d EscalationDay
	if v := tx.Bucket(bEscalations).Get([]byte(day)); v != nil {
		_ = json.Unmarshal(v, &d)
	}
	return d
}

// EscalationsOn returns the budget used on day (YYYY-MM-DD).
func (s *Store) EscalationsOn(day string) (EscalationDay, error) {
	var d EscalationDay
	err := s.view(func(tx *bolt.Tx) error {
		d = getDay(tx, day)
		return nil
	})
	return d, err
}

// updateEscalating applies fn to an escalating record. A record that is not
// escalating (any more) gives a *StateError that is also ErrNotFound, as
// callers of the escalation methods test for.
func (s *Store) updateEscalating(tx *bolt.Tx, id uint64, fn func(f *File, e *Escalation) error) error {
	err := s.step(tx, opEscalate, id, func(f *File) error {
		e := Escalation{}
		if f.Esc != nil {
			e = *f.Esc
		}
		if err := fn(f, &e); err != nil {
			return err
		}
		f.Esc = &e
		return nil
	})
	if errors.Is(err, ErrWrongState) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// ReserveEscalation records the intent to send the escalating file id to
// the remote under txID with pages pages, counting it against day's budget
// of limit files, in one transaction. A file that already holds an intent
// keeps it and is not counted again (it returns the recorded one). With the
// budget spent it returns ErrBudgetSpent and records nothing.
func (s *Store) ReserveEscalation(id uint64, day string, limit int, txID string, pages int) (Escalation, error) {
	var out Escalation
	err := s.update(func(tx *bolt.Tx) error {
		return s.updateEscalating(tx, id, func(f *File, e *Escalation) error {
			if e.TxID != "" {
				out = *e
				return errRecorded
			}
			d := getDay(tx, day)
			if d.Files >= limit {
				return ErrBudgetSpent
			}
			d.Files++
			d.Pages += pages
			v, _ := json.Marshal(d)
			if err := tx.Bucket(bEscalations).Put([]byte(day), v); err != nil {
				return err
			}
			e.Day, e.TxID, e.Pages = day, txID, pages
			out = *e
			return nil
		})
	})
	if errors.Is(err, errRecorded) {
		err = nil
	}
	return out, err
}

// EscalationUpdate changes an escalating record's escalation (the remote
// job's id, a poll, a try), in one transaction. It returns ErrNotFound when
// the record is not escalating.
func (s *Store) EscalationUpdate(id uint64, fn func(e *Escalation)) error {
	err := s.update(func(tx *bolt.Tx) error {
		return s.updateEscalating(tx, id, func(_ *File, e *Escalation) error {
			fn(e)
			return nil
		})
	})
	return err
}

// errRecorded: the file holds an intent already; it keeps it.
var errRecorded = errors.New("intent recorded already")

// Escalated ends an escalation: the record becomes classified with the
// outcome o (the remote's answer or the fallback) and e as its escalation.
func (s *Store) Escalated(o Outcome, e Escalation) error {
	err := s.update(func(tx *bolt.Tx) error {
		return s.updateEscalating(tx, o.FileID, func(f *File, cur *Escalation) error {
			f.Status = Classified
			f.Kind, f.Type, f.Confidence, f.Reasoning, f.Reason = o.Kind, o.Type, o.Confidence, o.Reasoning, o.Reason
			*cur = e
			return nil
		})
	})
	return err
}
