package state

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Correction is a person's move of a filed file, as Relocate recorded it.
type Correction struct {
	ID   uint64    `json:"id"`
	From string    `json:"from"` // where the daemon (or an earlier correction) had put it
	To   string    `json:"to"`   // where it is now
	Was  string    `json:"was"`  // type (or folder kind) before
	Is   string    `json:"is"`   // type after ("" when it left the type folders)
	Time time.Time `json:"time"`
}

// MaxCorrections is how many corrections the meta "corrections" list keeps.
const MaxCorrections = 20

var metaCorrections = []byte("corrections")

// Relocate records that a person moved the terminal record id's file from
// its Dest to dest, into the folder of typ (a type; "" keeps the record's
// kind and type): the record, the dests index and the list of recent
// corrections follow the file, in one transaction. Later duplicates, undo
// and status name the file where it is now.
func (s *Store) Relocate(id uint64, dest, typ string, at time.Time) (Correction, error) {
	var c Correction
	err := s.update(func(tx *bolt.Tx) error {
		err := s.step(tx, opRelocate, id, func(f *File) error {
			was := f.Type
			if f.Kind != KindType {
				was = string(f.Kind)
			}
			c = Correction{ID: id, From: f.Dest, To: dest, Was: was, Is: typ, Time: at.UTC()}
			if f.FiledAs == "" {
				f.FiledAs = was
			}
			f.Dest, f.Corrected = dest, at
			if typ != "" {
				f.Kind, f.Type = KindType, typ
			}
			return nil
		})
		if err != nil {
			return err
		}
		m := tx.Bucket(bMeta)
		var list []Correction
		if v := m.Get(metaCorrections); v != nil {
			json.Unmarshal(v, &list) // a damaged list starts again
		}
		list = append([]Correction{c}, list...)
		if len(list) > MaxCorrections {
			list = list[:MaxCorrections]
		}
		v, err := json.Marshal(list)
		if err != nil {
			return err
		}
		return m.Put(metaCorrections, v)
	})
	return c, err
}

// Corrections returns the last corrections Relocate recorded, newest first.
func (s *Store) Corrections() ([]Correction, error) {
	v, err := s.Meta(string(metaCorrections))
	if err != nil || v == nil {
		return nil, err
	}
	var list []Correction
	if err := json.Unmarshal(v, &list); err != nil {
		return nil, fmt.Errorf("corrections: %w", err)
	}
	return list, nil
}
