// Package memlimit keeps the Go runtime's soft memory limit a little above
// what the process really holds, so that memory the collector has freed goes
// back to the system soon instead of staying resident after a busy moment.
//
// Why: with GOGC=100 the heap may grow to twice what was live at the last
// collection, and freed pages are returned to the system slowly. A
// long-running daemon's resident memory is then set by the largest
// transient peak it ever met (a batch in flight at the moment the collector
// marked, a large state transaction) and creeps up over a long backlog
// although its live heap does not (measured over 100,000 files: live heap
// 5-16 MB, flat; freed but unreturned heap 6 MB after 10,000 files, 11 MB
// after 100,000). A fixed limit (GOMEMLIMIT=32MiB) fixes that but makes the
// collector run all the time once the live heap nears it.
//
// The limit here follows the live heap: after every collection it is set to
//
//	max(Floor, Ratio·live + Slack)
//
// Below Floor the limit never binds, and the collector works as with
// GOGC=100. Above it the heap may grow by (Ratio-1)·live between collections
// instead of by live, and pages freed beyond the limit are returned at once.
// The limit is soft: a larger live heap is never refused memory, and the
// limit rises with it at the next collection.
//
// The package owns only the runtime's memory limit; it reads the runtime's
// metrics and touches nothing else.
package memlimit

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Policy is how the limit follows the live heap.
type Policy struct {
	// Floor: the limit is never lower.
	Floor int64
	// Ratio: the heap may reach Ratio times the live heap (plus Slack)
	// before the collector runs.
	Ratio float64
	// Slack covers the runtime's own memory beside the heap (stacks, GC
	// metadata: about 6-7 MB in the daemon).
	Slack int64
}

// Default is the daemon's policy (run and once). Ratio 1.5 lets the heap grow
// by half its live size between collections near the limit (GOGC=50 there),
// Slack is the runtime's memory beside the heap, and below a 32 MiB floor,
// twice the daemon's highest live heap measured over its benchmarks, the
// collector is untouched.
var Default = Policy{Floor: 32 << 20, Ratio: 1.5, Slack: 8 << 20}

// Limit is the limit for a live heap of live bytes.
func (p Policy) Limit(live uint64) int64 {
	l := float64(live)*p.Ratio + float64(p.Slack)
	if l >= math.MaxInt64 {
		return math.MaxInt64
	}
	return max(p.Floor, int64(l))
}

// Operator reports whether the environment sets the collector
// (GOMEMLIMIT or GOGC): then the operator's choice stands and Start should
// not be called.
func Operator(getenv func(string) string) bool {
	return getenv("GOMEMLIMIT") != "" || getenv("GOGC") != ""
}

// Start sets the limit from the live heap now and after every collection
// from now on, until stop is called; the last stop puts back the limit there
// was before. The limit is the process's: a Start while a policy runs (two
// daemons in one test binary) keeps the running policy, and following ends
// when every Start has been stopped.
func Start(p Policy) (stop func()) {
	startMu.Lock()
	defer startMu.Unlock()
	if active == nil {
		f := &follower{p: p, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
		f.prev = debug.SetMemoryLimit(-1)
		f.apply()
		f.arm()
		active = f
	}
	users++
	var once sync.Once
	return func() {
		once.Do(func() {
			startMu.Lock()
			defer startMu.Unlock()
			if users--; users > 0 {
				return
			}
			f := active
			active = nil
			f.mu.Lock()
			f.stopped = true
			debug.SetMemoryLimit(f.prev)
			f.mu.Unlock()
		})
	}
}

var (
	startMu sync.Mutex
	active  *follower // nil when no policy runs
	users   int       // Starts not yet stopped
)

type follower struct {
	p      Policy
	prev   int64
	mu     sync.Mutex // serialises apply with stop
	sample []metrics.Sample
	// stopped: the follower sets nothing more and is not armed again.
	stopped bool
}

// apply sets the limit from the live heap of the last collection.
func (f *follower) apply() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return false
	}
	metrics.Read(f.sample)
	if f.sample[0].Value.Kind() == metrics.KindUint64 {
		debug.SetMemoryLimit(f.p.Limit(f.sample[0].Value.Uint64()))
	}
	return true
}

// sentinel is garbage from the moment it is made: its cleanup runs after
// the collection that finds it, applies the policy and makes the next one.
// It holds a pointer and 32 bytes so that it is never a tiny allocation
// (those may share a block and never be collected alone).
type sentinel struct {
	_ *byte
	_ [32]byte
}

func (f *follower) arm() {
	runtime.AddCleanup(new(sentinel), func(f *follower) {
		if f.apply() {
			f.arm()
		}
	}, f)
}
