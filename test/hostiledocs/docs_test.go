package hostiledocs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/extract"
)

const deepText = "Deep inside the hostile document lies one sentence of text."

// hostileCase is one hostile file and what must come of it beyond the
// common bounds of extractBounded.
type hostileCase struct {
	name string
	make func(t *testing.T, dir string) string
	opts extract.Options
	// check, if set, judges the outcome further.
	check func(t *testing.T, doc extract.Document, err error)
}

// wantErr wants extraction to fail with target.
func wantErr(target error) func(*testing.T, extract.Document, error) {
	return func(t *testing.T, doc extract.Document, err error) {
		t.Helper()
		if !errors.Is(err, target) {
			t.Errorf("err = %v, want %v", err, target)
		}
	}
}

// wantText wants success with text containing each of parts.
func wantText(parts ...string) func(*testing.T, extract.Document, error) {
	return func(t *testing.T, doc extract.Document, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("err = %v, want text", err)
			return
		}
		for _, p := range parts {
			if !strings.Contains(doc.Text, p) {
				t.Errorf("text lacks %q; it starts %.200q", p, doc.Text)
			}
		}
	}
}

// errOrTextOf accepts an error for the file, or text that is only made of
// what the document holds (partial text from a damaged file).
func errOrTextOf(n int) func(*testing.T, extract.Document, error) {
	re := regexp.MustCompile(`^Hostile page (\d+) of \d+$`)
	return func(t *testing.T, doc extract.Document, err error) {
		t.Helper()
		if err != nil {
			return
		}
		for _, line := range strings.Split(doc.Text, "\n") {
			if line == "" {
				continue
			}
			if m := re.FindStringSubmatch(line); m == nil {
				t.Errorf("partial text has a line not in the document: %.200q", line)
				return
			}
		}
	}
}

func pdfCases(t *testing.T) []hostileCase {
	const many = 10000
	tenK := func(t *testing.T, dir string) string {
		return makePDF(t, dir, "tenk.pdf", pdfSpec{Pages: many})
	}
	small := pdfSpec{Pages: 3}
	var good bytes.Buffer
	if err := writePDF(&good, small); err != nil {
		t.Fatal(err)
	}
	xrefAt := bytes.LastIndex(good.Bytes(), []byte("\nxref\n")) + 1
	damaged := func(name string, spec pdfSpec, damage func([]byte) []byte) func(*testing.T, string) string {
		return func(t *testing.T, dir string) string {
			spec.Damage = damage
			return makePDF(t, dir, name, spec)
		}
	}
	shiftOffsets := func(b []byte) []byte {
		// Every xref entry points 7 bytes past its object.
		re := regexp.MustCompile(`(?m)^(\d{10}) 00000 n `)
		head, tail := b[:xrefAt], b[xrefAt:]
		tail = re.ReplaceAllFunc(tail, func(m []byte) []byte {
			var off int
			fmt.Sscanf(string(m[:10]), "%d", &off)
			return fmt.Appendf(nil, "%010d 00000 n ", off+7)
		})
		return append(head[:len(head):len(head)], tail...)
	}
	return []hostileCase{
		{name: "10k pages, max_pages 10", make: tenK, opts: extract.Options{MaxPages: 10},
			check: func(t *testing.T, doc extract.Document, err error) {
				wantText(pageText(0, many), pageText(9, many))(t, doc, err)
				if strings.Contains(doc.Text, pageText(10, many)) || doc.Pages != 10 {
					t.Errorf("read %d pages, want max_pages 10", doc.Pages)
				}
				// poppler (pdftotext) reads the pages asked for without
				// counting the rest: page_count is then unknown.
				if got, ok := doc.Fields["page_count"]; ok && got != fmt.Sprint(many) {
					t.Errorf("page_count = %q, want %d", got, many)
				}
			}},
		{name: "10k pages, target page 9999", make: tenK, opts: extract.Options{TargetPages: []int{many - 1}},
			check: func(t *testing.T, doc extract.Document, err error) {
				wantText(pageText(many-1, many))(t, doc, err)
				if doc.Pages != 1 {
					t.Errorf("read %d pages, want 1", doc.Pages)
				}
			}},
		{name: "10k pages, no max_pages", make: tenK,
			check: func(t *testing.T, doc extract.Document, err error) {
				// Every page fits the text budget, so every page is read.
				wantText(pageText(0, many), pageText(many-1, many))(t, doc, err)
				if doc.Pages != many {
					t.Errorf("read %d pages, want %d", doc.Pages, many)
				}
			}},
		{name: "xref offsets all wrong", make: damaged("shifted.pdf", small, shiftOffsets), check: errOrTextOf(3)},
		{name: "startxref past the end", make: damaged("startxref.pdf", small, func(b []byte) []byte {
			return regexp.MustCompile(`startxref\n\d+`).ReplaceAll(b, []byte("startxref\n999999999"))
		}), check: errOrTextOf(3)},
		{name: "xref table is junk", make: damaged("junkxref.pdf", small, func(b []byte) []byte {
			out := append([]byte(nil), b...)
			end := bytes.Index(out[xrefAt:], []byte("trailer")) + xrefAt
			for i := xrefAt; i < end; i++ {
				out[i] = byte('0' + i%43)
			}
			return out
		}), check: errOrTextOf(3)},
		{name: "no xref, no trailer", make: damaged("noxref.pdf", small, func(b []byte) []byte {
			return b[:xrefAt]
		}), check: errOrTextOf(3)},
		{name: "trailer root is missing", make: damaged("noroot.pdf", small, func(b []byte) []byte {
			return bytes.Replace(b, []byte("/Root 1 0 R"), []byte("/Root 999 0 R"), 1)
		}), check: errOrTextOf(3)},
		{name: "page tree loops", make: damaged("loop.pdf", pdfSpec{Pages: 3, LoopKids: true}, nil), check: errOrTextOf(3)},
		{name: "page count lies (a million)", make: damaged("countlie.pdf", pdfSpec{Pages: 3, CountLie: 1_000_000}, nil),
			check: errOrTextOf(3)},
		{name: "corpus PDF cut in half", make: func(t *testing.T, dir string) string {
			data, err := os.ReadFile(corpusPDFs(t)[0])
			if err != nil {
				t.Fatal(err)
			}
			return writeBytes(t, dir, "half.pdf", data[:len(data)/2])
		}},
		{name: "corpus PDF cut to its first 1000 bytes", make: func(t *testing.T, dir string) string {
			data, err := os.ReadFile(corpusPDFs(t)[0])
			if err != nil {
				t.Fatal(err)
			}
			return writeBytes(t, dir, "head.pdf", data[:min(len(data), 1000)])
		}},
	}
}

