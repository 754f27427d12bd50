package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/admin"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/daemon"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/metrics"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
	"github.com/classifyd/classifyd/internal/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// cmdEnv is a temporary classifyd: config file, inbox, output, state, and
// the keyword classifier instead of the embedded engine (fast, and the same
// for every run).
type cmdEnv struct {
	t                           *testing.T
	dir, in, out, state, config string
}

func newCmdEnv(t *testing.T) *cmdEnv {
	t.Helper()
	f := testutil.NewFolders(t)
	e := &cmdEnv{t: t, dir: f.Dir, in: f.In, out: f.Out, state: f.State, config: filepath.Join(f.Dir, "classifyd.yaml")}
	if err := os.WriteFile(e.config, []byte(f.YAML(testutil.Fast, testutil.Rules)), 0o644); err != nil {
		t.Fatal(err)
	}
	old := newLocalClassifier
	newLocalClassifier = func(context.Context, *config.Config, string, *slog.Logger) (local.Classifier, func() error, error) {
		return local.KeywordClassifier{PDFToText: "-"}, func() error { return nil }, nil
	}
	t.Cleanup(func() { newLocalClassifier = old })
	return e
}

func (e *cmdEnv) write(rel, text string) {
	e.t.Helper()
	testutil.Write(e.t, e.in, rel, text)
}

// sample writes testutil.Sample's mixed inbox and a second fruit.
func (e *cmdEnv) sample() {
	e.t.Helper()
	testutil.Sample(e.t, e.in)
	e.write("bananas.txt", "banana fruit, more fruit")
}

// cmd runs a command in-process and returns its exit error, stdout and stderr.
func (e *cmdEnv) cmd(ctx context.Context, f func(context.Context, []string, io.Writer, io.Writer) error, args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = f(ctx, args, &out, &errb)
	return out.String(), errb.String(), err
}

// notifySocket listens like systemd and collects what it is told.
type notifySocket struct {
	mu   sync.Mutex
	msgs []string
	conn *net.UnixConn
	done chan struct{}
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	name := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	ns := &notifySocket{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(ns.done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			ns.mu.Lock()
			ns.msgs = append(ns.msgs, string(buf[:n]))
			ns.mu.Unlock()
		}
	}()
	t.Setenv("NOTIFY_SOCKET", name)
	t.Setenv("WATCHDOG_USEC", "100000") // 100 ms: answered every 50 ms
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	t.Cleanup(func() { conn.Close(); <-ns.done })
	return ns
}

func (ns *notifySocket) messages() []string {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return append([]string(nil), ns.msgs...)
}

