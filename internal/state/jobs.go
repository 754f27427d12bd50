package state

// Jobs: what was submitted to the backend and when it is polled next
// (jobs/<id>, due/<next poll><id>), and the outcomes that finish a job.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Job is a submitted job.
type Job struct {
	ID        string    `json:"id"`
	FileIDs   []uint64  `json:"file_ids"`
	Submitted time.Time `json:"submitted"`
	NextPoll  time.Time `json:"next_poll"`
	Polls     int       `json:"polls"`
	Attempt   int       `json:"attempt"` // 0 for the first submission of these files
}

func dueKey(t time.Time, job string) []byte {
	return append(u64(uint64(t.UnixNano())), job...)
}

// Submit records a job the backend accepted for the queued files ids, in one
// transaction. remoteIDs[i] is the backend's id of ids[i]. Files that are no
// longer queued (changed, removed) are left out of the job record.
func (s *Store) Submit(job Job, remoteIDs []string) error {
	return s.update(func(tx *bolt.Tx) error {
		kept, err := s.stepEach(tx, opSubmit, job.FileIDs, func(i int, f *File) error {
			f.Status, f.JobID, f.RemoteID = Submitted, job.ID, remoteIDs[i]
			return nil
		})
		if err != nil {
			return err
		}
		job.FileIDs = kept
		return putJob(tx, nil, &job)
	})
}

func putJob(tx *bolt.Tx, old *Job, j *Job) error {
	if old != nil {
		if err := tx.Bucket(bDue).Delete(dueKey(old.NextPoll, old.ID)); err != nil {
			return err
		}
	}
	v, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bJobs).Put([]byte(j.ID), v); err != nil {
		return err
	}
	return tx.Bucket(bDue).Put(dueKey(j.NextPoll, j.ID), nil)
}

func getJob(tx *bolt.Tx, id string) (Job, error) {
	v := tx.Bucket(bJobs).Get([]byte(id))
	if v == nil {
		return Job{}, fmt.Errorf("job %s: %w", id, ErrNotFound)
	}
	var j Job
	return j, json.Unmarshal(v, &j)
}

// Jobs returns every submitted job.
func (s *Store) Jobs() ([]Job, error) {
	var out []Job
	err := s.view(func(tx *bolt.Tx) error {
		return s.each(tx, bJobs, nil, func(k, v []byte) error {
			var j Job
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			out = append(out, j)
			return nil
		})
	})
	return out, err
}

// JobCount returns how many jobs are submitted, without reading them.
func (s *Store) JobCount() (int, error) {
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		return s.each(tx, bJobs, nil, func(_, _ []byte) error {
			n++
			return nil
		})
	})
	return n, err
}

// DueJobs returns up to limit jobs due for a poll at now, and the time the
// next job after them is due (zero if none).
func (s *Store) DueJobs(now time.Time, limit int) ([]Job, time.Time, error) {
	var out []Job
	var next time.Time
	err := s.view(func(tx *bolt.Tx) error {
		return s.scan(tx, bDue, nil, false, func(k, _ []byte) (bool, error) {
			t := time.Unix(0, int64(binary.BigEndian.Uint64(k[:8])))
			if t.After(now) || len(out) >= limit {
				next = t
				return false, nil
			}
			j, err := getJob(tx, string(k[8:]))
			out = append(out, j)
			return err == nil, err
		})
	})
	return out, next, err
}

// NextDue returns the earliest poll due at or after t (false: none).
func (s *Store) NextDue(t time.Time) (time.Time, bool, error) {
	var at time.Time
	err := s.view(func(tx *bolt.Tx) error {
		if k, _ := s.seek(tx, bDue, u64(uint64(t.UnixNano()))); k != nil {
			at = time.Unix(0, int64(binary.BigEndian.Uint64(k[:8])))
		}
		return nil
	})
	return at, !at.IsZero(), err
}

// Reschedule sets a job's next poll.
func (s *Store) Reschedule(jobID string, next time.Time) error {
	return s.update(func(tx *bolt.Tx) error {
		old, err := getJob(tx, jobID)
		if err != nil {
			return err
		}
		j := old
		j.NextPoll = next
		j.Polls++
		return putJob(tx, &old, &j)
	})
}

// Outcome is the answer for one file of a job.
type Outcome struct {
	FileID     uint64
	Kind       Kind // type, unmatched, review or failed
	Type       string
	Confidence float64
	Reasoning  string
	Reason     string
	// Requeue sends the file back to queued (no result; attempts+1) instead.
	Requeue bool
	// Escalate, if set, sends the file to escalating (the engine was
	// unsure), with this outcome as the engine's answer.
	Escalate *Escalation
}

// Finish applies a terminal job's outcomes and deletes the job, in one
// transaction. Outcomes for files that are no longer part of this job (the
// file changed and was re-queued) are ignored. Files of the job without an
// outcome are re-queued with attempts+1.
func (s *Store) Finish(jobID string, outcomes []Outcome) error {
	return s.update(func(tx *bolt.Tx) error {
		job, err := getJob(tx, jobID)
		if err != nil {
			return err
		}
		seen := map[uint64]bool{}
		apply := func(o Outcome) error {
			_, err := s.stepEach(tx, opFinish, []uint64{o.FileID}, func(_ int, f *File) error {
				if f.JobID != jobID {
					return errMovedOn // re-queued and submitted again meanwhile
				}
				if o.Requeue {
					f.Status, f.JobID, f.RemoteID = Queued, "", ""
					f.Attempts++
					f.Reason = o.Reason
					return nil
				}
				// The backend's file id means nothing once the job is done.
				f.Status, f.RemoteID = Classified, ""
				f.Kind, f.Type, f.Confidence, f.Reasoning, f.Reason = o.Kind, o.Type, o.Confidence, o.Reasoning, o.Reason
				if o.Escalate != nil {
					e := *o.Escalate
					f.Status, f.Esc = Escalating, &e
				}
				return nil
			})
			return err
		}
		for _, o := range outcomes {
			if seen[o.FileID] {
				continue
			}
			seen[o.FileID] = true
			if err := apply(o); err != nil {
				return err
			}
		}
		for _, id := range job.FileIDs {
			if !seen[id] {
				if err := apply(Outcome{FileID: id, Requeue: true, Reason: "the job gave no result for this file"}); err != nil {
					return err
				}
			}
		}
		if err := tx.Bucket(bDue).Delete(dueKey(job.NextPoll, job.ID)); err != nil {
			return err
		}
		return tx.Bucket(bJobs).Delete([]byte(jobID))
	})
}

// DropJob deletes a job record (its files were re-queued or failed).
func (s *Store) DropJob(jobID string) error {
	return s.update(func(tx *bolt.Tx) error {
		j, err := getJob(tx, jobID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.Bucket(bDue).Delete(dueKey(j.NextPoll, j.ID)); err != nil {
			return err
		}
		return tx.Bucket(bJobs).Delete([]byte(jobID))
	})
}
