package local

// The bbolt store of a backend with a data directory (DataDir/local.db).
//
//	meta/
//	    version            -> "1"
//	files/
//	    <file id>          -> JSON fileRec
//	jobs/
//	    <job id>           -> JSON jobRec (written at creation and when terminal)
//	jobfiles/
//	    <job id>           -> JSON []string, the job's file IDs in request order
//	progress/
//	    <job id>           -> JSON progress {done, failed}
//	pending/
//	    <job id>           -> "" while the job is not terminal (start-up requeue index)
//	results/
//	    <job id>/          (bucket)
//	        <index u32 BE> -> JSON api.ResultItem of file <index> of the job
//	failures/
//	    <job id>/          (bucket)
//	        <index u32 BE> -> why file <index> of the job failed (text; a
//	                          leading 0x01 byte: a permanent failure)
//
// IDs are UUIDv7, so key order is creation order. Each file outcome is one
// Update transaction: result or failure, progress, and (for the last file)
// the terminal job and the removal from pending.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/classifyd/classifyd/internal/api"
)

const schemaVersion = "1"

var (
	bMeta     = []byte("meta")
	bFiles    = []byte("files")
	bJobs     = []byte("jobs")
	bJobFiles = []byte("jobfiles")
	bProgress = []byte("progress")
	bPending  = []byte("pending")
	bResults  = []byte("results")
	bFailures = []byte("failures")
)

// ErrLocked is returned by New when another process holds the store.
var ErrLocked = errors.New("store is locked by another process")

type boltStore struct {
	db *bolt.DB
}

func openBolt(path string, timeout time.Duration) (*boltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w (is another classifyd using this data directory?)", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bMeta, bFiles, bJobs, bJobFiles, bProgress, bPending, bResults, bFailures} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		switch v := meta.Get([]byte("version")); {
		case v == nil:
			return meta.Put([]byte("version"), []byte(schemaVersion))
		case string(v) != schemaVersion:
			return fmt.Errorf("schema version %q, this program reads %q", v, schemaVersion)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &boltStore{db: db}, nil
}

func idx(i int) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(i))
	return b[:]
}

func getJSON(b *bolt.Bucket, key string, v any) (bool, error) {
	raw := b.Get([]byte(key))
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decode record %s: %w", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

func (s *boltStore) putFile(rec fileRec) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bFiles), []byte(rec.File.ID), rec)
	})
}

func (s *boltStore) getFile(id string) (rec fileRec, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bFiles), id, &rec)
		if err == nil && !ok {
			err = fmt.Errorf("file %s: %w", id, api.ErrNotFound)
		}
		return err
	})
	return rec, err
}

func (s *boltStore) hasFile(id string) (found bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		found = tx.Bucket(bFiles).Get([]byte(id)) != nil
		return nil
	})
	return found, err
}

func (s *boltStore) deleteFile(id string) (rec fileRec, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bFiles)
		ok, err := getJSON(b, id, &rec)
		if err == nil && !ok {
			err = fmt.Errorf("file %s: %w", id, api.ErrNotFound)
		}
		if err != nil {
			return err
		}
		return b.Delete([]byte(id))
	})
	return rec, err
}

func (s *boltStore) updateFile(id string, fn func(*fileRec)) (rec fileRec, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bFiles)
		ok, err := getJSON(b, id, &rec)
		if err == nil && !ok {
			err = fmt.Errorf("file %s: %w", id, api.ErrNotFound)
		}
		if err != nil {
			return err
		}
		fn(&rec)
		return putJSON(b, []byte(id), rec)
	})
	return rec, err
}

// walkNewest calls each for the keys of b older than after, newest first,
// until each returns false.
func walkNewest(b *bolt.Bucket, after string, each func(k, v []byte) (bool, error)) error {
	c := b.Cursor()
	var k, v []byte
	if after == "" {
		k, v = c.Last()
	} else {
		k, _ = c.Seek([]byte(after))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	for ; k != nil; k, v = c.Prev() {
		more, err := each(k, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

func (s *boltStore) listFiles(q FileQuery, after string, n int) (out []fileRec, more bool, total int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bFiles)
		err := b.ForEach(func(_, v []byte) error {
			var rec fileRec
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			if q.match(&rec.File) {
				total++
			}
			return nil
		})
		if err != nil {
			return err
		}
		return walkNewest(b, after, func(_, v []byte) (bool, error) {
			var rec fileRec
			if err := json.Unmarshal(v, &rec); err != nil {
				return false, err
			}
			if !q.match(&rec.File) {
				return true, nil
			}
			if len(out) == n {
				more = true
				return false, nil
			}
			out = append(out, rec)
			return true, nil
		})
	})
	return out, more, total, err
}

func (s *boltStore) createJob(rec jobRec, fileIDs []string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		id := []byte(rec.Job.ID)
		if err := putJSON(tx.Bucket(bJobs), id, rec); err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bJobFiles), id, fileIDs); err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bProgress), id, progress{}); err != nil {
			return err
		}
		if _, err := tx.Bucket(bResults).CreateBucket(id); err != nil {
			return err
		}
		if _, err := tx.Bucket(bFailures).CreateBucket(id); err != nil {
			return err
		}
		return tx.Bucket(bPending).Put(id, nil)
	})
}

func (s *boltStore) deleteJob(id string) (fileIDs []string, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		key := []byte(id)
		if tx.Bucket(bJobs).Get(key) == nil {
			return fmt.Errorf("job %s: %w", id, api.ErrNotFound)
		}
		if _, err := getJSON(tx.Bucket(bJobFiles), id, &fileIDs); err != nil {
			return err
		}
		for _, name := range [][]byte{bJobs, bJobFiles, bProgress, bPending} {
			if err := tx.Bucket(name).Delete(key); err != nil {
				return err
			}
		}
		for _, name := range [][]byte{bResults, bFailures} {
			if err := tx.Bucket(name).DeleteBucket(key); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
				return err
			}
		}
		return nil
	})
	return fileIDs, err
}

