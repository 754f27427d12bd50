package state

import (
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
		prefix := append([]byte(Filed), 0)
		n := 0
		return s.scan(tx, bStatus, prefix, true, func(k, _ []byte) (bool, error) {
			n++
			f, err := getFile(tx, binary.BigEndian.Uint64(k[len(prefix):]))
			if err != nil {
				return false, err
			}
			if f.Path == path && !f.Updated.Before(since) {
				out, found = f, true
				return false, nil
			}
			return n < recentFiledScan, nil
		})
	})
	return out, found, err
}
