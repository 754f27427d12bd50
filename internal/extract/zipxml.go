package extract

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/net/html/charset"
)

// zipBudget caps the bytes decompressed from one archive, across entries.
type zipBudget struct {
	left int64
}

// open opens an entry whose reads count against the budget.
func (b *zipBudget) open(f *zip.File) (io.ReadCloser, error) {
	if f.UncompressedSize64 > uint64(max(b.left, 0)) {
		return nil, fmt.Errorf("%w: %s declares %d bytes", ErrBomb, f.Name, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, f.Name, err)
	}
	return &budgetReader{rc: rc, b: b, name: f.Name}, nil
}

type budgetReader struct {
	rc   io.ReadCloser
	b    *zipBudget
	name string
}

func (r *budgetReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.b.left -= int64(n)
	if r.b.left < 0 {
		return n, fmt.Errorf("%w: while reading %s", ErrBomb, r.name)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("%w: %s: %v", ErrMalformed, r.name, err)
	}
	return n, err
}

func (r *budgetReader) Close() error { return r.rc.Close() }

// xmlRules say how one XML vocabulary becomes text. Names are local names;
// the namespaces of these vocabularies do not reuse them for other meanings
// where it matters.
type xmlRules struct {
	textIn    map[string]bool // character data inside these elements is text; nil = everywhere
	collapse  bool            // collapse white space in character data (ODF)
	newlineAt map[string]bool // the end of these elements ends a line
	tabAt     map[string]bool // the end of these elements ends a table cell
	tabs      map[string]bool // these elements are a tab character
	breaks    map[string]bool // these elements are a line break
	spaces    map[string]bool // these elements are spaces, count in attribute "c" (ODF text:s)
	skip      map[string]bool // these subtrees are not text
	// start, if set, is called for each start element; returning true skips
	// the element's subtree (used to select pages).
	start func(xml.StartElement) bool
}

// walkXML streams r through rules into s. encoding/xml does not expand
// entities declared in a DTD, so entity bombs fail instead of growing.
func walkXML(ctx context.Context, r io.Reader, rules *xmlRules, s *sink) error {
	d := xml.NewDecoder(r)
	d.CharsetReader = charset.NewReaderLabel
	textDepth := 0 // open elements of textIn
	cellDepth := 0 // open table cells: paragraphs in a cell are joined by spaces
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return context.Cause(ctx)
			}
		}
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if errors.Is(err, ErrBomb) || errors.Is(err, ErrMalformed) {
				return err
			}
			return fmt.Errorf("%w: xml: %v", ErrMalformed, err)
		}
		var werr error
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if rules.skip[name] || (rules.start != nil && rules.start(t)) {
				if err := d.Skip(); err != nil {
					return fmt.Errorf("%w: xml: %v", ErrMalformed, err)
				}
				continue
			}
			switch {
			case rules.textIn[name]:
				textDepth++
			case rules.tabAt[name]:
				cellDepth++
			case rules.tabs[name]:
				werr = s.write("\t")
			case rules.breaks[name]:
				werr = s.write("\n")
			case rules.spaces[name]:
				c := 1
				for _, a := range t.Attr {
					if a.Name.Local == "c" {
						if v, err := strconv.Atoi(a.Value); err == nil && v > 0 {
							c = min(v, 64)
						}
					}
				}
				werr = s.write(strings.Repeat(" ", c))
			}
		case xml.EndElement:
			name := t.Name.Local
			switch {
			case rules.textIn[name]:
				textDepth--
			case rules.newlineAt[name] && cellDepth > 0:
				werr = s.space()
			case rules.newlineAt[name]:
				werr = s.newline()
			case rules.tabAt[name]:
				cellDepth--
				werr = s.tab()
			}
		case xml.CharData:
			if rules.textIn == nil || textDepth > 0 {
				text := string(t)
				if rules.collapse {
					text = collapseSpace(text)
					if s.atLineStart() {
						text = strings.TrimLeft(text, " ")
					}
				}
				werr = s.write(text)
			}
		}
		if werr != nil {
			return werr
		}
	}
}

// readZipXML walks one entry of an archive.
func readZipXML(ctx context.Context, f *zip.File, b *zipBudget, rules *xmlRules, s *sink) error {
	rc, err := b.open(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	return walkXML(ctx, rc, rules, s)
}

// zipTitle reads dc:title from a metadata entry (docProps/core.xml, meta.xml).
func zipTitle(ctx context.Context, f *zip.File, b *zipBudget) string {
	if f == nil || f.UncompressedSize64 > 1<<20 {
		return ""
	}
	s := newSink(ctx, 4096)
	rules := &xmlRules{textIn: map[string]bool{"title": true}}
	if err := readZipXML(ctx, f, b, rules, s); err != nil && !errors.Is(err, errFull) {
		return ""
	}
	return oneLine(s.String())
}
