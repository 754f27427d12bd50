package extract

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Fuzz targets: any bytes under a format's name must give a Document or an
// error within the time budget, never a panic (which Extract would report
// as ErrPanic) or a hang.

var (
	fuzzOnce sync.Once
	fuzzExt  *Extractor
)

func fuzzExtractor() *Extractor {
	fuzzOnce.Do(func() {
		// PDFium: the parser that runs in our process.
		fuzzExt, _ = New(Config{PDF: PDFium, CacheDir: testCacheDir(), Timeout: 10 * time.Second, Workers: 1})
	})
	return fuzzExt
}

func fuzzOne(t *testing.T, name string, data []byte, opts Options) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	doc, err := fuzzExtractor().Extract(context.Background(), p, opts)
	if errors.Is(err, ErrPanic) {
		t.Fatalf("panic: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("took %v", d)
	}
	if len(doc.Text) > DefaultMaxText {
		t.Fatalf("text of %d bytes over the budget", len(doc.Text))
	}
}

func FuzzExtractText(f *testing.F) {
	f.Add([]byte("plain text\r\nline two"))
	f.Add([]byte{0xff, 0xfe, 'h', 0, 'i', 0})
	f.Add([]byte{0xfe, 0xff, 0, 'h', 0})
	f.Add([]byte("caf\xe9 cr\xe8me"))
	f.Add([]byte("a,b\n1,2\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOne(t, "f.txt", data, Options{}) })
}

func FuzzExtractHTML(f *testing.F) {
	f.Add([]byte(`<html><head><meta charset="iso-8859-1"><title>t</title></head><body><p>x</p><script>y</script></body></html>`))
	f.Add([]byte(`<table><tr><td>a<td>b</table><pre> x </pre><img alt="logo">`))
	f.Add([]byte(`<meta http-equiv="Content-Type" content="text/html; charset=shift_jis"><p>\x82\xa0</p>`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOne(t, "f.html", data, Options{}) })
}

func FuzzExtractEML(f *testing.F) {
	f.Add([]byte("From: a@b\nTo: c@d\nSubject: =?UTF-8?B?w6TDtg==?=\n\nbody\n"))
	f.Add([]byte("From: a@b\nContent-Type: multipart/alternative; boundary=x\n\n--x\nContent-Type: text/html\n\n<p>hi</p>\n--x--\n"))
	f.Add([]byte("Subject: =?ISO-8859-1?Q?f=FCr?=\nContent-Transfer-Encoding: quoted-printable\n\n=FC=\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOne(t, "f.eml", data, Options{}) })
}

func FuzzExtractOffice(f *testing.F) {
	f.Add(docxFile(f, `<w:p><w:r><w:t>hello</w:t><w:tab/></w:r></w:p>`))
	f.Add(pptxFile(f, []string{"one", "two"}))
	f.Add(makeZip(f, []zipEntry{
		{name: "mimetype", body: "application/vnd.oasis.opendocument.text", store: true},
		{name: "content.xml", body: `<office:document-content ` + odfNS + `><office:body><office:text><text:p>x<text:s text:c="9"/>y</text:p></office:text></office:body></office:document-content>`},
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzOne(t, "f.docx", data, Options{})
		fuzzOne(t, "f.odp", data, Options{TargetPages: []int{0}})
	})
}

func FuzzExtractPDF(f *testing.F) {
	f.Add(buildPDF(f, []pdfPage{{Lines: []string{"Fuzz seed with enough words to be text."}}}))
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzOne(t, "f.pdf", data, Options{MaxPages: 3})
	})
}
