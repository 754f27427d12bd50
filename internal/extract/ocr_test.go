package extract

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
)

func TestTesseractLang(t *testing.T) {
	for _, code := range api.Languages {
		got, err := TesseractLang(code)
		if err != nil || got == "" {
			t.Errorf("TesseractLang(%q) = %q, %v", code, got, err)
		}
	}
	for code, want := range map[string]string{
		"": "eng", "en": "eng", "de": "deu", "fr": "fra", "nl": "nld", "ch_sim": "chi_sim", "ch_tra": "chi_tra",
		"rs_latin": "srp_latn", "rs_cyrillic": "srp", "tl": "tgl", "ja": "jpn", "ko": "kor", "che": "rus", "tjk": "tgk",
		"en,de": "eng+deu", "de, en": "deu+eng", "ru,che": "rus", "en,fr,nl": "eng+fra+nld",
	} {
		if got, _ := TesseractLang(code); got != want {
			t.Errorf("TesseractLang(%q) = %q, want %q", code, got, want)
		}
	}
	for _, bad := range []string{"xx", "EN", "zh", "../eng", "en,xx", "en,", "eng+deu"} {
		_, err := TesseractLang(bad)
		wantErr(t, err, ErrUnknownLang)
	}
	if len(tesseractLangs) != len(api.Languages) {
		t.Errorf("map has %d codes, the API %d", len(tesseractLangs), len(api.Languages))
	}
}

func TestOCRImage(t *testing.T) {
	needTesseract(t)
	img := filepath.Join(corpusDir(t), "d001.jpg")
	e := newExtractor(t, Config{})
	doc := mustExtract(t, e, img, Options{})
	if doc.Format != "image" || doc.Pages != 1 || !strings.Contains(strings.ToUpper(doc.Text), "GIN KEE") {
		t.Fatalf("format %q pages %d text:\n%s", doc.Format, doc.Pages, doc.Text)
	}
	t.Run("language not installed", func(t *testing.T) {
		// Japanese is not installed in the test image: an error naming the package.
		if e.mustTool(t).langs["jpn"] {
			t.Skip("jpn is installed")
		}
		_, err := e.Extract(context.Background(), img, Options{Lang: "en,ja"})
		wantErr(t, err, ErrNoOCRLang)
		if !strings.Contains(err.Error(), "install tesseract-ocr-jpn") || strings.Contains(err.Error(), "tesseract-ocr-eng") {
			t.Fatalf("message %q", err)
		}
		if !Permanent(err) {
			t.Fatal("a missing language is not permanent")
		}
	})
	t.Run("installed language", func(t *testing.T) {
		if !e.mustTool(t).langs["deu"] {
			t.Skip("deu not installed")
		}
		doc := mustExtract(t, e, img, Options{Lang: "de"})
		if len(doc.Warnings) != 0 {
			t.Fatalf("warnings %v", doc.Warnings)
		}
	})
	t.Run("unknown language", func(t *testing.T) {
		_, err := e.Extract(context.Background(), img, Options{Lang: "xx"})
		wantErr(t, err, ErrUnknownLang)
	})
	if e.ocrState.checks != 1 {
		t.Fatalf("tesseract looked up %d times", e.ocrState.checks)
	}
}

