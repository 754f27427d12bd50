package state

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// The schema's versions. Each change of the layout is one numbered step
// with its migration, run at open in one transaction with the rest (a file
// is upgraded whole or not at all); read paths never see an older layout.
// testdata/state-v<N>.db holds a small file of each older version, made by
// the layouts in schema_test.go, and a test opens and migrates each.
//
//  1. the first layout: meta, files (with the reasoning inside), paths,
//     status, hashes (<sha256 hex> → id), jobs, due.
//  2. dests/: where each terminal record's file is. The learn scans begin to
//     write meta learned:<path> marks.
//  3. reasons/: the reasoning beside the record, until journaled.
//  4. unjournaled/: terminal records whose journal line may be missing.
//  5. counts/, and hashlog/ in place of hashes/. Up to here meta/version
//     stayed "1" (versions 1 to 5 are told apart by their buckets, once, in
//     legacyVersion) and escalations/ and outbox/ were made when first used.
//  6. escalations/, outbox/ and learned/ always exist; the learned:<path>
//     meta marks move to learned/<path>. meta/version holds the number.
//  7. content/ (<key><id>, the duplicate index as a B-tree) in place of
//     hashlog/ (<id> → <key>, read into a table in memory).
const schemaVersion = 7

// migrations[v] takes a file from version v to v+1.
var migrations = map[int]func(s *Store, tx *bolt.Tx) error{
	1: (*Store).toV2,
	2: (*Store).toV3,
	3: (*Store).toV4,
	4: (*Store).toV5,
	5: (*Store).toV6,
	6: (*Store).toV7,
}

var metaVersion = []byte("version")

// ErrNewerSchema: the state file was written by a newer classifyd.
var ErrNewerSchema = fmt.Errorf("state file written by a newer classifyd (schema version above %d)", schemaVersion)

// fileVersion is the schema version of the file open in tx (0: a new, empty
// file).
func fileVersion(tx *bolt.Tx) (int, error) {
	m := tx.Bucket(bMeta)
	if m == nil {
		return 0, nil
	}
	v := m.Get(metaVersion)
	switch {
	case v == nil:
		return 0, nil
	case bytes.Equal(v, []byte("1")):
		return legacyVersion(tx), nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("state schema version %q is not a version", v)
	}
	if n > schemaVersion {
		return n, fmt.Errorf("%w: %d", ErrNewerSchema, n)
	}
	return n, nil
}

// legacyVersion tells versions 1 to 5 apart, which all say "1", by the
// buckets each added.
func legacyVersion(tx *bolt.Tx) int {
	switch {
	case tx.Bucket(bDests) == nil:
		return 1
	case tx.Bucket(bReasons) == nil:
		return 2
	case tx.Bucket(bUnjourn) == nil:
		return 3
	case tx.Bucket(bCounts) == nil || tx.Bucket(bHashLog) == nil:
		return 4
	}
	return 5
}

// migrate brings the file open in tx to schemaVersion (a new file is made
// at it).
func (s *Store) migrate(tx *bolt.Tx) error {
	v, err := fileVersion(tx)
	if err != nil {
		return err
	}
	if v == 0 {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(metaVersion, []byte(strconv.Itoa(schemaVersion)))
	}
	for ; v < schemaVersion; v++ {
		if err := migrations[v](s, tx); err != nil {
			return fmt.Errorf("migrate state schema %d → %d: %w", v, v+1, err)
		}
		if err := tx.Bucket(bMeta).Put(metaVersion, []byte(strconv.Itoa(v+1))); err != nil {
			return err
		}
	}
	return nil
}

// allBuckets are the top-level buckets of the current version.
var allBuckets = [][]byte{bMeta, bFiles, bPaths, bStatus, bJobs, bDue, bDests, bReasons, bUnjourn, bCounts, bContent, bEscalations, bOutbox, bLearned}

