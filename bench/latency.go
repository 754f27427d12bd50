package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// latencyPoll is how often the output folders are checked for a dropped
// file; it bounds the measurement's own error.
const latencyPoll = 2 * time.Millisecond

// latencyTimeout is how long one drop may take before the scenario fails.
const latencyTimeout = 2 * time.Minute

// runLatency drops files one at a time into a running `classifyd run` and
// measures drop → filed (the file appears in its folder), at the default
// settle and window (2 s each) and at 200 ms each.
func runLatency(ctx context.Context, e *env) ([]*table, error) {
	t := &table{
		title:  "Latency: drop → filed, one file at a time into a running `classifyd run`",
		header: []string{"settle / window", "drops", "p50", "p90", "p99", "max", "target (settle + window + 200 ms)", "p99 within", "peak RSS"},
	}
	corpus, err := loadCorpus(e.corpus)
	if err != nil {
		return nil, err
	}
	cases := []struct {
		settle, window time.Duration
		drops          int
		def            bool
	}{
		{2 * time.Second, 2 * time.Second, e.sz.drops, true},
		{200 * time.Millisecond, 200 * time.Millisecond, e.sz.fastDrops, false},
	}
	for _, c := range cases {
		if ctx.Err() != nil {
			return []*table{t}, ctx.Err()
		}
		lat, rss, err := latencyRun(ctx, e, corpus, c.settle, c.window, c.drops, c.def)
		if err != nil {
			return []*table{t}, err
		}
		slices.Sort(lat)
		target := c.settle + c.window + 200*time.Millisecond
		p99 := pct(lat, 99)
		label := fmt.Sprintf("%s / %s", fmtDur(c.settle), fmtDur(c.window))
		if c.def {
			label += " (defaults)"
		}
		t.add(label, fmt.Sprint(len(lat)), fmtDur(pct(lat, 50)), fmtDur(pct(lat, 90)), fmtDur(p99), fmtDur(lat[len(lat)-1]),
			fmtDur(target), verdict(p99 <= target), fmtMB(rss))
	}
	t.note("Each drop writes one file (the dev corpus's text-layer files round-robin, made unique; PDFs of up to 10 pages read) into the inbox and waits for it to appear in an output folder, checked every %s; the next drop follows at once. "+
		"Batch size 50 (default), poll.min_interval 500 ms (default), local backend. One warm-up drop (which also compiles PDFium) is not counted.", latencyPoll)
	if e.quick {
		t.note("--quick: few drops, so p99 is the maximum of a small sample.")
	}
	return []*table{t}, nil
}

// pct returns the p-th percentile (nearest rank) of sorted durations.
func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (p*len(sorted)+99)/100 - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func latencyRun(ctx context.Context, e *env, corpus []corpusFile, settle, window time.Duration, drops int, def bool) ([]time.Duration, int64, error) {
	dir, err := e.mkdir(e.work, "latency")
	if err != nil {
		return nil, 0, err
	}
	defer e.cleanup(dir)
	bc := benchConfig{inbox: filepath.Join(dir, "inbox"), output: filepath.Join(dir, "out"), state: filepath.Join(dir, "state", "classifyd.db")}
	if !def {
		bc.settle, bc.window = settle, window
	}
	for _, d := range []string{bc.inbox, bc.output} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, 0, err
		}
	}
	cfgPath := filepath.Join(dir, "classifyd.yaml")
	if err := bc.write(cfgPath); err != nil {
		return nil, 0, err
	}
	d, _, err := startDaemon(e.bin, []string{"run", "--config", cfgPath, "--log-level", "warn"}, filepath.Join(dir, "run.log"), "", nil)
	if err != nil {
		return nil, 0, err
	}
	stopped := false
	defer func() {
		if !stopped {
			d.stop()
		}
	}()
	r := rand.New(rand.NewPCG(uint64(drops), 3))
	drop := func(i int) (time.Duration, error) {
		var name string
		var data []byte
		if len(corpus) > 0 {
			c := corpus[i%len(corpus)]
			name, data = fmt.Sprintf("drop%04d-%s", i, c.name), c.unique(i)
		} else {
			k := kinds[i%len(kinds)]
			name, data = fmt.Sprintf("drop%04d-gen-%s.txt", i, k), []byte(genText(k, i, r))
		}
		start := time.Now()
		if err := os.WriteFile(filepath.Join(bc.inbox, name), data, 0o644); err != nil {
			return 0, err
		}
		folders := append([]string{"_review", "_unmatched", "_failed", "_duplicates"}, kinds...)
		deadline := start.Add(latencyTimeout)
		for {
			for _, f := range folders {
				if _, err := os.Lstat(filepath.Join(bc.output, f, name)); err == nil {
					return time.Since(start), nil
				}
			}
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-d.done:
				return 0, fmt.Errorf("classifyd run exited: %v\n%s", d.waitErr, tail(d.logPath, 15))
			case <-time.After(latencyPoll):
			}
			if time.Now().After(deadline) {
				return 0, fmt.Errorf("%s not filed within %s\n%s", name, latencyTimeout, tail(d.logPath, 15))
			}
		}
	}
	// Warm-up: a PDF (PDFium compiles on the first one).
	warm := 0
	for i, c := range corpus {
		if c.pdf {
			warm = i
			break
		}
	}
	if _, err := drop(warm + 10000); err != nil {
		return nil, 0, fmt.Errorf("warm-up drop: %w", err)
	}
	e.logf("latency: %d drops at settle %s, window %s", drops, settle, window)
	var lat []time.Duration
	for i := range drops {
		l, err := drop(i)
		if err != nil {
			return nil, 0, err
		}
		lat = append(lat, l)
		if (i+1)%25 == 0 {
			e.logf("latency: %d/%d drops, last %s", i+1, drops, fmtDur(l))
		}
	}
	rss := d.vmHWM()
	stopped = true
	if _, err := d.stop(); err != nil {
		return nil, 0, err
	}
	if len(lat) == 0 {
		return nil, 0, errors.New("no drops")
	}
	return lat, rss, nil
}
