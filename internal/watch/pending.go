package watch

import (
	"container/heap"
	"os"
	"time"
)

// The pending set: files settling (a heap by next check) and files stable and
// waiting for the consumer (a FIFO). Only the Run goroutine touches it.

// entry is a pending file: settling (in the heap) or stable and waiting for
// the consumer (index -1, in the ready queue).
type entry struct {
	path   string
	fp     fingerprint
	mod    time.Time
	seen   time.Time // last observed change: an event or a different stat
	first  time.Time // when it became pending
	due    time.Time // next stat
	index  int       // heap index; -1 once ready
	warned bool      // MaxWait warning logged
}

// dueHeap orders settling entries by their next check.
type dueHeap []*entry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *dueHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.index = -1
	return e
}

// front returns the next stable entry to deliver, dropping stale ones.
func (l *loop) front() *entry {
	for len(l.ready) > 0 {
		e := l.ready[0]
		if l.pending[e.path] == e && e.index < 0 {
			return e
		}
		l.popReady()
	}
	return nil
}

func (l *loop) popReady() {
	l.ready[0] = nil
	l.ready = l.ready[1:]
	if len(l.ready) == 0 {
		l.ready = nil
	}
}

// delivered records that the front entry was received by the consumer.
func (l *loop) delivered() {
	e := l.ready[0]
	l.popReady()
	delete(l.pending, e.path)
	l.emitted[e.path] = memo{fp: e.fp, gen: l.gen}
	l.w.emitted.Add(1)
}

// add makes a regular file pending, unless the cap is reached.
func (l *loop) add(path string, fp fingerprint, mod, now time.Time) {
	if len(l.pending) >= l.w.opt.MaxPending {
		l.w.overflows.Add(1)
		if !l.overflow {
			l.overflow = true
			l.w.log.Warn("too many pending files; dropping events until a rescan", "max_pending", l.w.opt.MaxPending)
		}
		l.requestFull("max pending")
		return
	}
	e := &entry{path: path, fp: fp, mod: mod, seen: now, first: now, due: now.Add(l.w.opt.Settle)}
	l.pending[path] = e
	heap.Push(&l.due, e)
}

// touch records a change of a pending file; a stable one goes back to settling.
func (l *loop) touch(e *entry, now time.Time) {
	e.seen = now
	if e.index < 0 { // ready but not yet delivered: it changed, settle again
		e.due = now.Add(l.w.opt.Settle)
		heap.Push(&l.due, e)
	}
}

// drop removes a pending entry.
func (l *loop) drop(e *entry) {
	if e.index >= 0 {
		heap.Remove(&l.due, e.index)
	}
	delete(l.pending, e.path)
}

// checkDue re-stats the files whose settle time is up.
func (l *loop) checkDue(now time.Time) {
	settle := l.w.opt.Settle
	for n := 0; n < checkBatch && len(l.due) > 0 && !l.due[0].due.After(now); n++ {
		e := l.due[0]
		fi, err := os.Lstat(e.path)
		if err != nil || !fi.Mode().IsRegular() {
			l.drop(e) // gone, or replaced by something we never emit
			continue
		}
		if fp := fingerprintOf(fi); fp != e.fp {
			e.fp, e.mod, e.seen = fp, fi.ModTime(), now
		}
		if quiet := now.Sub(e.seen); quiet < settle {
			e.due = e.seen.Add(settle)
			heap.Fix(&l.due, 0)
			// Warn once about a file that has kept changing for MaxWait.
			if mw := l.w.opt.MaxWait; mw > 0 && !e.warned && e.seen.Sub(e.first) >= mw {
				e.warned = true
				l.w.log.Warn("file still changing; not emitted until it is stable",
					"path", e.path, "size", e.fp.size, "changing_for", e.seen.Sub(e.first).Round(time.Millisecond))
			}
			continue
		}
		heap.Pop(&l.due)
		if m, ok := l.emitted[e.path]; ok && m.fp == e.fp {
			delete(l.pending, e.path) // unchanged since emitted (e.g. chmod)
			continue
		}
		l.ready = append(l.ready, e)
	}
}