// eventually polls cond until it holds (a condition the test waits for, with
// a deadline; never a sleep that hopes).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func gather(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// sum adds a family's counter or gauge values (0 if absent).
func sum(mfs map[string]*dto.MetricFamily, name string) float64 {
	var s float64
	if mf := mfs[name]; mf != nil {
		for _, m := range mf.Metric {
			s += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return s
}

func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

func httpCode(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRunSystemdAndAdmin runs the daemon in-process under a fake systemd:
// notifications in order, metrics scraped and parsed, status from the admin
// endpoint, commands that need the state refused while it runs, retry
// through the endpoint.
func TestRunSystemdAndAdmin(t *testing.T) {
	e := newCmdEnv(t)
	e.sample()
	ns := listenNotify(t)
	oldEvery := statusEvery
	statusEvery = 20 * time.Millisecond
	defer func() { statusEvery = oldEvery }()
	base := gather(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrFile := filepath.Join(e.dir, "admin.addr")
	var stderr testutil.SyncBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- cmdRun(ctx, []string{"--config", e.config, "--admin", "127.0.0.1:0", "--admin-addr-file", addrFile, "--log-format", "json"}, io.Discard, &stderr)
	}()
	var addr string
	eventually(t, "the admin address file", func() bool {
		b, err := os.ReadFile(addrFile)
		addr = strings.TrimSpace(string(b))
		return err == nil && addr != ""
	})
	client := admin.NewClient(addr)
	var st *admin.Status
	eventually(t, "five files filed", func() bool {
		s, err := client.Status(ctx)
		if err == nil {
			st = s
		}
		// The journal line and the counters follow the state's
		// transition: wait for all three.
		return err == nil && s.Counts["filed"]+s.Counts["failed"] == 5 && s.Queued+s.InFlight == 0 && s.Throughput.LastMinute == 5 &&
			sum(scrape(t, addr), "classifyd_files_filed_total")-sum(base, "classifyd_files_filed_total") >= 5
	})
	if !st.Running || !st.Ready || st.Counts["failed"] != 1 || len(st.Failures) != 1 || st.Throughput.LastMinute != 5 {
		t.Fatalf("status %+v", st)
	}
	if c := httpCode(t, "http://"+addr+"/healthz"); c != 200 {
		t.Fatalf("healthz %d", c)
	}
	if c := httpCode(t, "http://"+addr+"/readyz"); c != 200 {
		t.Fatalf("readyz %d", c)
	}

	// Metrics: this run's counts, parsed from the endpoint's text.
	mfs := scrape(t, addr)
	for _, tc := range []struct {
		name string
		want float64
	}{
		{"classifyd_files_filed_total", 5},
		{"classifyd_files_failed_total", 1},
		{"classifyd_files_seen_total", 5},
	} {
		if got := sum(mfs, tc.name) - sum(base, tc.name); got != tc.want {
			t.Errorf("%s: +%v, want +%v", tc.name, got, tc.want)
		}
	}
	if sum(mfs, "classifyd_jobs_submitted_total")-sum(base, "classifyd_jobs_submitted_total") < 2 {
		t.Error("want at least two jobs (batch size 3, five files)")
	}
	for _, g := range []string{"classifyd_files_queued", "classifyd_files_in_flight"} {
		if mfs[g] == nil || sum(mfs, g) != 0 {
			t.Errorf("%s: %v, want 0", g, mfs[g])
		}
	}
	typed := 0.0
	for _, m := range mfs["classifyd_files_filed_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "folder" && l.GetValue() == "type" {
				typed += m.GetCounter().GetValue()
			}
		}
	}
	if typed-labelled(base, "classifyd_files_filed_total", "folder", "type") != 3 {
		t.Errorf("filed by type: %v, want +3", typed)
	}

	// status --json through the endpoint.
	out, _, err := e.cmd(ctx, cmdStatus, "--admin", addr, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var js admin.Status
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if !js.Running || js.Counts["filed"] != 4 || js.Counts["failed"] != 1 || js.Inbox != e.in {
		t.Fatalf("status --json: %+v", js)
	}
	out, _, err = e.cmd(ctx, cmdStatus, "--admin", addr)
	if err != nil || !strings.Contains(out, "classifyd is running") || !strings.Contains(out, "blob.bin") {
		t.Fatalf("status: %v\n%s", err, out)
	}

	// The state is the daemon's: a direct look or change is refused, clearly.
	_, _, err = e.cmd(ctx, cmdStatus, "--config", e.config)
	if err == nil || !strings.Contains(err.Error(), "classifyd is running") || !strings.Contains(err.Error(), "--admin") {
		t.Fatalf("status without --admin while running: %v", err)
	}
	_, _, err = e.cmd(ctx, cmdUndo, "--config", e.config, "--all")
	if err == nil || !strings.Contains(err.Error(), "stop the daemon first") {
		t.Fatalf("undo while running: %v", err)
	}
	_, _, err = e.cmd(ctx, cmdRetry, "--config", e.config)
	if err == nil || !strings.Contains(err.Error(), "--admin") {
		t.Fatalf("retry without --admin while running: %v", err)
	}

	// retry through the endpoint: the failed file goes back and is filed again.
	out, _, err = e.cmd(ctx, cmdRetry, "--admin", addr)
	if err != nil || !strings.Contains(out, "1 files back in the inbox") {
		t.Fatalf("retry --admin: %v\n%s", err, out)
	}
	eventually(t, "the retried file filed again", func() bool {
		n := 0
		sorter.ReadJournal(filepath.Join(e.out, sorter.JournalName), func(en sorter.Entry) error {
			if filepath.Base(en.Source) == "blob.bin" && !en.Undo {
				n++
			}
			return nil
		})
		return n == 2
	})

	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}

	// systemd saw READY=1, then STATUS= lines and watchdog answers, STOPPING=1 last.
	// It was sent before run returned; the reader may not have taken it yet.
	eventually(t, "STOPPING=1 read from the socket", func() bool {
		m := ns.messages()
		return len(m) > 0 && strings.HasPrefix(m[len(m)-1], "STOPPING=1")
	})
	msgs := ns.messages()
	idx := func(pred func(string) bool) int {
		for i, m := range msgs {
			if pred(m) {
				return i
			}
		}
		return -1
	}
	ready := idx(func(m string) bool { return m == "READY=1" })
	status := idx(func(m string) bool { return strings.HasPrefix(m, "STATUS=queued ") })
	watchdog := idx(func(m string) bool { return m == "WATCHDOG=1" })
	stopping := idx(func(m string) bool { return strings.HasPrefix(m, "STOPPING=1") })
	if ready < 0 || status < ready || stopping < status || watchdog < 0 || stopping != len(msgs)-1 {
		t.Fatalf("ready %d status %d watchdog %d stopping %d of %d: %q", ready, status, watchdog, stopping, len(msgs), msgs)
	}
	if n := strings.Count(strings.Join(msgs, "\n"), "READY=1"); n != 1 {
		t.Fatalf("READY=1 sent %d times", n)
	}
	// One info line per filed file, with type and confidence.
	filedLines := 0
	for _, line := range strings.Split(stderr.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "filed" {
			filedLines++
			if rec["level"] != "INFO" || (rec["type"] == nil && rec["folder"] == nil) {
				t.Fatalf("filed line %s", line)
			}
			if rec["type"] != nil && rec["confidence"] == nil {
				t.Fatalf("filed line without confidence: %s", line)
			}
		}
	}
	if filedLines != 6 {
		t.Fatalf("%d filed lines, want 6 (5 + the retried file)\n%s", filedLines, stderr.String())
	}
}

func labelled(mfs map[string]*dto.MetricFamily, name, label, value string) float64 {
	var s float64
	for _, m := range mfs[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label && l.GetValue() == value {
				s += m.GetCounter().GetValue()
			}
		}
	}
	return s
}

