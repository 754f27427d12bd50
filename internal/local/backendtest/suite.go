// Package backendtest is the behaviour suite every api.Backend of classifyd
// passes: the local engine called directly, and the HTTP client talking to
// `classifyd serve` (client → server → local). It expects a classifier at
// least as able as local.KeywordClassifier: documents whose words plainly
// match one rule get that rule.
package backendtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
)

// PollInterval is how often the suite polls a job; tests may shrink it.
var PollInterval = 10 * time.Millisecond

// Timeout bounds each case.
var Timeout = 30 * time.Second

// Rules are the rules the suite classifies with.
var Rules = []api.Rule{
	{Type: "invoice", Description: "a bill asking for payment, with an invoice number, line items, tax and a total amount due"},
	{Type: "resume", Description: "a CV describing a person's work experience, skills and education"},
}

// Docs are the suite's documents and the type each must get.
var Docs = []struct {
	Name, Text string
	Type       *string
}{
	{"invoice-1042.txt", "INVOICE no. 1042\nBill to: ACME Ltd\nLine items: 3 widgets\nTax 20%\nTotal amount due: 120.00 EUR\nPlease remit payment within 30 days.", api.Ptr("invoice")},
	{"cv.txt", "Curriculum vitae (CV) of Jane Doe\nWork experience: 5 years software engineer\nSkills: Go, SQL\nEducation: MSc Computer Science", api.Ptr("resume")},
	{"weather.txt", "Sunny with light winds; cooler near the coast tonight.", nil},
}

// Run runs the suite; newBackend returns a fresh backend whose clean-up is
// registered with t.Cleanup.
func Run(t *testing.T, newBackend func(t *testing.T) api.Backend) {
	t.Run("ClassifyDocuments", func(t *testing.T) { testClassify(t, newBackend(t)) })
	t.Run("FailedFileHasNoResult", func(t *testing.T) { testFailedFile(t, newBackend(t)) })
	t.Run("UnknownJob", func(t *testing.T) { testUnknownJob(t, newBackend(t)) })
	t.Run("InvalidRequest", func(t *testing.T) { testInvalid(t, newBackend(t)) })
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	t.Cleanup(cancel)
	return ctx
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// WaitTerminal polls a job until it is terminal.
func WaitTerminal(ctx context.Context, t *testing.T, b api.Backend, id string) api.ClassifyJob {
	t.Helper()
	for {
		job, err := b.GetJob(ctx, id)
		if err != nil {
			t.Fatalf("GetJob(%s): %v", id, err)
		}
		if job.Status.Terminal() {
			return job
		}
		select {
		case <-ctx.Done():
			t.Fatalf("job %s still %s: %v", id, job.Status, ctx.Err())
		case <-time.After(PollInterval):
		}
	}
}

func allResults(ctx context.Context, t *testing.T, b api.Backend, id string) map[string]api.ResultItem {
	t.Helper()
	got := map[string]api.ResultItem{}
	err := b.Results(ctx, id, func(it api.ResultItem) error {
		if it.ClassifyJobID != id {
			t.Errorf("result %s has classify_job_id %q, want %q", it.ID, it.ClassifyJobID, id)
		}
		if it.FileID == nil {
			t.Errorf("result %s has no file_id", it.ID)
			return nil
		}
		if _, dup := got[*it.FileID]; dup {
			t.Errorf("two results for file %s", *it.FileID)
		}
		got[*it.FileID] = it
		return nil
	})
	if err != nil {
		t.Fatalf("Results(%s): %v", id, err)
	}
	return got
}

func testClassify(t *testing.T, b api.Backend) {
	ctx := ctxFor(t)
	want := map[string]*string{}
	var ids []string
	for _, d := range Docs {
		f, err := b.Upload(ctx, writeFile(t, d.Name, []byte(d.Text)), api.UploadOptions{ExternalFileID: "ext-" + d.Name})
		if err != nil {
			t.Fatalf("Upload(%s): %v", d.Name, err)
		}
		if f.ID == "" || f.Name != d.Name {
			t.Fatalf("Upload(%s) = %+v: want an id and the name", d.Name, f)
		}
		if api.Deref(f.ExternalFileID) != "ext-"+d.Name {
			t.Errorf("Upload(%s): external_file_id %v", d.Name, f.ExternalFileID)
		}
		want[f.ID] = d.Type
		ids = append(ids, f.ID)
	}
	job, err := b.CreateJob(ctx, api.CreateJobRequest{FileIDs: ids, Rules: Rules})
	if err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	if job.ID == "" || job.Status != api.StatusPending || len(job.Rules) != len(Rules) {
		t.Fatalf("CreateJob = %+v: want an id, PENDING and the rules", job)
	}
	done := WaitTerminal(ctx, t, b, job.ID)
	if done.Status != api.StatusSuccess {
		t.Fatalf("job ended %s (%s), want SUCCESS", done.Status, api.Deref(done.ErrorMessage))
	}
	got := allResults(ctx, t, b, job.ID)
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d", len(got), len(want))
	}
	for id, wt := range want {
		it, ok := got[id]
		if !ok {
			t.Errorf("no result for file %s", id)
			continue
		}
		if it.Result == nil {
			t.Errorf("file %s: result is null", id)
			continue
		}
		if api.Deref(it.Result.Type) != api.Deref(wt) || (it.Result.Type == nil) != (wt == nil) {
			t.Errorf("file %s: type %v, want %v (%s)", id, deref(it.Result.Type), deref(wt), it.Result.Reasoning)
		}
		if c := it.Result.Confidence; c < 0 || c > 1 {
			t.Errorf("file %s: confidence %v outside 0..1", id, c)
		}
	}
}

