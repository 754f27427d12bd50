package state

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// The transitions of the machine, in one table, checked in one place (step).
//
// Each transition names the statuses it leaves from. A record in another
// status is one of two things:
//
//   - a record that moved on by a race the caller cannot rule out (the file
//     changed and was queued again while its job ran, a lost job re-queued
//     it, a file was filed while a re-queue was on its way). The transition
//     lists those statuses in movedOn, and the record is left as it is: the
//     method's doc says so, and batch methods leave such records out. A
//     record deleted meanwhile is left out too where gone is set.
//   - anything else is a caller's mistake: a *StateError (ErrWrongState).
var (
	opReenqueue = &op{name: "enqueue changed content", from: active(Moving), movedOn: []Status{Moving}} // moving: the rename may have happened; repair decides
	opIntend    = &op{name: "intend", from: []Status{Queued}, movedOn: allBut(Queued), gone: true}
	opDelay     = &op{name: "delay", from: []Status{Queued}, movedOn: allBut(Queued), gone: true}
	opSubmit    = &op{name: "submit", from: []Status{Queued}, movedOn: allBut(Queued), gone: true}
	opFinish    = &op{name: "finish job", from: []Status{Submitted}, movedOn: allBut(Submitted), gone: true} // a submitted record of another job moved on too
	opClassify  = &op{name: "classify", from: []Status{Queued}, movedOn: allBut(Queued), gone: true}
	opRequeue   = &op{name: "requeue", from: active(Moving), movedOn: []Status{Moving, Filed, Failed, Duplicate}, gone: true}
	opEscalate  = &op{name: "escalation", from: []Status{Escalating}}
	opBeginMove = &op{name: "begin move", from: []Status{Classified}}
	opDeferMove = &op{name: "defer move", from: []Status{Classified}}
	opAbortMove = &op{name: "abort move", from: []Status{Moving}}
	opFinishMv  = &op{name: "finish move", from: []Status{Moving}}
	opJournaled = &op{name: "mark journaled", from: []Status{Filed, Failed, Duplicate}, gone: true}
	opRelocate  = &op{name: "relocate", from: []Status{Filed, Failed, Duplicate}}
	opForget    = &op{name: "forget", from: []Status{Filed, Failed, Duplicate}}
	opRemove    = &op{name: "remove vanished", from: AllStatuses}
)

// Transitions lists the table (for the package doc's test and status).
var transitions = []*op{opReenqueue, opIntend, opDelay, opSubmit, opFinish, opClassify, opRequeue, opEscalate,
	opBeginMove, opDeferMove, opAbortMove, opFinishMv, opJournaled, opRelocate, opForget, opRemove}

// op is one transition (or an update that keeps the status, such as
// intend, delay, defer move).
type op struct {
	name    string
	from    []Status
	movedOn []Status // left as they are, without an error
	gone    bool     // a missing record is left out, without an error
}

// ErrWrongState: a transition was asked of a record in a status it does not
// leave from. The error is a *StateError.
var ErrWrongState = errors.New("wrong status for this transition")

// StateError says which record, which transition and which statuses.
type StateError struct {
	ID     uint64
	Op     string
	Status Status
	Want   []Status
}

func (e *StateError) Error() string {
	want := make([]string, len(e.Want))
	for i, s := range e.Want {
		want[i] = string(s)
	}
	return fmt.Sprintf("%s of file %d: status %s, want %s", e.Op, e.ID, e.Status, strings.Join(want, " or "))
}

func (e *StateError) Unwrap() error { return ErrWrongState }

// errMovedOn: the record moved on (op.movedOn); it is left as it is.
var errMovedOn = errors.New("record moved on")

// check is the one check of the table: nil if o leaves from f's status,
// errMovedOn if f moved on, a *StateError otherwise.
func (o *op) check(f *File) error {
	switch {
	case slices.Contains(o.from, f.Status):
		return nil
	case slices.Contains(o.movedOn, f.Status):
		return errMovedOn
	}
	return &StateError{ID: f.ID, Op: o.name, Status: f.Status, Want: o.from}
}

// step applies transition o to record id in tx: fn gets the record if the
// table allows it, and the record is written with its indexes. fn may
// return errMovedOn for a condition the table cannot see (a submitted record
// of another job).
func (s *Store) step(tx *bolt.Tx, o *op, id uint64, fn func(f *File) error) error {
	old, err := getFile(tx, id)
	if err != nil {
		return err
	}
	if err := o.check(&old); err != nil {
		return err
	}
	f := old
	if err := fn(&f); err != nil {
		return err
	}
	return s.putFile(tx, &old, &f)
}

// stepEach is step over ids, leaving out what moved on (and what is gone,
// where o allows it); it returns the ids that made the transition.
func (s *Store) stepEach(tx *bolt.Tx, o *op, ids []uint64, fn func(i int, f *File) error) ([]uint64, error) {
	var done []uint64
	for i, id := range ids {
		err := s.step(tx, o, id, func(f *File) error { return fn(i, f) })
		switch {
		case errors.Is(err, errMovedOn), o.gone && errors.Is(err, ErrNotFound):
			continue
		case err != nil:
			return done, err
		}
		done = append(done, id)
	}
	return done, nil
}

// active is the active statuses but those named.
func active(but ...Status) []Status {
	var out []Status
	for _, s := range AllStatuses {
		if !s.Terminal() && !slices.Contains(but, s) {
			out = append(out, s)
		}
	}
	return out
}

// allBut is every status but st.
func allBut(st Status) []Status {
	var out []Status
	for _, s := range AllStatuses {
		if s != st {
			out = append(out, s)
		}
	}
	return out
}
