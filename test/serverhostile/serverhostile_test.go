// Package serverhostile_test attacks the real API server (internal/server
// over internal/local with the keyword classifier, behind httptest or a
// real http.Server) the way a hostile client would: bodies larger than the
// limits, malformed and deeply nested JSON, wrong content types, upload
// names that try to escape the data folder, webhooks aimed at loopback,
// link-local and private addresses, a slowloris connection, and fifty
// clients at once. The server must answer 4xx, never 5xx, keep every byte
// inside its data folder, send nothing to a private address, and drop a
// connection that sends its headers too slowly.
package serverhostile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"path/filepath"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/server"
)

const apiKey = "hostile-test-key"

// rules are the job rules of these tests; the keyword classifier picks the
// one whose words appear in a file.
var rules = []api.Rule{
	{Type: "invoice", Description: "invoice amount due payment"},
	{Type: "contract", Description: "contract agreement parties signature"},
	{Type: "recipe", Description: "recipe flour sugar oven"},
}

// texts are file contents the keyword classifier sorts into each rule.
var texts = map[string]string{
	"invoice":  "INVOICE 2024-117. Total amount due on payment: 258.00 EUR.",
	"contract": "This agreement is a contract between the parties, binding on signature.",
	"recipe":   "A recipe: mix flour and sugar, then bake in the oven for twenty minutes.",
}

type fixture struct {
	b          *local.Backend
	srv        *server.Server
	ts         *httptest.Server
	dataDir    string
	deliveries chan server.WebhookDelivery
}

// newFixture starts a local backend keeping its data in a folder of its own
// and the server in front of it; mod may change the server's options.
func newFixture(t *testing.T, localOpts local.Options, mod func(*server.Options)) *fixture {
	t.Helper()
	f := &fixture{dataDir: filepath.Join(t.TempDir(), "data"), deliveries: make(chan server.WebhookDelivery, 100)}
	localOpts.Classifier = local.KeywordClassifier{PDFToText: "-"}
	localOpts.DataDir = f.dataDir
	if localOpts.Workers == 0 {
		localOpts.Workers = 2
	}
	localOpts.OnJobDone = func(j api.ClassifyJob) { f.srv.JobDone(j) }
	b, err := local.New(localOpts)
	if err != nil {
		t.Fatal(err)
	}
	opts := server.Options{
		Backend:        b,
		APIKeys:        []string{apiKey},
		WebhookRetries: 1,
		WebhookBackoff: time.Millisecond,
		WebhookTimeout: 5 * time.Second,
		OnWebhook:      func(d server.WebhookDelivery) { f.deliveries <- d },
	}
	if mod != nil {
		mod(&opts)
	}
	f.b, f.srv = b, server.New(opts)
	f.ts = httptest.NewServer(f.srv)
	ctx, cancel := context.WithCancel(context.Background())
	go b.Run(ctx)
	t.Cleanup(func() {
		f.ts.Close()
		cancel()
		b.Close()
		f.srv.Shutdown(context.Background())
	})
	return f
}

type answer struct {
	status int
	body   []byte
}

// do sends one request with the API key and reads the whole answer.
func (f *fixture) do(t *testing.T, method, path, contentType string, body io.Reader) answer {
	t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", method, path, err)
	}
	return answer{resp.StatusCode, b}
}

// decode decodes a JSON answer into v.
func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d is not JSON: %v: %.300s", a.status, err, a.body)
	}
}

// wantStatus fails unless the answer has status want and, for an error, a
// FastAPI-style {"detail": ...} body.
func (a answer) wantStatus(t *testing.T, want int) {
	t.Helper()
	if a.status != want {
		t.Errorf("status %d, want %d: %.300s", a.status, want, a.body)
		return
	}
	if want >= 400 {
		var e struct {
			Detail json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(a.body, &e); err != nil || len(e.Detail) == 0 {
			t.Errorf("error body without detail: %.300s", a.body)
		}
	}
}

// filePart is one part of a multipart upload with a raw Content-Disposition.
type filePart struct {
	disposition string
	content     string
}

// multipartUpload builds an upload body with purpose "classify" and parts.
func multipartUpload(t *testing.T, parts ...filePart) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("purpose", "classify"); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", p.disposition)
		h.Set("Content-Type", "application/octet-stream")
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.content)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// upload uploads content under name and returns the file.
func (f *fixture) upload(t *testing.T, name, content string) api.File {
	t.Helper()
	body, ct := multipartUpload(t, filePart{`form-data; name="file"; filename="` + name + `"`, content})
	a := f.do(t, "POST", "/api/v1/beta/files", ct, body)
	a.wantStatus(t, http.StatusOK)
	var file api.File
	a.decode(t, &file)
	return file
}

// createJob creates a job and returns it.
func (f *fixture) createJob(t *testing.T, req api.CreateJobRequest) api.ClassifyJob {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	a := f.do(t, "POST", "/api/v1/classifier/jobs", "application/json", bytes.NewReader(body))
	a.wantStatus(t, http.StatusOK)
	var job api.ClassifyJob
	a.decode(t, &job)
	return job
}

// waitJob polls a job until it is terminal, for at most a minute.
func (f *fixture) waitJob(t *testing.T, id string) api.ClassifyJob {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for wait := 5 * time.Millisecond; ; wait = min(wait*2, 200*time.Millisecond) {
		a := f.do(t, "GET", "/api/v1/classifier/jobs/"+id, "", nil)
		if a.status != http.StatusOK {
			t.Fatalf("get job %s: %d %s", id, a.status, a.body)
		}
		var job api.ClassifyJob
		a.decode(t, &job)
		if job.Status.Terminal() {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after a minute", id, job.Status)
		}
		time.Sleep(wait)
	}
}
