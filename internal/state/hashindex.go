package state

import (
	"encoding/binary"
	"errors"
	"hash/fnv"

	bolt "go.etcd.io/bbolt"
)

// The duplicate index: which filed record holds a given content.
//
//	content/
//	  <key u64 BE><id u64 BE>   (empty)   filed records by content: the key is
//	                                      FNV-64a of the hex SHA-256
//
// It is one of the record's indexes (index.go). A key may lead to several
// records (one content filed again after a forget, or two contents that
// share a key); each is checked against its full hash, so two contents that
// share a key are never taken for each other, and the lowest id wins.
//
// (Versions 5 and 6 kept a log keyed by id, hashlog/, and the key → id table
// in memory, built from the log at the first lookup: a B-tree keyed by hash
// is written at random places, which mapped most of it into the process.
// Mapped pages of the state file are clean cache the kernel takes back; the
// table was the process's own memory, and a scan of the log at each start.)

var bContent = []byte("content")

// hashKey is the index key of a content hash (stable across processes).
func hashKey(sum string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(sum))
	return h.Sum64()
}

// contentKey is the index key of record id holding content sum.
func contentKey(key, id uint64) []byte {
	return binary.BigEndian.AppendUint64(u64(key), id)
}

// lookupHash returns the filed record with content sum, if any (the first
// filed, when several are: the one with the lowest id).
func (s *Store) lookupHash(tx *bolt.Tx, sum string) (f File, ok bool, err error) {
	err = s.scan(tx, bContent, u64(hashKey(sum)), false, func(k, _ []byte) (bool, error) {
		c, err := getFile(tx, binary.BigEndian.Uint64(k[8:]))
		if errors.Is(err, ErrNotFound) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if c.SHA256 == sum && c.Status == Filed {
			f, ok = c, true
			return false, nil
		}
		return true, nil
	})
	return f, ok, err
}
