package watch

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/testutil"
)

// deadline bounds every wait for something that must happen. It is generous:
// a passing test never waits for it.
const deadline = 20 * time.Second

// harness runs a Watcher for one test.
type harness struct {
	t    *testing.T
	w    *Watcher
	root string
	logs *testutil.SyncBuffer
}

// setup makes a Watcher on a fresh inbox (unless opts.Root is set) with
// test-sized timings; tweak may set hooks before Run.
func setup(t *testing.T, opts Options, tweak func(*Watcher)) *harness {
	t.Helper()
	if opts.Root == "" {
		opts.Root = t.TempDir()
	}
	if opts.Settle == 0 {
		opts.Settle = 50 * time.Millisecond
	}
	logs := &testutil.SyncBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	w.exec = make(chan func(*loop))
	if tweak != nil {
		tweak(w)
	}
	return &harness{t: t, w: w, root: w.opt.Root, logs: logs}
}

// run starts Run and stops it at the end of the test.
func (h *harness) run() *harness {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- h.w.Run(ctx) }()
	h.t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				h.t.Errorf("Run: %v", err)
			}
		case <-time.After(deadline):
			h.t.Errorf("Run did not return after cancel")
		}
		if _, ok := <-h.w.Files(); ok {
			h.t.Errorf("Files() not closed after Run returned")
		}
		if h.t.Failed() {
			h.t.Logf("watcher log:\n%s", h.logs.String())
		}
	})
	return h
}

// start is setup plus run.
func start(t *testing.T, opts Options, tweak func(*Watcher)) *harness {
	t.Helper()
	return setup(t, opts, tweak).run()
}

// next returns the next emitted file.
func (h *harness) next() Event {
	h.t.Helper()
	select {
	case ev, ok := <-h.w.Files():
		if !ok {
			h.t.Fatal("Files() closed")
		}
		return ev
	case <-time.After(deadline):
		h.t.Fatalf("no file emitted within %v; stats %+v", deadline, h.w.Stats())
	}
	return Event{}
}

// expect receives exactly the given paths (relative to root), in any order,
// each once; anything else is a failure. It returns the events by path.
func (h *harness) expect(rels ...string) map[string]Event {
	h.t.Helper()
	want := map[string]bool{}
	for _, r := range rels {
		want[h.path(r)] = true
	}
	got := map[string]Event{}
	for len(got) < len(want) {
		ev := h.next()
		if !want[ev.Path] {
			h.t.Fatalf("unexpected emit %s (size %d); still waiting for %d of %d", ev.Path, ev.Size, len(want)-len(got), len(want))
		}
		if _, dup := got[ev.Path]; dup {
			h.t.Fatalf("emitted twice: %s", ev.Path)
		}
		got[ev.Path] = ev
	}
	return got
}

// sentinel writes a new file and expects it to be the next and only emit:
// whatever would have been emitted wrongly before it (it was created earlier,
// so it settles earlier) shows up as a failure.
func (h *harness) sentinel(name string) {
	h.t.Helper()
	h.write(name, "sentinel")
	h.expect(name)
}

func (h *harness) path(rel string) string { return filepath.Join(h.root, filepath.FromSlash(rel)) }

func (h *harness) write(rel, data string) string {
	h.t.Helper()
	p := h.path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// onLoop runs f on the Run goroutine and waits for it.
func (h *harness) onLoop(f func(*loop)) {
	h.t.Helper()
	done := make(chan struct{})
	select {
	case h.w.exec <- func(l *loop) { f(l); close(done) }:
	case <-time.After(deadline):
		h.t.Fatal("Run goroutine not responding")
	}
	<-done
}

// waitFor polls cond (a condition, not a hoped-for delay) until it holds.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			h.t.Fatalf("timed out waiting for %s; stats %+v", what, h.w.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitRescans waits until n full rescans have completed.
func (h *harness) waitRescans(n uint64) {
	h.t.Helper()
	h.waitFor("rescans", func() bool { return h.w.Stats().Rescans >= n })
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func mustContain(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("log does not contain %q:\n%s", sub, s)
	}
}
