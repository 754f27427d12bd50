package extract

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

const (
	wNS     = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	aNS     = `xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	odfNS   = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"`
	coreXML = `<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Service Agreement</dc:title></cp:coreProperties>`
)

func docxFile(t testing.TB, body string, extra ...zipEntry) []byte {
	entries := []zipEntry{
		{name: "[Content_Types].xml", body: `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		{name: "docProps/core.xml", body: coreXML},
		{name: "word/document.xml", body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ` + wNS + `><w:body>` + body + `</w:body></w:document>`},
	}
	return makeZip(t, append(entries, extra...))
}

func TestDOCX(t *testing.T) {
	body := `<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>SERVICE</w:t></w:r><w:r><w:t xml:space="preserve"> AGREEMENT</w:t></w:r></w:p>` +
		`<w:p><w:r><w:t>Party</w:t><w:tab/><w:t>Acme &amp; Co.</w:t><w:br/><w:t>second line</w:t></w:r></w:p>` +
		`<w:p><w:r><w:delText>deleted words</w:delText><w:instrText>PAGE \* MERGEFORMAT</w:instrText></w:r></w:p>` +
		`<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Item</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Price</w:t></w:r></w:p></w:tc></w:tr>` +
		`<w:tr><w:tc><w:p><w:r><w:t>Hosting</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>10</w:t></w:r></w:p></w:tc></w:tr></w:tbl>` +
		`<w:p><w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><mc:Choice Requires="wps"><w:t>boxed</w:t></mc:Choice><mc:Fallback><w:t>boxed</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>`
	data := docxFile(t, body, zipEntry{name: "word/header1.xml", body: `<w:hdr ` + wNS + `><w:p><w:r><w:t>ACME LETTERHEAD</w:t></w:r></w:p></w:hdr>`})
	doc := mustExtract(t, newExtractor(t, Config{}), writeFile(t, "a.docx", data), Options{})
	if doc.Format != "docx" || doc.Title != "Service Agreement" || doc.Pages != 1 {
		t.Fatalf("format %q title %q pages %d", doc.Format, doc.Title, doc.Pages)
	}
	want := "SERVICE AGREEMENT\nParty\tAcme & Co.\nsecond line\nItem\tPrice\nHosting\t10\nboxed\n\nACME LETTERHEAD"
	if doc.Text != want {
		t.Fatalf("text:\n%q\nwant:\n%q", doc.Text, want)
	}
}

func TestODT(t *testing.T) {
	content := `<?xml version="1.0" encoding="UTF-8"?><office:document-content ` + odfNS + `><office:automatic-styles><style:style style:name="P1"/></office:automatic-styles><office:body><office:text>` +
		`<text:h text:outline-level="1">Curriculum   Vitae</text:h>` +
		`<text:p>Name:<text:tab/>Jane<text:s text:c="3"/>Doe<text:line-break/>Berlin</text:p>` +
		`<table:table><table:table-row><table:table-cell><text:p>2019</text:p></table:table-cell><table:table-cell><text:p>Engineer</text:p></table:table-cell></table:table-row></table:table>` +
		`<text:tracked-changes><text:changed-region><text:deletion><text:p>gone</text:p></text:deletion></text:changed-region></text:tracked-changes>` +
		`</office:text></office:body></office:document-content>`
	data := makeZip(t, []zipEntry{
		{name: "mimetype", body: "application/vnd.oasis.opendocument.text", store: true},
		{name: "content.xml", body: content},
		{name: "meta.xml", body: `<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>CV Jane</dc:title></office:meta></office:document-meta>`},
	})
	doc := mustExtract(t, newExtractor(t, Config{}), writeFile(t, "cv.odt", data), Options{})
	want := "Curriculum Vitae\nName:\tJane   Doe\nBerlin\n2019\tEngineer"
	if doc.Format != "odt" || doc.Title != "CV Jane" || doc.Text != want {
		t.Fatalf("format %q title %q text:\n%q\nwant\n%q", doc.Format, doc.Title, doc.Text, want)
	}
}

