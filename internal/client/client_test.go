package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/local/backendtest"
	"github.com/classifyd/classifyd/internal/server"
)

const testKey = "k-123"

// faults wraps the real server: a fault function may answer a request
// instead of it. Every request is counted per path.
type faults struct {
	next http.Handler
	mu   sync.Mutex
	hits map[string]int
	// fault is called with the request and how many times its method+path
	// was seen before; it answers and returns true to inject a fault.
	fault func(w http.ResponseWriter, r *http.Request, seen int) bool
	// seenLength records the Content-Length of uploads.
	seenLength atomic.Int64
}

func (f *faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + r.URL.Path
	f.mu.Lock()
	seen := f.hits[key]
	f.hits[key]++
	fault := f.fault
	f.mu.Unlock()
	if r.Method == "POST" && r.URL.Path == "/api/v1/beta/files" {
		f.seenLength.Store(r.ContentLength)
	}
	if fault != nil && fault(w, r, seen) {
		return
	}
	f.next.ServeHTTP(w, r)
}

func (f *faults) count(method, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[method+" "+path]
}

func (f *faults) set(fn func(w http.ResponseWriter, r *http.Request, seen int) bool) {
	f.mu.Lock()
	f.fault = fn
	f.hits = map[string]int{}
	f.mu.Unlock()
}

type env struct {
	b  *local.Backend
	sc *local.Scoped // the backend as testKey's tenant sees it
	f  *faults
	ts *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	var srv *server.Server
	b, err := local.New(local.Options{Classifier: local.KeywordClassifier{}, Workers: 2,
		OnJobDone: func(j api.ClassifyJob) { srv.JobDone(j) }})
	if err != nil {
		t.Fatal(err)
	}
	srv = server.New(server.Options{Backend: b, APIKeys: []string{testKey}})
	f := &faults{next: srv, hits: map[string]int{}}
	ts := httptest.NewServer(f)
	go b.Run(context.Background())
	t.Cleanup(func() {
		ts.Close()
		b.Close()
		srv.Shutdown(context.Background())
	})
	return &env{b: b, sc: b.Scoped(server.KeyTenant(testKey)), f: f, ts: ts}
}

// fast are client options with small backoff knobs.
func (e *env) client(t *testing.T, mod func(*Options)) *Client {
	t.Helper()
	o := Options{BaseURL: e.ts.URL, APIKey: testKey, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, MaxRetries: 3}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestBehaviourOverHTTP(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) api.Backend {
		return newEnv(t).client(t, nil)
	})
}

