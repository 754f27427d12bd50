package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	_ "image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/classifyd/classifyd/internal/extract/pdftest"
	"github.com/classifyd/classifyd/internal/testutil/corpus"
)

// corpusDir is the documents folder of the labelled dev corpus.
func corpusDir(t testing.TB) string {
	t.Helper()
	return corpus.File(t, "dev", "docs")
}

// corpusPDFs lists the corpus PDFs.
func corpusPDFs(t testing.TB) []string {
	t.Helper()
	return corpus.PDFs(t, "dev")
}

// testCacheDir keeps the compiled PDFium between test runs so only the
// first run on a machine pays for the compilation.
func testCacheDir() string {
	return filepath.Join(os.TempDir(), "classifyd-extract-test-pdfium-cache")
}

var (
	sharedOnce sync.Once
	shared     *Extractor
)

// sharedExtractor is one Extractor (one PDFium pool) for the package's tests.
func sharedExtractor(t testing.TB) *Extractor {
	sharedOnce.Do(func() {
		shared, _ = New(Config{CacheDir: testCacheDir()})
	})
	return shared
}

func newExtractor(t testing.TB, cfg Config) *Extractor {
	t.Helper()
	if cfg.CacheDir == "" {
		cfg.CacheDir = testCacheDir()
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type zipEntry struct {
	name, body string
	store      bool // no compression
}

func makeZip(t testing.TB, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		method := zip.Deflate
		if e.store {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pdfPage is one page of a generated PDF (pdftest.Page).
type pdfPage = pdftest.Page

func buildPDF(t testing.TB, pages []pdfPage) []byte {
	t.Helper()
	data, err := pdftest.Build(pages)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func needPoppler(t testing.TB) {
	t.Helper()
	for _, p := range []string{"pdftotext", "pdftoppm"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("poppler not installed (%s): apt-get install poppler-utils", p)
		}
	}
}

func needTesseract(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Skip("tesseract not installed")
	}
}

// words returns the lower-case ASCII words of s (math and symbol fonts
// without a Unicode mapping come out differently from every extractor).
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}

// overlap is the share of the words of want (as a multiset) found in got.
func overlap(got, want string) float64 {
	have := map[string]int{}
	for _, w := range words(got) {
		have[w]++
	}
	ws := words(want)
	if len(ws) == 0 {
		return 1
	}
	hit := 0
	for _, w := range ws {
		if have[w] > 0 {
			have[w]--
			hit++
		}
	}
	return float64(hit) / float64(len(ws))
}

func mustExtract(t testing.TB, e *Extractor, path string, opts Options) Document {
	t.Helper()
	doc, err := e.Extract(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("extract %s: %v", filepath.Base(path), err)
	}
	return doc
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