func pptxFile(t testing.TB, slides []string) []byte {
	// Slides stored as slide1..N but presented in reverse order: the
	// presentation's relationship list decides the order.
	var rels, ids strings.Builder
	entries := []zipEntry{{name: "[Content_Types].xml", body: `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`}}
	for i, s := range slides {
		n := len(slides) - i
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide%d.xml"/>`, 10+i, n)
		fmt.Fprintf(&ids, `<p:sldId id="%d" r:id="rId%d"/>`, 256+i, 10+i)
		entries = append(entries, zipEntry{name: fmt.Sprintf("ppt/slides/slide%d.xml", n), body: `<p:sld ` + aNS + `><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:rPr lang="en"/><a:t>` + s + `</a:t></a:r><a:br/><a:r><a:t>more</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>`})
	}
	entries = append(entries,
		zipEntry{name: "ppt/presentation.xml", body: `<p:presentation ` + aNS + `><p:sldIdLst>` + ids.String() + `</p:sldIdLst></p:presentation>`},
		zipEntry{name: "ppt/_rels/presentation.xml.rels", body: `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels.String() + `</Relationships>`},
		zipEntry{name: "docProps/core.xml", body: coreXML},
	)
	return makeZip(t, entries)
}

func TestPPTX(t *testing.T) {
	e := newExtractor(t, Config{})
	p := writeFile(t, "deck.pptx", pptxFile(t, []string{"Alpha", "Beta", "Gamma"}))
	tests := []struct {
		name  string
		opts  Options
		want  string
		pages int
	}{
		{"all slides in order", Options{}, "Alpha\nmore\n\nBeta\nmore\n\nGamma\nmore", 3},
		{"max pages", Options{MaxPages: 2}, "Alpha\nmore\n\nBeta\nmore", 2},
		{"target pages", Options{TargetPages: []int{2, 0, 9}}, "Alpha\nmore\n\nGamma\nmore", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := mustExtract(t, e, p, tt.opts)
			if doc.Format != "pptx" || doc.Text != tt.want || doc.Pages != tt.pages {
				t.Fatalf("format %q pages %d text %q", doc.Format, doc.Pages, doc.Text)
			}
		})
	}
	_, err := e.Extract(context.Background(), p, Options{TargetPages: []int{7}})
	wantErr(t, err, ErrNoPages)
}

func TestODP(t *testing.T) {
	content := `<office:document-content ` + odfNS + ` xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"><office:body><office:presentation>` +
		`<draw:page draw:name="p1"><draw:frame><draw:text-box><text:p>First slide</text:p></draw:text-box></draw:frame><presentation:notes><text:p>speaker notes</text:p></presentation:notes></draw:page>` +
		`<draw:page draw:name="p2"><draw:frame><draw:text-box><text:p>Second slide</text:p></draw:text-box></draw:frame></draw:page>` +
		`</office:presentation></office:body></office:document-content>`
	data := makeZip(t, []zipEntry{
		{name: "mimetype", body: "application/vnd.oasis.opendocument.presentation", store: true},
		{name: "content.xml", body: content},
	})
	e := newExtractor(t, Config{})
	p := writeFile(t, "s.odp", data)
	doc := mustExtract(t, e, p, Options{})
	if doc.Format != "odp" || doc.Pages != 2 || doc.Text != "First slide\nSecond slide" {
		t.Fatalf("format %q pages %d text %q", doc.Format, doc.Pages, doc.Text)
	}
	doc = mustExtract(t, e, p, Options{TargetPages: []int{1}})
	if doc.Pages != 1 || doc.Text != "Second slide" {
		t.Fatalf("target: pages %d text %q", doc.Pages, doc.Text)
	}
}

func TestXLSX(t *testing.T) {
	f := excelize.NewFile()
	f.SetCellValue("Sheet1", "A1", "Invoice")
	f.SetCellValue("Sheet1", "B1", "Amount")
	f.SetCellValue("Sheet1", "A2", "INV-7")
	f.SetCellValue("Sheet1", "B2", 12.5)
	f.SetCellValue("Sheet1", "D4", "far cell")
	if _, err := f.NewSheet("Notes"); err != nil {
		t.Fatal(err)
	}
	f.SetCellValue("Notes", "A1", "paid in full")
	f.SetDocProps(&excelize.DocProperties{Title: "Q1 invoices"})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	e := newExtractor(t, Config{})
	p := writeFile(t, "book.xlsx", buf.Bytes())
	doc := mustExtract(t, e, p, Options{})
	want := "# Sheet1\nInvoice\tAmount\nINV-7\t12.5\n\t\t\tfar cell\n\n# Notes\npaid in full"
	if doc.Format != "xlsx" || doc.Pages != 2 || doc.Title != "Q1 invoices" || doc.Text != want {
		t.Fatalf("format %q pages %d title %q text\n%q\nwant\n%q", doc.Format, doc.Pages, doc.Title, doc.Text, want)
	}
	doc = mustExtract(t, e, p, Options{TargetPages: []int{1}})
	if doc.Text != "# Notes\npaid in full" {
		t.Fatalf("target sheet: %q", doc.Text)
	}
}

func TestZipBomb(t *testing.T) {
	// 16 MiB of zeros compress to 16 KiB: over a 4 MiB budget. (The
	// default budget works the same way, only slower to test.)
	big := strings.Repeat("\x00", 16<<20)
	small := Config{MaxZipBytes: 4 << 20}
	tests := []struct {
		name string
		file string
		data func() []byte
		cfg  Config
	}{
		{"docx body", "bomb.docx", func() []byte {
			return docxFile(t, `<w:p><w:r><w:t>x</w:t></w:r></w:p>`, zipEntry{name: "word/header1.xml", body: big})
		}, small},
		{"xlsx entry", "bomb.xlsx", func() []byte {
			return makeZip(t, []zipEntry{{name: "[Content_Types].xml", body: "<Types/>"}, {name: "xl/workbook.xml", body: "<workbook/>"}, {name: "xl/media/zeros.bin", body: big}})
		}, small},
		{"too many entries", "many.docx", func() []byte {
			var es []zipEntry
			for i := 0; i < 50; i++ {
				es = append(es, zipEntry{name: fmt.Sprintf("word/media/x%d", i), body: "x"})
			}
			return docxFile(t, `<w:p/>`, es...)
		}, Config{MaxZipEntries: 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.file, tt.data())
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := newExtractor(t, tt.cfg).Extract(context.Background(), p, Options{})
			wantErr(t, err, ErrBomb)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if grown := int64(after.TotalAlloc - before.TotalAlloc); grown > 64<<20 {
				t.Fatalf("allocated %d MiB for a bomb", grown>>20)
			}
		})
	}
}

func TestZipBombLyingHeader(t *testing.T) {
	// An entry whose header declares a small size but inflates to much
	// more: archive/zip stops at the declared size, so it is malformed.
	data := docxFile(t, `<w:p><w:r><w:t>`+strings.Repeat("a", 1<<20)+`</w:t></w:r></w:p>`)
	// Patch the declared uncompressed size of word/document.xml in the central directory.
	name := []byte("word/document.xml")
	idx := bytes.LastIndex(data, name) // central directory entry comes last
	if idx < 46 {
		t.Fatal("central directory entry not found")
	}
	hdr := idx - 46
	copy(data[hdr+24:hdr+28], []byte{0x00, 0x01, 0x00, 0x00}) // 256 bytes
	_, err := newExtractor(t, Config{}).Extract(context.Background(), writeFile(t, "lie.docx", data), Options{})
	if err == nil {
		t.Fatal("lying entry accepted")
	}
}

func TestBillionLaughs(t *testing.T) {
	var dtd strings.Builder
	dtd.WriteString(`<!DOCTYPE w:document [<!ENTITY lol "lol">`)
	prev := "lol"
	for i := 1; i <= 9; i++ {
		name := fmt.Sprintf("lol%d", i)
		fmt.Fprintf(&dtd, `<!ENTITY %s "%s">`, name, strings.Repeat("&"+prev+";", 10))
		prev = name
	}
	dtd.WriteString(`]>`)
	xmlDoc := `<?xml version="1.0"?>` + dtd.String() + `<w:document ` + wNS + `><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>`
	data := makeZip(t, []zipEntry{{name: "[Content_Types].xml", body: "<Types/>"}, {name: "word/document.xml", body: xmlDoc}})
	start := time.Now()
	doc, err := newExtractor(t, Config{}).Extract(context.Background(), writeFile(t, "lol.docx", data), Options{})
	if time.Since(start) > 5*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	if strings.Contains(doc.Text, "lollol") {
		t.Fatalf("entities expanded: %d bytes", len(doc.Text))
	}
	wantErr(t, err, ErrMalformed) // the undeclared entity is an error, not an expansion
}

func TestBrokenZips(t *testing.T) {
	e := newExtractor(t, Config{})
	good := docxFile(t, `<w:p><w:r><w:t>hello</w:t></w:r></w:p>`)
	tests := []struct {
		name string
		data []byte
	}{
		{"truncated", good[:len(good)/2]},
		{"bad xml", docxFile(t, `<w:p><w:r><w:t>unclosed</w:r></w:p>`)},
		{"no document part", makeZip(t, []zipEntry{{name: "[Content_Types].xml", body: "<Types/>"}, {name: "word/styles.xml", body: "<x/>"}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Extract(context.Background(), writeFile(t, "b.docx", tt.data), Options{})
			if err == nil {
				t.Fatal("no error")
			}
		})
	}
}
