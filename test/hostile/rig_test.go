// Package hostile_test runs the real classifyd binary (`classifyd run`,
// backend llamacloud against an in-process API server behind a recording
// proxy) over an inbox that fights back: symlinks out of the inbox, fifos,
// unreadable files, files deleted or replaced while they are in flight, names
// with newlines and invalid UTF-8, ten thousand files in one burst, and an
// output folder whose disk is full. Nothing may be lost, read where it must
// not be, filed twice or filed with a stale answer, and the daemon must
// neither hang nor die.
//
// CLASSIFYD_LONG=1 makes the burst bigger under -short (it is 10,000 files
// otherwise); CLASSIFYD_SEED replays a run.
package hostile_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/test/harness"
)

var bin string

func TestMain(m *testing.M) { os.Exit(harness.Main(m, &bin)) }

// rig is one daemon with its folders, API server and proxy.
type rig struct {
	t       *testing.T
	rng     *rand.Rand
	seed    int64
	dir     string
	cfg     harness.Config
	conf    string
	srv     *harness.Server
	srvData string
	proxy   *harness.Proxy
	p       *harness.Proc
	log     string

	hashed map[string]string // output path → content, cached by waitFiled
}

func newRig(t *testing.T, mod func(*harness.Config)) *rig {
	return newRigServer(t, mod, true)
}

// newRigServer is newRig; persist=false keeps the server's files and jobs in
// memory (faster: no fsync per upload).
func newRigServer(t *testing.T, mod func(*harness.Config), persist bool) *rig {
	seed := harness.Seed(t)
	r := &rig{t: t, seed: seed, rng: rand.New(rand.NewPCG(uint64(seed), 0x4057)), dir: harness.WorkDir(t), hashed: map[string]string{}}
	if persist {
		r.srvData = filepath.Join(r.dir, "server")
	}
	r.srv = harness.StartServer(t, r.srvData)
	r.proxy = harness.NewProxy(t, r.srv.URL, harness.ProxyOptions{Seed: seed})
	r.cfg = harness.NewConfig(r.dir)
	// v1: the proxy holds jobs PENDING through the v1 GET of a job.
	r.cfg.Backend, r.cfg.BaseURL, r.cfg.API = "llamacloud", r.proxy.URL, "v1"
	r.cfg.Rescan = 300 * time.Millisecond
	if mod != nil {
		mod(&r.cfg)
	}
	r.conf = filepath.Join(r.dir, "classifyd.yaml")
	if err := r.cfg.Write(r.conf); err != nil {
		t.Fatal(err)
	}
	r.log = filepath.Join(r.dir, "run.log")
	return r
}

// start runs the daemon and waits until its watcher runs.
func (r *rig) start(o harness.ProcOptions) {
	r.t.Helper()
	p, err := harness.Start(bin, []string{"run", "--config", r.conf, "--log-format", "json", "--log-level", "debug"}, r.log, o)
	if err != nil {
		r.t.Fatal(err)
	}
	r.p = p
	r.t.Cleanup(func() {
		if err := p.Stop(20 * time.Second); err != nil && !p.Exited() {
			r.t.Errorf("stop: %v", err)
		}
	})
	select {
	case <-p.OnLine(`"msg":"watching"`, 1):
	case <-p.Done():
		r.t.Fatalf("daemon exited at start: %v\n%s", p.Err(), harness.Tail(r.log, 30))
	case <-time.After(20 * time.Second):
		r.t.Fatalf("daemon not watching after 20s:\n%s", harness.Tail(r.log, 30))
	}
}

// alive fails the test if the daemon exited.
func (r *rig) alive() {
	r.t.Helper()
	if r.p.Exited() {
		r.t.Fatalf("the daemon exited (%v):\n%s", r.p.Err(), harness.Tail(r.log, 40))
	}
}

// docs writes n new documents into dir (default the inbox) and returns them.
func (r *rig) docs(tag string, n int, dir string) []harness.Doc {
	r.t.Helper()
	if dir == "" {
		dir = r.cfg.Inbox
	}
	ds := harness.NewDocs(r.rng, fmt.Sprintf("%s%d", tag, r.seed), n)
	for _, d := range ds {
		if err := d.Write(dir); err != nil {
			r.t.Fatal(err)
		}
	}
	return ds
}

// outputContents hashes the output folder (cached by path).
func (r *rig) outputContents() map[string][]string {
	out := map[string][]string{}
	journal := filepath.Join(r.cfg.Output, sorter.JournalName)
	filepath.WalkDir(r.cfg.Output, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == journal || strings.HasSuffix(p, ".error.txt") || !d.Type().IsRegular() {
			return nil
		}
		sum, ok := r.hashed[p]
		if !ok {
			s, err := harness.FileSHA(p)
			if err != nil {
				return nil
			}
			sum = s
			r.hashed[p] = s
		}
		out[sum] = append(out[sum], p)
		return nil
	})
	return out
}

// waitFiled waits until every content of want is in the output.
func (r *rig) waitFiled(want map[string]string, timeout time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := r.outputContents()
		var missing []string
		for sum, name := range want {
			if len(got[sum]) == 0 {
				missing = append(missing, fmt.Sprintf("%q", name))
			}
		}
		if len(missing) == 0 {
			return
		}
		r.alive()
		if time.Now().After(deadline) {
			sort.Strings(missing)
			r.t.Fatalf("after %s, %d of %d files not filed: %s\nlog:\n%s", timeout, len(missing), len(want),
				strings.Join(missing[:min(len(missing), 10)], ", "), harness.Tail(r.log, 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// check compares the output with want and fails on any problem. A file's
// journal line is written just after its move, so a problem is only taken
// as one when it is still there a few seconds later.
func (r *rig) check(want map[string]string, keep func(string) bool) *harness.Check {
	r.t.Helper()
	c := r.settledCheck(want, keep)
	r.t.Log(c.Summary())
	for _, pr := range c.Problems(10) {
		r.t.Error(pr)
	}
	return c
}

// settledCheck runs CheckOutput until it finds no problem, for up to 5 s.
func (r *rig) settledCheck(want map[string]string, keep func(string) bool) *harness.Check {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := harness.CheckOutput(r.cfg.Inbox, r.cfg.Output, want, keep)
		if err != nil {
			r.t.Fatal(err)
		}
		if len(c.Problems(1)) == 0 || time.Now().After(deadline) {
			return c
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// settleRounds waits long enough for a few settle periods and rescans to
// pass, so that a file the daemon should ignore has had every chance to be
// picked up by mistake.
func (r *rig) settleRounds() {
	time.Sleep(3*r.cfg.Rescan + 3*r.cfg.Settle + 500*time.Millisecond)
	r.alive()
}

func wantOf(ds ...[]harness.Doc) map[string]string {
	m := map[string]string{}
	for _, l := range ds {
		for _, d := range l {
			m[d.SHA] = d.Name
		}
	}
	return m
}

// unprivileged returns credentials for running the daemon as nobody when
// the test runs as root (where chmod 000 stops nothing), after handing it
// the rig's folders; nil when not root.
func (r *rig) unprivileged() *syscall.Credential {
	if os.Geteuid() != 0 {
		return nil
	}
	const nobody = 65534
	filepath.WalkDir(r.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && (r.srvData == "" || p != r.srvData && !strings.HasPrefix(p, r.srvData+string(filepath.Separator))) {
			os.Lchown(p, nobody, nobody)
		}
		return nil
	})
	return &syscall.Credential{Uid: nobody, Gid: nobody}
}
