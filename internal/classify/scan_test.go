package classify

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/extract"
	"github.com/classifyd/classifyd/internal/extract/pdftest"
)

func need(t *testing.T, progs ...string) {
	t.Helper()
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed (CI installs tesseract-ocr and poppler-utils)", p)
		}
	}
}

// scanOf prints a PDF's first page the way a scanner sees it: grey, 150 dpi, JPEG.
func scanOf(t *testing.T, pdf []byte) []byte {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "page.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftoppm", "-f", "1", "-l", "1", "-r", "150", "-gray", "-jpeg", in, filepath.Join(dir, "scan")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	jpg, err := os.ReadFile(filepath.Join(dir, "scan-1.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	return jpg
}

func build(t *testing.T, pages ...pdftest.Page) []byte {
	t.Helper()
	data, err := pdftest.Build(pages)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// With the default configuration (mode FAST, the example rules), a scanned
// invoice, a PDF whose second page is a scanned receipt and a photo of a
// receipt are read with OCR and classified right, with either PDF engine.
func TestScansWithDefaultConfig(t *testing.T) {
	need(t, "tesseract", "pdftoppm", "pdftotext")
	cfg := config.Default()
	rules, pc := cfg.APIRules(), cfg.ParsingConfiguration()
	dir := t.TempDir()
	invoice := build(t, pdftest.Page{Size: 13, Lines: strings.Split(invoiceText, "\n")})
	receipt := build(t, pdftest.Page{Size: 13, Lines: []string{
		"CORNER CAFE", "12 Harbour Street", "Cash receipt no. 4471", "Date 14/05/2024 08:42",
		"Flat white        1   3.40", "Croissant         2   5.00", "TOTAL             8.40",
		"Cash              10.00", "Change            1.60", "Thank you for your visit!",
	}})
	files := map[string]struct {
		data []byte
		want string
	}{
		"scanned-invoice.pdf": {build(t, pdftest.Page{JPEG: scanOf(t, invoice), DPI: 150}), "invoice"},
		"mixed.pdf": {build(t, pdftest.Page{Lines: []string{"Scanned by the office copier, 1 page follows."}},
			pdftest.Page{JPEG: scanOf(t, receipt), DPI: 150}), "receipt"},
		"photo.jpg": {scanOf(t, receipt), "receipt"},
	}
	engines := []string{extract.PDFPoppler, extract.PDFium}
	if testing.Short() {
		engines = engines[:1] // extract's own tests hold PDFium to poppler
	}
	for _, engine := range engines {
		ext, err := extract.New(extract.Config{PDF: engine, CacheDir: filepath.Join(os.TempDir(), "classifyd-extract-test-pdfium-cache")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ext.Close() })
		p := New(Options{Extractor: ext})
		for name, f := range files {
			t.Run(engine+"/"+name, func(t *testing.T) {
				path := filepath.Join(dir, name)
				if err := os.WriteFile(path, f.data, 0o644); err != nil {
					t.Fatal(err)
				}
				res, err := p.Classify(context.Background(), path, rules, cfg.Mode, pc)
				if err != nil {
					t.Fatal(err)
				}
				if api.Deref(res.Type) != f.want {
					t.Errorf("classified %q (%.2f), want %s: %s", api.Deref(res.Type), res.Confidence, f.want, res.Reasoning)
				}
			})
		}
	}
}

// parsing.lang "en,de" reaches tesseract as "-l eng+deu" (a stand-in
// tesseract records its arguments).
func TestLangsReachTesseract(t *testing.T) {
	dir := t.TempDir()
	argsFile := filepath.Join(dir, "args")
	fake := filepath.Join(dir, "tesseract")
	script := "#!/bin/sh\nif [ \"$1\" = --list-langs ]; then printf 'List of available languages (3):\\neng\\ndeu\\nosd\\n'; exit 0; fi\n" +
		"echo \"$@\" >> " + argsFile + "\ncat >/dev/null\necho 'Rechnung Nummer 2024-117 Gesamtbetrag invoice amount due VAT'\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte("parsing:\n  lang: en,de\nrules:\n  - type: invoice\n    description: an invoice with the amount due\n"), "c.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	ext, err := extract.New(extract.Config{Tesseract: fake})
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	p := New(Options{Extractor: ext})
	img := writeFile(t, dir, "scan.png", "\x89PNG\r\n\x1a\n not really an image")
	if _, err := p.Classify(context.Background(), img, cfg.APIRules(), cfg.Mode, cfg.ParsingConfiguration()); err != nil {
		t.Fatal(err)
	}
	args, _ := os.ReadFile(argsFile)
	if !strings.Contains(string(args), "-l eng+deu") {
		t.Fatalf("tesseract ran with %q, want -l eng+deu", args)
	}
}
