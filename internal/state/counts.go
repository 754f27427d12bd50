package state

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Status counts: counts/<status> = the number of records in it (u64 BE),
// kept in the same transaction as the status index, so Counts and Active
// read a handful of keys instead of one index entry per file ever seen
// (the systemd status line and the admin endpoint ask every few seconds).

func addCount(tx *bolt.Tx, st Status, d int64) error {
	b := tx.Bucket(bCounts)
	var n int64
	if v := b.Get([]byte(st)); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	n += d
	if n < 0 {
		return fmt.Errorf("status count of %s below zero", st)
	}
	return b.Put([]byte(st), u64(uint64(n)))
}

// countStatuses builds the counts of a state file written before they
// existed: one pass over the status index, once.
func (s *Store) countStatuses(tx *bolt.Tx) error {
	b, err := tx.CreateBucket(bCounts)
	if err != nil {
		return err
	}
	for st, v := range s.countIndex(tx) {
		if err := b.Put([]byte(st), u64(uint64(v))); err != nil {
			return err
		}
	}
	return nil
}

// countIndex counts the entries of the status index.
func (s *Store) countIndex(tx *bolt.Tx) map[Status]int {
	n := map[Status]int{}
	s.each(tx, bStatus, nil, func(k, _ []byte) error {
		if j := bytes.IndexByte(k, 0); j > 0 {
			n[Status(k[:j])]++
		}
		return nil
	})
	return n
}

// readCounts returns the counts.
func (s *Store) readCounts(tx *bolt.Tx) map[Status]int {
	out := map[Status]int{}
	s.each(tx, bCounts, nil, func(k, v []byte) error {
		if len(v) == 8 {
			if n := binary.BigEndian.Uint64(v); n > 0 {
				out[Status(k)] = int(n)
			}
		}
		return nil
	})
	return out
}
