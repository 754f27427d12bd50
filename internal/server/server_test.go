package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/local/backendtest"
)

const testKey = "secret-key"

type fixture struct {
	b   *local.Backend
	srv *Server
	ts  *httptest.Server
}

// newFixture starts a local backend and the server in front of it.
func newFixture(t *testing.T, opts Options) *fixture {
	return newFixtureAt(t, opts, "", true)
}

// newFixtureAt keeps the backend's data in dataDir ("" = memory) and runs
// its workers if run.
func newFixtureAt(t *testing.T, opts Options, dataDir string, run bool) *fixture {
	t.Helper()
	f := &fixture{}
	b, err := local.New(local.Options{Classifier: local.KeywordClassifier{}, Workers: 2, DataDir: dataDir,
		OnJobDone: func(j api.ClassifyJob) { f.srv.JobDone(j) }, OnFileStart: func(id string) { f.srv.FileStarted(id) }})
	if err != nil {
		t.Fatal(err)
	}
	opts.Backend = b
	if opts.APIKeys == nil {
		opts.APIKeys = []string{testKey}
	}
	f.b, f.srv = b, New(opts)
	f.ts = httptest.NewServer(f.srv)
	if run {
		go b.Run(context.Background())
	}
	t.Cleanup(func() {
		f.ts.Close()
		b.Close()
		f.srv.Shutdown(context.Background())
	})
	return f
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

func (f *fixture) do(t *testing.T, method, path, contentType string, body io.Reader, key string) answer {
	t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

func (f *fixture) upload(t *testing.T, name, text string) api.File {
	t.Helper()
	body, ct := multipartBody(t, []part{{"purpose", "", "classify"}, {"file", name, text}})
	a := f.do(t, "POST", "/api/v1/beta/files", ct, body, testKey)
	if a.status != 200 {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}
	var file api.File
	a.json(t, &file)
	return file
}

type part struct{ field, filename, value string }

func multipartBody(t *testing.T, parts []part) (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.field, p.filename)
		} else {
			w, err = mw.CreateFormField(p.field)
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.value)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func TestUploadFieldOrder(t *testing.T) {
	f := newFixture(t, Options{})
	for _, order := range [][]part{
		{{"purpose", "", "classify"}, {"external_file_id", "", "ext-1"}, {"file", "a.txt", "hello"}},
		{{"file", "a.txt", "hello"}, {"external_file_id", "", "ext-1"}, {"purpose", "", "classify"}},
	} {
		body, ct := multipartBody(t, order)
		a := f.do(t, "POST", "/api/v1/beta/files?project_id=p1", ct, body, testKey)
		if a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		var file api.File
		a.json(t, &file)
		if file.Name != "a.txt" || api.Deref(file.Purpose) != "classify" || api.Deref(file.ExternalFileID) != "ext-1" ||
			file.ProjectID != "p1" || api.Deref(file.FileSize) != 5 || api.Deref(file.FileType) != "txt" {
			t.Errorf("file %s", a.body)
		}
		g := f.do(t, "GET", "/api/v1/beta/files/"+file.ID, "", nil, testKey)
		if g.status != 200 || !bytes.Contains(g.body, []byte(`"ext-1"`)) {
			t.Errorf("get: %d %s", g.status, g.body)
		}
	}
}

func TestValidation(t *testing.T) {
	f := newFixture(t, Options{MaxJSONBytes: 4096, MaxBodyBytes: 2048})
	file := f.upload(t, "a.txt", "invoice total")
	rules := `[{"type":"invoice","description":"a bill"}]`
	job := func(extra string) string {
		return `{"file_ids":["` + file.ID + `"],"rules":` + rules + extra + `}`
	}
	const missingID = "0190f000-0000-7000-8000-000000000000"
	up := func(parts ...part) func() (io.Reader, string) {
		return func() (io.Reader, string) { return multipartBody(t, parts) }
	}
	jsonBody := func(s string) func() (io.Reader, string) {
		return func() (io.Reader, string) { return strings.NewReader(s), "application/json" }
	}
	tests := []struct {
		name, method, path string
		body               func() (io.Reader, string)
		key                string
		status             int
		loc                []any // for 422
	}{
		{"empty rules", "POST", "/api/v1/classifier/jobs", jsonBody(`{"file_ids":["` + file.ID + `"],"rules":[]}`), testKey, 422, []any{"body", "rules"}},
		{"missing rules", "POST", "/api/v1/classifier/jobs", jsonBody(`{"file_ids":["` + file.ID + `"]}`), testKey, 422, []any{"body", "rules"}},
		{"missing file_ids", "POST", "/api/v1/classifier/jobs", jsonBody(`{"rules":` + rules + `}`), testKey, 422, []any{"body", "file_ids"}},
		{"null file_ids", "POST", "/api/v1/classifier/jobs", jsonBody(`{"file_ids":null,"rules":` + rules + `}`), testKey, 422, []any{"body", "file_ids"}},
		{"unknown file", "POST", "/api/v1/classifier/jobs", jsonBody(`{"file_ids":["` + file.ID + `","` + missingID + `"],"rules":` + rules + `}`), testKey, 422, []any{"body", "file_ids", 1}},
		{"bad mode", "POST", "/api/v1/classifier/jobs", jsonBody(job(`,"mode":"SLOW"`)), testKey, 422, []any{"body", "mode"}},
		{"max_pages 0", "POST", "/api/v1/classifier/jobs", jsonBody(job(`,"parsing_configuration":{"max_pages":0}`)), testKey, 422, []any{"body", "parsing_configuration", "max_pages"}},
		{"negative target page", "POST", "/api/v1/classifier/jobs", jsonBody(job(`,"parsing_configuration":{"target_pages":[-1]}`)), testKey, 422, []any{"body", "parsing_configuration", "target_pages", 0}},
		{"bad lang", "POST", "/api/v1/classifier/jobs", jsonBody(job(`,"parsing_configuration":{"lang":"xx"}`)), testKey, 422, []any{"body", "parsing_configuration", "lang"}},
		{"duplicate type", "POST", "/api/v1/classifier/jobs", jsonBody(`{"file_ids":["` + file.ID + `"],"rules":[{"type":"a","description":"x"},{"type":"a","description":"y"}]}`), testKey, 422, []any{"body", "rules", 1, "type"}},
		{"empty type", "POST", "/api/v1/classifier/jobs", jsonBody(`{"file_ids":["` + file.ID + `"],"rules":[{"type":"","description":"x"}]}`), testKey, 422, []any{"body", "rules", 0, "type"}},
		{"empty description", "POST", "/api/v1/classifier/jobs", jsonBody(`{"file_ids":["` + file.ID + `"],"rules":[{"type":"a"}]}`), testKey, 422, []any{"body", "rules", 0, "description"}},
		{"webhook scheme", "POST", "/api/v1/classifier/jobs", jsonBody(job(`,"webhook_configurations":[{"webhook_url":"file:///etc/passwd"}]`)), testKey, 422, []any{"body", "webhook_configurations", 0, "webhook_url"}},
		{"wrong JSON type", "POST", "/api/v1/classifier/jobs", jsonBody(`{"file_ids":["` + file.ID + `"],"rules":"invoice"}`), testKey, 422, []any{"body", "rules"}},
		{"wrong nested type", "POST", "/api/v1/classifier/jobs", jsonBody(job(`,"parsing_configuration":{"max_pages":"two"}`)), testKey, 422, []any{"body", "parsing_configuration", "max_pages"}},
		{"malformed JSON", "POST", "/api/v1/classifier/jobs", jsonBody(`{"file_ids": [`), testKey, 422, nil},
		{"not an object", "POST", "/api/v1/classifier/jobs", jsonBody(`[1,2]`), testKey, 422, []any{"body"}},
		{"wrong content type", "POST", "/api/v1/classifier/jobs", func() (io.Reader, string) { return strings.NewReader(job("")), "text/plain" }, testKey, 422, []any{"body"}},
		{"bad page_size", "GET", "/api/v1/classifier/jobs?page_size=ten", nil, testKey, 422, []any{"query", "page_size"}},
		{"negative page_size", "GET", "/api/v1/beta/files?page_size=-1", nil, testKey, 422, []any{"query", "page_size"}},
		{"bad page_token", "GET", "/api/v1/classifier/jobs?page_token=nonsense", nil, testKey, 422, []any{"query", "page_token"}},
		{"upload without file", "POST", "/api/v1/beta/files", up(part{"purpose", "", "classify"}), testKey, 422, []any{"body", "file"}},
		{"upload without purpose", "POST", "/api/v1/beta/files", up(part{"file", "a.txt", "x"}), testKey, 422, []any{"body", "purpose"}},
		{"upload bad purpose", "POST", "/api/v1/beta/files", up(part{"purpose", "", "steal"}, part{"file", "a.txt", "x"}), testKey, 422, []any{"body", "purpose"}},
		{"upload not multipart", "POST", "/api/v1/beta/files", jsonBody(`{}`), testKey, 422, []any{"body", "file"}},
		{"unknown job", "GET", "/api/v1/classifier/jobs/" + missingID, nil, testKey, 404, nil},
		{"malformed job id", "GET", "/api/v1/classifier/jobs/..%2f..%2fetc", nil, testKey, 404, nil},
		{"results of unknown job", "GET", "/api/v1/classifier/jobs/" + missingID + "/results", nil, testKey, 404, nil},
		{"unknown file", "GET", "/api/v1/beta/files/" + missingID, nil, testKey, 404, nil},
		{"delete unknown file", "DELETE", "/api/v1/beta/files/" + missingID, nil, testKey, 404, nil},
		{"unknown route", "GET", "/api/v3/classify", nil, testKey, 404, nil},
		{"wrong method", "PUT", "/api/v1/classifier/jobs", nil, testKey, 405, nil},
		{"JSON too large", "POST", "/api/v1/classifier/jobs", jsonBody(job(`,"x":"` + strings.Repeat("a", 5000) + `"`)), testKey, 413, nil},
		{"upload too large", "POST", "/api/v1/beta/files", up(part{"purpose", "", "classify"}, part{"file", "big.txt", strings.Repeat("b", 4000)}), testKey, 413, nil},
		{"no key", "GET", "/api/v1/classifier/jobs", nil, "", 401, nil},
		{"wrong key", "GET", "/api/v1/classifier/jobs", nil, "secret-kex", 401, nil},
		{"wrong key on unknown route", "GET", "/nope", nil, "wrong", 401, nil},
		{"healthz needs no key", "GET", "/healthz", nil, "", 200, nil},
		{"valid job", "POST", "/api/v1/classifier/jobs", jsonBody(job("")), testKey, 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			ct := ""
			if tt.body != nil {
				body, ct = tt.body()
			}
			a := f.do(t, tt.method, tt.path, ct, body, tt.key)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			if ct := a.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			switch {
			case tt.status == 422:
				var e struct {
					Detail []api.ValidationIssue `json:"detail"`
				}
				a.json(t, &e)
				if len(e.Detail) == 0 || e.Detail[0].Msg == "" || e.Detail[0].Type == "" {
					t.Fatalf("422 detail %s", a.body)
				}
				if tt.loc != nil && !backendtest.HasLoc(e.Detail, tt.loc...) {
					t.Errorf("detail %s, want loc %v", a.body, tt.loc)
				}
			case tt.status >= 400:
				var e struct {
					Detail string `json:"detail"`
				}
				a.json(t, &e)
				if e.Detail == "" {
					t.Errorf("no detail: %s", a.body)
				}
				if tt.status == 401 && a.header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
			}
		})
	}
	// The refused uploads left nothing behind.
	page, err := f.tenant().ListFilesPage(context.Background(), local.FileQuery{}, api.PageRequest{})
	if err != nil || len(page.Items) != 1 {
		t.Errorf("files after the refused uploads: %d (%v), want 1", len(page.Items), err)
	}
}