func deref(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

func testFailedFile(t *testing.T, b api.Backend) {
	ctx := ctxFor(t)
	good, err := b.Upload(ctx, writeFile(t, Docs[0].Name, []byte(Docs[0].Text)), api.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := b.Upload(ctx, writeFile(t, "blob.bin", []byte{0, 1, 2, 3, 0, 0, 0xff, 0xfe}), api.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	job, err := b.CreateJob(ctx, api.CreateJobRequest{FileIDs: []string{good.ID, bad.ID}, Rules: Rules})
	if err != nil {
		t.Fatal(err)
	}
	done := WaitTerminal(ctx, t, b, job.ID)
	if done.Status != api.StatusPartialSuccess {
		t.Fatalf("job ended %s, want PARTIAL_SUCCESS", done.Status)
	}
	if msg := api.Deref(done.ErrorMessage); !strings.Contains(msg, bad.ID) {
		t.Errorf("error_message %q does not name the failed file %s", msg, bad.ID)
	}
	got := allResults(ctx, t, b, job.ID)
	if _, ok := got[bad.ID]; ok {
		t.Errorf("the failed file has a result item")
	}
	if it, ok := got[good.ID]; !ok || it.Result == nil || api.Deref(it.Result.Type) != "invoice" {
		t.Errorf("good file: %+v, want an invoice result", it)
	}
}

func testUnknownJob(t *testing.T, b api.Backend) {
	ctx := ctxFor(t)
	const id = "0190f000-0000-7000-8000-000000000000"
	if _, err := b.GetJob(ctx, id); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("GetJob(unknown) = %v, want ErrNotFound", err)
	}
	err := b.Results(ctx, id, func(api.ResultItem) error { return nil })
	if !errors.Is(err, api.ErrNotFound) {
		t.Errorf("Results(unknown) = %v, want ErrNotFound", err)
	}
}

// Issues returns the validation issues of err, from the local engine
// (*api.ValidationError) or over HTTP (*api.APIError with status 422).
func Issues(err error) ([]api.ValidationIssue, bool) {
	var ve *api.ValidationError
	if errors.As(err, &ve) {
		return ve.Issues, true
	}
	var ae *api.APIError
	if errors.As(err, &ae) && ae.StatusCode == 422 {
		return ae.Issues, true
	}
	return nil, false
}

// HasLoc reports whether one of issues is at loc (numbers compare by value,
// whether they came from Go or from JSON).
func HasLoc(issues []api.ValidationIssue, loc ...any) bool {
	for _, is := range issues {
		if len(is.Loc) != len(loc) {
			continue
		}
		same := true
		for i := range loc {
			if toString(is.Loc[i]) != toString(loc[i]) {
				same = false
			}
		}
		if same {
			return true
		}
	}
	return false
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.Itoa(int(x))
	case int:
		return strconv.Itoa(x)
	}
	return "?"
}

func testInvalid(t *testing.T, b api.Backend) {
	ctx := ctxFor(t)
	f, err := b.Upload(ctx, writeFile(t, "a.txt", []byte("invoice")), api.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.CreateJob(ctx, api.CreateJobRequest{FileIDs: []string{f.ID, "0190f000-0000-7000-8000-000000000000"}, Rules: []api.Rule{}})
	issues, ok := Issues(err)
	if !ok {
		t.Fatalf("CreateJob(invalid) = %v, want a validation error", err)
	}
	if !HasLoc(issues, "body", "rules") {
		t.Errorf("issues %+v lack body.rules", issues)
	}
	if !HasLoc(issues, "body", "file_ids", 1) {
		t.Errorf("issues %+v lack body.file_ids.1", issues)
	}
	if HasLoc(issues, "body", "file_ids", 0) {
		t.Errorf("issues %+v blame the known file", issues)
	}
}
