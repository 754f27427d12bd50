package state

import (
	"bytes"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// recentFiledScan bounds RecentlyFiled: the newest filed records it looks at.
const recentFiledScan = 64

// RecentlyFiled returns the record filed from inbox path at or after since,
// among the newest filed records (a file the daemon filed moments ago, whose
// writer then wrote to the same path again). Older records are not found.
func (s *Store) RecentlyFiled(path string, since time.Time) (File, bool, error) {
	var out File
	var found bool
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bStatus).Cursor()
		prefix := append([]byte(Filed), 0)
		// The last key of the filed prefix: seek past it and step back.
		end := append([]byte(Filed), 1)
		k, _ := c.Seek(end)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for n := 0; k != nil && bytes.HasPrefix(k, prefix) && n < recentFiledScan; k, _ = c.Prev() {
			n++
			f, err := getFile(tx, binary.BigEndian.Uint64(k[len(prefix):]))
			if err != nil {
				return err
			}
			if f.Path == path && !f.Updated.Before(since) {
				out, found = f, true
				return nil
			}
		}
		return nil
	})
	return out, found, err
}
