package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/metrics"
)

// failingClassifier fails the files whose base name is in fail (with the
// error made by the function there) and classifies the rest by keyword;
// it counts the attempts per file.
type failingClassifier struct {
	fail  map[string]func(name string) error
	mu    sync.Mutex
	calls map[string]int
}

func (c *failingClassifier) Classify(ctx context.Context, path string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration) (api.ItemResult, error) {
	name := filepath.Base(path)
	c.mu.Lock()
	c.calls[name]++
	c.mu.Unlock()
	if f := c.fail[name]; f != nil {
		return api.ItemResult{}, f(path)
	}
	return local.KeywordClassifier{PDFToText: "-"}.Classify(ctx, path, rules, mode, pc)
}

func (c *failingClassifier) attempts(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[name]
}

// A batch with one unreadable file files the others; the unreadable file
// fails alone, at once (a permanent failure is not retried), with only its
// own reason in its .error.txt; the job-failure metric does not move. A
// transient failure goes round again.
func TestPerFileFailures(t *testing.T) {
	e := newEnv(t, "")
	e.write("a.txt", "the apple harvest in the orchard, banana too")
	e.write("b.txt", "my car engine needs new wheels from the garage")
	e.write("scan.pdf", "%PDF-1.4 an unreadable scan")
	e.write("c.txt", "more apple fruit")
	e.write("d.txt", "the garage fixed the car engine")
	e.write("flaky.txt", "apple banana")
	c := &failingClassifier{calls: map[string]int{}, fail: map[string]func(string) error{
		"scan.pdf": func(path string) error {
			return api.Permanent(fmt.Errorf("extract %s: needs OCR, but tesseract is not installed: install tesseract-ocr", path))
		},
		"flaky.txt": func(string) error { return errors.New("classification timed out") },
	}}
	lb, err := local.New(local.Options{Classifier: c, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go lb.Run(ctx)
	defer lb.Close()
	jobsFailed := counter(metrics.JobsFailed)
	got, err := e.run(ctx, lb, nil)
	if err != nil {
		t.Fatal(err)
	}
	folders := map[string]string{}
	for _, en := range got {
		folders[filepath.Base(en.Source)] = en.Folder
	}
	for name, want := range map[string]string{"a.txt": "fruit", "b.txt": "vehicle", "c.txt": "fruit", "d.txt": "vehicle", "scan.pdf": "failed", "flaky.txt": "failed"} {
		if folders[name] != want {
			t.Errorf("%s went to %q, want %q (all: %v)", name, folders[name], want, folders)
		}
	}
	if n := c.attempts("scan.pdf"); n != 1 {
		t.Errorf("the unreadable file was tried %d times, want once", n)
	}
	if n := c.attempts("flaky.txt"); n != 1+e.cfg.Poll.JobRetries {
		t.Errorf("the transient failure was tried %d times, want %d", n, 1+e.cfg.Poll.JobRetries)
	}
	note, err := os.ReadFile(filepath.Join(e.out, "_failed", "scan.pdf.error.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(note), "install tesseract-ocr") || strings.Contains(string(note), "flaky") ||
		strings.Contains(string(note), "index") || strings.Contains(string(note), "files failed") {
		t.Errorf("scan.pdf.error.txt holds more than its own reason:\n%s", note)
	}
	note, _ = os.ReadFile(filepath.Join(e.out, "_failed", "flaky.txt.error.txt"))
	if !strings.Contains(string(note), "timed out") || strings.Contains(string(note), "tesseract") {
		t.Errorf("flaky.txt.error.txt:\n%s", note)
	}
	if d := counter(metrics.JobsFailed) - jobsFailed; d != 0 {
		t.Errorf("jobs failed metric moved by %v for files that failed alone", d)
	}
}

// Without the backend's word (an HTTP backend), each file's reason is read
// from the job's error_message as the embedded engine writes it.
func TestFileReasonsFromMessage(t *testing.T) {
	d := &Daemon{}
	msg := "3 of 5 files failed: file f-1 (index 0): extract a.pdf: malformed file; bad; file f-2 (index 3): b.doc: unsupported file format; and 1 more"
	got := d.fileFailures("job", msg)
	if len(got) != 2 || got["f-1"].Reason != "extract a.pdf: malformed file; bad" || got["f-2"].Reason != "b.doc: unsupported file format" ||
		got["f-1"].Permanent {
		t.Fatalf("%+v", got)
	}
	if got := d.fileFailures("job", "the backend is down"); len(got) != 0 {
		t.Fatalf("%+v", got)
	}
}

func counter(c prometheus.Counter) float64 {
	var m dto.Metric
	c.Write(&m)
	return m.GetCounter().GetValue()
}
