package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
	"github.com/classifyd/classifyd/internal/testutil"
)

const testRules = `
rules:
  - type: fruit
    description: "apple banana orchard fruit harvest"
  - type: vehicle
    description: "car engine wheels vehicle garage"
    folder: Garage/Cars
`

// settings are the daemon tests' timings: small batches and short waits,
// two retries of a failed job.
const settings = "min_confidence: 0\nbatch: {size: 3, window: 20ms, concurrency: 2}\npoll: {min_interval: 5ms, max_interval: 50ms, job_retries: 2}\nwatch: {settle: 50ms, rescan_interval: 0s}\n"

type env struct {
	t                   *testing.T
	dir, in, out, state string
	cfg                 *config.Config
}

func newEnv(t *testing.T, extra string) *env {
	t.Helper()
	f := testutil.NewFolders(t)
	return &env{t: t, dir: f.Dir, in: f.In, out: f.Out, state: f.State, cfg: f.Config(t, settings, extra, testRules)}
}

func (e *env) write(rel, text string) string {
	e.t.Helper()
	return testutil.Write(e.t, e.in, rel, text)
}

func (e *env) localBackend(ctx context.Context) api.Backend {
	e.t.Helper()
	return testutil.KeywordBackend(e.t, ctx)
}

// run runs the daemon (once mode unless o.Once is preset false by caller) and returns reports.
func (e *env) run(ctx context.Context, be api.Backend, mod func(*Options)) ([]sorter.Entry, error) {
	d, done := e.build(be, mod)
	err := d.Run(ctx)
	return done(), err
}

