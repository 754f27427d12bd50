package local

// The bbolt store of a backend with a data directory (DataDir/local.db).
//
//	meta/
//	    version            -> "1"
//	files/
//	    <file id>          -> JSON fileRec
//	jobs/
//	    <job id>           -> JSON jobRec without its rules (written at creation,
//	                          when terminal, and for a v2 job as it starts
//	                          running or is cancelled; records of older
//	                          versions may hold their rules). A v2 job's
//	                          record holds its v2 side ("v2": file_input,
//	                          configuration without rules, transaction_id,
//	                          webhooks, running, cancelled_at)
//	v2tx/
//	    <tenant>\x00<project>\x00<transaction_id>
//	                       -> job id of the v2 job created under that
//	                          transaction_id (written in the job's create
//	                          transaction, removed with the job)
//	rules/
//	    <job id>           -> JSON []api.Rule, written once at creation: a list,
//	                          a poll or an outcome does not decode them unless
//	                          it answers with them
//	usage/
//	    <tenant>           -> JSON Usage {bytes, files} of the tenant's uploads,
//	                          kept with every put and delete of a file (built
//	                          from files/ when the bucket is new)
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
// File and job records name their tenant ("" = DefaultTenant). IDs are
// UUIDv7, so key order is creation order. Each file outcome is one
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
	bRules    = []byte("rules")
	bUsage    = []byte("usage")
	bV2Tx     = []byte("v2tx")
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
		for _, name := range [][]byte{bMeta, bFiles, bJobs, bJobFiles, bProgress, bPending, bResults, bFailures, bRules, bV2Tx} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		if tx.Bucket(bUsage) == nil {
			if err := buildUsage(tx); err != nil {
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

// buildUsage creates the usage bucket from the file records.
func buildUsage(tx *bolt.Tx) error {
	ub, err := tx.CreateBucket(bUsage)
	if err != nil {
		return err
	}
	used := map[string]Usage{}
	err = tx.Bucket(bFiles).ForEach(func(k, v []byte) error {
		var rec fileRec
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("decode record %s: %w", k, err)
		}
		u := used[rec.Tenant]
		u.add(&rec, 1)
		used[rec.Tenant] = u
		return nil
	})
	if err != nil {
		return err
	}
	for t, u := range used {
		if err := putJSON(ub, []byte(usageKey(t)), u); err != nil {
			return err
		}
	}
	return nil
}

// addUsage changes the usage of rec's tenant by rec (sign 1 or -1).
func addUsage(tx *bolt.Tx, rec *fileRec, sign int64) error {
	if !rec.Stored {
		return nil
	}
	ub := tx.Bucket(bUsage)
	var u Usage
	key := usageKey(rec.Tenant)
	if _, err := getJSON(ub, key, &u); err != nil {
		return err
	}
	u.add(rec, sign)
	return putJSON(ub, []byte(key), u)
}

// usageKey: bbolt refuses an empty key, so DefaultTenant ("") is stored as
// a key no tenant ID can be (IDs are printable).
func usageKey(tenant string) string {
	if tenant == "" {
		return "\x00"
	}
	return tenant
}

func (s *boltStore) usage(tenant string) (u Usage, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		_, err := getJSON(tx.Bucket(bUsage), usageKey(tenant), &u)
		return err
	})
	return u, err
}

// withRules fills in the rules of a job record stored without them.
func withRules(tx *bolt.Tx, rec *jobRec) error {
	if rec.Job.Rules != nil {
		return nil
	}
	_, err := getJSON(tx.Bucket(bRules), rec.Job.ID, &rec.Job.Rules)
	return err
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
		b := tx.Bucket(bFiles)
		var old fileRec
		if ok, err := getJSON(b, rec.File.ID, &old); err != nil {
			return err
		} else if ok {
			if err := addUsage(tx, &old, -1); err != nil {
				return err
			}
		}
		if err := addUsage(tx, &rec, 1); err != nil {
			return err
		}
		return putJSON(b, []byte(rec.File.ID), rec)
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
		if err := addUsage(tx, &rec, -1); err != nil {
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

func (s *boltStore) listFiles(q FileQuery, after string, n, maxBytes int) (out []fileRec, more bool, total int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bFiles)
		err := b.ForEach(func(_, v []byte) error {
			var rec fileRec
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			if q.match(&rec) {
				total++
			}
			return nil
		})
		if err != nil {
			return err
		}
		size := 0
		return walkNewest(b, after, func(_, v []byte) (bool, error) {
			var rec fileRec
			if err := json.Unmarshal(v, &rec); err != nil {
				return false, err
			}
			if !q.match(&rec) {
				return true, nil
			}
			size += len(v)
			if len(out) == n || len(out) > 0 && size > maxBytes {
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
	return s.db.Update(func(tx *bolt.Tx) error { return putNewJob(tx, rec, fileIDs) })
}

func (s *boltStore) createV2Job(rec jobRec, fileIDs []string, txKey string) (existing string, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		if txKey != "" {
			b := tx.Bucket(bV2Tx)
			if id := b.Get([]byte(txKey)); id != nil {
				existing = string(id)
				return nil
			}
			if err := b.Put([]byte(txKey), []byte(rec.Job.ID)); err != nil {
				return err
			}
		}
		return putNewJob(tx, rec, fileIDs)
	})
	return existing, err
}

func (s *boltStore) txJob(txKey string) (id string, err error) {
	if txKey == "" {
		return "", nil
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		id = string(tx.Bucket(bV2Tx).Get([]byte(txKey)))
		return nil
	})
	return id, err
}

func (s *boltStore) updateJob(id string, fn func(*jobRec) error) (rec jobRec, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bJobs), id, &rec)
		if err == nil && !ok {
			err = fmt.Errorf("job %s: %w", id, api.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := fn(&rec); err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bJobs), []byte(id), rec); err != nil {
			return err
		}
		return withRules(tx, &rec)
	})
	return rec, err
}

