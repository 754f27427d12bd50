package daemon

import (
	"context"
	"testing"
	"time"
)

// TestCreatedHook: New hands the daemon to Options.Created before Run, and
// Stalled turns from "every loop" before Run to "none" once Ready is called.
func TestCreatedHook(t *testing.T) {
	e := newEnv(t, "")
	e.write("a.txt", "the apple harvest in the orchard")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got *Daemon
	var stalledBefore, stalledReady []string
	_, err := e.run(ctx, e.localBackend(ctx), func(o *Options) {
		o.Created = func(d *Daemon) {
			got = d
			stalledBefore = d.Stalled(time.Minute)
		}
		o.Ready = func() { stalledReady = got.Stalled(time.Minute) }
	})
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Store() == nil {
		t.Fatal("Created was not called with the daemon")
	}
	if len(stalledBefore) != len(loopNames) {
		t.Fatalf("before Run: stalled %v, want every loop", stalledBefore)
	}
	if len(stalledReady) != 0 {
		t.Fatalf("at Ready: stalled %v, want none", stalledReady)
	}
}
