package extract

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/transform"
)

// extractHTML reads an HTML file: charset from BOM or <meta>, text without
// scripts and styles, block elements as line breaks, the <title> as Title.
func extractHTML(in *input, s *sink, doc *Document) error {
	// Markup is often several times the text; cap what is read at 16 times
	// the text budget.
	data, err := in.readAll(int64(s.max) * 16)
	if err != nil {
		return err
	}
	title, err := htmlToText(htmlReader(data), s)
	doc.Title = title
	return err
}

// htmlReader decodes data to UTF-8. A BOM or a <meta> charset within the
// first 1024 bytes decides; without one, valid UTF-8 stays UTF-8 and
// anything else is read as Windows-1252.
func htmlReader(data []byte) io.Reader {
	enc, name, _ := charset.DetermineEncoding(data, "text/html")
	if name == "utf-8" || (name == "windows-1252" && utf8.Valid(trimPartialRune(data))) {
		return bytes.NewReader(bytes.TrimPrefix(data, []byte{0xef, 0xbb, 0xbf}))
	}
	return transform.NewReader(bytes.NewReader(data), enc.NewDecoder())
}

// blockAtoms end a line before and after them.
var blockAtoms = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.Tr: true, atom.Table: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true,
	atom.H5: true, atom.H6: true, atom.Section: true, atom.Article: true, atom.Header: true,
	atom.Footer: true, atom.Blockquote: true, atom.Pre: true, atom.Hr: true, atom.Dl: true,
	atom.Dt: true, atom.Dd: true, atom.Form: true, atom.Address: true, atom.Nav: true,
	atom.Aside: true, atom.Main: true, atom.Figure: true, atom.Figcaption: true,
	atom.Caption: true, atom.Tbody: true, atom.Thead: true, atom.Tfoot: true, atom.Body: true,
	atom.Fieldset: true, atom.Legend: true, atom.Details: true, atom.Summary: true,
}

// skipAtoms hide their content.
var skipAtoms = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Svg: true, atom.Math: true, atom.Iframe: true, atom.Object: true,
}

// htmlToText streams r through the HTML tokenizer into s and returns the title.
func htmlToText(r io.Reader, s *sink) (string, error) {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(4 << 20) // one token over 4 MiB is an error, not an allocation
	var (
		skip    int // depth inside skipAtoms
		pre     int // depth inside <pre>
		inTitle bool
		title   strings.Builder
	)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() == io.EOF {
				return strings.TrimSpace(collapseSpace(title.String())), nil
			}
			return strings.TrimSpace(collapseSpace(title.String())), z.Err()
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			start := tt != html.EndTagToken
			switch {
			case skipAtoms[a]:
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case a == atom.Title:
				inTitle = tt == html.StartTagToken
			case a == atom.Pre:
				if tt == html.StartTagToken {
					pre++
				} else if tt == html.EndTagToken && pre > 0 {
					pre--
				}
			}
			if skip > 0 {
				continue
			}
			var err error
			switch {
			case blockAtoms[a]:
				err = s.newline()
			case a == atom.Td || a == atom.Th:
				if !start {
					err = s.tab()
				}
			case a == atom.Img && start:
				// Alt text often names what an image-only mail is about.
				for {
					k, v, more := z.TagAttr()
					if string(k) == "alt" && len(bytes.TrimSpace(v)) > 0 {
						err = s.write(" " + collapseSpace(string(v)) + " ")
					}
					if !more {
						break
					}
				}
			}
			if err != nil {
				return title.String(), err
			}
		case html.TextToken:
			text := string(z.Text())
			if inTitle {
				if title.Len() < 4096 {
					title.WriteString(text)
				}
				continue
			}
			if skip > 0 {
				continue
			}
			if pre == 0 {
				text = collapseSpace(text)
				if s.atLineStart() {
					text = strings.TrimLeft(text, " ")
				}
			}
			if err := s.write(text); err != nil {
				return strings.TrimSpace(collapseSpace(title.String())), err
			}
		}
	}
}

// collapseSpace turns each run of HTML white space into one space.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r', '\f':
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}
