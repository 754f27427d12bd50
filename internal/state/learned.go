package state

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// The learn scans' marks: learned/<path> = the mark of the example file
// learned from at path (the daemon's "type|size|mtime"), so a restart does
// not count an example twice. A mark is no longer needed once its file has
// left the path: PruneLearned drops those (a full learn scan asks).
//
//	learned/
//	  <path>             mark (until the file leaves the path)

var bLearned = []byte("learned")

// Learned is the mark of path (nil: none).
func (s *Store) Learned(path string) ([]byte, error) {
	var out []byte
	err := s.view(func(tx *bolt.Tx) error {
		out = bytes.Clone(tx.Bucket(bLearned).Get([]byte(path)))
		return nil
	})
	return out, err
}

// SetLearned records the mark of path.
func (s *Store) SetLearned(path string, mark []byte) error {
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket(bLearned).Put([]byte(path), mark) })
}

// PruneLearned deletes the marks keep says are no longer needed, and returns
// how many. keep is called outside any transaction.
func (s *Store) PruneLearned(keep func(path string) bool) (int, error) {
	var paths []string
	err := s.view(func(tx *bolt.Tx) error {
		return s.each(tx, bLearned, nil, func(k, _ []byte) error {
			paths = append(paths, string(k))
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	var gone [][]byte
	for _, p := range paths {
		if !keep(p) {
			gone = append(gone, []byte(p))
		}
	}
	if len(gone) == 0 {
		return 0, nil
	}
	return len(gone), s.update(func(tx *bolt.Tx) error {
		for _, k := range gone {
			if err := tx.Bucket(bLearned).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}
