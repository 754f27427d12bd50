package engine

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// countDates counts numeric dates (31/12/2020, 2020-12-31, 31.12.20) and
// month names next to a day or year in a folded line.
func countDates(l string) int {
	n := 0
	for i := 0; i < len(l); i++ {
		if !isDigit(l[i]) || i > 0 && isDigit(l[i-1]) {
			continue
		}
		if j, ok := scanNumericDate(l, i); ok {
			n++
			i = j
		}
	}
	if n == 0 && monthSet.in(l) {
		for _, w := range strings.FieldsFunc(l, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if isNumeric(w) && (len(w) <= 2 || len(w) == 4 && (w[:2] == "19" || w[:2] == "20")) {
				n++
				break
			}
		}
	}
	return n
}

// scanNumericDate matches d{1,4} sep d{1,2} sep d{2,4} with sep in ./- at i.
func scanNumericDate(l string, i int) (int, bool) {
	var parts [3]int
	p := 0
	j := i
	for p < 3 {
		k := j
		for k < len(l) && isDigit(l[k]) {
			k++
		}
		parts[p] = k - j
		if parts[p] == 0 || parts[p] > 4 {
			return i, false
		}
		p++
		j = k
		if p < 3 {
			if j >= len(l) || (l[j] != '.' && l[j] != '/' && l[j] != '-') {
				return i, false
			}
			j++
		}
	}
	if j < len(l) && isDigit(l[j]) {
		return i, false
	}
	a, b, c := parts[0], parts[1], parts[2]
	ok := (a <= 2 && b <= 2 && (c == 2 || c == 4)) || (a == 4 && b <= 2 && c <= 2)
	return j, ok
}

func countTimes(l string) int {
	n := 0
	for i := 1; i+2 < len(l); i++ {
		if l[i] == ':' && isDigit(l[i-1]) && isDigit(l[i+1]) && isDigit(l[i+2]) &&
			(i+3 == len(l) || !isDigit(l[i+3])) && (i < 3 || !isDigit(l[i-3])) {
			n++
		}
	}
	return n
}

func isYear(w string) bool {
	return len(w) == 4 && (w[:2] == "19" || w[:2] == "20") && isDigit(w[2]) && isDigit(w[3])
}

