package state

// The transitions of file records other than a job's: intake (Enqueue),
// duplicates (Classify), moves, re-queues, journal marks and removals. Each
// is one transaction, checked against the table in machine.go.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// setJournaled marks terminal records journaled and drops their reasoning:
// it now lives in the journal; the record, kept for duplicates, undo and
// status, need not carry it.
func (s *Store) setJournaled(tx *bolt.Tx, ids []uint64) error {
	_, err := s.stepEach(tx, opJournaled, ids, func(_ int, f *File) error {
		f.Journaled, f.Reasoning = true, ""
		return nil
	})
	return err
}

// Remove deletes the record of a file that vanished from the inbox before
// it was filed, if the record is still in status from (the part of the
// daemon that saw the file vanish holds it in that status). A record that
// moved on meanwhile (another part of the daemon took it further) or is
// already gone is left alone: removed is false, and the error nil.
func (s *Store) Remove(id uint64, from Status) (removed bool, err error) {
	err = s.update(func(tx *bolt.Tx) error {
		removed = false
		f, err := getFile(tx, id)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := opRemove.check(&f); err != nil {
			return err
		}
		if f.Status != from {
			return nil
		}
		removed = true
		return s.putFile(tx, &f, nil)
	})
	return removed, err
}

// Stat is an inbox file's identity, for Enqueue.
type Stat struct {
	Path    string
	Size    int64
	ModTime time.Time
	SHA256  string
}

// EnqueueResult says what Enqueue did with one file.
type EnqueueResult struct {
	File File
	// New is true when a record was created or an active record re-queued
	// because its content changed; false when the file was already known as is.
	New bool
	// DuplicateOf is the filed record with the same content, if any.
	DuplicateOf *File
	// Fresh is true for a record created now (New, and not a new version of
	// an active record).
	Fresh bool
}

// Enqueue records stable inbox files in one transaction. A path with an
// active record of the same size, mtime and hash is left alone; a changed one
// goes back to queued (any answer for the old content is then ignored).
func (s *Store) Enqueue(files []Stat) ([]EnqueueResult, error) {
	out := make([]EnqueueResult, len(files))
	err := s.update(func(tx *bolt.Tx) error {
		for i, st := range files {
			now := s.now()
			var res EnqueueResult
			if v := tx.Bucket(bPaths).Get([]byte(st.Path)); v != nil {
				old, err := getFile(tx, binary.BigEndian.Uint64(v))
				if err != nil {
					return err
				}
				if old.Size == st.Size && old.ModTime.Equal(st.ModTime) && old.SHA256 == st.SHA256 {
					out[i] = EnqueueResult{File: old}
					continue
				}
				var f File
				err = s.step(tx, opReenqueue, old.ID, func(r *File) error {
					r.Size, r.ModTime, r.SHA256 = st.Size, st.ModTime, st.SHA256
					r.Status, r.JobID, r.RemoteID, r.Kind, r.Type, r.Reasoning, r.Reason = Queued, "", "", "", "", "", ""
					r.Confidence, r.Dest, r.NotBefore, r.MoveTries, r.DuplicateOf = 0, "", time.Time{}, 0, 0
					f = *r
					return nil
				})
				if errors.Is(err, errMovedOn) {
					out[i] = EnqueueResult{File: old}
					continue
				}
				if err != nil {
					return err
				}
				res = EnqueueResult{File: f, New: true}
			} else {
				id, err := tx.Bucket(bFiles).NextSequence()
				if err != nil {
					return err
				}
				f := File{ID: id, Path: st.Path, Size: st.Size, ModTime: st.ModTime, SHA256: st.SHA256, Status: Queued, Created: now}
				if err := s.putFile(tx, nil, &f); err != nil {
					return err
				}
				res = EnqueueResult{File: f, New: true, Fresh: true}
			}
			if st.SHA256 != "" {
				orig, ok, err := s.lookupHash(tx, st.SHA256)
				if err != nil {
					return err
				}
				if ok && orig.ID != res.File.ID {
					res.DuplicateOf = &orig
				}
			}
			out[i] = res
		}
		return nil
	})
	return out, err
}

// Classify sets outcomes for queued files directly (duplicates filed without
// classifying). Only queued records change.
func (s *Store) Classify(outcomes []Outcome, duplicateOf uint64) error {
	return s.update(func(tx *bolt.Tx) error {
		ids := make([]uint64, len(outcomes))
		for i, o := range outcomes {
			ids[i] = o.FileID
		}
		_, err := s.stepEach(tx, opClassify, ids, func(i int, f *File) error {
			o := outcomes[i]
			f.Status = Classified
			f.Kind, f.Type, f.Confidence, f.Reasoning, f.Reason = o.Kind, o.Type, o.Confidence, o.Reasoning, o.Reason
			f.DuplicateOf = duplicateOf
			return nil
		})
		return err
	})
}

