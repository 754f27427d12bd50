package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
)

// fuzzFileID in a fuzz input stands for the ID of a file the backend knows,
// so that inputs can reach the backend's validation and job creation.
const fuzzFileID = "FILE_ID"

// FuzzCreateJob posts arbitrary bytes (under an arbitrary content type) as
// a job body to the handler: the answer is never a 5xx and never a panic,
// it is JSON, a 200 is a PENDING job, and anything else carries a detail.
// Webhooks are not wired, so no fuzzed webhook URL is ever called.
func FuzzCreateJob(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "invoice.txt")
	if err := os.WriteFile(path, []byte("INVOICE 17: total amount due 258.00"), 0o600); err != nil {
		f.Fatal(err)
	}
	b, err := local.New(local.Options{Classifier: local.KeywordClassifier{PDFToText: "-"}, Workers: 1})
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go b.Run(ctx)
	f.Cleanup(func() { cancel(); b.Close() })
	// The file belongs to the tenant of the fuzz key, as an upload through
	// the API would.
	fh, err := os.Open(path)
	if err != nil {
		f.Fatal(err)
	}
	defer fh.Close()
	file, err := b.Scoped(local.Tenant{ID: keyTenant("fuzz-key")}).AddUpload(ctx, "invoice.txt", fh, api.UploadOptions{})
	if err != nil {
		f.Fatal(err)
	}
	srv := New(Options{Backend: b, APIKeys: []string{"fuzz-key"}})

	rule := `[{"type":"invoice","description":"contains invoice number, line items, and total amount"}]`
	for _, c := range []struct{ ct, body string }{
		{"application/json", `{"file_ids":["FILE_ID"],"rules":` + rule + `}`},
		{"application/json", `{"file_ids":["FILE_ID"],"rules":` + rule + `,"mode":"MULTIMODAL",` +
			`"parsing_configuration":{"lang":"de","max_pages":3,"target_pages":[0,2]},"project_id":"p",` +
			`"webhook_configurations":[{"webhook_url":"https://example.com/hook","webhook_headers":{"Authorization":"Bearer xyz"},` +
			`"webhook_events":["classify.success"]}]}`},
		{"application/json; charset=utf-8", `{"file_ids":["FILE_ID","FILE_ID"],"rules":` + rule + `,"mode":null}`},
		{"", `{"file_ids":["182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"],"rules":` + rule + `}`},
		{"application/json", `{"file_ids":["FILE_ID"],"rules":[{"type":"","description":""},{"type":"a","description":"b"},{"type":"a","description":"b"}]}`},
		{"application/json", `{"file_ids":["FILE_ID"],"rules":` + rule + `,"parsing_configuration":{"lang":"xx","max_pages":0,"target_pages":[-1]}}`},
		{"application/json", `{"file_ids":["FILE_ID"],"rules":` + rule + `,"webhook_configurations":[{"webhook_url":"ftp://x","webhook_headers":{"bad header":1}}]}`},
		{"application/json", `{"file_ids":null,"rules":null}`},
		{"application/json", `{"file_ids":[1],"rules":"x"}`},
		{"application/json", strings.Repeat("[", 20000)},
		{"application/json", `{"file_ids":["FILE_ID"],"rules":` + rule + `}{}`},
		{"application/json", "{\"file_ids\":[\"\xff\"],\"rules\":[]}"},
		{"text/plain", `{}`},
		{"multipart/form-data; boundary=x", "--x--"},
		{"application/vnd.api+json", `[]`},
		{"application/json", ``},
	} {
		f.Add(c.ct, []byte(c.body))
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		body = bytes.ReplaceAll(body, []byte(fuzzFileID), []byte(file.ID))
		req := httptest.NewRequest("POST", "/api/v1/classifier/jobs", bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Authorization", "Bearer fuzz-key")
		req.Host = "127.0.0.1:8080" // httptest's example.com is not a name of this server
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.Bytes())
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("answer content type %q", ct)
		}
		if rec.Code == http.StatusOK {
			var job api.ClassifyJob
			if err := json.Unmarshal(rec.Body.Bytes(), &job); err != nil {
				t.Fatalf("200 answer is no job: %v: %s", err, rec.Body.Bytes())
			}
			if job.ID == "" || job.Status != api.StatusPending || len(job.Rules) == 0 {
				t.Fatalf("created job %+v", job)
			}
			return
		}
		var e struct {
			Detail json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || len(e.Detail) == 0 {
			t.Fatalf("status %d without a detail: %s", rec.Code, rec.Body.Bytes())
		}
	})
}
