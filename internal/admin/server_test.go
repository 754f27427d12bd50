package admin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/state"
	"github.com/classifyd/classifyd/internal/watch"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// fakeDaemon is a daemon with a real store whose loops stall on demand.
type fakeDaemon struct {
	st      *state.Store
	stalled atomic.Bool
}

var _ Daemon = (*fakeDaemon)(nil)

func (f *fakeDaemon) Store() *state.Store { return f.st }
func (f *fakeDaemon) Stalled(time.Duration) []string {
	if f.stalled.Load() {
		return []string{"poll"}
	}
	return nil
}
func (f *fakeDaemon) WatcherStats() watch.Stats    { return watch.Stats{Rescans: 1, Emitted: 5} }
func (f *fakeDaemon) Progress() (done, seen int64) { return 5, 5 }
func (f *fakeDaemon) Failed() int64                { return 1 }

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

func parseMetrics(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

func TestServer(t *testing.T) {
	e := newEnv(t)
	e.sample()
	e.once()
	st := e.open()
	defer st.Close()
	// One file waiting, as if just dropped.
	if _, err := st.Enqueue([]state.Stat{{Path: filepath.Join(e.in, "new.txt"), Size: 1, ModTime: time.Now(), SHA256: "ab"}}); err != nil {
		t.Fatal(err)
	}
	srv := New(Options{Config: e.cfg})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()

	// Before the daemon exists: alive but neither healthy nor ready.
	for _, path := range []string{"/healthz", "/readyz", "/status"} {
		if code, _ := get(t, hs.URL+path); code != http.StatusServiceUnavailable {
			t.Fatalf("%s before the daemon: %d", path, code)
		}
	}
	fd := &fakeDaemon{st: st}
	srv.SetDaemon(fd)
	if code, body := get(t, hs.URL+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz %d %q", code, body)
	}
	if code, _ := get(t, hs.URL+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("readyz before ready: %d", code)
	}
	srv.SetReady()
	if code, _ := get(t, hs.URL+"/readyz"); code != 200 {
		t.Fatalf("readyz %d", code)
	}
	fd.stalled.Store(true)
	if code, body := get(t, hs.URL+"/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "poll") {
		t.Fatalf("healthz while stalled: %d %q", code, body)
	}
	fd.stalled.Store(false)

	// /metrics: the gauges come from the state at scrape time.
	code, body := get(t, hs.URL+"/metrics")
	if code != 200 {
		t.Fatal(code)
	}
	mfs := parseMetrics(t, body)
	if g := mfs["classifyd_files_queued"]; g == nil || g.Metric[0].GetGauge().GetValue() != 1 {
		t.Fatalf("files_queued: %v", g)
	}
	if g := mfs["classifyd_files_in_flight"]; g == nil || g.Metric[0].GetGauge().GetValue() != 0 {
		t.Fatalf("files_in_flight: %v", g)
	}
	if mfs["go_goroutines"] == nil {
		t.Fatal("no Go collector")
	}

	// /status through the client.
	c := NewClient(strings.TrimPrefix(hs.URL, "http://"))
	s, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !s.Running || !s.Ready || s.Queued != 1 || s.Counts["filed"] != 4 || len(s.Failures) != 1 ||
		s.Run == nil || s.Run.Done != 5 || s.Watcher == nil || s.Watcher.Emitted != 5 {
		t.Fatalf("%+v", s)
	}

	// POST /retry: JSON only.
	resp, err := http.Post(hs.URL+"/retry", "text/plain", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("retry as text/plain: %d", resp.StatusCode)
	}
	if _, err := c.Retry(context.Background(), RetryRequest{Files: []string{"relative.txt"}}); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Fatalf("relative path: %v", err)
	}
	rep, err := c.Retry(context.Background(), RetryRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Moved() != 1 {
		t.Fatalf("%+v", rep)
	}
	if _, err := os.Stat(filepath.Join(e.in, "blob.bin")); err != nil {
		t.Fatal("retry did not move the failed file back:", err)
	}
	if code, _ := get(t, hs.URL+"/nope"); code != http.StatusNotFound {
		t.Fatal(code)
	}
}

func TestServeShutsDown(t *testing.T) {
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(Options{}).Serve(ctx, ln) }()
	if code, _ := get(t, "http://"+ln.Addr().String()+"/"); code != 200 {
		t.Fatal(code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	l2, err := Listen(ln.Addr().String())
	if err != nil {
		t.Fatal("port still held:", err)
	}
	l2.Close()
}