// TestRunAdminAddressInUse: a taken admin address fails the start clearly.
func TestRunAdminAddressInUse(t *testing.T) {
	e := newCmdEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, _, err = e.cmd(context.Background(), cmdRun, "--config", e.config, "--admin", ln.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "admin endpoint") {
		t.Fatalf("got %v", err)
	}
}

func TestHelpHasExamples(t *testing.T) {
	for name, f := range map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"run": cmdRun, "status": cmdStatus, "undo": cmdUndo, "retry": cmdRetry,
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := f(context.Background(), []string{"--help"}, io.Discard, &out)
			if !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("got %v, want flag.ErrHelp", err)
			}
			if !strings.Contains(out.String(), "Usage: classifyd "+name) || !strings.Contains(out.String(), "Examples:\n  classifyd "+name) {
				t.Fatalf("help:\n%s", out.String())
			}
		})
	}
}

// TestServiceHealth: no daemon yet, or loops that do not turn, is unhealthy
// (the watchdog goes unanswered); loops turning is healthy.
func TestServiceHealth(t *testing.T) {
	e := newCmdEnv(t)
	cfg, err := config.Load(e.config)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOTIFY_SOCKET", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, err := startService(ctx, cfg, serviceFlags{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.stop()
	if err := svc.health(); err == nil || !strings.Contains(err.Error(), "not started") {
		t.Fatalf("before the daemon: %v", err)
	}
	if got := svc.statusLine(); got != "starting" {
		t.Fatalf("status before the daemon: %q", got)
	}
	st, err := state.Open(e.state, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lb, err := local.New(local.Options{Classifier: local.KeywordClassifier{PDFToText: "-"}})
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	o := daemon.Options{Config: cfg, Backend: lb, Store: st}
	readyCalled := false
	o.Ready = func() { readyCalled = true }
	svc.install(&o)
	d, err := daemon.New(o)
	if err != nil {
		t.Fatal(err)
	}
	svc.attach(d)
	// Created, never run: every loop is stalled.
	if err := svc.health(); err == nil || !strings.Contains(err.Error(), "stalled") {
		t.Fatalf("daemon not running: %v", err)
	}
	if got := svc.statusLine(); !strings.HasPrefix(got, "queued 0, in flight 0;") {
		t.Fatalf("status %q", got)
	}
	o.Ready()
	if !readyCalled || !svc.sup.IsReady() {
		t.Fatal("install must chain Ready and tell the supervisor")
	}
}