func writeFile(t *testing.T, name, text string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoundTrip(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, func(o *Options) { o.PageSize = 2 })
	cx := ctx(t)
	var files []api.File
	for i, d := range backendtest.Docs {
		p := writeFile(t, d.Name, d.Text)
		f, err := c.Upload(cx, p, api.UploadOptions{ExternalFileID: fmt.Sprint("ext", i)})
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(len(d.Text)); api.Deref(f.FileSize) != want {
			t.Errorf("size %v, want %d", f.FileSize, want)
		}
		if e.f.seenLength.Load() <= int64(len(d.Text)) {
			t.Errorf("upload Content-Length %d: want the exact multipart length", e.f.seenLength.Load())
		}
		files = append(files, f)
	}
	got, err := c.GetFile(cx, files[1].ID)
	if err != nil || got.Name != files[1].Name || api.Deref(got.ExternalFileID) != "ext1" {
		t.Errorf("GetFile = %+v, %v", got, err)
	}
	var listed []string
	if err := c.ListFiles(cx, FileQuery{}, func(f api.File) error { listed = append(listed, f.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 3 || e.f.count("GET", "/api/v1/beta/files") != 2 {
		t.Errorf("ListFiles: %d files in %d requests", len(listed), e.f.count("GET", "/api/v1/beta/files"))
	}
	page, err := c.ListFilesPage(cx, FileQuery{ExternalFileID: "ext2"}, api.PageRequest{})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != files[2].ID {
		t.Errorf("ListFilesPage(ext2) = %+v, %v", page, err)
	}

	var jobIDs []string
	for range 3 {
		job, err := c.CreateJob(cx, api.CreateJobRequest{FileIDs: []string{files[0].ID, files[1].ID}, Rules: backendtest.Rules})
		if err != nil {
			t.Fatal(err)
		}
		jobIDs = append(jobIDs, job.ID)
	}
	for _, id := range jobIDs {
		backendtest.WaitTerminal(cx, t, c, id)
	}
	var jobs []string
	if err := c.ListJobs(cx, func(j api.ClassifyJob) error { jobs = append(jobs, j.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(jobs, ",") != strings.Join([]string{jobIDs[2], jobIDs[1], jobIDs[0]}, ",") {
		t.Errorf("ListJobs %v, want newest first of %v", jobs, jobIDs)
	}
	var types []string
	err = c.Results(cx, jobIDs[0], func(it api.ResultItem) error {
		types = append(types, api.Deref(it.Result.Type))
		return nil
	})
	if err != nil || strings.Join(types, ",") != "invoice,resume" {
		t.Errorf("Results = %v, %v", types, err)
	}

	if err := c.DeleteFile(cx, files[2].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetFile(cx, files[2].ID); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("GetFile(deleted) = %v, want ErrNotFound", err)
	}
	_, err = c.CreateJob(cx, api.CreateJobRequest{FileIDs: []string{files[2].ID}, Rules: backendtest.Rules})
	var ae *api.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 422 || !backendtest.HasLoc(ae.Issues, "body", "file_ids", 0) {
		t.Errorf("CreateJob(deleted file) = %v, want 422 at body.file_ids.0", err)
	}
}

func TestResultsPagination(t *testing.T) {
	e := newEnv(t)
	cx := ctx(t)
	var ids []string
	for range 250 {
		f, err := e.sc.AddUpload(cx, "inv.txt", strings.NewReader(backendtest.Docs[0].Text), api.UploadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	c := e.client(t, func(o *Options) { o.PageSize = 7 })
	job, err := c.CreateJob(cx, api.CreateJobRequest{FileIDs: ids, Rules: backendtest.Rules})
	if err != nil {
		t.Fatal(err)
	}
	backendtest.WaitTerminal(cx, t, c, job.ID)
	e.f.set(nil)
	var got []string
	err = c.Results(cx, job.ID, func(it api.ResultItem) error {
		got = append(got, *it.FileID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("%d results, want all 250 in file order", len(got))
	}
	if n := e.f.count("GET", "/api/v1/classifier/jobs/"+job.ID+"/results"); n != 36 {
		t.Errorf("%d result pages fetched, want 36", n)
	}
	stop := errors.New("stop")
	n := 0
	err = c.Results(cx, job.ID, func(api.ResultItem) error {
		if n++; n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Errorf("callback error: %v after %d", err, n)
	}
}

func TestRetries(t *testing.T) {
	e := newEnv(t)
	const jobs = "/api/v1/classifier/jobs"
	tests := []struct {
		name      string
		fault     func(w http.ResponseWriter, r *http.Request, seen int) bool
		key       string
		wantErr   int // status of the *api.APIError, 0 = success
		wantCalls int
		minTime   time.Duration
	}{
		{"429 with retry-after-ms then success", func(w http.ResponseWriter, r *http.Request, seen int) bool {
			if seen == 0 {
				w.Header().Set("Retry-After-Ms", "150")
				w.WriteHeader(429)
				return true
			}
			return false
		}, testKey, 0, 2, 150 * time.Millisecond},
		{"429 with Retry-After seconds then success", func(w http.ResponseWriter, r *http.Request, seen int) bool {
			if seen == 0 {
				w.Header().Set("Retry-After", "0.2")
				w.WriteHeader(429)
				return true
			}
			return false
		}, testKey, 0, 2, 200 * time.Millisecond},
		{"500 then success", func(w http.ResponseWriter, r *http.Request, seen int) bool {
			if seen == 0 {
				http.Error(w, `{"detail":"boom"}`, 500)
				return true
			}
			return false
		}, testKey, 0, 2, 0},
		{"408 and 409 retried", func(w http.ResponseWriter, r *http.Request, seen int) bool {
			switch seen {
			case 0:
				w.WriteHeader(408)
			case 1:
				w.WriteHeader(409)
			default:
				return false
			}
			return true
		}, testKey, 0, 3, 0},
		{"503 until retries run out", func(w http.ResponseWriter, r *http.Request, seen int) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(503)
			w.Write([]byte(`{"detail":"overloaded"}`))
			return true
		}, testKey, 503, 4, 0},
		{"x-should-retry false wins over 500", func(w http.ResponseWriter, r *http.Request, seen int) bool {
			w.Header().Set("X-Should-Retry", "false")
			w.WriteHeader(500)
			return true
		}, testKey, 500, 1, 0},
		{"x-should-retry true retries a 400", func(w http.ResponseWriter, r *http.Request, seen int) bool {
			if seen == 0 {
				w.Header().Set("X-Should-Retry", "true")
				w.WriteHeader(400)
				return true
			}
			return false
		}, testKey, 0, 2, 0},
		{"401 not retried", nil, "wrong", 401, 1, 0},
		{"connection dropped then success", func(w http.ResponseWriter, r *http.Request, seen int) bool {
			if seen == 0 {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
				}
				return true
			}
			return false
		}, testKey, 0, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hooks []string
			var mu sync.Mutex
			c := e.client(t, func(o *Options) {
				o.APIKey = tt.key
				o.OnRequest = func(method, path string, status int, retry bool) {
					mu.Lock()
					hooks = append(hooks, fmt.Sprint(method, " ", path, " ", status, " ", retry))
					mu.Unlock()
				}
			})
			e.f.set(tt.fault)
			start := time.Now()
			_, err := c.ListJobsPage(ctx(t), api.PageRequest{})
			elapsed := time.Since(start)
			if tt.wantErr == 0 && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.wantErr != 0 {
				var ae *api.APIError
				if !errors.As(err, &ae) || ae.StatusCode != tt.wantErr {
					t.Fatalf("err = %v, want APIError %d", err, tt.wantErr)
				}
				if tt.wantErr == 503 && ae.Detail != "overloaded" {
					t.Errorf("detail %q, want the server's", ae.Detail)
				}
			}
			if n := e.f.count("GET", jobs); n != tt.wantCalls {
				t.Errorf("%d requests, want %d", n, tt.wantCalls)
			}
			if elapsed < tt.minTime {
				t.Errorf("took %v, want at least %v (the server's retry-after)", elapsed, tt.minTime)
			}
			mu.Lock()
			if len(hooks) != tt.wantCalls || !strings.HasPrefix(hooks[0], "GET "+jobs) {
				t.Errorf("OnRequest calls %v", hooks)
			}
			mu.Unlock()
		})
	}
}

func TestUploadRetryResendsFile(t *testing.T) {
	e := newEnv(t)
	text := strings.Repeat("invoice total amount due. ", 4000)
	p := writeFile(t, "big.txt", text)
	e.f.set(func(w http.ResponseWriter, r *http.Request, seen int) bool {
		if seen == 0 {
			r.Body.Close()
			w.WriteHeader(502)
			return true
		}
		return false
	})
	c := e.client(t, nil)
	f, err := c.Upload(ctx(t), p, api.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if api.Deref(f.FileSize) != int64(len(text)) || e.f.count("POST", "/api/v1/beta/files") != 2 {
		t.Errorf("size %v after %d attempts", f.FileSize, e.f.count("POST", "/api/v1/beta/files"))
	}
	fh, _, err := e.sc.OpenFile(ctx(t), f.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	buf := make([]byte, len(text)+1)
	n, _ := fh.Read(buf)
	for n < len(text) {
		k, err := fh.Read(buf[n:])
		if err != nil {
			break
		}
		n += k
	}
	if string(buf[:n]) != text {
		t.Errorf("stored bytes differ from the file")
	}
}

func TestUploadOfChangedFile(t *testing.T) {
	e := newEnv(t)
	p := writeFile(t, "a.txt", "short")
	e.f.set(func(w http.ResponseWriter, r *http.Request, seen int) bool {
		os.WriteFile(p, []byte("much longer now"), 0o644)
		w.WriteHeader(503)
		return true
	})
	c := e.client(t, nil)
	_, err := c.Upload(ctx(t), p, api.UploadOptions{})
	if !errors.Is(err, ErrFileChanged) {
		t.Fatalf("err = %v, want ErrFileChanged", err)
	}
	if n := e.f.count("POST", "/api/v1/beta/files"); n != 1 {
		t.Errorf("%d attempts, want 1 (a changed file is not retried)", n)
	}
}

func TestCancelStopsRetries(t *testing.T) {
	e := newEnv(t)
	first := make(chan struct{})
	var once sync.Once
	e.f.set(func(w http.ResponseWriter, r *http.Request, seen int) bool {
		once.Do(func() { close(first) })
		w.Header().Set("Retry-After", "10")
		w.WriteHeader(503)
		return true
	})
	c := e.client(t, func(o *Options) { o.MaxRetries = 10 })
	cx, cancel := context.WithCancel(context.Background())
	go func() {
		<-first
		cancel()
	}()
	start := time.Now()
	_, err := c.GetJob(cx, "0190f000-0000-7000-8000-000000000000")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v after cancel", d)
	}
	if n := e.f.count("GET", "/api/v1/classifier/jobs/0190f000-0000-7000-8000-000000000000"); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestNotFound(t *testing.T) {
	e := newEnv(t)
	var routes []string
	c := e.client(t, func(o *Options) {
		o.OnRequest = func(method, route string, status int, retry bool) { routes = append(routes, route) }
	})
	_, err := c.GetJob(ctx(t), "0190f000-0000-7000-8000-000000000000")
	if len(routes) != 1 || routes[0] != "/api/v1/classifier/jobs/{id}" {
		t.Errorf("OnRequest routes %v", routes)
	}
	var ae *api.APIError
	if !errors.Is(err, api.ErrNotFound) || !errors.As(err, &ae) || !strings.Contains(ae.Detail, "not found") {
		t.Errorf("err = %v", err)
	}
	if e.f.count("GET", "/api/v1/classifier/jobs/0190f000-0000-7000-8000-000000000000") != 1 {
		t.Errorf("404 was retried")
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, func(o *Options) { o.RateLimit = 20 })
	start := time.Now()
	for range 5 {
		if _, err := c.ListJobsPage(ctx(t), api.PageRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Errorf("5 requests at 20/s took %v, want at least 200ms", d)
	}
}

func TestBackoffAndRetryAfter(t *testing.T) {
	c, err := New(Options{BaseURL: "http://x", RetryWaitMin: 100 * time.Millisecond, RetryWaitMax: time.Second, MaxRetryAfter: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for n, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		for range 20 {
			d := c.backoff(c.opts.RetryWaitMin, c.opts.RetryWaitMax, n, nil)
			if d > want || d < want*3/4 {
				t.Fatalf("attempt %d: %v, want %v less at most 25%%", n, d, want)
			}
		}
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	resp := func(h ...string) *http.Response {
		r := &http.Response{Header: http.Header{}}
		for i := 0; i < len(h); i += 2 {
			r.Header.Set(h[i], h[i+1])
		}
		return r
	}
	for _, tt := range []struct {
		resp *http.Response
		want time.Duration
		ok   bool
	}{
		{resp("Retry-After-Ms", "250"), 250 * time.Millisecond, true},
		{resp("Retry-After-Ms", "250", "Retry-After", "9"), 250 * time.Millisecond, true},
		{resp("Retry-After", "3"), 3 * time.Second, true},
		{resp("Retry-After", now.Add(7*time.Second).Format(http.TimeFormat)), 7 * time.Second, true},
		{resp("Retry-After", "soon"), 0, false},
		{resp(), 0, false},
		{nil, 0, false},
	} {
		got, ok := retryAfter(tt.resp, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%v) = %v %v, want %v %v", tt.resp, got, ok, tt.want, tt.ok)
		}
	}
	if d := c.backoff(0, 0, 0, resp("Retry-After", "3600")); d != 30*time.Second {
		t.Errorf("an hour's Retry-After gave %v, want the 30s cap", d)
	}
}

func TestEnvDefaults(t *testing.T) {
	t.Setenv("LLAMA_CLOUD_BASE_URL", "http://example.test:1234/")
	t.Setenv("LLAMA_CLOUD_API_KEY", "from-env")
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.base.String() != "http://example.test:1234" || c.opts.APIKey != "from-env" {
		t.Errorf("base %s key %q", c.base, c.opts.APIKey)
	}
	if _, err := New(Options{BaseURL: "ftp://x"}); err == nil {
		t.Error("ftp base URL accepted")
	}
	c, _ = New(Options{BaseURL: "http://h/prefix", ProjectID: "p", OrganizationID: "o"})
	if u := c.url("/api/v1/classifier/jobs", nil); u != "http://h/prefix/api/v1/classifier/jobs?organization_id=o&project_id=p" {
		t.Errorf("url %s", u)
	}
}

func TestBrokenBodyOfReadRetried(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, nil)
	// Two answers of GET /jobs are cut short, then the real one goes through.
	e.f.set(func(w http.ResponseWriter, r *http.Request, seen int) bool {
		if r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/api/v1/classifier/jobs") && seen < 2 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			w.Write([]byte(`{"items":[{"id":`))
			return true
		}
		return false
	})
	var n int
	if err := c.ListJobs(ctx(t), func(api.ClassifyJob) error { n++; return nil }); err != nil {
		t.Fatalf("list after broken answers: %v", err)
	}
	if got := e.f.count("GET", "/api/v1/classifier/jobs"); got != 3 {
		t.Fatalf("requests %d, want 3", got)
	}
	// A POST whose answer is broken is not retried: it may have taken effect.
	e.f.set(func(w http.ResponseWriter, r *http.Request, seen int) bool {
		if r.Method == "POST" && r.URL.Path == "/api/v1/classifier/jobs" {
			w.WriteHeader(200)
			w.Write([]byte(`{"id":`))
			return true
		}
		return false
	})
	if _, err := c.CreateJob(ctx(t), api.CreateJobRequest{FileIDs: []string{"x"}, Rules: []api.Rule{{Type: "a", Description: "b"}}}); err == nil {
		t.Fatal("broken create answer gave no error")
	}
	if got := e.f.count("POST", "/api/v1/classifier/jobs"); got != 1 {
		t.Fatalf("create sent %d times", got)
	}
}
