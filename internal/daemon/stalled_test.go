package daemon

import (
	"context"
	"testing"
	"time"
)

// TestStalledUntilRun: a daemon built but not run has every loop stalled
// (the watchdog's health check fails); at Ready none is.
func TestStalledUntilRun(t *testing.T) {
	e := newEnv(t, "")
	e.write("a.txt", "the apple harvest in the orchard")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stalledReady []string
	ready := false
	var d *Daemon
	d, done := e.build(e.localBackend(ctx), func(o *Options) {
		o.Ready = func() { ready, stalledReady = true, d.Stalled(time.Minute) }
	})
	stalledBefore := d.Stalled(time.Minute)
	err := d.Run(ctx)
	done()
	if err != nil {
		t.Fatal(err)
	}
	if len(stalledBefore) != len(loopNames) {
		t.Fatalf("before Run: stalled %v, want every loop", stalledBefore)
	}
	if !ready || len(stalledReady) != 0 {
		t.Fatalf("at Ready: stalled %v, want none", stalledReady)
	}
}
