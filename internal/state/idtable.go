package state

// idTable maps 64-bit hash keys to record ids in one slice of words: an open
// addressing table (linear probing) whose slot holds the record id in its low
// idBits bits and the top bits of the key (its tag) above them; 0 is an empty
// slot. It takes 10 to 13 bytes a record at the loads it keeps (a Go map of
// the same takes 20 to 25). A key may map to several ids, and ids of other
// keys with the same tag come along: the caller checks each candidate against
// the record.
//
// The slots live outside the Go heap where the system allows (an anonymous
// mapping, see slots_linux.go): the collector lets the heap grow to twice
// what is live before it runs, so a table on the heap would cost twice its
// size in resident memory; outside it, it costs its size, and the old slots
// are returned at once when the table grows.
type idTable struct {
	slots []uint64
	n     int
}

const (
	idBits    = 34 // record ids below 2^34 are indexed
	idMask    = 1<<idBits - 1
	tableMin  = 1 << 10
	tableLoad = 80 // percent of slots in use before the table doubles
)

// tag is the part of a key the table stores, in place.
func tag(key uint64) uint64 { return key &^ idMask }

// home is the first slot probed for a tag: the tag spread over the word (the
// SplitMix64 finaliser), so entries can be placed again from what is stored
// when the table grows.
func (t *idTable) home(tag uint64) uint64 {
	z := tag
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return (z ^ z>>31) & uint64(len(t.slots)-1)
}

func (t *idTable) next(i uint64) uint64 { return (i + 1) & uint64(len(t.slots)-1) }

// each calls fn with every id stored under key's tag, until fn returns false.
func (t *idTable) each(key uint64, fn func(id uint64) bool) {
	if t.n == 0 {
		return
	}
	g := tag(key)
	for i := t.home(g); t.slots[i] != 0; i = t.next(i) {
		if v := t.slots[i]; tag(v) == g && !fn(v&idMask) {
			return
		}
	}
}

// find is the slot holding (key, id), or -1.
func (t *idTable) find(key, id uint64) int {
	if t.n == 0 {
		return -1
	}
	want := tag(key) | id
	for i := t.home(tag(key)); t.slots[i] != 0; i = t.next(i) {
		if t.slots[i] == want {
			return int(i)
		}
	}
	return -1
}

// add puts (key, id) in the table; ids that do not fit in idBits are left out
// (their contents are then classified again rather than found as duplicates).
func (t *idTable) add(key, id uint64) {
	if id == 0 || id > idMask || t.find(key, id) >= 0 {
		return
	}
	if (t.n+1)*100 > len(t.slots)*tableLoad {
		t.grow()
	}
	t.put(tag(key) | id)
	t.n++
}

// put stores entry v in the first empty slot from its home.
func (t *idTable) put(v uint64) {
	i := t.home(tag(v))
	for t.slots[i] != 0 {
		i = t.next(i)
	}
	t.slots[i] = v
}

func (t *idTable) grow() {
	old := t.slots
	t.slots = newSlots(max(tableMin, 2*len(old)))
	for _, v := range old {
		if v != 0 {
			t.put(v)
		}
	}
	freeSlots(old)
}

// free returns the slots; the table is empty after.
func (t *idTable) free() {
	freeSlots(t.slots)
	t.slots, t.n = nil, 0
}

// remove takes (key, id) out of the table, if it is there.
func (t *idTable) remove(key, id uint64) {
	s := t.find(key, id)
	if s < 0 {
		return
	}
	// Backward-shift deletion: an entry later in the run moves into the hole
	// unless its home lies after the hole (cyclically), so that every entry
	// stays reachable from its home without empty slots between.
	mask := uint64(len(t.slots) - 1)
	hole := uint64(s)
	for j := t.next(hole); t.slots[j] != 0; j = t.next(j) {
		h := t.home(tag(t.slots[j]))
		if (j-h)&mask >= (j-hole)&mask {
			t.slots[hole] = t.slots[j]
			hole = j
		}
	}
	t.slots[hole] = 0
	t.n--
}

// size is the table's memory in bytes.
func (t *idTable) size() int { return 8 * len(t.slots) }
