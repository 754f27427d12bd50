package state

import (
	"encoding/binary"
	"errors"
	"hash/fnv"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// The duplicate index: which filed record holds a given content.
//
// A B-tree keyed by content hash is written and read at random places: with
// 100,000 files filed, every file filed or dropped in the inbox touched a
// different page of it, and the whole index (10 MB at 64-byte hex keys) was
// soon mapped into the process. Instead the state file keeps a log keyed by
// record id (hashlog/<id> = an 8-byte key of the hash), appended in the order
// files are filed, and the process keeps key → id in memory (an idTable: 10
// to 13 bytes a filed file), built from the log the first time it is needed.
// A key may lead to several records; each is checked against its full hash,
// so two contents that share a key are never taken for each other.

type hashIndex struct {
	mu     sync.Mutex
	loaded bool
	ids    idTable // hash key → record ids
}

// hashKey is the index key of a content hash (stable across processes).
func hashKey(sum string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(sum))
	return h.Sum64()
}

// load fills the index from the log. Called with mu held, inside a
// transaction.
func (x *hashIndex) load(tx *bolt.Tx, s *Store) error {
	if x.loaded {
		return nil
	}
	x.ids.free() // what a load that failed half way left
	err := s.each(tx, bHashLog, nil, func(k, v []byte) error {
		x.ids.add(binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(k))
		return nil
	})
	if err != nil {
		return err
	}
	x.loaded = true
	return nil
}

// withIndex runs fn with the index loaded and its lock held, inside tx.
func (s *Store) withIndex(tx *bolt.Tx, fn func(x *hashIndex) error) error {
	x := &s.hashes
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.load(tx, s); err != nil {
		return err
	}
	return fn(x)
}

// lookupHash returns the filed record with content sum, if any (the first
// filed, when several are: the one with the lowest id).
func (s *Store) lookupHash(tx *bolt.Tx, sum string) (f File, ok bool, err error) {
	err = s.withIndex(tx, func(x *hashIndex) error {
		f, ok, err = x.filed(tx, hashKey(sum), sum)
		return err
	})
	return f, ok, err
}

// filed is the filed record of lowest id with content sum among key's
// candidates. Called with mu held.
func (x *hashIndex) filed(tx *bolt.Tx, key uint64, sum string) (File, bool, error) {
	var best File
	var err error
	x.ids.each(key, func(id uint64) bool {
		if best.ID != 0 && id > best.ID {
			return true
		}
		var f File
		f, err = getFile(tx, id)
		if errors.Is(err, ErrNotFound) {
			err = nil // a record gone in a transaction that did not commit
			return true
		}
		if err == nil && f.SHA256 == sum && f.Status == Filed {
			best = f
		}
		return err == nil
	})
	return best, best.ID != 0, err
}

// hashAdded puts a record just filed (hashlog entry made) in the table. The
// in-memory entry is made at once: a transaction that then fails to commit
// leaves an entry whose record is not filed, which lookups see through (they
// check the record).
func (s *Store) hashAdded(tx *bolt.Tx, f *File) error {
	return s.withIndex(tx, func(x *hashIndex) error {
		x.ids.add(hashKey(f.SHA256), f.ID)
		return nil
	})
}

// hashRemoved takes a record out of the table (hashlog entry deleted) when
// the transaction commits: one that does not leaves the record filed, and
// findable.
func (s *Store) hashRemoved(tx *bolt.Tx, f *File) error {
	return s.withIndex(tx, func(x *hashIndex) error {
		key, id := hashKey(f.SHA256), f.ID
		tx.OnCommit(func() {
			x.mu.Lock()
			defer x.mu.Unlock()
			x.ids.remove(key, id)
		})
		return nil
	})
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
