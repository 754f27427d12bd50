package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/cloudtest"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// crashAfterCreate passes calls on to a remote, and "crashes" the daemon
// (cancels its context) right after the n-th create reached the remote,
// before the daemon hears the answer: the job exists, the state does not
// know it.
type crashAfterCreate struct {
	Remote
	n      int64
	calls  atomic.Int64
	cancel context.CancelFunc
}

func (c *crashAfterCreate) CreateV2Job(ctx context.Context, req api.V2CreateRequest) (api.V2Job, error) {
	j, err := c.Remote.CreateV2Job(ctx, req)
	if c.calls.Add(1) == c.n {
		c.cancel()
		return api.V2Job{}, context.Canceled
	}
	return j, err
}

func journalBy(e *env) map[string]sorter.Entry {
	out := map[string]sorter.Entry{}
	for _, en := range e.journal() {
		out[filepath.Base(en.Source)] = en
	}
	return out
}

// TestEscalateBudget: the budget is never exceeded, also when the daemon
// dies between a create reaching the remote and its answer, and across the
// restart: the intent (transaction id) and the count were recorded before
// the create, so the restarted daemon sends the same create, gets the same
// job, and counts nothing again. Files over the budget take the fallback;
// the next day has a budget of its own.
func TestEscalateBudget(t *testing.T) {
	e := newEnv(t, strings.Replace(escalateOn, "files_per_day: 100", "files_per_day: 5", 1))
	for i := range 8 {
		e.write(fmt.Sprintf("u%d.txt", i), fmt.Sprintf("local: fruit 0.3%d\nremote: vehicle 0.9\n", i))
	}
	srv, c := cloud(t, cloudtest.Options{Latency: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	crashCtx, crash := context.WithCancel(ctx)
	crashy := &crashAfterCreate{Remote: c, n: 2, cancel: crash}
	if _, err := e.run(crashCtx, e.labelBackend(crashCtx), func(o *Options) { o.Remote = crashy }); err != nil {
		t.Fatal(err)
	}
	if crashy.calls.Load() < 2 {
		t.Fatalf("the daemon made %d creates before the crash, want 2", crashy.calls.Load())
	}
	if _, err := e.run(ctx, e.labelBackend(ctx), func(o *Options) { o.Remote = c }); err != nil {
		t.Fatal(err)
	}
	if n := srv.Jobs(); n != 5 {
		t.Errorf("remote jobs %d, want the budget 5 (creates answered %d)", n, srv.Creates())
	}
	tx := map[string]int{}
	for _, j := range srv.JobList() {
		tx[*j.TransactionID]++
	}
	if len(tx) != srv.Jobs() {
		t.Errorf("%d jobs for %d transaction ids", srv.Jobs(), len(tx))
	}
	if srv.Creates() <= srv.Jobs() {
		t.Errorf("creates %d, jobs %d: the crash test sent no create twice", srv.Creates(), srv.Jobs())
	}
	remote, budget := 0, 0
	for name, en := range journalBy(e) {
		switch x := en.Escalation; {
		case x == nil:
			t.Errorf("%s: no escalation in the journal", name)
		case x.Decided == state.DecidedRemote:
			remote++
			if en.Type != "vehicle" {
				t.Errorf("%s: filed as %s, want the remote's vehicle", name, en.Type)
			}
		case x.Decided == state.DecidedFallback && strings.Contains(x.Why, "budget (5 files) is spent"):
			budget++
			if en.Type != "fruit" || en.Folder != "fruit" {
				t.Errorf("%s: fallback local filed %s in %s, want the engine's fruit", name, en.Type, en.Folder)
			}
		default:
			t.Errorf("%s: escalation %+v", name, x)
		}
	}
	if remote != 5 || budget != 3 {
		t.Errorf("decided by the remote %d, by the spent budget %d; want 5 and 3", remote, budget)
	}
	if left, _ := os.ReadDir(e.in); len(left) != 0 {
		t.Errorf("%d files left in the inbox", len(left))
	}

	// The next day: a budget of its own.
	e.write("tomorrow.txt", "local: fruit 0.3\nremote: vehicle 0.9\n")
	if _, err := e.run(ctx, e.labelBackend(ctx), func(o *Options) {
		o.Remote = c
		o.Now = func() time.Time { return time.Now().Add(24 * time.Hour) }
	}); err != nil {
		t.Fatal(err)
	}
	if n := srv.Jobs(); n != 6 {
		t.Errorf("remote jobs %d after a file the next day, want 6", n)
	}
}

// TestEscalateOutage: with the remote down, escalated files take the
// fallback after escalate.tries (review: the review folder; local: the
// engine's answer) and nothing is lost; a FAILED job takes it at once.
func TestEscalateOutage(t *testing.T) {
	for _, fallback := range []string{"review", "local"} {
		t.Run(fallback, func(t *testing.T) {
			e := newEnv(t, strings.Replace(escalateOn, "tries: 2", "tries: 2, fallback: "+fallback, 1))
			e.write("a.txt", "local: fruit 0.3\nremote: vehicle 0.9\n")
			e.write("b.txt", "local: none 0.9\nremote: vehicle 0.9\n")
			e.write("sure.txt", "local: vehicle 0.9\nremote: fruit 0.9\n")
			srv, c := cloud(t, cloudtest.Options{})
			srv.SetDown(true)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			got, err := e.run(ctx, e.labelBackend(ctx), func(o *Options) { o.Remote = c })
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 || srv.Jobs() != 0 {
				t.Fatalf("filed %d, remote jobs %d; want 3 and 0", len(got), srv.Jobs())
			}
			j := journalBy(e)
			want := map[string]string{"a.txt": "fruit", "b.txt": "unmatched", "sure.txt": "vehicle"}
			if fallback == "review" {
				want["a.txt"], want["b.txt"] = "review", "review"
			}
			for name, folder := range want {
				if j[name].Folder != folder {
					t.Errorf("%s in %s, want %s", name, j[name].Folder, folder)
				}
			}
			if x := j["a.txt"].Escalation; x == nil || x.Decided != state.DecidedFallback || !strings.Contains(x.Why, "LlamaCloud failed") {
				t.Errorf("a.txt escalation %+v", x)
			}
			if r := j["a.txt"].Reasoning; !strings.HasPrefix(r, "Escalation to LlamaCloud did not decide (LlamaCloud failed") {
				t.Errorf("a.txt reasoning %q", r)
			}
		})
	}
	t.Run("failed job", func(t *testing.T) {
		e := newEnv(t, escalateOn)
		e.write("a.txt", "local: fruit 0.3\nremote: fail\n")
		srv, c := cloud(t, cloudtest.Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if _, err := e.run(ctx, e.labelBackend(ctx), func(o *Options) { o.Remote = c }); err != nil {
			t.Fatal(err)
		}
		x := journalBy(e)["a.txt"].Escalation
		if srv.Jobs() != 1 || x == nil || x.Decided != state.DecidedFallback || !strings.Contains(x.Why, "could not parse the document") {
			t.Errorf("jobs %d, escalation %+v", srv.Jobs(), x)
		}
	})
}

// TestEscalateDryRun: a dry run says which files would be escalated and
// what they would cost, and sends nothing.
func TestEscalateDryRun(t *testing.T) {
	e := newEnv(t, escalateOn)
	e.write("a.txt", "local: fruit 0.3\nremote: vehicle 0.9\n")
	e.write("sure.txt", "local: vehicle 0.9\nremote: fruit 0.9\n")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got, err := e.run(ctx, e.labelBackend(ctx), func(o *Options) { o.DryRun, o.Pages = true, &learnLog{} })
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]sorter.Entry{}
	for _, en := range got {
		by[filepath.Base(en.Source)] = en
	}
	if r := by["a.txt"].Reason; r != "would be escalated to LlamaCloud (fruit at 0.30, below escalate.below 0.60), 2 pages" {
		t.Errorf("a.txt: %q", r)
	}
	if x := by["a.txt"].Escalation; x == nil || x.Decided != state.DecidedDryRun || x.Pages != 2 {
		t.Errorf("a.txt escalation %+v", x)
	}
	if by["sure.txt"].Escalation != nil || by["sure.txt"].Reason != "" {
		t.Errorf("sure.txt: %+v", by["sure.txt"])
	}
}
