package extract

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klippa-app/go-pdfium/requests"

	"github.com/classifyd/classifyd/internal/testutil/corpus"
)

func markerPDF(t *testing.T, n int) []byte {
	pages := make([]pdfPage, n)
	for i := range pages {
		pages[i] = pdfPage{Lines: []string{fmt.Sprintf("Marker page%d begins here", i), "Some ordinary words for the text layer."}}
	}
	return buildPDF(t, pages)
}

func TestPDFGenerated(t *testing.T) {
	e := sharedExtractor(t)
	doc := mustExtract(t, e, writeFile(t, "m.pdf", markerPDF(t, 3)), Options{})
	if doc.Format != "pdf" || doc.Pages != 3 || doc.Title != "Generated Test" || doc.Fields["page_count"] != "3" {
		t.Fatalf("format %q pages %d title %q fields %v", doc.Format, doc.Pages, doc.Title, doc.Fields)
	}
	want := "Marker page0 begins here\nSome ordinary words for the text layer.\n\nMarker page1"
	if !strings.HasPrefix(doc.Text, want) {
		t.Fatalf("text:\n%s", doc.Text)
	}
}

func TestPDFPageSelection(t *testing.T) {
	e := sharedExtractor(t)
	p := writeFile(t, "m.pdf", markerPDF(t, 6))
	tests := []struct {
		name string
		opts Options
		want []int
	}{
		{"all", Options{}, []int{0, 1, 2, 3, 4, 5}},
		{"max pages", Options{MaxPages: 2}, []int{0, 1}},
		{"target pages 0-indexed", Options{TargetPages: []int{4, 1}}, []int{1, 4}},
		{"out of range ignored", Options{TargetPages: []int{5, 6, 99, -1}}, []int{5}},
		{"duplicates", Options{TargetPages: []int{3, 3}}, []int{3}},
		{"target and max", Options{TargetPages: []int{0, 2, 4}, MaxPages: 2}, []int{0, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := mustExtract(t, e, p, tt.opts)
			if doc.Pages != len(tt.want) {
				t.Fatalf("pages = %d, want %d", doc.Pages, len(tt.want))
			}
			for i := 0; i < 6; i++ {
				has := strings.Contains(doc.Text, fmt.Sprintf("page%d ", i))
				if has != contains(tt.want, i) {
					t.Fatalf("page %d present=%v; text:\n%s", i, has, doc.Text)
				}
			}
		})
	}
	_, err := e.Extract(context.Background(), p, Options{TargetPages: []int{6, 7}})
	wantErr(t, err, ErrNoPages)
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func pdftotext(t *testing.T, path string, args ...string) string {
	t.Helper()
	out, err := exec.Command("pdftotext", append(append([]string{"-q", "-enc", "UTF-8"}, args...), path, "-")...).Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	return string(out)
}

// TestPDFCorpusOverlap compares PDFium's text (the fallback when poppler is
// not installed) with poppler's on every corpus PDF.
func TestPDFCorpusOverlap(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed")
	}
	e := newExtractor(t, Config{PDF: PDFium})
	var mu sync.Mutex
	var worst []string
	files := corpusPDFs(t)
	if testing.Short() || raceEnabled {
		files = everyNth(files, 4) // a sample keeps -short and -race quick
	}
	t.Run("files", func(t *testing.T) {
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				t.Parallel()
				doc := mustExtract(t, e, f, Options{})
				ref := pdftotext(t, f)
				ov := overlap(doc.Text, ref)
				mu.Lock()
				if ov < 0.95 {
					worst = append(worst, fmt.Sprintf("%s %.3f", filepath.Base(f), ov))
				}
				mu.Unlock()
				if ov < 0.9 {
					t.Errorf("word overlap with pdftotext %.3f", ov)
				}
			})
		}
	})
	t.Logf("files under 0.95 overlap: %v", worst)
}

func TestPDFCorpusPages(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed")
	}
	f := filepath.Join(corpusDir(t), "d101.pdf") // 29 pages
	if _, err := os.Stat(f); err != nil {
		t.Skip(err)
	}
	engines(t, func(t *testing.T, e *Extractor) { corpusPages(t, e, f) })
}

