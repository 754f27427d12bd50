// Package hostiledocs_test feeds hostile documents to the extractor with its
// default budgets (internal/extract) and through the real pipeline
// (internal/classify behind internal/local): a PDF of ten thousand pages,
// 2 GiB of zeros under document names, MIME, XML and HTML nested a thousand
// to a million levels deep, a 100 MB line, truncated PDFs and PDFs with a
// bogus cross-reference table. Each must end as an error for that file or as
// a bounded result, within a generous time bound and a heap-growth bound,
// and the PDFium pool must still extract a normal file afterwards.
package hostiledocs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/extract"
	"github.com/classifyd/classifyd/internal/testutil/corpus"
)

// Bounds every hostile document must stay within. They are generous on
// purpose: they catch an unbounded read or a hang, not a slow machine.
const (
	timeBound = 60 * time.Second
	heapBound = 512 << 20 // growth of the live heap over the baseline
)

// corpusPDFs lists the dev corpus's PDFs, sorted; see corpus.Dir for a
// missing corpus.
func corpusPDFs(t testing.TB) []string {
	t.Helper()
	return corpus.PDFs(t, "dev")
}

var (
	extOnce sync.Once
	ext     *extract.Extractor
	extErr  error
)

// extractor is the package's one Extractor: default budgets, the PDFium
// compilation cached between runs (a cache, not a budget).
func extractor(t testing.TB) *extract.Extractor {
	t.Helper()
	extOnce.Do(func() {
		ext, extErr = extract.New(extract.Config{
			CacheDir: filepath.Join(os.TempDir(), "classifyd-extract-test-pdfium-cache"),
		})
	})
	if extErr != nil {
		t.Fatal(extErr)
	}
	return ext
}

func TestMain(m *testing.M) {
	code := m.Run()
	if ext != nil {
		ext.Close()
	}
	os.Exit(code)
}

// usage is what one extraction cost.
type usage struct {
	took       time.Duration
	heapGrowth int64  // peak live heap over the baseline, sampled
	allocated  uint64 // bytes allocated in all, freed or not
}

// measure runs f and samples the live heap while it runs.
func measure(f func()) usage {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak := before.HeapAlloc
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
	}()
	start := time.Now()
	f()
	took := time.Since(start)
	close(stop)
	<-done
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	peak = max(peak, after.HeapAlloc)
	return usage{took: took, heapGrowth: int64(peak) - int64(before.HeapAlloc), allocated: after.TotalAlloc - before.TotalAlloc}
}

// extractBounded extracts path and fails the test unless the outcome is an
// error for the file or a result within the text budget, reached within
// the time and heap bounds. It never accepts a contained panic or the time
// budget running out.
func extractBounded(t *testing.T, path string, opts extract.Options) (extract.Document, error) {
	t.Helper()
	var (
		doc extract.Document
		err error
	)
	u := measure(func() { doc, err = extractor(t).Extract(context.Background(), path, opts) })
	t.Logf("%s: took %v, heap growth %d MiB, allocated %d MiB, format %q, pages %d, %d bytes of text, truncated %v, err %v",
		filepath.Base(path), u.took.Round(time.Millisecond), u.heapGrowth>>20, u.allocated>>20,
		doc.Format, doc.Pages, len(doc.Text), doc.Truncated, err)
	switch {
	case errors.Is(err, extract.ErrPanic):
		t.Errorf("extractor panicked: %v", err)
	case errors.Is(err, extract.ErrTimeout):
		t.Errorf("ran into the time budget: %v", err)
	}
	if u.took > timeBound {
		t.Errorf("took %v, bound %v", u.took, timeBound)
	}
	if u.heapGrowth > heapBound {
		t.Errorf("heap grew by %d MiB, bound %d MiB", u.heapGrowth>>20, heapBound>>20)
	}
	if len(doc.Text) > extract.DefaultMaxText {
		t.Errorf("%d bytes of text, budget %d", len(doc.Text), extract.DefaultMaxText)
	}
	return doc, err
}
