package state

import (
	"encoding/binary"
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
// files are filed, and the process keeps key → id in memory (16 bytes a
// filed file), built from the log the first time it is needed. A hit is
// checked against the record's full hash, so two contents that share a key
// are never taken for each other (the later one is then not indexed: its
// duplicates get classified instead of filed as duplicates).

type hashIndex struct {
	mu     sync.Mutex
	loaded bool
	ids    map[uint64]uint64 // hash key → record id
}

// hashKey is the index key of a content hash (stable across processes).
func hashKey(sum string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(sum))
	return h.Sum64()
}

// load fills the index from the log (or, in a read-only open of a state file
// written before the log existed, from the old hashes bucket). Called with
// mu held, inside a transaction.
func (x *hashIndex) load(tx *bolt.Tx, scanned func(*bolt.Tx, int)) error {
	if x.loaded {
		return nil
	}
	x.ids = map[uint64]uint64{}
	n := 0
	if b := tx.Bucket(bHashLog); b != nil {
		err := b.ForEach(func(k, v []byte) error {
			n++
			scanned(tx, n)
			key := binary.BigEndian.Uint64(v)
			if _, ok := x.ids[key]; !ok {
				x.ids[key] = binary.BigEndian.Uint64(k)
			}
			return nil
		})
		if err != nil {
			return err
		}
	} else if b := tx.Bucket(bHashes); b != nil {
		err := b.ForEach(func(k, v []byte) error {
			n++
			scanned(tx, n)
			x.ids[hashKey(string(k))] = binary.BigEndian.Uint64(v)
			return nil
		})
		if err != nil {
			return err
		}
	}
	x.loaded = true
	return nil
}

// lookup returns the filed record with content sum, if any.
func (s *Store) lookupHash(tx *bolt.Tx, sum string) (File, bool, error) {
	x := &s.hashes
	x.mu.Lock()
	if err := x.load(tx, s.scanned); err != nil {
		x.mu.Unlock()
		return File{}, false, err
	}
	id, ok := x.ids[hashKey(sum)]
	x.mu.Unlock()
	if !ok {
		return File{}, false, nil
	}
	f, err := getFile(tx, id)
	if err != nil || f.SHA256 != sum || f.Status != Filed {
		return File{}, false, nil // the key of another content, or a record gone
	}
	return f, true, nil
}

// indexHash records that the filed record f holds its content, unless another
// record does already. The in-memory entry is made at once: a transaction
// that then fails to commit leaves an entry whose record is not filed, which
// lookups see through (they check the record).
func (s *Store) indexHash(tx *bolt.Tx, f *File) error {
	x := &s.hashes
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.load(tx, s.scanned); err != nil {
		return err
	}
	key := hashKey(f.SHA256)
	if id, ok := x.ids[key]; ok && id != f.ID {
		if orig, err := getFile(tx, id); err == nil && orig.Status == Filed {
			return nil // the first filed record with this content stays
		}
	}
	x.ids[key] = f.ID
	return tx.Bucket(bHashLog).Put(u64(f.ID), u64(key))
}

// unindexHash forgets record f's content, if f is the record it points to.
func (s *Store) unindexHash(tx *bolt.Tx, f *File) error {
	x := &s.hashes
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.load(tx, s.scanned); err != nil {
		return err
	}
	if key := hashKey(f.SHA256); x.ids[key] == f.ID {
		delete(x.ids, key)
	}
	return tx.Bucket(bHashLog).Delete(u64(f.ID))
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
	n := 0
	err = old.ForEach(func(k, v []byte) error {
		n++
		s.scanned(tx, n)
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