func (e *Extractor) mustTool(t *testing.T) *ocrTool {
	tool, err := e.tesseract(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tool
}

func TestOCRGeneratedPNG(t *testing.T) {
	needTesseract(t)
	// A blank image OCRs to nothing: empty text, no error.
	img := image.NewGray(image.Rect(0, 0, 200, 100))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	img.Set(10, 10, color.Black)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	doc := mustExtract(t, newExtractor(t, Config{}), writeFile(t, "blank.png", buf.Bytes()), Options{})
	if doc.Format != "image" || strings.TrimSpace(doc.Text) != "" {
		t.Fatalf("format %q text %q", doc.Format, doc.Text)
	}
}

func TestNoTesseract(t *testing.T) {
	img := writeFile(t, "x.png", tinyPNG(t))
	e := newExtractor(t, Config{Tesseract: "/nonexistent/tesseract"})
	_, err := e.Extract(context.Background(), img, Options{})
	wantErr(t, err, ErrNoOCR)
	if !strings.Contains(err.Error(), "install tesseract-ocr") {
		t.Fatalf("message %q", err)
	}
	// The failed look-up is remembered for a while, then retried.
	_, _ = e.Extract(context.Background(), img, Options{})
	if e.ocrState.checks != 1 {
		t.Fatalf("looked up %d times", e.ocrState.checks)
	}
	old := ocrRetry
	ocrRetry = 0
	defer func() { ocrRetry = old }()
	_, _ = e.Extract(context.Background(), img, Options{})
	if e.ocrState.checks != 2 {
		t.Fatalf("not retried: %d", e.ocrState.checks)
	}
}

func TestOCRTimeout(t *testing.T) {
	needTesseract(t)
	// A fake tesseract that hangs: the time budget kills it.
	dir := t.TempDir()
	fake := filepath.Join(dir, "tesseract")
	script := "#!/bin/sh\nif [ \"$1\" = --list-langs ]; then echo 'List of available languages (1):'; echo eng; exit 0; fi\nexec sleep 30\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	e := newExtractor(t, Config{Tesseract: fake, Timeout: 300 * time.Millisecond})
	start := time.Now()
	_, err := e.Extract(context.Background(), writeFile(t, "x.png", tinyPNG(t)), Options{})
	wantErr(t, err, ErrTimeout)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
}

func tinyPNG(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImagePixelBomb(t *testing.T) {
	// A PNG header declaring 100000 x 100000 pixels, refused before tesseract runs.
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit greyscale
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&buf, binary.BigEndian, uint32(len(data)))
		buf.WriteString(typ)
		buf.Write(data)
		binary.Write(&buf, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	chunk("IHDR", ihdr)
	chunk("IEND", nil)
	_, err := newExtractor(t, Config{Tesseract: "/nonexistent"}).Extract(context.Background(), writeFile(t, "bomb.png", buf.Bytes()), Options{})
	// Without tesseract the look-up fails first; with it, the size check.
	if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrNoOCR) {
		t.Fatalf("err = %v", err)
	}
	if err := checkImageSize(buf.Bytes()); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("checkImageSize = %v", err)
	}
}

// fakeTesseract writes a stand-in tesseract that lists eng, takes a while
// per page and records how many copies of it run at once.
func fakeTesseract(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "tesseract")
	// Each run marks itself in dir/run.<pid>, counts itself in dir/calls,
	// and writes to dir/seen how many runs it saw at once. It waits up to
	// 3 s for a peer, so a loaded machine that starts the second page late
	// still shows the overlap; runs that are never allowed to overlap show 1.
	script := `#!/bin/sh
if [ "$1" = --list-langs ]; then printf 'List of available languages (1):\neng\n'; exit 0; fi
d="` + dir + `"
cat >/dev/null
mkdir "$d/run.$$"
echo call >> "$d/calls"
i=0
while :; do
	n=$(ls -d "$d"/run.* | wc -l)
	echo "$n" >> "$d/seen"
	if [ "$n" -ge 2 ] || [ "$i" -ge 60 ]; then break; fi
	sleep 0.05
	i=$((i+1))
done
sleep 0.2
rmdir "$d/run.$$"
echo "scanned page words for the classifier to read"
`
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// The pages of scans are OCRed in parallel, never more than Config.OCRJobs
// at once across every file.
func TestOCRPagesInParallel(t *testing.T) {
	scan := buildPDF(t, []pdfPage{{JPEG: receiptJPEG(t)}, {JPEG: receiptJPEG(t)}, {JPEG: receiptJPEG(t)}, {JPEG: receiptJPEG(t)}})
	p := writeFile(t, "scan.pdf", scan)
	engines(t, func(t *testing.T, e *Extractor) {
		dir := t.TempDir()
		e = newExtractor(t, Config{PDF: e.cfg.PDF, OCRJobs: 2, Tesseract: fakeTesseract(t, dir)})
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				doc, err := e.Extract(context.Background(), p, Options{})
				if err != nil || doc.Fields["ocr_pages"] != "4" {
					t.Errorf("fields %v, err %v", doc.Fields, err)
				}
			})
		}
		wg.Wait()
		calls, _ := os.ReadFile(filepath.Join(dir, "calls"))
		seen, _ := os.ReadFile(filepath.Join(dir, "seen"))
		most := 0
		for _, f := range strings.Fields(string(seen)) {
			n, _ := strconv.Atoi(f)
			most = max(most, n)
		}
		if runs := len(strings.Fields(string(calls))); runs != 8 || most != 2 {
			t.Fatalf("tesseract ran %d times, at most %d at once; want 8 times, 2 at once", runs, most)
		}
	})
}
