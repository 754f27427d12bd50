package state

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// recentFiledScan bounds RecentlyFiled: the newest filed records it looks at.
const recentFiledScan = 64

// RecentlyFiled returns the record filed from inbox path at or after since,
// among the newest filed records (a file the daemon filed moments ago, whose
// writer then wrote to the same path again). Older records are not found.
//
// The daemon asks for every new file, so a record whose stored form cannot
// name path is passed over without being decoded: a record of a UTF-8 path
// holds the path as JSON-encoded by json.Marshal.
func (s *Store) RecentlyFiled(path string, since time.Time) (File, bool, error) {
	var quoted []byte
	if utf8.ValidString(path) {
		quoted, _ = json.Marshal(path)
	}
	var out File
	var found bool
	err := s.view(func(tx *bolt.Tx) error {
		files := tx.Bucket(bFiles)
		prefix := append([]byte(Filed), 0)
		n := 0
		return s.scan(tx, bStatus, prefix, true, func(k, _ []byte) (bool, error) {
			n++
			id := binary.BigEndian.Uint64(k[len(prefix):])
			if v := files.Get(u64(id)); quoted != nil && v != nil && !bytes.Contains(v, quoted) {
				return n < recentFiledScan, nil
			}
			f, err := getFile(tx, id)
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