// Move is a planned move of a classified file.
type Move struct {
	FileID uint64
	Dest   string
}

// BeginMove records the destinations of classified files (→ moving), in one
// transaction, before any rename happens.
func (s *Store) BeginMove(moves []Move) error {
	return s.update(func(tx *bolt.Tx) error {
		for _, m := range moves {
			if m.Dest == "" {
				return fmt.Errorf("begin move of file %d: no destination (DeferMove puts a move off)", m.FileID)
			}
			err := s.step(tx, opBeginMove, m.FileID, func(f *File) error {
				f.Status, f.Dest = Moving, m.Dest
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// FinishMove marks moving files as in their folder (filed, failed or
// duplicate, by kind), in one transaction; filed content is indexed for
// duplicate detection.
func (s *Store) FinishMove(ids []uint64) error {
	return s.update(func(tx *bolt.Tx) error {
		for _, id := range ids {
			err := s.step(tx, opFinishMv, id, func(f *File) error {
				switch f.Kind {
				case KindFailed:
					f.Status = Failed
				case KindDuplicate:
					f.Status = Duplicate
				default:
					f.Status = Filed
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// AbortMove sends moving files back to classified (the rename did not
// happen), to be tried again after notBefore.
func (s *Store) AbortMove(ids []uint64, reason string, notBefore time.Time) error {
	return s.update(func(tx *bolt.Tx) error {
		for _, id := range ids {
			err := s.step(tx, opAbortMove, id, func(f *File) error {
				f.Status, f.Dest = Classified, ""
				f.MoveTries++
				f.NotBefore = notBefore
				if reason != "" {
					f.Reason = reason
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// DeferMove puts off the move of a classified file that cannot be filed yet
// (no destination could be planned): it stays classified, with reason, one
// more move try counted, and is tried again after notBefore.
func (s *Store) DeferMove(id uint64, reason string, notBefore time.Time) error {
	return s.update(func(tx *bolt.Tx) error {
		return s.step(tx, opDeferMove, id, func(f *File) error {
			f.MoveTries++
			f.NotBefore, f.Reason = notBefore, reason
			return nil
		})
	})
}

// Requeue sends active files back to queued (a lost job, a changed file).
func (s *Store) Requeue(ids []uint64, reason string, countAttempt bool) error {
	return s.update(func(tx *bolt.Tx) error {
		_, err := s.stepEach(tx, opRequeue, ids, func(_ int, f *File) error {
			f.Status, f.JobID, f.RemoteID, f.Dest = Queued, "", "", ""
			if countAttempt {
				f.Attempts++
			}
			f.Reason = reason
			return nil
		})
		return err
	})
}

// SetJournaled marks records whose journal line is written and drops their
// reasoning (the journal holds it).
func (s *Store) SetJournaled(ids []uint64) error {
	return s.update(func(tx *bolt.Tx) error {
		return s.setJournaled(tx, ids)
	})
}

// Unjournaled returns terminal records whose journal line may be missing. It
// reads the unjournaled index, so it costs what is missing, not the history.
func (s *Store) Unjournaled() ([]File, error) {
	var out []File
	err := s.view(func(tx *bolt.Tx) error {
		return s.each(tx, bUnjourn, nil, func(k, _ []byte) error {
			f, err := getFile(tx, binary.BigEndian.Uint64(k))
			if err != nil {
				return err
			}
			out = append(out, f)
			return nil
		})
	})
	return out, err
}

// Forget deletes a terminal record (retry and undo put its file back into
// the inbox, where it starts anew).
func (s *Store) Forget(id uint64) error {
	return s.update(func(tx *bolt.Tx) error {
		old, err := getFile(tx, id)
		if err != nil {
			return err
		}
		if err := opForget.check(&old); err != nil {
			return err
		}
		return s.putFile(tx, &old, nil)
	})
}

// Delay makes queued files wait until notBefore before they are batched again.
func (s *Store) Delay(ids []uint64, notBefore time.Time) error {
	return s.update(func(tx *bolt.Tx) error {
		_, err := s.stepEach(tx, opDelay, ids, func(_ int, f *File) error {
			f.NotBefore = notBefore
			return nil
		})
		return err
	})
}

// Intend records the transaction id each queued file will be submitted
// under (ids → transaction id), in one transaction, before the create calls
// are sent. Files that are no longer queued are skipped.
func (s *Store) Intend(tx map[uint64]string) error {
	return s.update(func(btx *bolt.Tx) error {
		for id, txID := range tx {
			_, err := s.stepEach(btx, opIntend, []uint64{id}, func(_ int, f *File) error {
				if f.TxID == txID {
					return errMovedOn // recorded already: nothing to write
				}
				f.TxID = txID
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}
