package sorter

// Destination templates: a rule's folder ("Finance/Invoices/{year}") and
// name ("{stem}.{ext}") may hold placeholders. The text of a template is
// checked when the configuration is loaded (ParseTemplate); its values come
// from the file (Values) and are made safe before they are put in: a value
// never carries a separator, a NUL, a control character, or a whole "." or
// ".." component, so an expanded template stays under the output whatever
// the file is called.
//
//	{type}        the rule's type
//	{year} {month} {day}   of the file's modification time (or the filing time: template_date: filed)
//	{stem} {ext}  the file's name without its extension, and the extension without the dot
//	{confidence}  the classifier's confidence, two decimals (0.87)
//	{source_dir}  the name of the folder the file was in, in the inbox ("" at the inbox's top)
//	{{ and }}     a literal brace
//
// An empty value drops out: an empty folder component disappears
// ("invoice/{source_dir}" is "invoice" for a file at the top of the inbox),
// and ".{ext}" disappears with an empty {ext}.

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Placeholders lists the names a template may use.
var Placeholders = []string{"type", "year", "month", "day", "stem", "ext", "confidence", "source_dir"}

// Template is a parsed destination template.
type Template struct {
	raw   string
	parts []tmplPart
}

type tmplPart struct {
	lit string // literal text, when name is ""
	ph  string // placeholder name
}

// ParseTemplate parses a template; an unknown placeholder or an unbalanced
// brace is an error naming it.
func ParseTemplate(s string) (*Template, error) {
	t := &Template{raw: s}
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			i++
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			i++
		case c == '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return nil, fmt.Errorf("%q: { without } (a literal brace is {{)", s)
			}
			name := s[i+1 : i+j]
			if !known(name) {
				return nil, fmt.Errorf("%q: unknown placeholder {%s} (known: {%s})", s, name, strings.Join(Placeholders, "}, {"))
			}
			if lit.Len() > 0 {
				t.parts = append(t.parts, tmplPart{lit: lit.String()})
				lit.Reset()
			}
			t.parts = append(t.parts, tmplPart{ph: name})
			i += j
		case c == '}':
			return nil, fmt.Errorf("%q: } without { (a literal brace is }})", s)
		default:
			lit.WriteByte(c)
		}
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, tmplPart{lit: lit.String()})
	}
	return t, nil
}

func known(name string) bool {
	for _, p := range Placeholders {
		if p == name {
			return true
		}
	}
	return false
}

// String returns the template's text.
func (t *Template) String() string { return t.raw }

// Static reports whether the template has no placeholder.
func (t *Template) Static() bool {
	for _, p := range t.parts {
		if p.ph != "" {
			return false
		}
	}
	return true
}

// WithType returns the template's text with {type} put in (it is fixed for a
// rule) and every other placeholder left as it is.
func (t *Template) WithType(typ string) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.ph {
		case "":
			b.WriteString(strings.ReplaceAll(strings.ReplaceAll(p.lit, "{", "{{"), "}", "}}"))
		case "type":
			b.WriteString(safeValue(typ))
		default:
			b.WriteString("{" + p.ph + "}")
		}
	}
	return b.String()
}

// Prefix is the fixed folder before the first placeholder other than {type}
// (with {type} put in): "Finance/Invoices" of "Finance/Invoices/{year}",
// the whole folder of a template without placeholders.
func (t *Template) Prefix(typ string) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.ph {
		case "":
			b.WriteString(p.lit)
		case "type":
			b.WriteString(safeValue(typ))
		default:
			s := b.String()
			if i := strings.LastIndexByte(s, '/'); i >= 0 {
				return cleanRel(s[:i])
			}
			return ""
		}
	}
	return cleanRel(b.String())
}

// Values are what a template's placeholders stand for.
type Values struct {
	Type       string
	Time       time.Time // {year}, {month}, {day}
	Stem, Ext  string
	Confidence float64
	SourceDir  string
}