// build opens e's state and builds a daemon on be (once mode, short
// retries; mod changes the options). done closes the state and returns the
// entries the daemon reported.
func (e *env) build(be api.Backend, mod func(*Options)) (d *Daemon, done func() []sorter.Entry) {
	st, err := state.Open(e.state, state.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	var mu sync.Mutex
	var got []sorter.Entry
	o := Options{Config: e.cfg, Backend: be, Store: st, Once: true, RetryBase: 5 * time.Millisecond, RetryMax: 50 * time.Millisecond,
		Report: func(en sorter.Entry) { mu.Lock(); got = append(got, en); mu.Unlock() }}
	if mod != nil {
		mod(&o)
	}
	d, err = New(o)
	if err != nil {
		st.Close()
		e.t.Fatal(err)
	}
	return d, func() []sorter.Entry {
		st.Close()
		mu.Lock()
		defer mu.Unlock()
		return append([]sorter.Entry(nil), got...)
	}
}

func (e *env) journal() []sorter.Entry {
	e.t.Helper()
	return testutil.Journal(e.t, e.out)
}

func TestOnceFilesByType(t *testing.T) {
	e := newEnv(t, "")
	e.write("a.txt", "the apple harvest in the orchard, banana too")
	e.write("sub/b.txt", "my car engine needs new wheels from the garage")
	e.write("c.txt", "nothing to see here at all")
	e.write("d.txt", "more apple fruit")
	e.write("e.txt", "vehicle with engine")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	be := e.localBackend(ctx)
	got, err := e.run(ctx, be, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("reported %d files, want 5: %+v", len(got), got)
	}
	// Every job was released once its outcome was recorded: the in-process
	// engine holds nothing for a daemon that runs for months.
	lb := be.(*local.Backend)
	if jobs, err := lb.ListJobsPage(ctx, api.PageRequest{}); err != nil || len(jobs.Items) != 0 {
		t.Errorf("backend still holds %d jobs (%v)", len(jobs.Items), err)
	}
	if fs, err := lb.ListFilesPage(ctx, local.FileQuery{}, api.PageRequest{}); err != nil || len(fs.Items) != 0 {
		t.Errorf("backend still holds %d files (%v)", len(fs.Items), err)
	}
	out := testutil.Tree(t, e.out)
	for rel, want := range map[string]string{
		"fruit/a.txt": "apple", "Garage/Cars/b.txt": "car", "_unmatched/c.txt": "nothing", "fruit/d.txt": "apple", "Garage/Cars/e.txt": "vehicle",
	} {
		if !strings.Contains(out[rel], want) {
			t.Errorf("%s: %q missing; output holds %v", rel, want, keys(out))
		}
	}
	if left := testutil.Tree(t, e.in); len(left) != 0 {
		t.Errorf("inbox not empty: %v", left)
	}
	j := e.journal()
	if len(j) != 5 {
		t.Fatalf("journal has %d lines, want 5", len(j))
	}
	for _, en := range j {
		if en.Source == "" || en.Dest == "" || en.JobID == "" {
			t.Errorf("journal line incomplete: %+v", en)
		}
	}
	// A second run finds nothing and files nothing twice.
	got, err = e.run(ctx, e.localBackend(ctx), nil)
	if err != nil || len(got) != 0 || len(e.journal()) != 5 {
		t.Fatalf("second run: %d reports, %d journal lines, %v", len(got), len(e.journal()), err)
	}
}

func TestDuplicatesSkipped(t *testing.T) {
	e := newEnv(t, "")
	e.write("a.txt", "apple orchard")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.run(ctx, e.localBackend(ctx), nil); err != nil {
		t.Fatal(err)
	}
	e.write("copy.txt", "apple orchard")
	cl := &countingBackend{Backend: e.localBackend(ctx)}
	got, err := e.run(ctx, cl, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Folder != "duplicate" {
		t.Fatalf("duplicate: %+v", got)
	}
	if _, err := os.Stat(filepath.Join(e.out, "_duplicates", "copy.txt")); err != nil {
		t.Fatal(err)
	}
	if cl.jobs.Load() != 0 {
		t.Fatalf("a duplicate was classified again (%d jobs)", cl.jobs.Load())
	}
}

func TestDryRunMovesNothing(t *testing.T) {
	e := newEnv(t, "")
	e.write("a.txt", "apple orchard")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := e.run(ctx, e.localBackend(ctx), func(o *Options) { o.DryRun = true })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Dest != filepath.Join(e.out, "fruit", "a.txt") {
		t.Fatalf("dry run: %+v", got)
	}
	if _, err := os.Stat(filepath.Join(e.in, "a.txt")); err != nil {
		t.Fatal("dry run moved the file")
	}
	if _, err := os.Stat(filepath.Join(e.out, "fruit")); err == nil {
		t.Fatal("dry run created a type folder")
	}
}

// countingBackend counts calls.
type countingBackend struct {
	api.Backend
	uploads, jobs atomic.Int64
}

func (c *countingBackend) Upload(ctx context.Context, p string, o api.UploadOptions) (api.File, error) {
	c.uploads.Add(1)
	return c.Backend.Upload(ctx, p, o)
}
func (c *countingBackend) CreateJob(ctx context.Context, r api.CreateJobRequest) (api.ClassifyJob, error) {
	c.jobs.Add(1)
	return c.Backend.CreateJob(ctx, r)
}

// hostile answers with whatever the test says for each file, plus junk.
type hostile struct {
	mu     sync.Mutex
	files  map[string]string // remote id → path
	jobs   map[string][]string
	answer func(path string) *api.ItemResult
	n      int
}

var _ api.Backend = (*hostile)(nil)

func (h *hostile) Upload(ctx context.Context, p string, o api.UploadOptions) (api.File, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n++
	id := fmt.Sprintf("f%d", h.n)
	h.files[id] = p
	return api.File{ID: id, Name: o.Name}, nil
}
func (h *hostile) CreateJob(ctx context.Context, r api.CreateJobRequest) (api.ClassifyJob, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n++
	id := fmt.Sprintf("j%d", h.n)
	h.jobs[id] = r.FileIDs
	return api.ClassifyJob{ID: id, Status: api.StatusPending}, nil
}
func (h *hostile) GetJob(ctx context.Context, id string) (api.ClassifyJob, error) {
	return api.ClassifyJob{ID: id, Status: api.StatusSuccess}, nil
}
func (h *hostile) Results(ctx context.Context, id string, each func(api.ResultItem) error) error {
	h.mu.Lock()
	ids := h.jobs[id]
	h.mu.Unlock()
	// Results for files never given, then every real one twice.
	each(api.ResultItem{ID: "x", FileID: api.Ptr("never-uploaded"), Result: &api.ItemResult{Type: api.Ptr("fruit"), Confidence: 1}})
	for range 2 {
		for _, fid := range ids {
			h.mu.Lock()
			p := h.files[fid]
			h.mu.Unlock()
			if err := each(api.ResultItem{ID: "r" + fid, FileID: api.Ptr(fid), Result: h.answer(p)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestHostileAnswers(t *testing.T) {
	e := newEnv(t, "")
	answers := map[string]*api.ItemResult{
		"dotdot.txt":   {Type: api.Ptr("../../etc"), Confidence: 0.9},
		"abs.txt":      {Type: api.Ptr("/abs"), Confidence: 0.9},
		"slash.txt":    {Type: api.Ptr("a/b"), Confidence: 0.9},
		"dots.txt":     {Type: api.Ptr(".."), Confidence: 0.9},
		"nul.txt":      {Type: api.Ptr("fr\x00uit"), Confidence: 0.9},
		"long.txt":     {Type: api.Ptr(strings.Repeat("x", 4096)), Confidence: 0.9},
		"nan.txt":      {Type: api.Ptr("fruit"), Confidence: math.NaN()},
		"seven.txt":    {Type: api.Ptr("fruit"), Confidence: 7},
		"neg.txt":      {Type: api.Ptr("fruit"), Confidence: -1},
		"low.txt":      {Type: api.Ptr("fruit"), Confidence: 0.1},
		"good.txt":     {Type: api.Ptr("fruit"), Confidence: 0.9},
		"null.txt":     {Type: nil, Confidence: 0.9},
		"noresult.txt": nil,
	}
	e.cfg.MinConfidence = 0.5
	for name := range answers {
		e.write(name, "content of "+name)
	}
	h := &hostile{files: map[string]string{}, jobs: map[string][]string{}, answer: func(p string) *api.ItemResult { return answers[filepath.Base(p)] }}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := e.run(ctx, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	where := map[string]string{}
	for _, en := range got {
		where[filepath.Base(en.Source)] = en.Folder
		if !strings.HasPrefix(en.Dest, e.out+string(filepath.Separator)) {
			t.Errorf("%s written outside the output: %q", en.Source, en.Dest)
		}
	}
	want := map[string]string{"good.txt": "fruit", "low.txt": "review", "noresult.txt": "failed"}
	for name := range answers {
		w, ok := want[name]
		if !ok {
			w = "unmatched"
		}
		if where[name] != w {
			t.Errorf("%s went to %q, want %q", name, where[name], w)
		}
	}
	// Nothing but the configured folders exists under output.
	ents, _ := os.ReadDir(e.out)
	for _, en := range ents {
		switch en.Name() {
		case "fruit", "Garage", "_unmatched", "_review", "_failed", "_duplicates", sorter.JournalName:
		default:
			t.Errorf("unexpected entry in output: %q", en.Name())
		}
	}
	note, err := os.ReadFile(filepath.Join(e.out, "_failed", "noresult.txt.error.txt"))
	if err != nil || !strings.Contains(string(note), "no result") {
		t.Errorf("error note: %q %v", note, err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "etc")); err == nil {
		t.Error("a hostile type created a folder outside the output")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

var _ = json.Marshal

// hinting records the read-ahead hints the daemon gives its backend.
type hinting struct {
	api.Backend
	mu    sync.Mutex
	hints map[string]int
	mode  api.Mode
}

func (h *hinting) Prefetch(path string, mode api.Mode, pc api.ParsingConfiguration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hints[path]++
	h.mode = mode
}

// Each file queued for classification is announced to a backend that can
// read ahead, once, with the configured mode; a duplicate of a filed file,
// which is never classified, is not.
func TestPrefetchHints(t *testing.T) {
	e := newEnv(t, "")
	a := e.write("a.txt", "apple orchard")
	b := e.write("sub/b.txt", "car engine and wheels")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := &hinting{Backend: e.localBackend(ctx), hints: map[string]int{}}
	if _, err := e.run(ctx, h, nil); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	if len(h.hints) != 2 || h.hints[a] != 1 || h.hints[b] != 1 || h.mode != e.cfg.Mode {
		t.Fatalf("hints %v (mode %q), want one for each of %s and %s (mode %q)", h.hints, h.mode, a, b, e.cfg.Mode)
	}
	h.mu.Unlock()
	dup := e.write("copy.txt", "apple orchard")
	if _, err := e.run(ctx, h, nil); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hints[dup] != 0 {
		t.Fatalf("a duplicate was announced for classification: %v", h.hints)
	}
}

func TestIdleWait(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		name     string
		next     time.Time
		min, max time.Duration
	}{
		{"nothing due: maxIdle", time.Time{}, maxIdle, maxIdle},
		{"due later: until then", now.Add(3 * time.Second), 2 * time.Second, 3 * time.Second},
		{"due after maxIdle: maxIdle", now.Add(time.Hour), maxIdle, maxIdle},
		{"overdue: a millisecond", now.Add(-time.Minute), time.Millisecond, time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := idleWait(c.next); got < c.min || got > c.max {
				t.Fatalf("idleWait = %v, want %v to %v", got, c.min, c.max)
			}
		})
	}
}