func otherCases() []hostileCase {
	const twoGiB = 2 << 30
	sparse := func(name string, size int64) func(*testing.T, string) string {
		return func(t *testing.T, dir string) string { return makeSparse(t, dir, name, size) }
	}
	// Just under the byte budget: the file is opened and must be judged
	// without being read whole.
	underBudget := extract.DefaultMaxBytes - 1
	return []hostileCase{
		{name: "2 GiB of zeros as .pdf", make: sparse("zeros.pdf", twoGiB), check: wantErr(extract.ErrTooLarge)},
		{name: "2 GiB of zeros as .txt", make: sparse("zeros.txt", twoGiB), check: wantErr(extract.ErrTooLarge)},
		{name: "2 GiB of zeros as .docx", make: sparse("zeros.docx", twoGiB), check: wantErr(extract.ErrTooLarge)},
		{name: "256 MiB of zeros as .pdf", make: sparse("zeros256.pdf", underBudget), check: wantErr(extract.ErrUnsupported)},
		{name: "256 MiB of zeros as .txt", make: sparse("zeros256.txt", underBudget), check: wantErr(extract.ErrUnsupported)},
		{name: "256 MiB of zeros as .docx", make: sparse("zeros256.docx", underBudget), check: wantErr(extract.ErrUnsupported)},
		{name: "MIME nested 15 levels", make: func(t *testing.T, dir string) string {
			return makeDeepEML(t, dir, "deep15.eml", 15, deepText)
		}, check: wantText("Subject: Deeply nested", deepText)},
		// enmime's cost grows with the square of the depth, and with two to
		// the power of the depth when the message ends inside the nesting:
		// such messages are refused before it parses them.
		{name: "MIME nested 1000 levels", make: func(t *testing.T, dir string) string {
			return makeDeepEML(t, dir, "deep.eml", 1000, deepText)
		}, check: wantErr(extract.ErrMalformed)},
		{name: "MIME nested 10,000 levels", make: func(t *testing.T, dir string) string {
			return makeDeepEML(t, dir, "deeper.eml", 10000, deepText)
		}, check: wantErr(extract.ErrMalformed)},
		{name: "MIME cut off 40 levels deep", make: func(t *testing.T, dir string) string {
			return cutAfter(t, makeDeepEML(t, dir, "cut.eml", 40, deepText), deepText)
		}, check: wantErr(extract.ErrMalformed)},
		{name: "MIME cut off 19 levels deep", make: func(t *testing.T, dir string) string {
			return cutAfter(t, makeDeepEML(t, dir, "cut19.eml", 19, deepText), deepText)
		}, check: wantText(deepText)},
		{name: "DOCX with a million nested elements", make: func(t *testing.T, dir string) string {
			return makeDeepDOCX(t, dir, "deep.docx", 1_000_000, deepText)
		}},
		{name: "HTML with a million nested divs", make: func(t *testing.T, dir string) string {
			return makeDeepHTML(t, dir, "deep.html", 1_000_000, deepText)
		}, check: wantText(deepText)},
		{name: "JSON with one 100 MB line", make: func(t *testing.T, dir string) string {
			return makeLine(t, dir, "line.json", `{"note":"`, "hostile json ", `"}`, 100<<20)
		}, check: func(t *testing.T, doc extract.Document, err error) {
			wantText(`{"note":"hostile json`)(t, doc, err)
			if !doc.Truncated {
				t.Error("100 MB of text not marked truncated")
			}
		}},
		{name: "CSV with one 100 MB line", make: func(t *testing.T, dir string) string {
			return makeLine(t, dir, "line.csv", "id,name,", "amount,due,", "\n", 100<<20)
		}, check: func(t *testing.T, doc extract.Document, err error) {
			wantText("id,name,amount,due,")(t, doc, err)
			if !doc.Truncated {
				t.Error("100 MB of text not marked truncated")
			}
		}},
	}
}

