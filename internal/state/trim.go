package state

import (
	"runtime/debug"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// The mapped pages of the state file.
//
// bbolt reads the file through a shared read-only mmap, and every page a
// transaction reads stays mapped into the process until the mapping is
// replaced. Over a long run that is most of the file: a daemon that has
// filed 100,000 files carried ~100 MB of state pages in its resident set
// though it works on a few hundred records at a time. The trimmer bounds
// that: after every transaction it reads the process's resident
// file-backed pages and, once they have grown by trimBudget since the last
// trim, drops the process's page-table entries for the state file
// (madvise MADV_DONTNEED). The pages stay in the kernel's page cache, so the
// next read of one is a minor fault, not disk I/O, and nothing is lost: the
// mapping is shared and read-only, and bbolt writes through pwrite.
//
// The trim runs inside a read transaction, which holds bbolt's mmap lock:
// the mapping cannot be replaced (remapped to a larger size) under it.

// trimBudget is how far the resident file-backed pages may grow between
// trims, in bytes. Each trim also drops the pages in use (the upper levels of
// the trees, the records in flight), which the next transactions map again.
// Measured over 100,000 files (with the array free list, which keeps the
// pages written together): 8 MB costs no more CPU than 16 MB and keeps 8 MB
// less resident; 4 MB keeps ~2 MB less again, at a cost lost in the noise of
// this machine but many more trims (1,700 against 250).
const trimBudget = 8 << 20

type trimmer struct {
	mu     sync.Mutex
	base   int64 // resident file-backed bytes after the last trim; -1 before the first look
	budget int64 // trimBudget (tests shrink it)
	trims  int
	off    bool // unsupported here
}

// afterTx is called after each transaction. A look at the resident set reads
// /proc/self/statm (a few microseconds); looking after every transaction
// keeps the overshoot past the budget under 1.5 MB.
func (s *Store) afterTx() {
	t := &s.trim
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.off {
		return
	}
	res, ok := residentFileBytes()
	if !ok {
		t.off = true
		return
	}
	if t.base >= 0 && res-t.base < t.budget {
		return
	}
	s.trimLocked(nil)
}

// trimLocked drops the mapping's pages and takes the new resident size as
// the base. Called with t.mu held; tx, if not nil, is the caller's open
// transaction (which holds the mapping in place).
func (s *Store) trimLocked(tx *bolt.Tx) {
	t := &s.trim
	var err error
	if tx != nil {
		err = dropMapping(s.db, tx.Size())
	} else {
		err = s.db.View(func(tx *bolt.Tx) error { return dropMapping(s.db, tx.Size()) })
	}
	if err != nil {
		t.off = true // not supported here: stop trying
		return
	}
	t.trims++
	res, ok := residentFileBytes()
	if !ok {
		t.off = true
		return
	}
	t.base = res
}

// scanned is called by a scan over a whole bucket for each entry it reads,
// inside its transaction: a scan touches pages all over the file (bbolt
// writes each changed page to a new place) and the kernel maps 16 pages
// around each one it reads, so a scan of a few MB of entries can map most of
// the file. Every scanCheck entries it trims if the budget is exceeded.
func (s *Store) scanned(tx *bolt.Tx, n int) {
	if n%scanCheck != 0 {
		return
	}
	t := &s.trim
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.off {
		return
	}
	if res, ok := residentFileBytes(); ok && (t.base < 0 || res-t.base >= t.budget) {
		s.trimLocked(tx)
	}
}

// scanCheck is how many entries a scan reads between looks at the resident
// set.
const scanCheck = 256

// trimNow trims at once: after Open, whose free-page scan (bbolt rebuilds its
// free list by reading every page) mapped the whole file.
func (s *Store) trimNow() {
	s.trim.mu.Lock()
	defer s.trim.mu.Unlock()
	if !s.trim.off {
		s.trimLocked(nil)
	}
}

// Trims is how many times the mapping was trimmed.
func (s *Store) Trims() int {
	s.trim.mu.Lock()
	defer s.trim.mu.Unlock()
	return s.trim.trims
}

// update runs fn in a write transaction.
func (s *Store) update(fn func(tx *bolt.Tx) error) (err error) {
	defer damaged(&err, debug.SetPanicOnFault(true))
	err = s.db.Update(fn)
	s.afterTx()
	return err
}

// view runs fn in a read transaction.
func (s *Store) view(fn func(tx *bolt.Tx) error) (err error) {
	defer damaged(&err, debug.SetPanicOnFault(true))
	err = s.db.View(fn)
	s.afterTx()
	return err
}
