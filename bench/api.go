package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// runAPI measures API economy: `classifyd once` with the llamacloud backend
// against `classifyd serve` behind a proxy that adds a fixed latency to
// every request, at several batch.concurrency values. The proxy counts the
// requests by kind.
func runAPI(ctx context.Context, e *env) ([]*table, error) {
	n, lat := e.sz.apiFiles, e.sz.apiLatency
	t := &table{
		title: fmt.Sprintf("API economy: %s files through `classifyd serve` behind a proxy adding %s to every request", fmtCount(n), fmtDur(lat)),
		header: []string{"concurrency", "wall", "files/s", "uploads", "jobs", "job polls", "result pages", "other",
			"requests / file", "calls / batch besides uploads", "≤ 1 upload + 3 calls / batch"},
	}
	dir, err := e.mkdir(e.work, "api")
	if err != nil {
		return nil, err
	}
	defer e.cleanup(dir)

	// The server, on a loopback port of its own choosing.
	srv, line, err := startDaemon(e.bin, []string{"serve", "--listen", "127.0.0.1:0", "--data", filepath.Join(dir, "serve")},
		filepath.Join(dir, "serve.log"), "listening on http://", nil)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	target, err := url.Parse(strings.TrimSpace(line[strings.Index(line, "http://"):]))
	if err != nil {
		return nil, fmt.Errorf("serve's address %q: %w", line, err)
	}
	p := &slowProxy{latency: lat, next: httputil.NewSingleHostReverseProxy(target)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String()

	var prevWall time.Duration
	falling := true
	for i, c := range e.sz.apiConc {
		if ctx.Err() != nil {
			return []*table{t}, ctx.Err()
		}
		run := filepath.Join(dir, fmt.Sprintf("c%d", c))
		bc := benchConfig{inbox: filepath.Join(run, "inbox"), output: filepath.Join(run, "out"), state: filepath.Join(run, "state", "classifyd.db"),
			backend: "llamacloud", baseURL: base, conc: c}
		if err := os.MkdirAll(bc.inbox, 0o755); err != nil {
			return nil, err
		}
		if err := makeSmallTexts(bc.inbox, n, uint64(100+c)); err != nil {
			return nil, err
		}
		cfg := filepath.Join(run, "classifyd.yaml")
		if err := bc.write(cfg); err != nil {
			return nil, err
		}
		p.reset()
		e.logf("api: %d files at concurrency %d, %s per request", n, c, lat)
		res, err := runOnce(ctx, e, cfg, filepath.Join(run, "once.log"), "LLAMA_CLOUD_API_KEY=bench")
		if err != nil {
			return []*table{t}, err
		}
		if f := filedCount(res.stdout); f != n {
			return []*table{t}, fmt.Errorf("concurrency %d: filed %d of %d files", c, f, n)
		}
		k := p.counts()
		jobs := k["jobs"]
		calls := k["jobs"] + k["poll"] + k["results"] + k["other"]
		perBatch := 0.0
		if jobs > 0 {
			perBatch = float64(calls) / float64(jobs)
		}
		total := calls + k["upload"]
		ok := k["upload"] <= n && perBatch <= 3
		t.add(fmt.Sprint(c), fmtDur(res.wall), fmtRate(float64(n), res.wall), fmt.Sprint(k["upload"]), fmt.Sprint(jobs),
			fmt.Sprint(k["poll"]), fmt.Sprint(k["results"]), fmt.Sprint(k["other"]),
			fmt.Sprintf("%.2f", float64(total)/float64(n)), fmt.Sprintf("%.2f", perBatch), verdict(ok))
		if i > 0 && res.wall >= prevWall {
			falling = false
		}
		prevWall = res.wall
	}
	t.note("**Time falls with concurrency: %s.**", verdict(falling))
	t.note("Small generated text files (eight types), batch size 50 (default), window 2 s, poll.min_interval default; " +
		"`classifyd serve` runs the embedded engine on the same machine. \"jobs\" is POST /classifier/jobs (one per batch), " +
		"\"job polls\" GET /classifier/jobs/{id}, \"result pages\" GET …/results; \"other\" is any other request. Retries count as requests.")
	return []*table{t}, nil
}

// slowProxy forwards every request after sleeping latency, counting
// requests by kind.
type slowProxy struct {
	latency time.Duration
	next    http.Handler
	mu      sync.Mutex
	n       map[string]int
}

func (p *slowProxy) reset() {
	p.mu.Lock()
	p.n = map[string]int{}
	p.mu.Unlock()
}

func (p *slowProxy) counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.n {
		out[k] = v
	}
	return out
}

// kind names a request for the counts.
func kind(r *http.Request) string {
	path := r.URL.Path
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/beta/files"):
		return "upload"
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/classifier/jobs"):
		return "jobs"
	case r.Method == http.MethodGet && strings.HasSuffix(path, "/results"):
		return "results"
	case r.Method == http.MethodGet && strings.Contains(path, "/classifier/jobs/"):
		return "poll"
	}
	return "other"
}

func (p *slowProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if p.n == nil {
		p.n = map[string]int{}
	}
	p.n[kind(r)]++
	p.mu.Unlock()
	select {
	case <-time.After(p.latency):
	case <-r.Context().Done():
		return
	}
	p.next.ServeHTTP(w, r)
}