// ValuesOf fills the values of the file at src (under inbox) filed as typ.
func ValuesOf(src, inbox, typ string, t time.Time, confidence float64) Values {
	base := filepath.Base(src)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	if stem == "" { // ".bashrc"
		stem, ext = base, ""
	}
	v := Values{Type: typ, Time: t, Stem: stem, Ext: strings.TrimPrefix(ext, "."), Confidence: confidence}
	if dir := filepath.Dir(src); filepath.Clean(dir) != filepath.Clean(inbox) && inbox != "" {
		v.SourceDir = filepath.Base(dir)
	}
	return v
}

func (v Values) get(name string) string {
	switch name {
	case "type":
		return v.Type
	case "year":
		return fmt.Sprintf("%04d", v.Time.Year())
	case "month":
		return fmt.Sprintf("%02d", int(v.Time.Month()))
	case "day":
		return fmt.Sprintf("%02d", v.Time.Day())
	case "stem":
		return v.Stem
	case "ext":
		return v.Ext
	case "confidence":
		return fmt.Sprintf("%.2f", v.Confidence)
	case "source_dir":
		return v.SourceDir
	}
	return ""
}

// expand puts the safe values in; ".{ext}" goes with an empty {ext}.
func (t *Template) expand(v Values) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.ph == "" {
			b.WriteString(p.lit)
			continue
		}
		val := safeValue(v.get(p.ph))
		if val == "" && p.ph == "ext" {
			s := b.String()
			if strings.HasSuffix(s, ".") {
				b.Reset()
				b.WriteString(s[:len(s)-1])
			}
		}
		b.WriteString(val)
	}
	return b.String()
}

// Folder expands a folder template to a relative path: empty components
// drop out, and "." or ".." never survive (values cannot make them; a
// template's own text is refused at load).
func (t *Template) Folder(v Values) string {
	return cleanRel(t.expand(v))
}

// Name expands a name template to a file name; "" when it expands to
// nothing usable (the caller keeps the file's own name).
func (t *Template) Name(v Values) string {
	n := t.expand(v)
	n = strings.Trim(n, " ")
	if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\x00") {
		return ""
	}
	return SafeName(n)
}

// cleanRel joins the non-empty components of a relative path, dropping "."
// and refusing to climb: ".." components are dropped too.
func cleanRel(p string) string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." {
			continue
		}
		out = append(out, c)
	}
	return strings.Join(out, "/")
}

// safeValue makes a value safe inside a path component: separators, NUL and
// control characters become "_", and a value that is "." or ".." becomes "_".
func safeValue(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r == '/' || r == '\\' || r < 0x20 || r == 0x7f }) >= 0 {
		b := []byte(s)
		for i, c := range b {
			if c == '/' || c == '\\' || c < 0x20 || c == 0x7f {
				b[i] = '_'
			}
		}
		s = string(b)
	}
	if s == "." || s == ".." {
		return "_"
	}
	return s
}