func corpusPages(t *testing.T, e *Extractor, f string) {
	doc := mustExtract(t, e, f, Options{MaxPages: 3})
	if doc.Pages != 3 {
		t.Fatalf("pages = %d", doc.Pages)
	}
	if ov := overlap(doc.Text, pdftotext(t, f, "-l", "3")); ov < 0.9 {
		t.Fatalf("overlap with the first 3 pages %.3f", ov)
	}
	doc = mustExtract(t, e, f, Options{TargetPages: []int{5, 40}})
	if doc.Pages != 1 {
		t.Fatalf("pages = %d", doc.Pages)
	}
	page6 := pdftotext(t, f, "-f", "6", "-l", "6")
	if ov := overlap(doc.Text, page6); ov < 0.9 {
		t.Fatalf("overlap with page index 5: %.3f", ov)
	}
	if ov := overlap(doc.Text, pdftotext(t, f, "-f", "1", "-l", "1")); ov > 0.6 {
		t.Fatalf("target page text looks like page 1 (overlap %.3f)", ov)
	}
}

func receiptJPEG(t *testing.T) []byte {
	data, err := os.ReadFile(filepath.Join(corpusDir(t), "d001.jpg"))
	if err != nil {
		t.Skip(err)
	}
	return data
}

// engines runs f once per PDF engine: PDFium, and poppler when installed.
func engines(t *testing.T, f func(t *testing.T, e *Extractor)) {
	t.Run("pdfium", func(t *testing.T) { f(t, newExtractor(t, Config{PDF: PDFium})) })
	t.Run("poppler", func(t *testing.T) {
		needPoppler(t)
		f(t, newExtractor(t, Config{PDF: PDFPoppler}))
	})
}

func TestPDFScanned(t *testing.T) {
	scan := buildPDF(t, []pdfPage{{JPEG: receiptJPEG(t)}})
	p := writeFile(t, "scan.pdf", scan)
	engines(t, func(t *testing.T, e *Extractor) {
		t.Run("OCR by default", func(t *testing.T) {
			needTesseract(t)
			doc := mustExtract(t, e, p, Options{})
			if !strings.Contains(strings.ToUpper(doc.Text), "GIN KEE") || doc.Format != "pdf" || doc.Pages != 1 {
				t.Fatalf("format %q pages %d OCR text:\n%s", doc.Format, doc.Pages, doc.Text)
			}
		})
		t.Run("without tesseract", func(t *testing.T) {
			e := newExtractor(t, Config{PDF: e.cfg.PDF, Tesseract: "/nonexistent/tesseract"})
			doc, err := e.Extract(context.Background(), p, Options{Lang: "de"})
			wantErr(t, err, ErrNoOCR)
			if !strings.Contains(err.Error(), "install tesseract-ocr tesseract-ocr-deu") || !Permanent(err) {
				t.Fatalf("error %q", err)
			}
			if doc.Format != "pdf" || doc.Pages != 1 {
				t.Fatalf("format %q pages %d", doc.Format, doc.Pages)
			}
		})
		t.Run("mixed pages OCR only the scan", func(t *testing.T) {
			needTesseract(t)
			mixed := buildPDF(t, []pdfPage{{Lines: []string{"A typed cover page with plenty of words."}}, {JPEG: receiptJPEG(t)}})
			doc := mustExtract(t, e, writeFile(t, "mixed.pdf", mixed), Options{})
			if !strings.Contains(doc.Text, "typed cover page") || !strings.Contains(strings.ToUpper(doc.Text), "GIN KEE") || doc.Pages != 2 ||
				doc.Fields["ocr_pages"] != "1" {
				t.Fatalf("pages %d fields %v text:\n%s", doc.Pages, doc.Fields, doc.Text)
			}
			// Without tesseract the typed page is read and the file does not fail.
			e := newExtractor(t, Config{PDF: e.cfg.PDF, Tesseract: "/nonexistent/tesseract"})
			doc = mustExtract(t, e, writeFile(t, "mixed.pdf", mixed), Options{})
			if !strings.Contains(doc.Text, "typed cover page") || len(doc.Warnings) != 1 {
				t.Fatalf("warnings %v text:\n%s", doc.Warnings, doc.Text)
			}
		})
	})
}

