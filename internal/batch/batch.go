// Package batch decides when queued files close into a batch: at Size files,
// or when the first of them has waited Window, whichever comes first (the
// design's batch.size and batch.window).
//
// A Batcher is pure: no goroutine, no timer, no clock. The caller owns the
// queue (the daemon's is the state file) and, on each turn of its loop,
// offers the items waiting now, asks whether a batch is due, and takes it:
//
//	b.Offer(now, waiting)       // oldest first, at most Size
//	if b.Due(now) { submit(b.Take()) } else { sleep until b.Deadline() }
//
// An item's wait starts the first time it is offered and ends when it is
// taken or no longer offered (it left the queue: an item offered again
// later starts a fresh wait).
package batch

import "time"

// Batcher tracks how long the waiting items have waited.
type Batcher[T comparable] struct {
	size   int
	window time.Duration
	since  map[T]time.Time // when each waiting item was first offered
	items  []T             // the waiting items, as last offered
}

// New returns a Batcher closing batches at size items (at least 1) or when
// the first has waited window.
func New[T comparable](size int, window time.Duration) *Batcher[T] {
	return &Batcher[T]{size: max(size, 1), window: window, since: map[T]time.Time{}}
}

// Offer tells the Batcher which items wait at now, oldest first; beyond
// Size only the first Size count. Items seen for the first time start
// waiting at now; items no longer offered are forgotten.
func (b *Batcher[T]) Offer(now time.Time, items []T) {
	items = items[:min(len(items), b.size)]
	b.items = append(b.items[:0], items...)
	if len(b.since) > 0 {
		keep := make(map[T]bool, len(items))
		for _, it := range items {
			keep[it] = true
		}
		for it := range b.since {
			if !keep[it] {
				delete(b.since, it)
			}
		}
	}
	for _, it := range items {
		if _, ok := b.since[it]; !ok {
			b.since[it] = now
		}
	}
}

// Len is the number of waiting items.
func (b *Batcher[T]) Len() int { return len(b.items) }

// Due reports whether the waiting items form a batch at now: Size of them,
// or the longest-waiting has waited Window.
func (b *Batcher[T]) Due(now time.Time) bool {
	if len(b.items) == 0 {
		return false
	}
	return len(b.items) >= b.size || !now.Before(b.Deadline())
}

// Deadline is when the waiting items close into a batch by the window (zero
// when nothing waits). A full batch is due earlier: at once.
func (b *Batcher[T]) Deadline() time.Time {
	var first time.Time
	for _, it := range b.items {
		if t := b.since[it]; first.IsZero() || t.Before(first) {
			first = t
		}
	}
	if first.IsZero() {
		return first
	}
	return first.Add(b.window)
}

// Take returns the waiting items as a batch and forgets them.
func (b *Batcher[T]) Take() []T {
	out := make([]T, len(b.items))
	copy(out, b.items)
	for _, it := range out {
		delete(b.since, it)
	}
	b.items = b.items[:0]
	return out
}