// TestHostileDocuments runs every hostile case through one Extractor with
// the default budgets, then checks that a normal PDF extracts exactly as it
// did before them.
func TestHostileDocuments(t *testing.T) {
	normal := corpusPDFs(t)[0]
	before, err := extractor(t).Extract(context.Background(), normal, extract.Options{})
	if err != nil {
		t.Fatalf("normal PDF before the hostile ones: %v", err)
	}
	dir := t.TempDir()
	cases := append(pdfCases(t), otherCases()...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := c.make(t, dir)
			doc, err := extractBounded(t, path, c.opts)
			if c.check != nil {
				c.check(t, doc, err)
			}
			os.Remove(path)
		})
	}

	t.Run("normal files still extract", func(t *testing.T) {
		// Both PDFium instances at once, so a poisoned one cannot hide.
		pdfs := corpusPDFs(t)
		errs := make(chan error, 4)
		for i := range 4 {
			go func() {
				p := pdfs[i%len(pdfs)]
				doc, err := extractor(t).Extract(context.Background(), p, extract.Options{})
				if err == nil && p == normal && doc.Text != before.Text {
					err = errors.New("text of the normal PDF changed")
				}
				if err == nil && len(doc.Text) == 0 {
					err = fmt.Errorf("%s: no text", filepath.Base(p))
				}
				errs <- err
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		p := makePDF(t, t.TempDir(), "fine.pdf", pdfSpec{Pages: 2})
		doc, err := extractBounded(t, p, extract.Options{})
		wantText(pageText(0, 2), pageText(1, 2))(t, doc, err)
	})
}

// cutAfter truncates the file at path just after the first mark in it.
func cutAfter(t *testing.T, path, mark string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(mark))
	if i < 0 {
		t.Fatalf("%q not in %s", mark, path)
	}
	if err := os.WriteFile(path, data[:i+len(mark)], 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMailTimeBudget: the mail parser takes no context, so the extractor
// must stop it through its reads. 64 MB at the bottom of 18 levels costs
// enmime far more than the 2 s budget.
func TestMailTimeBudget(t *testing.T) {
	e, err := extract.New(extract.Config{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	body := strings.Repeat("a line of text in a deep part\r\n", (64<<20)/32)
	p := makeDeepEML(t, t.TempDir(), "slow.eml", 18, body)
	body = ""
	var doc extract.Document
	u := measure(func() { doc, err = e.Extract(context.Background(), p, extract.Options{}) })
	t.Logf("took %v, heap growth %d MiB, err %v", u.took, u.heapGrowth>>20, err)
	if !errors.Is(err, extract.ErrTimeout) {
		t.Errorf("err = %v (%d bytes of text), want the time budget", err, len(doc.Text))
	}
	if u.took > 20*time.Second {
		t.Errorf("took %v with a 2 s budget", u.took)
	}
}
