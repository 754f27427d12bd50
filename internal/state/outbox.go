package state

// The outbox: actions to run after files are filed (on_filed commands and
// webhooks). They are queued in the same transaction that marks their
// files journaled, so a file is either still unjournaled (Repair writes its
// journal line again and queues its actions then) or journaled with its
// actions queued: a crash never loses one. An item leaves the outbox only
// when it succeeded; one that failed every try stays, marked failed, for
// status (the newest MaxFailedActions).
//
//	outbox/
//	  <seq u64 BE>       JSON Action

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Action is one queued action for one filed file. The state does not look
// into Spec and Body (the daemon's action and the payload it sends).
type Action struct {
	Seq    uint64          `json:"seq"`
	ID     string          `json:"id"` // stable across tries and restarts: the receiver deduplicates on it
	FileID uint64          `json:"file_id"`
	Where  string          `json:"where"` // the config path of the action (on_filed[0], rules[2].on_filed[1])
	Event  string          `json:"event"`
	Spec   json.RawMessage `json:"spec"`
	Body   json.RawMessage `json:"body"`

	Tries     int       `json:"tries,omitempty"` // tries that failed
	NextTry   time.Time `json:"next_try,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	Failed    bool      `json:"failed,omitempty"` // gave up: no more tries
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

// MaxFailedActions is how many failed actions the outbox keeps for status.
var MaxFailedActions = 100

var bOutbox = []byte("outbox")

// SetJournaledQueue is SetJournaled plus queueing acts, in one transaction.
func (s *Store) SetJournaledQueue(ids []uint64, acts []Action) error {
	return s.update(func(tx *bolt.Tx) error {
		if err := s.setJournaled(tx, ids); err != nil {
			return err
		}
		if len(acts) == 0 {
			return nil
		}
		b := tx.Bucket(bOutbox)
		now := s.now()
		for _, a := range acts {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			a.Seq, a.Created, a.Updated = seq, now, now
			if err := putAction(b, &a); err != nil {
				return err
			}
		}
		return nil
	})
}

func putAction(b *bolt.Bucket, a *Action) error {
	v, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return b.Put(u64(a.Seq), v)
}

// DueActions returns up to limit actions not failed whose next try is due at
// now (skip: seqs to leave out, those in flight), oldest first, and the
// earliest later try (zero if none).
func (s *Store) DueActions(now time.Time, limit int, skip map[uint64]bool) ([]Action, time.Time, error) {
	var out []Action
	var next time.Time
	err := s.view(func(tx *bolt.Tx) error {
		return s.each(tx, bOutbox, nil, func(k, v []byte) error {
			var a Action
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("outbox %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if a.Failed || skip[a.Seq] {
				return nil
			}
			if a.NextTry.After(now) {
				if next.IsZero() || a.NextTry.Before(next) {
					next = a.NextTry
				}
				return nil
			}
			if len(out) < limit {
				out = append(out, a)
			}
			return nil
		})
	})
	return out, next, err
}

// ActionDone removes a succeeded action.
func (s *Store) ActionDone(seq uint64) error {
	return s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bOutbox).Delete(u64(seq))
	})
}

// ActionFailedTry records a failed try: another at next, or, when giving
// up, the action is marked failed (and the oldest failed beyond
// MaxFailedActions are dropped).
func (s *Store) ActionFailedTry(seq uint64, why string, next time.Time, giveUp bool) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bOutbox)
		v := b.Get(u64(seq))
		if v == nil {
			return nil
		}
		var a Action
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		a.Tries++
		a.LastError, a.NextTry, a.Failed, a.Updated = why, next, giveUp, s.now()
		if err := putAction(b, &a); err != nil {
			return err
		}
		if !giveUp {
			return nil
		}
		var failed [][]byte
		s.each(tx, bOutbox, nil, func(k, v []byte) error {
			var o Action
			if json.Unmarshal(v, &o) == nil && o.Failed {
				failed = append(failed, append([]byte(nil), k...))
			}
			return nil
		})
		for len(failed) > MaxFailedActions {
			if err := b.Delete(failed[0]); err != nil {
				return err
			}
			failed = failed[1:]
		}
		return nil
	})
}

// ActionStats counts the outbox: pending (waiting or being tried) and
// failed actions, and the newest failed ones, newest first (up to last).
func (s *Store) ActionStats(last int) (pending, failed int, recent []Action, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		return s.scan(tx, bOutbox, nil, true, func(_, v []byte) (bool, error) {
			var a Action
			if err := json.Unmarshal(v, &a); err != nil {
				return false, err
			}
			if !a.Failed {
				pending++
				return true, nil
			}
			failed++
			if len(recent) < last {
				a.Spec = nil
				recent = append(recent, a)
			}
			return true, nil
		})
	})
	return pending, failed, recent, err
}
