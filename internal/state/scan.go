package state

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// scan is the one way the package reads a bucket key by key: every loop over
// a cursor goes through it (a test holds the package to that), so the
// bookkeeping of a scan is done in one place and a new loop cannot forget it.
//
// It calls fn with each key of bucket name that starts with prefix (nil:
// every key), in key order, or from the last backwards when back is set,
// until fn returns false or an error.
func (s *Store) scan(tx *bolt.Tx, name, prefix []byte, back bool, fn func(k, v []byte) (bool, error)) error {
	c := tx.Bucket(name).Cursor()
	var k, v []byte
	switch {
	case !back && prefix == nil:
		k, v = c.First()
	case !back:
		k, v = c.Seek(prefix)
	case prefix == nil:
		k, v = c.Last()
	default:
		// The first key past the prefix, then one step back.
		if end := prefixEnd(prefix); end == nil {
			k, v = c.Last()
		} else if k, _ = c.Seek(end); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	n := 0
	for ; k != nil && bytes.HasPrefix(k, prefix); n++ {
		more, err := fn(k, v)
		if err != nil || !more {
			s.scans.Add(int64(n + 1))
			return err
		}
		if back {
			k, v = c.Prev()
		} else {
			k, v = c.Next()
		}
	}
	s.scans.Add(int64(n))
	return nil
}

// each is scan forwards over every key with prefix, to the end.
func (s *Store) each(tx *bolt.Tx, name, prefix []byte, fn func(k, v []byte) error) error {
	return s.scan(tx, name, prefix, false, func(k, v []byte) (bool, error) { return true, fn(k, v) })
}

// seek returns the first key of bucket name at or after from, and its value
// (nil: none).
func (s *Store) seek(tx *bolt.Tx, name, from []byte) (k, v []byte) {
	k, v = tx.Bucket(name).Cursor().Seek(from)
	s.scans.Add(1)
	return k, v
}

// prefixEnd is the smallest key greater than every key with prefix p (nil if
// there is none: p is all 0xff).
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// KeysScanned is how many keys the store's scans have read since it was
// opened (tests hold read paths to what they should cost with it).
func (s *Store) KeysScanned() int64 { return s.scans.Load() }
