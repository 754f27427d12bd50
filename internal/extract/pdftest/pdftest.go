// Package pdftest writes small PDFs for tests: pages of text, and pages
// that are only a JPEG image, as a scanner makes them. It is used by tests
// only.
package pdftest

import (
	"bytes"
	"cmp"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // DecodeConfig of the scans
	"strings"
)

// Page is one page of a generated PDF: text lines in Helvetica, or a JPEG
// image filling the page (a scan without a text layer).
type Page struct {
	Lines []string
	JPEG  []byte
	DPI   float64 // resolution of the JPEG on the page; 0 = 200
	Size  float64 // font size of the lines; 0 = 12
}

// Build writes a small valid PDF with an exact cross-reference table.
func Build(pages []Page) ([]byte, error) {
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
		if p.JPEG != nil {
			cfg, format, err := image.DecodeConfig(bytes.NewReader(p.JPEG))
			if err != nil || format != "jpeg" {
				return nil, fmt.Errorf("jpeg page: %v %s", err, format)
			}
			cs := "/DeviceRGB"
			switch cfg.ColorModel {
			case color.GrayModel:
				cs = "/DeviceGray"
			case color.CMYKModel:
				cs = "/DeviceCMYK"
			}
			img := add(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream",
				cfg.Width, cfg.Height, cs, len(p.JPEG), p.JPEG))
			dpi := cmp.Or(p.DPI, 200)
			w, h = float64(cfg.Width)*72/dpi, float64(cfg.Height)*72/dpi
			content = fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q", w, h)
			resources = fmt.Sprintf("<< /XObject << /Im0 %d 0 R >> >>", img)
		} else {
			var b strings.Builder
			size := cmp.Or(p.Size, 12)
			fmt.Fprintf(&b, "BT /F1 %g Tf 72 %g Td %g TL\n", size, 732-size, size*7/6)
			for _, l := range p.Lines {
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
	return out.Bytes(), nil
}