func TestPDFBroken(t *testing.T) {
	e := sharedExtractor(t)
	good := markerPDF(t, 4)
	tests := []struct {
		name string
		data []byte
	}{
		{"header only", []byte("%PDF-1.7\n")},
		{"garbage after header", append([]byte("%PDF-1.4\n"), []byte(strings.Repeat("\x13\x99garbage(", 500))...)},
		{"truncated", good[:len(good)/3]},
		{"truncated corpus file", nil}, // read in its subtest: the corpus may be missing
		{"encrypted marker", []byte("%PDF-1.4\ntrailer << /Encrypt 1 0 R >>\n%%EOF")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.data == nil {
				tt.data = truncatedCorpusPDF(t)
			}
			doc, err := e.Extract(context.Background(), writeFile(t, "b.pdf", tt.data), Options{})
			if err == nil {
				// PDFium may repair a truncated file; then it must give text.
				if strings.TrimSpace(doc.Text) == "" {
					t.Fatal("no error and no text")
				}
				return
			}
			if !errorsIsAny(err, ErrMalformed, ErrNoText, ErrUnsupported) {
				t.Fatalf("unexpected error %v", err)
			}
		})
	}
	// The pool still works.
	mustExtract(t, e, writeFile(t, "ok.pdf", good), Options{})
}

func truncatedCorpusPDF(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(corpus.File(t, "dev", "docs/d058.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	return data[:len(data)/2]
}

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errorsIs(err, t) {
			return true
		}
	}
	return false
}

func TestPDFTimeoutKillsInstance(t *testing.T) {
	files := corpusPDFs(t)
	e := newExtractor(t, Config{PDF: PDFium, Timeout: 30 * time.Millisecond, Workers: 1})
	// Warm up: PDFium starts outside the time budget of the measured file.
	if _, err := e.pdfEngine(); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(filepath.Dir(files[0]), "d052.pdf") // 17 pages, ~0.5 s
	start := time.Now()
	_, err := e.Extract(context.Background(), big, Options{})
	wantErr(t, err, ErrTimeout)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout took %v to take effect", d)
	}
	// With one worker, the killed instance must have been replaced.
	e.cfg.Timeout = time.Minute
	doc := mustExtract(t, e, writeFile(t, "m.pdf", markerPDF(t, 1)), Options{})
	if !strings.Contains(doc.Text, "page0") {
		t.Fatalf("text after kill: %q", doc.Text)
	}
}