// isDateRange: a folded line with two years joined by a dash or "to", or a
// year and "present"/"current"/"heute".
func isDateRange(l string) bool {
	years := 0
	fs := strings.FieldsFunc(l, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, w := range fs {
		if isYear(w) || len(w) == 6 && isYear(w[2:]) {
			years++
		}
	}
	if years == 0 {
		return false
	}
	sep := strings.ContainsAny(l, "-–—") || rangeSepSet.in(l)
	if years >= 2 && sep {
		return true
	}
	return sep && presentSet.in(l)
}

func isQtyPrice(l string) bool {
	for i := 1; i+2 < len(l); i++ {
		if (l[i] == 'x' || l[i] == '@' || l[i] == '*') && l[i-1] == ' ' && l[i+1] == ' ' {
			if i >= 2 && isDigit(l[i-2]) && isDigit(l[i+2]) {
				return true
			}
		}
	}
	return digitCount(l) > 0 && qtySet.in(l)
}

func countRuns(l string, ch byte, minRun int) int {
	n, run := 0, 0
	for i := 0; i <= len(l); i++ {
		if i < len(l) && l[i] == ch {
			run++
			continue
		}
		if run >= minRun {
			n++
		}
		run = 0
	}
	return n
}

func countCheckboxes(l string) int {
	n := 0
	for _, r := range l {
		switch r {
		case '☐', '☑', '☒', '□', '▢', '◻', '❏', '❑', '⬜', '◯', '○':
			n++
		}
	}
	n += strings.Count(l, "[ ]") + strings.Count(l, "[x]") + strings.Count(l, "[X]") + strings.Count(l, "( )")
	return n
}

func isYesNo(fl string) bool {
	return yesSet.in(fl) && noSet.in(fl)
}

// labelValue splits "label: value" where the label is 1-4 words.
func labelValue(fl string) (key, value string, ok bool) {
	k := strings.IndexByte(fl, ':')
	if k <= 0 || k > 40 {
		return "", "", false
	}
	key = strings.TrimSpace(fl[:k])
	if key == "" || strings.Count(key, " ") > 3 || strings.ContainsAny(key, ".;,()") {
		return "", "", false
	}
	if k+1 < len(fl) && fl[k+1] == '/' { // http://
		return "", "", false
	}
	value = strings.TrimSpace(fl[k+1:])
	if strings.Trim(value, "_. ") == "" {
		value = ""
	}
	return key, value, true
}

func countEmails(l string) int {
	n := 0
	for i := 1; i+3 < len(l); i++ {
		if l[i] != '@' || !isWordByte(l[i-1]) || !isWordByte(l[i+1]) {
			continue
		}
		rest := l[i+1:]
		end := strings.IndexAny(rest, " \t,;<>()")
		if end < 0 {
			end = len(rest)
		}
		if strings.Contains(rest[:end], ".") {
			n++
		}
	}
	return n
}

// countBracketCites counts [1], [2, 5], [3-7], [12]-style citations.
func countBracketCites(l string) int {
	n := 0
	for i := 0; i < len(l); i++ {
		if l[i] != '[' {
			continue
		}
		j := i + 1
		digits := 0
		for j < len(l) && j-i < 30 && (isDigit(l[j]) || l[j] == ',' || l[j] == ' ' || l[j] == '-') {
			if isDigit(l[j]) {
				digits++
			}
			j++
		}
		if j < len(l) && l[j] == ']' && digits > 0 && digits <= 12 {
			n++
			i = j
		}
	}
	return n
}

// countAuthorYear counts parenthesised author-year citations: "(Smith, 2019)",
// "(Lee and Kim 2020; Wu 2018)".
func countAuthorYear(l string) int {
	n := 0
	for {
		i := strings.IndexByte(l, '(')
		if i < 0 {
			return n
		}
		j := strings.IndexByte(l[i:], ')')
		if j < 0 {
			return n
		}
		in := l[i+1 : i+j]
		l = l[i+j:]
		if len(in) < 6 || len(in) > 90 {
			continue
		}
		hasYear, hasName := false, false
		for _, w := range strings.FieldsFunc(in, func(r rune) bool { return r == ' ' || r == ',' || r == ';' }) {
			w = strings.TrimRight(w, "abc")
			if isYear(w) {
				hasYear = true
			} else if r, _ := utf8.DecodeRuneInString(w); unicode.IsUpper(r) && len(w) > 1 {
				hasName = true
			}
		}
		if hasYear && hasName {
			n++
		}
	}
}

func countPhrase(tokens []string, a, b string) int {
	n := 0
	for i := 0; i+1 < len(tokens); i++ {
		if tokens[i] == a && tokens[i+1] == b {
			n++
		}
	}
	return n
}

func countFigTable(tokens []string) int {
	n := 0
	for i := 0; i+1 < len(tokens); i++ {
		switch tokens[i] {
		case "fig", "figure", "table", "abbildung", "abb", "tabelle", "tableau", "figuur", "tabel", "figura", "tabla", "tabella":
			if isNumeric(tokens[i+1]) && len(tokens[i+1]) <= 3 {
				n++
			}
		}
	}
	return n
}

// isNumberedHeading: "2 Related Work", "3.1. Data sets" - a short line that
// starts with a section number and a capitalised word and ends without a
// full stop.
func isNumberedHeading(l string) bool {
	if len(l) > 70 || len(l) < 4 || !isDigit(l[0]) {
		return false
	}
	i := 0
	for i < len(l) && (isDigit(l[i]) || l[i] == '.') {
		i++
	}
	if i > 6 || i >= len(l) || l[i] != ' ' {
		return false
	}
	rest := strings.TrimSpace(l[i:])
	r, _ := utf8.DecodeRuneInString(rest)
	if !unicode.IsUpper(r) || strings.HasSuffix(rest, ".") || strings.HasSuffix(rest, ",") || digitCount(rest) > 2 {
		return false
	}
	return len(strings.Fields(rest)) <= 8
}

func isClauseLine(l, fl string) bool {
	if strings.HasPrefix(l, "§") {
		return true
	}
	for _, p := range clauseStarts {
		if strings.HasPrefix(fl, p) && len(fl) > len(p) {
			c := fl[len(p)]
			if isDigit(c) || c == 'i' || c == 'v' || c == 'x' {
				return true
			}
		}
	}
	if len(l) > 3 && l[0] == '(' && (l[2] == ')' || l[3] == ')') && l[1] >= 'a' && l[1] <= 'z' {
		return true
	}
	// roman numbering: "IV. Party B promises ..."
	if k := strings.IndexAny(l, ".)"); k > 0 && k <= 6 && len(l) > k+12 && l[k+1] == ' ' &&
		strings.Trim(l[:k], "IVXLC") == "" {
		return true
	}
	// 1.1 / 2.3.1 numbering followed by text
	if len(l) > 6 && isDigit(l[0]) {
		i := 0
		dots := 0
		for i < len(l) && (isDigit(l[i]) || l[i] == '.') {
			if l[i] == '.' {
				dots++
			}
			i++
		}
		if dots >= 1 && i < 9 && i < len(l) && l[i] == ' ' && len(l)-i > 40 {
			return true
		}
	}
	return false
}

// isHeadingLike: a short line (at most 5 words) that could be a heading.
func isHeadingLike(fields []string) bool {
	return len(fields) > 0 && len(fields) <= 5
}

// headingKey folds a heading line to its key: numbering, bullets and
// trailing punctuation removed, spaces collapsed.
func headingKey(fl string) string {
	fl = strings.TrimLeft(fl, "0123456789.ivx)•●▪■-*#:| \t")
	if strings.HasPrefix(fl, "ivx") {
		return ""
	}
	fl = strings.TrimRight(fl, ":.-–—| \t")
	return strings.Join(strings.Fields(fl), " ")
}

func isAbstractLine(fl string) bool {
	for _, a := range abstractWords {
		if strings.HasPrefix(fl, a) {
			rest := fl[len(a):]
			if rest == "" || rest[0] == ':' || rest[0] == '.' || rest[0] == ' ' || rest[0] == '-' || strings.HasPrefix(rest, "—") || strings.HasPrefix(rest, "–") {
				return true
			}
		}
	}
	return false
}

func isBullet(l string) bool {
	r, size := utf8.DecodeRuneInString(l)
	switch r {
	case '•', '●', '▪', '◦', '➢', '✓', '✔', '►', '▶', '■', '-', '*', '–', '·', '○', '\uf0b7', '\uf0a7':
		return size < len(l)
	}
	return false
}

func isUpperLine(l string) bool {
	letters, upper := 0, 0
	for _, r := range l {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return letters >= 3 && upper == letters
}

// countLineRefs counts references to numbered lines of a form: "line 5",
// "lines 3a", "zeile 12", "ligne 4", "regel 7", "linea 2".
func countLineRefs(tokens []string) int {
	n := 0
	for i := 0; i+1 < len(tokens); i++ {
		switch tokens[i] {
		case "line", "lines", "zeile", "ligne", "regel", "linea", "rubrik", "box", "kennzahl", "case", "vak":
			if w := tokens[i+1]; len(w) <= 3 && w[0] >= '0' && w[0] <= '9' {
				n++
			}
		}
	}
	return n
}
