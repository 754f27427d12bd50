package hostiledocs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/classify"
	"github.com/classifyd/classifyd/internal/local"
)

const invoiceText = `ACME Supplies Ltd
INVOICE
Invoice number: 2024-117
Invoice date: 03/02/2024
Bill to: Example GmbH

Item              Qty   Unit price   Amount
Paper A4 box        4        21.00    84.00
Toner black         2        65.50   131.00

Subtotal                            215.00
VAT 20%                              43.00
Total amount due                    258.00
`

// TestPipelineHostileFilesFailAlone runs one job over hostile files and one
// invoice through the real pipeline behind the local backend: each hostile
// file must become an error of that file only (named in the job's
// error_message, no result item), the invoice must be classified, and the
// job must end PARTIAL_SUCCESS.
func TestPipelineHostileFilesFailAlone(t *testing.T) {
	dir := t.TempDir()
	p := classify.New(classify.Options{Extractor: extractor(t)})
	done := make(chan api.ClassifyJob, 1)
	b, err := local.New(local.Options{Classifier: p, Workers: 2,
		OnJobDone: func(j api.ClassifyJob) { done <- j }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.Run(ctx)
	defer b.Close()

	// A page tree that loops is not here: poppler reads it, PDFium
	// fails it (docs_test.go holds both to no crash).
	bad := map[string]string{ // name → path
		"zeros.pdf":   makeSparse(t, dir, "zeros.pdf", 2<<30),
		"zeros.docx":  makeSparse(t, dir, "zeros.docx", 1<<20),
		"half.pdf":    cutAfter(t, makePDF(t, dir, "half.pdf", pdfSpec{Pages: 3}), "/Type /Pages"),
		"junk.pdf":    writeBytes(t, dir, "junk.pdf", []byte("%PDF-1.7\n\x00\x01\x02 not a pdf at all\n%%EOF\n")),
		"deep.eml":    makeDeepEML(t, dir, "deep.eml", 1000, deepText),
		"cut.eml":     cutAfter(t, makeDeepEML(t, dir, "cut.eml", 40, deepText), deepText),
		"noroot.pdf":  writeBytes(t, dir, "noroot.pdf", []byte("%PDF-1.4\ntrailer\n<< /Root 9 0 R >>\n%%EOF\n")),
		"binary.json": writeBytes(t, dir, "binary.json", []byte{0, 1, 2, 3, 0xff, 0xfe, 0, 0}),
	}
	good := writeBytes(t, dir, "invoice.txt", []byte(invoiceText))

	var ids []string
	badID := map[string]string{} // file id → name
	for name, path := range bad {
		f, err := b.Upload(ctx, path, api.UploadOptions{})
		if err != nil {
			t.Fatalf("upload %s: %v", name, err)
		}
		ids = append(ids, f.ID)
		badID[f.ID] = name
	}
	gf, err := b.Upload(ctx, good, api.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, gf.ID)

	rules := []api.Rule{
		{Type: "invoice", Description: "an invoice with line items, VAT and the amount due"},
		{Type: "letter", Description: "a letter to a person"},
	}
	job, err := b.CreateJob(ctx, api.CreateJobRequest{FileIDs: ids, Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case j := <-done:
		job = j
	case <-time.After(timeBound):
		t.Fatalf("job not done after %v", timeBound)
	}
	if job.Status != api.StatusPartialSuccess {
		t.Errorf("status %s, want %s (error: %s)", job.Status, api.StatusPartialSuccess, api.Deref(job.ErrorMessage))
	}
	msg := api.Deref(job.ErrorMessage)
	t.Logf("error_message: %s", msg)
	for id, name := range badID {
		if !strings.Contains(msg, id) {
			t.Errorf("error_message does not name %s (%s)", name, id)
		}
	}
	if strings.Contains(msg, dir) {
		t.Errorf("error_message shows a server path: %s", msg)
	}
	var items []api.ResultItem
	if err := b.Results(ctx, job.ID, func(it api.ResultItem) error { items = append(items, it); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || api.Deref(items[0].FileID) != gf.ID {
		t.Fatalf("results %+v, want one for the invoice %s", items, gf.ID)
	}
	if r := items[0].Result; r == nil || api.Deref(r.Type) != "invoice" {
		t.Errorf("invoice classified as %+v", r)
	}
}
