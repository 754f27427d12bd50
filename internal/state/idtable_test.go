package state

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// The table holds what a map of key → ids holds, through random adds and
// removes with many keys sharing a tag (long runs, wrap-around at the end of
// the slots, backward shifts) and through growth.
func TestIDTable(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var tab idTable
	defer tab.free()
	model := map[uint64][]uint64{} // key → ids
	// Few distinct tags, so that probes meet entries of other keys, and keys
	// that differ only below the tag, which the table cannot tell apart. As
	// in the store, an id is only ever stored under one key.
	var kid uint64
	key := func() uint64 {
		g, low := r.IntN(40), r.IntN(3)
		kid = uint64(g*3+low) * 1000
		return uint64(g)<<idBits | uint64(low)
	}
	check := func(step int) {
		n := 0
		for k, ids := range model {
			n += len(ids)
			var got []uint64
			tab.each(k, func(id uint64) bool { got = append(got, id); return true })
			for _, id := range ids {
				if !slices.Contains(got, id) {
					t.Fatalf("step %d: key %x: id %d missing from %v", step, k, id, got)
				}
				if tab.find(k, id) < 0 {
					t.Fatalf("step %d: key %x: find(%d) failed", step, k, id)
				}
			}
		}
		if tab.n != n {
			t.Fatalf("step %d: table counts %d entries, model %d", step, tab.n, n)
		}
	}
	for step := range 30_000 {
		k := key()
		switch {
		case r.IntN(3) > 0 || len(model) == 0:
			id := kid + uint64(r.IntN(200)+1)
			if !slices.Contains(model[k], id) {
				model[k] = append(model[k], id)
			}
			tab.add(k, id)
		default:
			ids := model[k]
			if len(ids) == 0 {
				tab.remove(k, 77) // absent: no change
				break
			}
			i := r.IntN(len(ids))
			tab.remove(k, ids[i])
			model[k] = slices.Delete(ids, i, i+1)
			if len(model[k]) == 0 {
				delete(model, k)
			}
		}
		if step%500 == 0 {
			check(step)
		}
	}
	check(-1)
	// A removed entry is gone, and nothing is found under an unknown key.
	for k, ids := range model {
		for _, id := range ids {
			tab.remove(k, id)
		}
	}
	if tab.n != 0 {
		t.Fatalf("%d entries left after removing all", tab.n)
	}
	for i, v := range tab.slots {
		if v != 0 {
			t.Fatalf("slot %d holds %x after removing all", i, v)
		}
	}
	// Ids that do not fit are left out, not stored truncated.
	tab.add(5, idMask+1)
	if tab.n != 0 {
		t.Fatal("an id above the mask was stored")
	}
}

// At 100,000 entries the table is a fraction of a Go map's size, and on
// Linux none of it is on the Go heap.
func TestIDTableSize(t *testing.T) {
	heap := func() int64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	before := heap()
	var tab idTable
	defer tab.free()
	for i := range uint64(100_000) {
		tab.add(uint64(i)*0x9e3779b97f4a7c15, i+1)
	}
	if tab.n != 100_000 {
		t.Fatalf("%d entries, want 100000", tab.n)
	}
	if got := tab.size(); got > 2<<20 {
		t.Fatalf("table of 100,000 entries takes %d bytes", got)
	}
	if grew := heap() - before; runtime.GOOS == "linux" && grew > 256<<10 {
		t.Fatalf("the Go heap grew by %d bytes with the table", grew)
	}
	for i := range uint64(100_000) {
		if tab.find(uint64(i)*0x9e3779b97f4a7c15, i+1) < 0 {
			t.Fatalf("entry %d lost", i)
		}
	}
}
