package extract

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
)

var (
	// DOCX (WordprocessingML): text in w:t, paragraphs w:p, table cells w:tc.
	docxRules = xmlRules{
		textIn:    set("t"),
		newlineAt: set("p", "tr"),
		tabAt:     set("tc"),
		tabs:      set("tab", "ptab"),
		breaks:    set("br", "cr"),
		// Properties hold w:tab stops; Fallback repeats AlternateContent;
		// deleted text and field codes are not what a reader sees.
		skip: set("pPr", "rPr", "sectPr", "tblPr", "tcPr", "trPr", "Fallback", "delText", "instrText"),
	}
	// PPTX (DrawingML in slides): text in a:t, paragraphs a:p.
	pptxRules = xmlRules{
		textIn:    set("t"),
		newlineAt: set("p", "tr"),
		tabAt:     set("tc"),
		breaks:    set("br"),
		skip:      set("Fallback", "pPr", "rPr", "endParaRPr"),
	}
)

// odfRules are the rules of ODF content.xml; pages selects draw:page
// elements (ODP) and counts them.
func odfRules(pages *pageSelector) *xmlRules {
	r := &xmlRules{
		collapse:  true,
		newlineAt: set("p", "h", "table-row", "list-item", "frame"),
		tabAt:     set("table-cell"),
		tabs:      set("tab"),
		breaks:    set("line-break"),
		spaces:    set("s"),
		skip: set("automatic-styles", "font-face-decls", "tracked-changes", "sequence-decls",
			"notes", "forms", "scripts", "bookmark-ref", "annotation", "note-citation"),
	}
	if pages != nil {
		r.start = func(el xml.StartElement) bool {
			if el.Name.Local == "page" && strings.Contains(el.Name.Space, "drawing") {
				return !pages.next()
			}
			return false
		}
	}
	return r
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// extractOffice reads DOCX, PPTX, ODT and ODP.
func (e *Extractor) extractOffice(ctx context.Context, in *input, format string, opts Options, s *sink, doc *Document) error {
	zr, err := in.zipReader(e.cfg.MaxZipEntries)
	if err != nil {
		return err
	}
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		files[f.Name] = f
	}
	b := &zipBudget{left: e.cfg.MaxZipBytes}
	need := func(name string) (*zip.File, error) {
		if f := files[name]; f != nil {
			return f, nil
		}
		return nil, fmt.Errorf("%w: %s: no %s", ErrMalformed, format, name)
	}
	switch format {
	case "docx":
		doc.Title = zipTitle(ctx, files["docProps/core.xml"], b)
		main, err := need("word/document.xml")
		if err != nil {
			return err
		}
		if err := readZipXML(ctx, main, b, &docxRules, s); err != nil {
			return err
		}
		// Headers and footers often carry the sender and the document type.
		for _, f := range zr.File {
			dir, base := path.Split(f.Name)
			if dir == "word/" && (strings.HasPrefix(base, "header") || strings.HasPrefix(base, "footer") ||
				base == "footnotes.xml" || base == "endnotes.xml") && strings.HasSuffix(base, ".xml") {
				if err := s.separator(); err != nil {
					return err
				}
				if err := readZipXML(ctx, f, b, &docxRules, s); err != nil {
					return err
				}
			}
		}
	case "pptx":
		doc.Title = zipTitle(ctx, files["docProps/core.xml"], b)
		slides := pptxSlides(ctx, zr.File, files, b)
		if len(slides) == 0 {
			return fmt.Errorf("%w: pptx: no slides", ErrMalformed)
		}
		sel := newPageSelector(len(slides), opts)
		doc.Pages = 0
		for i, f := range slides {
			if !sel.want(i) {
				continue
			}
			doc.Pages++
			if err := readZipXML(ctx, f, b, &pptxRules, s); err != nil {
				return err
			}
			if err := s.separator(); err != nil {
				return err
			}
		}
		if doc.Pages == 0 {
			return fmt.Errorf("%w: %d slides", ErrNoPages, len(slides))
		}
	case "odt", "odp":
		doc.Title = zipTitle(ctx, files["meta.xml"], b)
		content, err := need("content.xml")
		if err != nil {
			return err
		}
		var sel *pageSelector
		if format == "odp" {
			sel = newPageSelector(-1, opts)
		}
		err = readZipXML(ctx, content, b, odfRules(sel), s)
		if sel != nil {
			doc.Pages = sel.taken
		}
		if err != nil {
			return err
		}
		if sel != nil && sel.taken == 0 && len(opts.TargetPages) > 0 {
			return fmt.Errorf("%w: %d slides", ErrNoPages, sel.index)
		}
	}
	return nil
}

// pptxSlides lists the slide entries in presentation order: the order of
// p:sldIdLst in ppt/presentation.xml resolved through its relationships, or
// the slide numbers in the entry names when that fails.
func pptxSlides(ctx context.Context, all []*zip.File, files map[string]*zip.File, b *zipBudget) []*zip.File {
	var byNumber []*zip.File
	for _, f := range all {
		if strings.HasPrefix(f.Name, "ppt/slides/slide") && strings.HasSuffix(f.Name, ".xml") && !strings.Contains(f.Name[len("ppt/slides/"):], "/") {
			byNumber = append(byNumber, f)
		}
	}
	num := func(name string) int {
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "ppt/slides/slide"), ".xml"))
		return n
	}
	sort.Slice(byNumber, func(i, j int) bool { return num(byNumber[i].Name) < num(byNumber[j].Name) })

	targets := map[string]string{} // relationship id -> entry name
	if rels := files["ppt/_rels/presentation.xml.rels"]; rels != nil {
		_ = walkElements(ctx, rels, b, func(el xml.StartElement) {
			if el.Name.Local != "Relationship" {
				return
			}
			var id, target string
			for _, a := range el.Attr {
				switch a.Name.Local {
				case "Id":
					id = a.Value
				case "Target":
					target = a.Value
				}
			}
			if strings.HasPrefix(target, "/") {
				targets[id] = strings.TrimPrefix(target, "/")
			} else {
				targets[id] = path.Clean(path.Join("ppt", target))
			}
		})
	}
	var ordered []*zip.File
	if pres := files["ppt/presentation.xml"]; pres != nil && len(targets) > 0 {
		_ = walkElements(ctx, pres, b, func(el xml.StartElement) {
			if el.Name.Local != "sldId" {
				return
			}
			for _, a := range el.Attr {
				if a.Name.Local == "id" && strings.Contains(a.Name.Space, "relationships") {
					if f := files[targets[a.Value]]; f != nil {
						ordered = append(ordered, f)
					}
				}
			}
		})
	}
	if len(ordered) > 0 {
		return ordered
	}
	return byNumber
}

// walkElements calls fn for every start element of a small XML entry.
func walkElements(ctx context.Context, f *zip.File, b *zipBudget, fn func(xml.StartElement)) error {
	rc, err := b.open(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	for n := 0; ; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return context.Cause(ctx)
		}
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if el, ok := tok.(xml.StartElement); ok {
			fn(el)
		}
	}
}