func (s *boltStore) getJob(id string) (rec jobRec, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bJobs), id, &rec)
		if err == nil && !ok {
			err = fmt.Errorf("job %s: %w", id, api.ErrNotFound)
		}
		return err
	})
	return rec, err
}

func (s *boltStore) listJobs(after string, n int) (out []jobRec, more bool, total int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bJobs)
		total = b.Stats().KeyN
		return walkNewest(b, after, func(_, v []byte) (bool, error) {
			if len(out) == n {
				more = true
				return false, nil
			}
			var rec jobRec
			if err := json.Unmarshal(v, &rec); err != nil {
				return false, err
			}
			out = append(out, rec)
			return true, nil
		})
	})
	return out, more, total, err
}

func (s *boltStore) record(jobID string, o outcome, finish finishFunc) (rec jobRec, done bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bJobs), jobID, &rec)
		if err == nil && !ok {
			err = fmt.Errorf("job %s: %w", jobID, api.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if o.Index < 0 || o.Index >= rec.NFiles {
			return fmt.Errorf("job %s: file index %d out of range", jobID, o.Index)
		}
		results := tx.Bucket(bResults).Bucket([]byte(jobID))
		failures := tx.Bucket(bFailures).Bucket([]byte(jobID))
		if results == nil || failures == nil {
			return fmt.Errorf("job %s: result buckets missing", jobID)
		}
		key := idx(o.Index)
		if rec.Job.Status.Terminal() || results.Get(key) != nil || failures.Get(key) != nil {
			return nil
		}
		var prog progress
		if _, err := getJSON(tx.Bucket(bProgress), jobID, &prog); err != nil {
			return err
		}
		if o.Err != "" {
			err = failures.Put(key, []byte(encodeFailure(o)))
			prog.Failed++
		} else {
			err = putJSON(results, key, o.Item)
			prog.Done++
		}
		if err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bProgress), []byte(jobID), prog); err != nil {
			return err
		}
		if prog.Done+prog.Failed < rec.NFiles {
			return nil
		}
		var fileIDs []string
		if _, err := getJSON(tx.Bucket(bJobFiles), jobID, &fileIDs); err != nil {
			return err
		}
		failed, err := failedOutcomes(failures, fileIDs)
		if err != nil {
			return err
		}
		finish(&rec, failed)
		done = true
		if err := putJSON(tx.Bucket(bJobs), []byte(jobID), rec); err != nil {
			return err
		}
		return tx.Bucket(bPending).Delete([]byte(jobID))
	})
	return rec, done, err
}

// failedOutcomes reads a job's failures bucket.
func failedOutcomes(failures *bolt.Bucket, fileIDs []string) ([]outcome, error) {
	var failed []outcome
	err := failures.ForEach(func(k, v []byte) error {
		failed = append(failed, decodeFailure(int(binary.BigEndian.Uint32(k)), fileIDs, string(v)))
		return nil
	})
	return failed, err
}

func (s *boltStore) failures(jobID string) (out []outcome, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bJobs).Get([]byte(jobID)) == nil {
			return fmt.Errorf("job %s: %w", jobID, api.ErrNotFound)
		}
		failures := tx.Bucket(bFailures).Bucket([]byte(jobID))
		if failures == nil {
			return fmt.Errorf("job %s: failure bucket missing", jobID)
		}
		var fileIDs []string
		if _, err := getJSON(tx.Bucket(bJobFiles), jobID, &fileIDs); err != nil {
			return err
		}
		out, err = failedOutcomes(failures, fileIDs)
		return err
	})
	return out, err
}

func (s *boltStore) results(jobID string, after, n int) (out []api.ResultItem, last int, more bool, total int, err error) {
	last = after
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bJobs).Get([]byte(jobID)) == nil {
			return fmt.Errorf("job %s: %w", jobID, api.ErrNotFound)
		}
		b := tx.Bucket(bResults).Bucket([]byte(jobID))
		if b == nil {
			return fmt.Errorf("job %s: result bucket missing", jobID)
		}
		var prog progress
		if _, err := getJSON(tx.Bucket(bProgress), jobID, &prog); err != nil {
			return err
		}
		total = prog.Done
		c := b.Cursor()
		for k, v := c.Seek(idx(after + 1)); k != nil; k, v = c.Next() {
			if len(out) == n {
				more = true
				return nil
			}
			var item api.ResultItem
			if err := json.Unmarshal(v, &item); err != nil {
				return fmt.Errorf("decode result %s/%x: %w", jobID, k, err)
			}
			out = append(out, item)
			last = int(binary.BigEndian.Uint32(k))
		}
		return nil
	})
	return out, last, more, total, err
}

func (s *boltStore) unfinished() (out []pendingJob, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bPending).ForEach(func(k, _ []byte) error {
			id := string(k)
			var p pendingJob
			ok, err := getJSON(tx.Bucket(bJobs), id, &p.Rec)
			if err != nil || !ok {
				return err
			}
			if _, err := getJSON(tx.Bucket(bJobFiles), id, &p.FileIDs); err != nil {
				return err
			}
			results := tx.Bucket(bResults).Bucket(k)
			failures := tx.Bucket(bFailures).Bucket(k)
			for i := range p.FileIDs {
				key := idx(i)
				if (results == nil || results.Get(key) == nil) && (failures == nil || failures.Get(key) == nil) {
					p.Todo = append(p.Todo, i)
				}
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

func (s *boltStore) close() error { return s.db.Close() }