// pattern matches the folders (relative to the output) a folder template
// can expand to for typ: each placeholder stands for any text without a
// separator, and a component made of placeholders alone may be absent.
func (t *Template) pattern(typ string) *regexp.Regexp {
	var re strings.Builder
	re.WriteString("^")
	comps := splitParts(t.parts)
	first := true
	for _, comp := range comps {
		var c strings.Builder
		onlyPH, empty := true, true
		for _, p := range comp {
			switch p.ph {
			case "":
				c.WriteString(regexp.QuoteMeta(p.lit))
				if p.lit != "" {
					onlyPH, empty = false, false
				}
			case "type":
				c.WriteString(regexp.QuoteMeta(safeValue(typ)))
				onlyPH, empty = false, false
			default:
				c.WriteString(`[^/]*`)
				empty = false
			}
		}
		if empty {
			continue
		}
		sep := "/"
		if first {
			sep = ""
		}
		if onlyPH {
			re.WriteString("(?:" + sep + `[^/]+)?`)
		} else {
			re.WriteString(sep + c.String())
			first = false
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String())
}

// splitParts splits parts into path components at the '/' of literals.
func splitParts(parts []tmplPart) [][]tmplPart {
	var comps [][]tmplPart
	var cur []tmplPart
	for _, p := range parts {
		if p.ph != "" {
			cur = append(cur, p)
			continue
		}
		segs := strings.Split(p.lit, "/")
		for i, s := range segs {
			if i > 0 {
				comps = append(comps, cur)
				cur = nil
			}
			if s != "" {
				cur = append(cur, tmplPart{lit: s})
			}
		}
	}
	return append(comps, cur)
}

// parseTemplates parses the rules' folder and name templates. The
// configuration checked them at load; one that does not parse here is used
// as literal text.
func (s *Sorter) parseTemplates() {
	s.folders = map[string]*Template{}
	s.names = map[string]*Template{}
	for typ, f := range s.o.TypeFolder {
		t, err := ParseTemplate(f)
		if err != nil {
			t = &Template{raw: f, parts: []tmplPart{{lit: f}}}
		}
		s.folders[typ] = t
	}
	for typ, n := range s.o.TypeName {
		if n == "" {
			continue
		}
		t, err := ParseTemplate(n)
		if err != nil {
			t = &Template{raw: n, parts: []tmplPart{{lit: n}}}
		}
		s.names[typ] = t
	}
}

// Resolve returns the absolute folder and the file name of a decision: a
// type's folder and name templates expanded with v; other folders, and a
// type without a name template, keep the file's own name (base).
func (s *Sorter) Resolve(kind, typ, base string, v Values) (dir, name string) {
	dir, name = s.Dir(kind, typ), SafeName(base)
	if kind != KindType {
		return dir, name
	}
	f, ok := s.folders[typ]
	if !ok {
		return dir, name
	}
	v.Type = typ
	if !f.Static() {
		if rel := f.Folder(v); rel != "" {
			dir = filepath.Join(s.o.Output, filepath.Clean(string(filepath.Separator)+rel))
		}
	}
	if n, ok := s.names[typ]; ok {
		if got := n.Name(v); got != "" {
			name = got
		}
	}
	return dir, name
}

// TypeAt returns the rule type whose folder holds dir (absolute): a
// templated folder the dir matches, else the deepest plain type folder
// holding it, else the deepest templated folder whose fixed prefix holds it.
func (s *Sorter) TypeAt(dir string) (string, bool) {
	rel, err := filepath.Rel(s.o.Output, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	rel = filepath.ToSlash(rel)
	under := func(prefix string) bool {
		return prefix != "" && (rel == prefix || strings.HasPrefix(rel, prefix+"/"))
	}
	best, bestLen := "", -1
	pick := func(typ, prefix string) {
		if len(prefix) > bestLen || (len(prefix) == bestLen && typ < best) {
			best, bestLen = typ, len(prefix)
		}
	}
	for typ, f := range s.folders {
		if !f.Static() && under(f.Prefix(typ)) && f.pattern(typ).MatchString(rel) {
			pick(typ, f.Prefix(typ))
		}
	}
	if bestLen >= 0 {
		return best, true
	}
	for typ, f := range s.folders {
		if f.Static() && under(f.Prefix(typ)) {
			pick(typ, f.Prefix(typ))
		}
	}
	if bestLen >= 0 {
		return best, true
	}
	for typ, f := range s.folders {
		if under(f.Prefix(typ)) {
			pick(typ, f.Prefix(typ))
		}
	}
	return best, bestLen >= 0
}

// TypeRoots lists the folders holding every type's files: each type
// folder's fixed prefix, without those inside another.
func (s *Sorter) TypeRoots() []string {
	var all []string
	for typ := range s.folders {
		all = append(all, s.Dir(KindType, typ))
	}
	var out []string
	for _, d := range all {
		inside := false
		for _, o := range all {
			if o != d && strings.HasPrefix(d, o+string(filepath.Separator)) {
				inside = true
			}
		}
		if !inside && !contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
