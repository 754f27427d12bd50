package extract

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// corpusDir is the labelled dev corpus, found from the repository root.
func corpusDir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus", "dev", "docs")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("dev corpus not found at %s: %v", dir, err)
	}
	return dir
}

// corpusPDFs lists the corpus PDFs.
func corpusPDFs(t testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join(corpusDir(t), "*.pdf"))
	if len(files) == 0 {
		t.Skip("no PDFs in the corpus")
	}
	return files
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

// pdfPage is one page of a generated PDF: text lines in Helvetica, or a
// JPEG image filling the page (a scan without a text layer).
type pdfPage struct {
	lines []string
	jpeg  []byte
	dpi   float64 // resolution of the JPEG on the page; 0 = 200
	size  float64 // font size of the lines; 0 = 12
}

// buildPDF writes a small valid PDF with an exact cross-reference table.
func buildPDF(t testing.TB, pages []pdfPage) []byte {
	t.Helper()
	var objs []string // object bodies, numbered from 1
	add := func(body string) int { objs = append(objs, body); return len(objs) }
	catalog := add("")
	pagesObj := add("")
	font := add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	info := add("<< /Title (Generated Test) >>")
	var kids []string
	for _, p := range pages {
		var content, resources string
		w, h := 612.0, 792.0
		if p.jpeg != nil {
			cfg, format, err := image.DecodeConfig(bytes.NewReader(p.jpeg))
			if err != nil || format != "jpeg" {
				t.Fatalf("jpeg page: %v %s", err, format)
			}
			cs := "/DeviceRGB"
			switch cfg.ColorModel {
			case color.GrayModel:
				cs = "/DeviceGray"
			case color.CMYKModel:
				cs = "/DeviceCMYK"
			}
			img := add(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream",
				cfg.Width, cfg.Height, cs, len(p.jpeg), p.jpeg))
			dpi := cmp.Or(p.dpi, 200)
			w, h = float64(cfg.Width)*72/dpi, float64(cfg.Height)*72/dpi
			content = fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q", w, h)
			resources = fmt.Sprintf("<< /XObject << /Im0 %d 0 R >> >>", img)
		} else {
			var b strings.Builder
			size := cmp.Or(p.size, 12)
			fmt.Fprintf(&b, "BT /F1 %g Tf 72 %g Td %g TL\n", size, 732-size, size*7/6)
			for _, l := range p.lines {
				l = strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(l)
				fmt.Fprintf(&b, "(%s) Tj T*\n", l)
			}
			b.WriteString("ET")
			content = b.String()
			resources = fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font)
		}
		c := add(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
		pg := add(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Resources %s /Contents %d 0 R >>", pagesObj, w, h, resources, c))
		kids = append(kids, fmt.Sprintf("%d 0 R", pg))
	}
	objs[catalog-1] = fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pagesObj)
	objs[pagesObj-1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids))
	var out bytes.Buffer
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, body := range objs {
		offsets[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i+1, body)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, catalog, info, xref)
	return out.Bytes()
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
