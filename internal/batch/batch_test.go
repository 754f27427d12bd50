package batch

import (
	"slices"
	"testing"
	"time"
)

// step is one turn of a caller's loop: offer what waits at time at (ms from
// the start), then take a batch if one is due.
type step struct {
	at       int   // ms
	offer    []int // the queue at that time, oldest first
	due      bool
	deadline int // ms; -1: none
	take     []int
}

func TestBatcher(t *testing.T) {
	const size, window = 3, 100 * time.Millisecond
	for _, tt := range []struct {
		name  string
		steps []step
	}{
		{"nothing waits", []step{
			{at: 0, offer: nil, deadline: -1},
		}},
		{"one file waits the window", []step{
			{at: 0, offer: []int{1}, deadline: 100},
			{at: 99, offer: []int{1}, deadline: 100},
			{at: 100, offer: []int{1}, due: true, deadline: 100, take: []int{1}},
		}},
		{"the window runs from the first file, not the last", []step{
			{at: 0, offer: []int{1}, deadline: 100},
			{at: 60, offer: []int{1, 2}, deadline: 100},
			{at: 100, offer: []int{1, 2}, due: true, deadline: 100, take: []int{1, 2}},
		}},
		{"size closes a batch at once", []step{
			{at: 0, offer: []int{1, 2}, deadline: 100},
			{at: 10, offer: []int{1, 2, 3}, due: true, deadline: 100, take: []int{1, 2, 3}},
		}},
		{"beyond size only size count", []step{
			{at: 0, offer: []int{1, 2, 3, 4, 5}, due: true, deadline: 100, take: []int{1, 2, 3}},
			{at: 1, offer: []int{4, 5}, deadline: 101},
		}},
		{"after a batch the next wait starts when its files are offered", []step{
			{at: 0, offer: []int{1, 2, 3, 4}, due: true, deadline: 100, take: []int{1, 2, 3}},
			{at: 50, offer: []int{4}, deadline: 150},
			{at: 150, offer: []int{4}, due: true, deadline: 150, take: []int{4}},
		}},
		{"a file that left the queue is forgotten", []step{
			{at: 0, offer: []int{1}, deadline: 100},
			{at: 50, offer: []int{2}, deadline: 150},
			{at: 100, offer: []int{2}, deadline: 150},
			{at: 120, offer: []int{1, 2}, deadline: 150}, // 1 back: a fresh wait, 2 keeps its own
			{at: 150, offer: []int{1, 2}, due: true, deadline: 150, take: []int{1, 2}},
		}},
		{"an older file offered late does not reset the wait", []step{
			{at: 0, offer: []int{5}, deadline: 100},
			{at: 90, offer: []int{1, 5}, deadline: 100}, // 1 was delayed for a retry
			{at: 100, offer: []int{1, 5}, due: true, deadline: 100, take: []int{1, 5}},
		}},
		{"the queue emptied", []step{
			{at: 0, offer: []int{1}, deadline: 100},
			{at: 200, offer: nil, deadline: -1},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
			b := New[int](size, window)
			for i, s := range tt.steps {
				now := ms(s.at)
				b.Offer(now, s.offer)
				if got := b.Due(now); got != s.due {
					t.Fatalf("step %d (at %dms): Due = %v, want %v", i, s.at, got, s.due)
				}
				want := time.Time{}
				if s.deadline >= 0 {
					want = ms(s.deadline)
				}
				if got := b.Deadline(); !got.Equal(want) {
					t.Fatalf("step %d (at %dms): Deadline = %v, want %v", i, s.at, got.Sub(t0), want.Sub(t0))
				}
				if s.due {
					if got := b.Take(); !slices.Equal(got, s.take) {
						t.Fatalf("step %d: Take = %v, want %v", i, got, s.take)
					}
					if b.Len() != 0 || b.Due(now) {
						t.Fatalf("step %d: after Take %d items wait", i, b.Len())
					}
				}
			}
		})
	}
}

// TestForgets: the Batcher holds no more than the items offered last.
func TestForgets(t *testing.T) {
	b := New[int](10, time.Second)
	now := time.Now()
	for i := range 1000 {
		b.Offer(now, []int{i, i + 1})
	}
	if len(b.since) != 2 {
		t.Errorf("%d items remembered, want the 2 offered last", len(b.since))
	}
	b.Take()
	if len(b.since) != 0 {
		t.Errorf("%d items remembered after Take, want 0", len(b.since))
	}
}

func TestSizeAtLeastOne(t *testing.T) {
	b := New[int](0, time.Hour)
	now := time.Now()
	b.Offer(now, []int{7, 8})
	if !b.Due(now) || !slices.Equal(b.Take(), []int{7}) {
		t.Error("size 0 should close a batch of one at once")
	}
}