func putNewJob(tx *bolt.Tx, rec jobRec, fileIDs []string) error {
	id := []byte(rec.Job.ID)
	if err := putJSON(tx.Bucket(bRules), id, rec.Job.Rules); err != nil {
		return err
	}
	rec.Job.Rules = nil
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
}

func (s *boltStore) deleteJob(id string) (fileIDs []string, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		key := []byte(id)
		var rec jobRec
		if ok, err := getJSON(tx.Bucket(bJobs), id, &rec); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("job %s: %w", id, api.ErrNotFound)
		}
		if k := rec.txKey(); k != "" && string(tx.Bucket(bV2Tx).Get([]byte(k))) == id {
			if err := tx.Bucket(bV2Tx).Delete([]byte(k)); err != nil {
				return err
			}
		}
		if _, err := getJSON(tx.Bucket(bJobFiles), id, &fileIDs); err != nil {
			return err
		}
		for _, name := range [][]byte{bJobs, bJobFiles, bProgress, bPending, bRules} {
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
		if err != nil {
			return err
		}
		return withRules(tx, &rec)
	})
	return rec, err
}

func (s *boltStore) listJobs(q JobQuery, after string, n, maxBytes int) (out []jobRec, more bool, total int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bJobs)
		err := b.ForEach(func(_, v []byte) error {
			var rec jobRec
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			if q.match(&rec) {
				total++
			}
			return nil
		})
		if err != nil {
			return err
		}
		rules, size := tx.Bucket(bRules), 0
		return walkNewest(b, after, func(k, v []byte) (bool, error) {
			var rec jobRec
			if err := json.Unmarshal(v, &rec); err != nil {
				return false, err
			}
			if !q.match(&rec) {
				return true, nil
			}
			size += len(v) + len(rules.Get(k))
			if rec.V2 != nil { // a v2 answer carries its result
				if rb := tx.Bucket(bResults).Bucket(k); rb != nil {
					size += len(rb.Get(idx(0)))
				}
			}
			if len(out) == n || len(out) > 0 && size > maxBytes {
				more = true
				return false, nil
			}
			if err := withRules(tx, &rec); err != nil {
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
		if err := withRules(tx, &rec); err != nil {
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

func (s *boltStore) results(jobID string, after, n, maxBytes int) (out []api.ResultItem, last int, more bool, total int, err error) {
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
		c, size := b.Cursor(), 0
		for k, v := c.Seek(idx(after + 1)); k != nil; k, v = c.Next() {
			size += len(v)
			if len(out) == n || len(out) > 0 && size > maxBytes {
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
			if err := withRules(tx, &p.Rec); err != nil {
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

func (s *boltStore) expired(now, jobsBefore time.Time, n int) (fileIDs, jobIDs []string, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bFiles).ForEach(func(k, v []byte) error {
			var rec fileRec
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode record %s: %w", k, err)
			}
			if f := rec.File; f.ExpiresAt != nil && f.ExpiresAt.Before(now) && len(fileIDs) < n {
				fileIDs = append(fileIDs, string(k))
			}
			return nil
		})
		if err != nil || jobsBefore.IsZero() {
			return err
		}
		return tx.Bucket(bJobs).ForEach(func(k, v []byte) error {
			var rec jobRec
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode record %s: %w", k, err)
			}
			if jobExpired(&rec.Job, jobsBefore) && len(jobIDs) < n {
				jobIDs = append(jobIDs, string(k))
			}
			return nil
		})
	})
	return fileIDs, jobIDs, err
}

func (s *boltStore) close() error { return s.db.Close() }
