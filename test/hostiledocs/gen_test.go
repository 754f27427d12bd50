package hostiledocs_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Generators of hostile documents. Each writes a file into a test's temporary
// folder quickly (seconds at most) and without holding it in memory.

// pdfSpec describes a generated PDF: a Pages tree of fan-out 100 over Pages
// page objects, each with a tiny content stream that shows "Hostile page N
// of M", one shared Type1 font.
type pdfSpec struct {
	Pages int
	// Damage, if set, rewrites the finished bytes (bogus xref and the like).
	Damage func([]byte) []byte
	// CountLie, if not zero, is the /Count the root Pages node claims.
	CountLie int
	// LoopKids makes the first intermediate Pages node list the root among
	// its kids: a cycle in the page tree.
	LoopKids bool
}

// pageText is the text generated page i (0-indexed) of n shows.
func pageText(i, n int) string { return fmt.Sprintf("Hostile page %d of %d", i+1, n) }

// writePDF writes the PDF of spec to w with a correct xref table (before
// Damage).
func writePDF(w io.Writer, spec pdfSpec) error {
	const fanout = 100
	n := spec.Pages
	groups := (n + fanout - 1) / fanout
	firstGroup := 4
	firstPage := firstGroup + groups
	pageObj := func(i int) int { return firstPage + 2*i }
	total := firstPage + 2*n // object numbers 1..total-1

	var buf bytes.Buffer
	offsets := make([]int, total)
	bw := bufio.NewWriterSize(w, 1<<16)
	pos := 0
	emit := func(s string) {
		bw.WriteString(s)
		pos += len(s)
	}
	obj := func(num int, body string) {
		offsets[num] = pos
		emit(fmt.Sprintf("%d 0 obj\n%s\nendobj\n", num, body))
	}
	emit("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	buf.Reset()
	for g := range groups {
		fmt.Fprintf(&buf, "%d 0 R ", firstGroup+g)
	}
	count := n
	if spec.CountLie != 0 {
		count = spec.CountLie
	}
	obj(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", buf.String(), count))
	obj(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	for g := range groups {
		buf.Reset()
		lo, hi := g*fanout, min((g+1)*fanout, n)
		if spec.LoopKids && g == 0 {
			buf.WriteString("2 0 R ")
		}
		for i := lo; i < hi; i++ {
			fmt.Fprintf(&buf, "%d 0 R ", pageObj(i))
		}
		obj(firstGroup+g, fmt.Sprintf("<< /Type /Pages /Parent 2 0 R /Kids [%s] /Count %d >>", buf.String(), hi-lo))
	}
	for i := range n {
		content := fmt.Sprintf("BT /F1 12 Tf 72 720 Td (%s) Tj ET", pageText(i, n))
		obj(pageObj(i), fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "+
			"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", firstGroup+i/fanout, pageObj(i)+1))
		obj(pageObj(i)+1, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	}
	xref := pos
	emit(fmt.Sprintf("xref\n0 %d\n0000000000 65535 f \n", total))
	for num := 1; num < total; num++ {
		emit(fmt.Sprintf("%010d 00000 n \n", offsets[num]))
	}
	emit(fmt.Sprintf("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", total, xref))
	return bw.Flush()
}

// makePDF writes spec to dir/name and returns the path.
func makePDF(t testing.TB, dir, name string, spec pdfSpec) string {
	t.Helper()
	var buf bytes.Buffer
	if err := writePDF(&buf, spec); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if spec.Damage != nil {
		data = spec.Damage(data)
	}
	return writeBytes(t, dir, name, data)
}

func writeBytes(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// makeSparse creates a file of size zero bytes without writing them.
func makeSparse(t testing.TB, dir, name string, size int64) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return p
}

// makeLine writes head, then filler repeated up to size bytes in total
// (one line: filler must hold no newline), then tail.
func makeLine(t testing.TB, dir, name, head, filler, tail string, size int) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := strings.Repeat(filler, (1<<20)/len(filler))
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(head)
	left := size - len(head) - len(tail)
	for left > 0 {
		n := min(left, len(chunk))
		w.WriteString(chunk[:n])
		left -= n
	}
	w.WriteString(tail)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return p
}

// nested writes open depth times, then middle, then close depth times.
func nested(w io.Writer, open, middle, close string, depth int) {
	bw := bufio.NewWriterSize(w, 1<<16)
	for range depth {
		bw.WriteString(open)
	}
	bw.WriteString(middle)
	for range depth {
		bw.WriteString(close)
	}
	bw.Flush()
}

// makeDeepDOCX writes a DOCX whose word/document.xml nests depth w:r
// elements around one paragraph of text.
func makeDeepDOCX(t testing.TB, dir, name string, depth int, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	put := func(name, body string) io.Writer {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
		return w
	}
	put("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
		`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`+
		`<Default Extension="xml" ContentType="application/xml"/>`+
		`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>`+
		`</Types>`)
	put("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
		`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>`+
		`</Relationships>`)
	w := put("word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
		`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
	nested(w, "<w:r>", "<w:p><w:t>"+text+"</w:t></w:p>", "</w:r>", depth)
	io.WriteString(w, `</w:body></w:document>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// makeDeepHTML writes an HTML page with depth nested divs around text.
func makeDeepHTML(t testing.TB, dir, name string, depth int, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	io.WriteString(f, "<!DOCTYPE html>\n<html><head><title>Deep</title></head><body>")
	nested(f, "<div>", text, "</div>", depth)
	io.WriteString(f, "</body></html>\n")
	return p
}

// makeDeepEML writes a message whose MIME tree is depth multipart levels
// deep with one text/plain part at the bottom.
func makeDeepEML(t testing.TB, dir, name string, depth int, text string) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("From: Mallory <mallory@example.com>\r\nTo: Bob <bob@example.com>\r\n" +
		"Subject: Deeply nested\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "--b%d\r\n", i)
		if i+1 < depth {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i+1)
		} else {
			b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n")
		}
	}
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return writeBytes(t, dir, name, b.Bytes())
}
