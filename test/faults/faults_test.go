// Package faults_test runs the real classifyd binary (backend llamacloud)
// through a fault-injecting reverse proxy in front of a real API server
// (internal/server over internal/local, in this process). The proxy answers
// a share of requests with 429 + Retry-After, 500, 502, 503, connection
// resets (before and after the server did the work), stalls past the
// client's timeout, truncated bodies, and list pages with their items
// shuffled. Every file must still be filed, in the folder of its type, once;
// and the number of requests per file must stay small (no retry storms).
//
// Short by default (one fault-free baseline and 20 % of every fault over a
// hundred files); CLASSIFYD_LONG=1 adds more files and each fault alone at
// 50 %. CLASSIFYD_SEED replays a run.
package faults_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/test/harness"
)

var bin string

func TestMain(m *testing.M) { os.Exit(harness.Main(m, &bin)) }

// maxPerFile bounds proxy requests per file, amortised over a run: 10 up
// to a fault rate of 20 %, growing with the rate beyond.
func maxPerFile(rate float64) float64 { return 10 * max(1, 0.8/(1-rate)) }

// maxUploadAttempts bounds upload attempts of any one file (20 at 20 %).
func maxUploadAttempts(rate float64) int { return int(math.Ceil(12.8 / ((1 - rate) * (1 - rate)))) }

type faultCase struct {
	name   string
	rate   float64
	faults []harness.Fault
	files  int
	// latency per request (a slow server)
	latency time.Duration
}

func cases() []faultCase {
	cs := []faultCase{
		{name: "none", rate: 0, files: 60},
		{name: "all_20pct", rate: 0.2, faults: harness.AllFaults, files: 100},
		{name: "slow_429_10pct", rate: 0.1, faults: []harness.Fault{harness.FaultRateLimit}, files: 60, latency: 150 * time.Millisecond},
	}
	if testing.Short() {
		cs[1].files = 40
	}
	if harness.Long() {
		cs = append(cs, faultCase{name: "all_20pct_long", rate: 0.2, faults: harness.AllFaults, files: 1000})
		for _, f := range harness.AllFaults {
			cs = append(cs, faultCase{name: "only_" + string(f) + "_50pct", rate: 0.5, faults: []harness.Fault{f}, files: 40})
		}
	}
	return cs
}

func TestFaults(t *testing.T) {
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) { runFaults(t, c) })
	}
}

func runFaults(t *testing.T, fc faultCase) {
	seed := harness.Seed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 0xfa17))
	dir := harness.WorkDir(t)
	srv := harness.StartServer(t, filepath.Join(dir, "server"))
	proxy := harness.NewProxy(t, srv.URL, harness.ProxyOptions{Rate: fc.rate, Faults: fc.faults, Seed: seed, ShuffleLists: fc.rate > 0, Latency: fc.latency})
	cfg := harness.NewConfig(dir)
	cfg.Backend, cfg.BaseURL, cfg.Timeout = "llamacloud", proxy.URL, 2*time.Second
	conf := filepath.Join(dir, "classifyd.yaml")
	if err := cfg.Write(conf); err != nil {
		t.Fatal(err)
	}
	docs := harness.NewDocs(rng, fmt.Sprintf("f%d", seed), fc.files)
	want := map[string]string{}
	kind := map[string]string{}
	for _, d := range docs {
		if err := d.Write(cfg.Inbox); err != nil {
			t.Fatal(err)
		}
		want[d.SHA], kind[d.SHA] = d.Name, d.Kind
	}

	start := time.Now()
	logPath := filepath.Join(dir, "once.log")
	p, err := harness.Start(bin, []string{"once", "--config", conf, "--quiet", "--log-format", "json", "--log-level", "info"}, logPath, harness.ProcOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(3 * time.Minute); err != nil {
		t.Errorf("classifyd once: %v (every file should be filed despite the faults)\n%s", err, harness.Tail(logPath, 30))
	}
	took := time.Since(start)

	c, err := harness.CheckOutput(cfg.Inbox, cfg.Output, want, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range c.Problems(10) {
		t.Error(pr)
	}
	var wrong []string
	for sum, paths := range c.Filed {
		if got := filepath.Base(filepath.Dir(paths[0])); got != kind[sum] {
			wrong = append(wrong, fmt.Sprintf("%s in %s/, want %s/", want[sum], got, kind[sum]))
		}
		for _, e := range c.Journal[sum] {
			if e.Folder != kind[sum] {
				wrong = append(wrong, fmt.Sprintf("%s journaled as %q, want %q", want[sum], e.Folder, kind[sum]))
			}
		}
	}
	sort.Strings(wrong)
	if len(wrong) > 0 {
		t.Errorf("%d files in the wrong folder:\n  %s", len(wrong), strings.Join(wrong[:min(10, len(wrong))], "\n  "))
	}

	st := proxy.Stats()
	perFile := float64(st.Requests) / float64(fc.files)
	maxAtt, maxRecv, recv := 0, 0, 0
	for _, n := range st.Attempts {
		maxAtt = max(maxAtt, n)
	}
	for _, n := range st.Received {
		maxRecv = max(maxRecv, n)
		recv += n
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	jobs, err := harness.ListJobs(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	orphans := 0
	for _, j := range jobs {
		if !st.Polled[j.ID] {
			orphans++
		}
	}
	t.Logf("%s in %s: %s", fc.name, took.Round(time.Millisecond), c.Summary())
	t.Logf("proxy: %d requests (%.2f per file), faults injected: %s", st.Requests, perFile, harness.Top(st.ByFault, 20))
	t.Logf("proxy: by route: %s", harness.Top(st.ByRoute, 10))
	t.Logf("uploads: at most %d attempts for one file, %d received by the server for %d files (at most %d for one); jobs: %d created, %d never polled (created, but the answer was lost)",
		maxAtt, recv, fc.files, maxRecv, len(jobs), orphans)
	if b := maxPerFile(fc.rate); perFile > b {
		t.Errorf("retry storm: %.2f requests per file (bound %.1f)", perFile, b)
	}
	if b := maxUploadAttempts(fc.rate); maxAtt > b {
		t.Errorf("retry storm: one file was uploaded %d times (bound %d)", maxAtt, b)
	}
	// Classify v2: an upload and a create per file, and list polls shared by
	// the jobs due together.
	if fc.rate == 0 && (orphans > 0 || recv != fc.files || st.Requests > 2*fc.files+fc.files/4) {
		t.Errorf("fault-free run: %d requests, %d uploads, %d orphan jobs for %d files", st.Requests, recv, orphans, fc.files)
	}
}
