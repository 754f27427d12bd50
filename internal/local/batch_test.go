package local

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/classify"
	"github.com/classifyd/classifyd/internal/extract"
	"github.com/classifyd/classifyd/internal/local/backendtest"
)

// countingBatch is the real classifier, counting how the backend calls it.
type countingBatch struct {
	*classify.Classifier
	mu      sync.Mutex
	batches [][]string
	singles int
}

func (c *countingBatch) ClassifyBatch(ctx context.Context, paths []string, rules []api.Rule, mode api.Mode,
	pc api.ParsingConfiguration, fileTimeout time.Duration) ([]api.ItemResult, []error) {
	c.mu.Lock()
	c.batches = append(c.batches, append([]string(nil), paths...))
	c.mu.Unlock()
	return c.Classifier.ClassifyBatch(ctx, paths, rules, mode, pc, fileTimeout)
}

func (c *countingBatch) Classify(ctx context.Context, path string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration) (api.ItemResult, error) {
	c.mu.Lock()
	c.singles++
	c.mu.Unlock()
	return c.Classifier.Classify(ctx, path, rules, mode, pc)
}

// TestJobClassifiedTogether: with the embedded engine, the files of a job
// are classified as one batch (they weigh each other, as eval measures),
// and a file that cannot be read fails alone with its own reason while the
// others get their types.
func TestJobClassifiedTogether(t *testing.T) {
	ext, err := extract.New(extract.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	cl := &countingBatch{Classifier: classify.New(classify.Options{Extractor: ext})}
	b := start(t, Options{Classifier: cl, DataDir: t.TempDir(), Workers: 2})
	c := ctx(t)
	dir := t.TempDir()
	files := map[string]string{
		"inv.txt":  "INVOICE No. 2024-117\nBill to: ACME Ltd\nItem  Qty  Price\nWidgets 3 x 10.00 30.00\nVAT 20% 6.00\nTotal due 36.00 EUR\nPayment terms: 30 days, IBAN DE44 5001 0517 5407 3249 31",
		"cv.txt":   "Curriculum Vitae\nJane Doe\nWork experience\n2015 - 2020 Software engineer at Initech\nEducation\nBSc Computer Science, 2014\nSkills: Go, SQL",
		"bad.pdf":  "%PDF-1.4 this is not really a PDF",
		"inv2.txt": "Invoice INV-9 from Supplies Ltd. Amount due 120.00 EUR by 2024-05-01. Bill to Foo GmbH. VAT 19%.",
	}
	var ids []string
	var names []string
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := b.Upload(c, p, api.UploadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, f.ID)
		names = append(names, name)
	}
	rules := []api.Rule{
		{Type: "invoice", Description: "an invoice asking for payment of an amount due"},
		{Type: "resume", Description: "a CV with work experience, education and skills"},
	}
	job, err := b.CreateJob(c, api.CreateJobRequest{FileIDs: ids, Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	backendtest.WaitTerminal(c, t, b, job.ID)
	cl.mu.Lock()
	if len(cl.batches) != 1 || len(cl.batches[0]) != 4 || cl.singles != 0 {
		t.Errorf("the job's 4 files went through %d batches %v and %d single calls, want one batch of 4", len(cl.batches), cl.batches, cl.singles)
	}
	cl.mu.Unlock()
	got := map[string]string{}
	if err := b.Results(c, job.ID, func(it api.ResultItem) error {
		if it.Result != nil && it.Result.Type != nil {
			got[api.Deref(it.FileID)] = *it.Result.Type
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	fails, err := b.FileFailures(c, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		want := map[string]string{"inv.txt": "invoice", "inv2.txt": "invoice", "cv.txt": "resume"}[name]
		if name == "bad.pdf" {
			if len(fails) != 1 || fails[0].FileID != ids[i] || !fails[0].Permanent {
				t.Errorf("the unreadable file's failure: %+v", fails)
			}
			continue
		}
		if got[ids[i]] != want {
			t.Errorf("%s: got %q, want %q", name, got[ids[i]], want)
		}
	}
}
