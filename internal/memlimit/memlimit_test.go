package memlimit

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	p := Policy{Floor: 32 << 20, Ratio: 1.5, Slack: 8 << 20}
	for _, c := range []struct {
		name string
		live uint64
		want int64
	}{
		{"nothing live: the floor", 0, 32 << 20},
		{"small heap: the floor", 10 << 20, 32 << 20},
		{"at the floor", 16 << 20, 32 << 20},
		{"above it: ratio and slack", 40 << 20, 68 << 20},
		{"huge: no overflow", math.MaxUint64, math.MaxInt64},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := p.Limit(c.live); got != c.want {
				t.Fatalf("Limit(%d) = %d, want %d", c.live, got, c.want)
			}
		})
	}
}

func TestOperator(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if Operator(get) {
		t.Fatal("nothing set: the operator chose nothing")
	}
	env["GOMEMLIMIT"] = "1GiB"
	if !Operator(get) {
		t.Fatal("GOMEMLIMIT set: the operator's choice")
	}
	env = map[string]string{"GOGC": "200"}
	if !Operator(get) {
		t.Fatal("GOGC set: the operator's choice")
	}
}

// keep holds memory live across collections.
var keep []byte

// waitLimit collects until the limit satisfies ok (the policy is applied by
// a cleanup after each collection), or fails.
func waitLimit(t *testing.T, what string, ok func(int64) bool) int64 {
	t.Helper()
	var got int64
	for range 200 {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
		if got = debug.SetMemoryLimit(-1); ok(got) {
			return got
		}
	}
	t.Fatalf("%s: limit %d", what, got)
	return 0
}

// The limit follows the live heap after each collection, and stop puts the
// previous limit back and ends the following.
func TestStartFollowsLiveHeap(t *testing.T) {
	prev := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	p := Policy{Floor: 16 << 20, Ratio: 1.5, Slack: 4 << 20}

	stop := Start(p)
	t.Cleanup(stop)
	if got := debug.SetMemoryLimit(-1); got == math.MaxInt64 || got < p.Floor {
		t.Fatalf("after Start: limit %d, want at least the floor %d", got, p.Floor)
	}

	keep = make([]byte, 64<<20)
	for i := range keep {
		keep[i] = byte(i)
	}
	waitLimit(t, "with 64 MiB live", func(l int64) bool { return l >= 100<<20 })

	keep = nil
	waitLimit(t, "with 64 MiB freed", func(l int64) bool { return l < 40<<20 })

	stop()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("after stop: limit %d, want the one before Start", got)
	}
	debug.SetMemoryLimit(123 << 20)
	runtime.GC()
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	if got := debug.SetMemoryLimit(-1); got != 123<<20 {
		t.Fatalf("a collection after stop set the limit to %d", got)
	}

	// Two users: the policy runs until both have stopped.
	stopA, stopB := Start(p), Start(Policy{Floor: 1 << 40})
	keep = make([]byte, 64<<20)
	waitLimit(t, "two users, 64 MiB live", func(l int64) bool { return l >= 100<<20 && l < 1<<40 })
	stopA()
	stopA() // twice is once
	keep = nil
	waitLimit(t, "one user left, 64 MiB freed", func(l int64) bool { return l < 40<<20 })
	stopB()
	if got := debug.SetMemoryLimit(-1); got != 123<<20 {
		t.Fatalf("after the last stop: limit %d, want the one before (123 MiB)", got)
	}
}