func TestPDFConcurrent(t *testing.T) {
	files := corpusPDFs(t)
	if len(files) > 10 {
		files = files[:10]
	}
	e := sharedExtractor(t)
	want := make([]string, len(files))
	for i, f := range files {
		want[i] = mustExtract(t, e, f, Options{}).Text
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(files)*3)
	for round := 0; round < 3; round++ {
		for i, f := range files {
			wg.Add(1)
			go func() {
				defer wg.Done()
				doc, err := e.Extract(context.Background(), f, Options{})
				if err != nil {
					errs <- err
				} else if doc.Text != want[i] {
					errs <- fmt.Errorf("%s: text differs under concurrency", filepath.Base(f))
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPDFiumLazyAndClosed(t *testing.T) {
	e := newExtractor(t, Config{})
	mustExtract(t, e, writeFile(t, "a.txt", []byte("no pdf here")), Options{})
	if e.pdfStarts != 0 {
		t.Fatal("PDFium started for a text file")
	}
	e.Close()
	_, err := e.Extract(context.Background(), writeFile(t, "m.pdf", markerPDF(t, 1)), Options{})
	wantErr(t, err, ErrClosed)
}

// TestPDFiumStartup measures the first start with an empty compilation
// cache and again with the cache filled.
func TestPDFiumStartup(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("compiles PDFium (~5 s, ~30 s under -race)")
	}
	dir := t.TempDir()
	p := writeFile(t, "m.pdf", markerPDF(t, 1))
	var took [2]time.Duration
	for i := range took {
		e, _ := New(Config{PDF: PDFium, CacheDir: dir, Workers: 1})
		start := time.Now()
		mustExtract(t, e, p, Options{})
		took[i] = time.Since(start)
		e.Close()
	}
	t.Logf("first PDF: %v with an empty cache, %v with the cache", took[0], took[1])
	if took[1] > took[0]/2 {
		t.Fatalf("cache did not help: %v then %v", took[0], took[1])
	}
}

func everyNth(list []string, n int) []string {
	var out []string
	for i := 0; i < len(list); i += n {
		out = append(out, list[i])
	}
	return out
}

// A page PDFium cannot load is skipped with a warning; the other pages
// still count. Only when no page loads is the file malformed.
func TestPDFBadPageSkipped(t *testing.T) {
	e := newExtractor(t, Config{PDF: PDFium})
	good := buildPDF(t, []pdfPage{
		{Lines: []string{"first page alpha words here and more"}},
		{Lines: []string{"second page beta words here and more"}},
		{Lines: []string{"third page gamma words here and more"}},
	})
	// Page objects are 6, 8 and 10: spoil the first one's /Type.
	oneBad := bytes.Replace(good, []byte("/Type /Page /Parent"), []byte("/Type /Pagx /Parent"), 1)
	if bytes.Equal(oneBad, good) {
		t.Fatal("test PDF layout changed")
	}
	doc, err := e.Extract(context.Background(), writeFile(t, "one-bad.pdf", oneBad), Options{})
	if err != nil {
		t.Fatalf("one unreadable page of three: %v", err)
	}
	if doc.Pages != 2 || strings.Contains(doc.Text, "alpha") || !strings.Contains(doc.Text, "beta") || !strings.Contains(doc.Text, "gamma") {
		t.Errorf("pages %d, text %q; want pages 2 and 3", doc.Pages, doc.Text)
	}
	if len(doc.Warnings) != 1 || !strings.Contains(doc.Warnings[0], "unreadable pages skipped: 1 ") {
		t.Errorf("warnings %q; want one naming page 1", doc.Warnings)
	}
	allBad := bytes.ReplaceAll(good, []byte("/Type /Page /Parent"), []byte("/Type /Pagx /Parent"))
	_, err = e.Extract(context.Background(), writeFile(t, "all-bad.pdf", allBad), Options{})
	wantErr(t, err, ErrMalformed)
	// The pool still works.
	mustExtract(t, e, writeFile(t, "ok.pdf", good), Options{})
}

// scanOf renders the first page of a PDF in grey at dpi with PDFium, as a
// scanner would see the printed page, and returns it as a JPEG.
func scanOf(t *testing.T, pdf []byte, dpi int) []byte {
	t.Helper()
	eng, err := newExtractor(t, Config{PDF: PDFium, Workers: 1}).pdfEngine()
	if err != nil {
		t.Fatal(err)
	}
	inst, err := eng.pool.GetInstance(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &pdf})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	res, err := inst.RenderPageInDPI(&requests.RenderPageInDPI{
		Page: requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: 0}}, DPI: dpi,
		ImageFormat: requests.RenderImageFormatGrayscale,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.CleanupFunc()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, res.Result.RenderedImage, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// An image-only PDF made from a known text page gives the words of that
// page, and the same words as tesseract on the scan itself: the page is
// rendered at the scan's own resolution, whatever the page size the scan
// was wrapped in (one point per pixel is common), so tesseract sees the
// scan's pixels. Rendering at a fixed 300 dpi resampled them, and small
// print came out differently ("O8/S0y2029" for a date of a 72 dpi scan).
func TestPDFScannedTextPage(t *testing.T) {
	needTesseract(t)
	lines := []string{
		"Invoice INV/2023/03/0008",
		"Invoice Date: 03/20/2023   Due Date: 04/04/2023",
		"Bill to: Azure Interior, 4557 De Silva St, Fremont",
		"Office chair, quantity 2, unit price 120.00",
		"Total amount due: 240.00 EUR within 30 days",
		"Reference CUSTREF123, account 5001 2300 17",
	}
	want := strings.Join(lines, "\n")
	sizes, cases := []float64{9, 10}, []struct{ scan, page float64 }{{100, 100}, {100, 72}, {150, 72}}
	if testing.Short() || raceEnabled {
		sizes, cases = sizes[:1], cases[1:2] // a sample keeps -short and -race quick
	}
	for _, size := range sizes { // small print, as on invoices
		page := buildPDF(t, []pdfPage{{Lines: lines, Size: size}})
		for _, tc := range cases {
			scan := scanOf(t, page, int(tc.scan))
			direct, err := exec.Command("tesseract", writeFile(t, "scan.jpg", scan), "stdout").Output()
			if err != nil {
				t.Fatal(err)
			}
			if ov := overlap(string(direct), want); ov < 0.9 {
				t.Fatalf("tesseract on the %v dpi scan itself reads only %.2f of the words:\n%s", tc.scan, ov, direct)
			}
			p := writeFile(t, "scan.pdf", buildPDF(t, []pdfPage{{JPEG: scan, DPI: tc.page}}))
			engines(t, func(t *testing.T, e *Extractor) {
				t.Run(fmt.Sprintf("%vpt, %v dpi scan on a page of %v dpi", size, tc.scan, tc.page), func(t *testing.T) {
					doc := mustExtract(t, e, p, Options{})
					if ov := overlap(doc.Text, want); ov < 0.9 {
						t.Errorf("%.2f of the page's words:\n%s", ov, doc.Text)
					}
					if ov := overlap(doc.Text, string(direct)); ov < 0.99 {
						t.Errorf("%.2f of the words tesseract reads on the scan:\n%s\ntesseract on the scan:\n%s", ov, doc.Text, direct)
					}
				})
			})
		}
	}
}

func TestPopplerTimeoutAndPages(t *testing.T) {
	needPoppler(t)
	files := corpusPDFs(t)
	big := filepath.Join(filepath.Dir(files[0]), "d052.pdf") // 17 pages
	e := newExtractor(t, Config{PDF: PDFPoppler, Timeout: 5 * time.Millisecond})
	start := time.Now()
	_, err := e.Extract(context.Background(), big, Options{})
	wantErr(t, err, ErrTimeout)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout took %v to take effect", d)
	}
	if Permanent(err) {
		t.Fatal("a timeout is not permanent")
	}
	e = newExtractor(t, Config{PDF: PDFPoppler})
	doc, err := e.Extract(context.Background(), big, Options{TargetPages: []int{40, 41}})
	wantErr(t, err, ErrNoPages)
	if doc.Fields["page_count"] != "17" || !strings.Contains(err.Error(), "17 pages") {
		t.Fatalf("fields %v, error %v", doc.Fields, err)
	}
	doc = mustExtract(t, e, big, Options{TargetPages: []int{16, 2, 0, 40}, MaxPages: 2})
	if doc.Pages != 2 || doc.Fields["page_count"] != "" {
		t.Fatalf("pages %d fields %v", doc.Pages, doc.Fields)
	}
	doc = mustExtract(t, e, big, Options{MaxPages: 50})
	if doc.Pages != 17 || doc.Fields["page_count"] != "17" {
		t.Fatalf("pages %d fields %v", doc.Pages, doc.Fields)
	}
}

func TestPageRuns(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{}, "1-0"},
		{Options{MaxPages: 10}, "1-10"},
		{Options{TargetPages: []int{5, 0, 2, 5, -1}}, "1-6"},
		{Options{TargetPages: []int{0, 9, 30}, MaxPages: 2}, "1-1 10-10"},
	} {
		var got []string
		for _, r := range pageRuns(tc.opts) {
			got = append(got, fmt.Sprintf("%d-%d", r.first, r.last))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%+v: %v, want %s", tc.opts, got, tc.want)
		}
	}
}

// encryptPDF gives a PDF a standard security handler whose user password
// is not empty (its /U matches no password a reader tries on its own).
func encryptPDF(plain []byte) []byte {
	hex32 := func(b byte) string { return "<" + strings.Repeat(fmt.Sprintf("%02x", b), 32) + ">" }
	i := bytes.LastIndex(plain, []byte("trailer\n<<"))
	tr := fmt.Sprintf("trailer\n<< /Encrypt << /Filter /Standard /V 1 /R 2 /Length 40 /O %s /U %s /P -4 >> "+
		"/ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] ", hex32(0x11), hex32(0x22))
	return append(append(append([]byte{}, plain[:i]...), tr...), plain[i+len("trailer\n<<"):]...)
}

func TestPDFEncrypted(t *testing.T) {
	p := writeFile(t, "enc.pdf", encryptPDF(buildPDF(t, []pdfPage{{Lines: []string{"secret words of a locked file"}}})))
	engines(t, func(t *testing.T, e *Extractor) {
		_, err := e.Extract(context.Background(), p, Options{})
		wantErr(t, err, ErrEncrypted)
		if !Permanent(err) {
			t.Fatal("an encrypted PDF is not a permanent failure")
		}
	})
}