func TestNoKeyServesLoopbackOnly(t *testing.T) {
	b, err := local.New(local.Options{Classifier: local.KeywordClassifier{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	for _, tt := range []struct {
		remote   string
		insecure bool
		want     int
	}{
		{"127.0.0.1:5000", false, 200},
		{"[::1]:5000", false, 200},
		{"203.0.113.9:5000", false, 403},
		{"192.168.1.10:5000", false, 403},
		{"203.0.113.9:5000", true, 200},
	} {
		s := New(Options{Backend: b, AllowRemoteWithoutKey: tt.insecure})
		req := httptest.NewRequest("GET", "/api/v1/classifier/jobs", nil)
		req.RemoteAddr = tt.remote
		req.Host = "127.0.0.1:8080" // httptest's example.com is not a name of this server
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s insecure=%v: %d, want %d", tt.remote, tt.insecure, rec.Code, tt.want)
		}
	}
}

func TestListAndResultsPagination(t *testing.T) {
	f := newFixture(t, Options{})
	var ids []string
	for i := range 5 {
		ids = append(ids, f.upload(t, fmt.Sprintf("inv%d.txt", i), "invoice total amount due").ID)
	}
	body := `{"file_ids":["` + strings.Join(ids, `","`) + `"],"rules":[{"type":"invoice","description":"invoice total amount due"}]}`
	a := f.do(t, "POST", "/api/v1/classifier/jobs", "application/json", strings.NewReader(body), testKey)
	var job api.ClassifyJob
	a.json(t, &job)
	f.waitTerminal(t, job.ID)

	var got []string
	token := ""
	for pages := 1; ; pages++ {
		a := f.do(t, "GET", "/api/v1/classifier/jobs/"+job.ID+"/results?page_size=2&page_token="+token, "", nil, testKey)
		var raw map[string]json.RawMessage
		a.json(t, &raw)
		var page api.Page[api.ResultItem]
		a.json(t, &page)
		for _, it := range page.Items {
			got = append(got, *it.FileID)
		}
		if api.Deref(page.TotalSize) != 5 {
			t.Errorf("total_size %s", raw["total_size"])
		}
		if page.NextPageToken == nil {
			if _, present := raw["next_page_token"]; present {
				t.Errorf("last page carries next_page_token: %s", a.body)
			}
			if pages != 3 {
				t.Errorf("%d pages, want 3", pages)
			}
			break
		}
		token = *page.NextPageToken
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("results in order %v, want %v", got, ids)
	}
	// Without page_size (the SDK's getResults) a job comes whole.
	a = f.do(t, "GET", "/api/v1/classifier/jobs/"+job.ID+"/results", "", nil, testKey)
	var page api.Page[api.ResultItem]
	a.json(t, &page)
	if len(page.Items) != 5 || page.NextPageToken != nil {
		t.Errorf("unpaged results: %d items, token %v", len(page.Items), page.NextPageToken)
	}
	// file_ids filter, repeated as the SDK sends it.
	a = f.do(t, "GET", "/api/v1/beta/files?file_ids="+ids[0]+"&file_ids="+ids[3], "", nil, testKey)
	var files api.Page[api.File]
	a.json(t, &files)
	if len(files.Items) != 2 {
		t.Errorf("file_ids filter: %s", a.body)
	}
	// Delete answers 204 and the file is gone.
	if a := f.do(t, "DELETE", "/api/v1/beta/files/"+ids[0], "", nil, testKey); a.status != 204 {
		t.Errorf("delete: %d %s", a.status, a.body)
	}
	if a := f.do(t, "GET", "/api/v1/beta/files/"+ids[0], "", nil, testKey); a.status != 404 {
		t.Errorf("get deleted: %d", a.status)
	}
}

// receiver is a webhook endpoint that records what it gets.
type receiver struct {
	ts      *httptest.Server
	count   atomic.Int32
	got     chan *http.Request
	bodies  chan []byte
	respond func(w http.ResponseWriter)
}

func newReceiver(t *testing.T, respond func(w http.ResponseWriter)) *receiver {
	r := &receiver{got: make(chan *http.Request, 10), bodies: make(chan []byte, 10), respond: respond}
	r.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.count.Add(1)
		b, _ := io.ReadAll(req.Body)
		select {
		case r.got <- req:
			r.bodies <- b
		default:
		}
		if r.respond != nil {
			r.respond(w)
		}
	}))
	t.Cleanup(r.ts.Close)
	return r
}

