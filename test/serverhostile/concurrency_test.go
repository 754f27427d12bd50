package serverhostile_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
)

// call is do for goroutines: it returns errors instead of failing the test,
// and counts 5xx answers as errors.
func (f *fixture) call(method, path, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequest(method, f.ts.URL+path, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %.200s", method, path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: %w: %.200s", method, path, err, b)
	}
	return nil
}

// classifyOne uploads text, creates a job for it, polls the job to a
// terminal state and returns the type of its one result.
func (f *fixture) classifyOne(client int, text string) (string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("purpose", "classify")
	w, _ := mw.CreateFormFile("file", fmt.Sprintf("client-%02d.txt", client))
	io.WriteString(w, text)
	mw.Close()
	var file api.File
	if err := f.call("POST", "/api/v1/beta/files", mw.FormDataContentType(), &buf, &file); err != nil {
		return "", err
	}
	body, _ := json.Marshal(api.CreateJobRequest{FileIDs: []string{file.ID}, Rules: rules})
	var job api.ClassifyJob
	if err := f.call("POST", "/api/v1/classifier/jobs", "application/json", bytes.NewReader(body), &job); err != nil {
		return "", err
	}
	deadline := time.Now().Add(time.Minute)
	for wait := 5 * time.Millisecond; !job.Status.Terminal(); wait = min(wait*2, 200*time.Millisecond) {
		if time.Now().After(deadline) {
			return "", fmt.Errorf("job %s still %s after a minute", job.ID, job.Status)
		}
		time.Sleep(wait)
		if err := f.call("GET", "/api/v1/classifier/jobs/"+job.ID, "", nil, &job); err != nil {
			return "", err
		}
	}
	if job.Status != api.StatusSuccess {
		return "", fmt.Errorf("job %s ended %s: %s", job.ID, job.Status, api.Deref(job.ErrorMessage))
	}
	var page api.Page[api.ResultItem]
	if err := f.call("GET", "/api/v1/classifier/jobs/"+job.ID+"/results", "", nil, &page); err != nil {
		return "", err
	}
	if len(page.Items) != 1 || api.Deref(page.Items[0].FileID) != file.ID || page.Items[0].Result == nil {
		return "", fmt.Errorf("job %s: results %+v, want one for file %s", job.ID, page.Items, file.ID)
	}
	return api.Deref(page.Items[0].Result.Type), nil
}

// TestFiftyClients: fifty clients at once each upload a file, create a job
// and poll it to SUCCESS; every answer is right and none is a 5xx.
func TestFiftyClients(t *testing.T) {
	const clients = 50
	f := newFixture(t, local.Options{}, nil)
	types := make([]string, 0, len(texts))
	for typ := range texts {
		types = append(types, typ)
	}
	sort.Strings(types)
	var wg sync.WaitGroup
	errs := make([]error, clients)
	got := make([]string, clients)
	for i := range clients {
		wg.Go(func() {
			got[i], errs[i] = f.classifyOne(i, texts[types[i%len(types)]])
		})
	}
	wg.Wait()
	for i := range clients {
		want := types[i%len(types)]
		switch {
		case errs[i] != nil:
			t.Errorf("client %d: %v", i, errs[i])
		case got[i] != want:
			t.Errorf("client %d: classified as %q, want %q", i, got[i], want)
		}
	}
	var list api.Page[api.ClassifyJob]
	if err := f.call("GET", "/api/v1/classifier/jobs?page_size=1000", "", nil, &list); err != nil {
		t.Fatal(err)
	}
	if n := len(list.Items); n != clients {
		t.Errorf("%d jobs listed, want %d", n, clients)
	}
}