// terminalRecords calls fn with each terminal record, by the status index.
func (s *Store) terminalRecords(tx *bolt.Tx, fn func(f *File) error) error {
	for _, st := range []Status{Filed, Failed, Duplicate} {
		prefix := append([]byte(st), 0)
		err := s.each(tx, bStatus, prefix, func(k, _ []byte) error {
			f, err := getFile(tx, binary.BigEndian.Uint64(k[len(prefix):]))
			if err != nil {
				return err
			}
			return fn(&f)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// toV2: dests/, filled from the terminal records.
func (s *Store) toV2(tx *bolt.Tx) error {
	d, err := tx.CreateBucket(bDests)
	if err != nil {
		return err
	}
	// Records read as stored: there is no reasons/ yet.
	return s.each(tx, bFiles, nil, func(k, v []byte) error {
		var f File
		if err := json.Unmarshal(v, &f); err != nil {
			return fmt.Errorf("file %x: %w", k, err)
		}
		if !f.Status.Terminal() || f.Dest == "" {
			return nil
		}
		return d.Put([]byte(f.Dest), u64(f.ID))
	})
}

// toV3: reasons/, and the reasoning moved out of the records.
func (s *Store) toV3(tx *bolt.Tx) error {
	r, err := tx.CreateBucket(bReasons)
	if err != nil {
		return err
	}
	files := tx.Bucket(bFiles)
	type moved struct {
		id  []byte
		rec []byte
	}
	var out []moved
	err = s.each(tx, bFiles, nil, func(k, v []byte) error {
		var f File
		if err := json.Unmarshal(v, &f); err != nil {
			return fmt.Errorf("file %x: %w", k, err)
		}
		if f.Reasoning == "" {
			return nil
		}
		if err := r.Put(bytes.Clone(k), []byte(f.Reasoning)); err != nil {
			return err
		}
		f.Reasoning = ""
		rec, err := json.Marshal(f)
		if err != nil {
			return err
		}
		out = append(out, moved{bytes.Clone(k), rec})
		return nil
	})
	if err != nil {
		return err
	}
	files.FillPercent = filesFill
	for _, m := range out { // not while the cursor reads the bucket
		if err := files.Put(m.id, m.rec); err != nil {
			return err
		}
	}
	return nil
}

// toV4: unjournaled/, from the terminal records.
func (s *Store) toV4(tx *bolt.Tx) error {
	uj, err := tx.CreateBucket(bUnjourn)
	if err != nil {
		return err
	}
	return s.terminalRecords(tx, func(f *File) error {
		if f.Journaled {
			return nil
		}
		return uj.Put(u64(f.ID), []byte{})
	})
}

// toV5: counts/ from the status index; hashlog/ from hashes/, which goes.
func (s *Store) toV5(tx *bolt.Tx) error {
	if tx.Bucket(bCounts) == nil {
		if err := s.countStatuses(tx); err != nil {
			return err
		}
	}
	if tx.Bucket(bHashLog) == nil {
		return s.migrateHashes(tx)
	}
	return nil
}

// toV6: escalations/, outbox/ and learned/ made; the meta learned:<path>
// marks moved to learned/<path>.
func (s *Store) toV6(tx *bolt.Tx) error {
	for _, b := range [][]byte{bEscalations, bOutbox, bLearned} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	prefix := []byte("learned:")
	var keys, vals [][]byte
	err := s.each(tx, bMeta, prefix, func(k, v []byte) error {
		keys, vals = append(keys, bytes.Clone(k)), append(vals, bytes.Clone(v))
		return nil
	})
	if err != nil {
		return err
	}
	m, l := tx.Bucket(bMeta), tx.Bucket(bLearned)
	for i, k := range keys {
		if err := l.Put(k[len(prefix):], vals[i]); err != nil {
			return err
		}
		if err := m.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// migrateHashes replaces the hashes bucket of a state file written before the
// log existed (<sha256 hex> → id) by the log, once.
func (s *Store) migrateHashes(tx *bolt.Tx) error {
	log, err := tx.CreateBucket(bHashLog)
	if err != nil {
		return err
	}
	old := tx.Bucket(bHashes)
	if old == nil {
		return nil
	}
	err = s.each(tx, bHashes, nil, func(k, v []byte) error {
		if len(v) != 8 {
			return nil
		}
		return log.Put(v, u64(hashKey(string(k))))
	})
	if err != nil {
		return err
	}
	return tx.DeleteBucket(bHashes)
}

// toV7: content/ from hashlog/, which goes.
func (s *Store) toV7(tx *bolt.Tx) error {
	c, err := tx.CreateBucket(bContent)
	if err != nil {
		return err
	}
	err = s.each(tx, bHashLog, nil, func(k, v []byte) error {
		if len(k) != 8 || len(v) != 8 {
			return nil
		}
		return c.Put(contentKey(binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(k)), []byte{})
	})
	if err != nil {
		return err
	}
	return tx.DeleteBucket(bHashLog)
}

// openMigratedCopy is a read-only open of an older file (status while the
// daemon is stopped): it reads a migrated copy of the file, and leaves the
// file as it is (the next open for writing upgrades it). Close removes the
// copy.
func openMigratedCopy(path string, opts Options) (*Store, error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	defer src.Close()
	dst, err := os.CreateTemp("", "classifyd-state-*.db")
	if err != nil {
		return nil, fmt.Errorf("open state %s: copy to upgrade: %w", path, err)
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	var s *Store
	if err == nil {
		s, err = Open(dst.Name(), Options{Timeout: opts.Timeout, NoSync: true})
	}
	if err != nil {
		os.Remove(dst.Name())
		return nil, fmt.Errorf("open state %s: copy to upgrade: %w", path, err)
	}
	s.path, s.ident, s.copy = path, nil, dst.Name()
	return s, nil
}