func TestWebhooks(t *testing.T) {
	deliveries := make(chan WebhookDelivery, 10)
	opts := func(private bool) Options {
		return Options{AllowPrivateWebhooks: private, WebhookRetries: 2, WebhookBackoff: time.Millisecond,
			WebhookTimeout: 5 * time.Second, OnWebhook: func(d WebhookDelivery) { deliveries <- d }}
	}
	wait := func(t *testing.T) WebhookDelivery {
		t.Helper()
		select {
		case d := <-deliveries:
			return d
		case <-time.After(20 * time.Second):
			t.Fatal("no webhook delivery reported")
		}
		return WebhookDelivery{}
	}
	createJob := func(t *testing.T, f *fixture, hooks string) api.ClassifyJob {
		t.Helper()
		file := f.upload(t, "inv.txt", "invoice total amount due")
		body := `{"file_ids":["` + file.ID + `"],"rules":[{"type":"invoice","description":"invoice total"}],"webhook_configurations":` + hooks + `}`
		a := f.do(t, "POST", "/api/v1/classifier/jobs", "application/json", strings.NewReader(body), testKey)
		if a.status != 200 {
			t.Fatalf("create: %d %s", a.status, a.body)
		}
		var job api.ClassifyJob
		a.json(t, &job)
		return job
	}

	t.Run("headers and event filter", func(t *testing.T) {
		f := newFixture(t, opts(true))
		yes := newReceiver(t, nil)
		no := newReceiver(t, nil)
		job := createJob(t, f, `[{"webhook_url":"`+no.ts.URL+`/x","webhook_events":["classify.error"]},`+
			`{"webhook_url":"`+yes.ts.URL+`/hook","webhook_headers":{"X-Token":"abc","X-Num":7,"Host":"evil"},"webhook_events":["classify.success","classify.partial_success"]}]`)
		d := wait(t)
		if d.Err != nil || d.Attempts != 1 || d.Event != api.EventSuccess || d.JobID != job.ID {
			t.Fatalf("delivery %+v", d)
		}
		req := <-yes.got
		body := <-yes.bodies
		if req.Method != "POST" || req.URL.Path != "/hook" || req.Header.Get("X-Token") != "abc" || req.Header.Get("X-Num") != "7" ||
			req.Header.Get("Content-Type") != "application/json" || req.Header.Get("X-Classifyd-Event") != "classify.success" {
			t.Errorf("request %s %s %v", req.Method, req.URL, req.Header)
		}
		if strings.Contains(req.Host, "evil") {
			t.Errorf("webhook_headers overrode Host: %s", req.Host)
		}
		var got api.ClassifyJob
		if err := json.Unmarshal(body, &got); err != nil || got.ID != job.ID || got.Status != api.StatusSuccess {
			t.Errorf("body %s", body)
		}
		if n := no.count.Load(); n != 0 {
			t.Errorf("filtered-out webhook called %d times", n)
		}
	})

	t.Run("failing webhook retried then given up; job still succeeds", func(t *testing.T) {
		f := newFixture(t, opts(true))
		bad := newReceiver(t, func(w http.ResponseWriter) { w.WriteHeader(500) })
		job := createJob(t, f, `[{"webhook_url":"`+bad.ts.URL+`"}]`)
		d := wait(t)
		if d.Err == nil || d.Attempts != 3 || d.Status != 500 {
			t.Errorf("delivery %+v, want 3 attempts ending in 500", d)
		}
		if n := bad.count.Load(); n != 3 {
			t.Errorf("receiver called %d times, want 3", n)
		}
		got, err := f.tenant().GetJob(context.Background(), job.ID)
		if err != nil || got.Status != api.StatusSuccess {
			t.Errorf("job %s %v", got.Status, err)
		}
	})

	t.Run("4xx not retried, redirects not followed", func(t *testing.T) {
		f := newFixture(t, opts(true))
		target := newReceiver(t, nil)
		redir := newReceiver(t, func(w http.ResponseWriter) {
			w.Header().Set("Location", target.ts.URL)
			w.WriteHeader(http.StatusFound)
		})
		gone := newReceiver(t, func(w http.ResponseWriter) { w.WriteHeader(410) })
		createJob(t, f, `[{"webhook_url":"`+redir.ts.URL+`"},{"webhook_url":"`+gone.ts.URL+`"}]`)
		for range 2 {
			if d := wait(t); d.Err == nil || d.Attempts != 1 {
				t.Errorf("delivery %+v, want one failed attempt", d)
			}
		}
		if n := target.count.Load(); n != 0 {
			t.Errorf("redirect was followed")
		}
	})

	t.Run("loopback refused unless allowed", func(t *testing.T) {
		f := newFixture(t, opts(false))
		r := newReceiver(t, nil)
		createJob(t, f, `[{"webhook_url":"`+r.ts.URL+`"},{"webhook_url":"http://localhost:`+r.ts.URL[strings.LastIndex(r.ts.URL, ":")+1:]+`"}]`)
		for range 2 {
			d := wait(t)
			if !errors.Is(d.Err, ErrPrivateAddress) || d.Attempts != 1 {
				t.Errorf("delivery %+v, want ErrPrivateAddress after 1 attempt", d)
			}
		}
		if n := r.count.Load(); n != 0 {
			t.Errorf("refused webhook reached the receiver %d times", n)
		}
	})
}

func TestPublicAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.0.1": false,
		"169.254.169.254": false, "fe80::1": false, "fc00::1": false, "0.0.0.0": false, "::": false,
		"::ffff:127.0.0.1": false, "100.64.0.1": false, "224.0.0.1": false,
	} {
		ip, _ := netipParse(addr)
		if got := publicAddr(ip); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestRestart: a job created over HTTP before a stop (its workers never
// ran) is finished by the next process on the same data directory, and its
// uploaded file, job and results are all readable there.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	f1 := newFixtureAt(t, Options{}, dir, false)
	var ids []string
	for _, d := range backendtest.Docs {
		ids = append(ids, f1.upload(t, d.Name, d.Text).ID)
	}
	body := `{"file_ids":["` + strings.Join(ids, `","`) + `"],"rules":[{"type":"invoice","description":"a bill with an invoice number and a total amount due"},{"type":"resume","description":"a CV with work experience, skills and education"}]}`
	a := f1.do(t, "POST", "/api/v1/classifier/jobs", "application/json", strings.NewReader(body), testKey)
	var job api.ClassifyJob
	a.json(t, &job)
	if job.Status != api.StatusPending {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	f1.ts.Close()
	if err := f1.b.Close(); err != nil {
		t.Fatal(err)
	}

	f2 := newFixtureAt(t, Options{}, dir, true)
	deadline := time.Now().Add(20 * time.Second)
	for job.Status == api.StatusPending {
		if time.Now().After(deadline) {
			t.Fatal("job still PENDING after restart")
		}
		time.Sleep(10 * time.Millisecond)
		f2.do(t, "GET", "/api/v1/classifier/jobs/"+job.ID, "", nil, testKey).json(t, &job)
	}
	if job.Status != api.StatusSuccess {
		t.Fatalf("status %s %v", job.Status, job.ErrorMessage)
	}
	var page api.Page[api.ResultItem]
	f2.do(t, "GET", "/api/v1/classifier/jobs/"+job.ID+"/results", "", nil, testKey).json(t, &page)
	var got []string
	for _, it := range page.Items {
		got = append(got, *it.FileID+"="+api.Deref(it.Result.Type))
	}
	if want := ids[0] + "=invoice " + ids[1] + "=resume " + ids[2] + "="; strings.Join(got, " ") != want {
		t.Errorf("results %v, want %s", got, want)
	}
	if a := f2.do(t, "GET", "/api/v1/beta/files/"+ids[1], "", nil, testKey); a.status != 200 {
		t.Errorf("file after restart: %d %s", a.status, a.body)
	}
}

func TestDownloadLink(t *testing.T) {
	f := newFixture(t, Options{})
	file := f.upload(t, "notes.txt", "the bytes")
	a := f.do(t, "GET", "/api/v1/beta/files/"+file.ID+"/content?expires_at_seconds=60", "", nil, testKey)
	var link PresignedURL
	a.json(t, &link)
	if a.status != 200 || !strings.HasPrefix(link.URL, f.ts.URL+"/") || time.Until(link.ExpiresAt) > time.Minute {
		t.Fatalf("content: %d %s", a.status, a.body)
	}
	get := func(u string) answer {
		resp, err := f.ts.Client().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, resp.Header, b}
	}
	if a := get(link.URL); a.status != 200 || string(a.body) != "the bytes" || !strings.Contains(a.header.Get("Content-Disposition"), "notes.txt") {
		t.Errorf("download: %d %q %v", a.status, a.body, a.header)
	}
	for _, bad := range []string{
		strings.Replace(link.URL, "signature=", "signature=00", 1),
		strings.Replace(link.URL, "expires=", "expires=9", 1),
		strings.Replace(link.URL, file.ID, "0190f000-0000-7000-8000-000000000000", 1),
		f.ts.URL + "/api/v1/beta/files/" + file.ID + "/download",
	} {
		if a := get(bad); a.status != 403 {
			t.Errorf("%s: %d, want 403", bad, a.status)
		}
	}
	if a := f.do(t, "GET", "/api/v1/beta/files/"+file.ID+"/content", "", nil, ""); a.status != 401 {
		t.Errorf("content without key: %d", a.status)
	}
}
