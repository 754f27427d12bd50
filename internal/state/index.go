package state

import (
	"bytes"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// The indexes of the file records, as one list. putFile keeps every one of
// them from the record alone, on every path that writes or deletes a
// record: an index added here is kept by every transition, Forget and
// Remove alike.
var indexes = []index{
	{
		// The reasoning, beside the record until the journal holds it (a
		// record that grew by a few kB and then shrank would leave the files
		// pages half empty).
		bucket: bReasons,
		entry: func(f *File) ([]byte, []byte) {
			if f.Reasoning == "" {
				return nil, nil
			}
			return u64(f.ID), []byte(f.Reasoning)
		},
	},
	{
		// Terminal records whose journal line may be missing.
		bucket: bUnjourn,
		entry: func(f *File) ([]byte, []byte) {
			if !f.Status.Terminal() || f.Journaled {
				return nil, nil
			}
			return u64(f.ID), []byte{}
		},
	},
	{
		// One entry per record, FIFO per status, counted in counts/.
		bucket: bStatus,
		fill:   statusFill,
		entry: func(f *File) ([]byte, []byte) {
			return statusKey(f.Status, f.ID), []byte{}
		},
		added:   func(_ *Store, tx *bolt.Tx, f *File) error { return addCount(tx, f.Status, 1) },
		removed: func(_ *Store, tx *bolt.Tx, f *File) error { return addCount(tx, f.Status, -1) },
	},
	{
		// The inbox path of an active record.
		bucket: bPaths,
		shared: true,
		entry: func(f *File) ([]byte, []byte) {
			if f.Status.Terminal() {
				return nil, nil
			}
			return []byte(f.Path), u64(f.ID)
		},
	},
	{
		// Where a terminal record's file is (put there, or moved by a person).
		bucket: bDests,
		shared: true,
		entry: func(f *File) ([]byte, []byte) {
			if !f.Status.Terminal() || f.Dest == "" {
				return nil, nil
			}
			return []byte(f.Dest), u64(f.ID)
		},
	},
	{
		// Filed records by content (hashindex.go).
		bucket: bContent,
		entry: func(f *File) ([]byte, []byte) {
			if f.Status != Filed || f.SHA256 == "" {
				return nil, nil
			}
			return contentKey(hashKey(f.SHA256), f.ID), []byte{}
		},
	},
}

// index is one index of the file records.
type index struct {
	bucket []byte
	fill   float64 // the bucket's FillPercent (0: bbolt's default)
	// entry is the record's key and value in the index; a nil key: the
	// record has none.
	entry func(f *File) (key, val []byte)
	// shared: another record may take the key over (a path, a
	// destination), so an entry is deleted only while it names this record.
	shared bool
	// added and removed, if set, run after an entry is put or deleted.
	added, removed func(s *Store, tx *bolt.Tx, f *File) error
}

// putFile writes f (nil: deletes the record) and moves its index entries
// from old (nil: a new record).
func (s *Store) putFile(tx *bolt.Tx, old *File, f *File) error {
	for i := range indexes {
		if err := s.reindex(tx, &indexes[i], old, f); err != nil {
			return err
		}
	}
	files := tx.Bucket(bFiles)
	if f == nil {
		return files.Delete(u64(old.ID))
	}
	f.Updated = s.now()
	rec := *f
	rec.Reasoning = "" // in reasons/
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	files.FillPercent = filesFill
	return files.Put(u64(f.ID), v)
}

// reindex moves one index's entry of a record from old to f (either nil).
func (s *Store) reindex(tx *bolt.Tx, x *index, old, f *File) error {
	var ok, ov, nk, nv []byte
	if old != nil {
		ok, ov = x.entry(old)
	}
	if f != nil {
		nk, nv = x.entry(f)
	}
	switch {
	case ok == nil && nk == nil:
		return nil // in the index neither before nor after
	case ok != nil && bytes.Equal(ok, nk) && bytes.Equal(ov, nv):
		return nil // the same entry
	}
	b := tx.Bucket(x.bucket)
	if ok != nil {
		if cur := b.Get(ok); cur != nil && (!x.shared || bytes.Equal(cur, ov)) {
			if err := b.Delete(ok); err != nil {
				return err
			}
			if x.removed != nil {
				if err := x.removed(s, tx, old); err != nil {
					return err
				}
			}
		}
	}
	if nk == nil {
		return nil
	}
	if x.fill > 0 {
		b.FillPercent = x.fill
	}
	existed := b.Get(nk) != nil
	if err := b.Put(nk, nv); err != nil {
		return err
	}
	if x.added != nil && !existed {
		return x.added(s, tx, f)
	}
	return nil
}
