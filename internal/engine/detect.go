package engine

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// measureCues runs every structure detector over the document.
func measureCues(di *docInfo) {
	c := &di.cues
	nonEmpty := 0
	for _, l := range di.lines {
		if l != "" {
			nonEmpty++
		}
	}
	if nonEmpty == 0 {
		return
	}
	first := firstLines(di.flines, 60)
	mailKeys := map[string]bool{}
	proseWords, bullets, upper, names := 0, 0, 0, 0
	lineNo := 0
	for i, l := range di.lines {
		if l == "" {
			continue
		}
		lineNo++
		fl := di.flines[i]
		fields := strings.Fields(l)
		hasDigit := strings.ContainsAny(l, "0123456789")
		if hasDigit {
			amounts := 0
			for _, f := range fields {
				if isAmount(f) {
					amounts++
				}
			}
			c[cueAmounts] += float64(amounts)
			if endsInAmount(fields) {
				c[cuePriceLines]++
			}
			if amounts > 0 && hasCurrency(l, fl) {
				c[cueCurrency]++
			}
			if amounts > 0 || hasNumber(fields) {
				if totalSet.in(fl) {
					c[cueTotalLine]++
				}
				if taxSet.in(fl) && (strings.Contains(l, "%") || amounts > 0) {
					c[cueTaxLine]++
				}
			}
			c[cueDates] += float64(countDates(fl))
			c[cueTimes] += float64(countTimes(l))
			if isDateRange(fl) {
				c[cueDateRanges]++
			}
			if isQtyPrice(fl) {
				c[cueQtyPrice]++
			}
			if phoneSet.in(fl) && digitCount(l) >= 6 {
				c[cuePhone]++
			}
			c[cueCiteBracket] += float64(countBracketCites(l))
			if isNumberedHeading(l) {
				c[cueSectionNums]++
			}
		}
		if isClauseLine(l, fl) {
			c[cueClauses]++
		}
		c[cueUnderscores] += float64(countRuns(l, '_', 3))
		c[cueCheckboxes] += float64(countCheckboxes(l))
		if isYesNo(fl) {
			c[cueYesNo]++
		}
		if k, v, ok := labelValue(fl); ok {
			if v == "" && len(fields) <= 7 {
				c[cueBlankFields]++
			} else if v != "" {
				c[cueKVLines]++
			}
			if lineNo <= 60 && mailHeaderKeys[k] != "" {
				mailKeys[mailHeaderKeys[k]] = true
				c[cueMailHeaders]++
			}
		}
		if strings.HasPrefix(l, ">") || mayBeReply(fl) && containsAnyPhrase(fl, replyPhrases) {
			c[cueReply]++
		}
		at := strings.Count(l, "@")
		if at > 0 {
			c[cueEmailAddr] += float64(countEmails(l))
		}
		if strings.Contains(fl, "http://") || strings.Contains(fl, "https://") || strings.Contains(fl, "www.") {
			c[cueURL]++
		}
		c[cueCiteAuthor] += float64(countAuthorYear(l))
		if isHeadingLike(fields) {
			h := headingKey(fl)
			switch {
			case refsHeadings[h]:
				c[cueRefsHeading] = 1
			case paperHeadings[h]:
				c[cuePaperHeads]++
			}
			if g := resumeHeadings[h]; g != "" {
				c[cueResumeHeads]++
			}
		}
		if lineNo <= 40 && isAbstractLine(fl) {
			c[cueAbstract] = 1
		}
		if isBullet(l) {
			bullets++
		}
		if isUpperLine(l) {
			upper++
		}
		if len(fields) >= 8 && strings.ContainsAny(l, ".,;") && !hasManyNumbers(fields) {
			proseWords += len(fields)
			names += countNames(fields)
		}
	}
	if di.cues[cueAbstract] == 0 && di.counts["abstract"] > 0 && di.nWords > 1500 {
		for _, t := range di.tokens[:min(len(di.tokens), 600)] {
			if t == "abstract" {
				c[cueAbstract] = 1
				break
			}
		}
	}
	if mailKeys["subject"] {
		c[cueSubject] = 1
	} else {
		for _, l := range first[:min(len(first), 8)] {
			if strings.HasPrefix(l, "re:") || strings.HasPrefix(l, "fw:") || strings.HasPrefix(l, "fwd:") {
				c[cueSubject] = 1
			}
		}
	}
	// at least two kinds of header, one of them a sender or a subject
	// ("Date:" and "To:" alone head invoices and letters too)
	c[cueMailHeaders] = float64(len(mailKeys))
	if len(mailKeys) < 2 || !mailKeys["from"] && !mailKeys["subject"] {
		c[cueMailHeaders] = 0
	}
	c[cueGreeting] = b2f(anyStartsWith(skipHeaders(first, 12), greetingWords))
	c[cueSignoff] = b2f(anyStartsWith(lastLines(di.flines, 15), signoffWords))
	c[cueCiteAuthor] += float64(countPhrase(di.tokens, "et", "al"))
	c[cueDOI] = float64(di.counts["doi"] + di.counts["arxiv"] + di.counts["issn"] + di.counts["isbn"])
	c[cueFigTable] = float64(countFigTable(di.tokens))
	c[cueDefinedTerms] = float64(strings.Count(di.text, "\")") + strings.Count(di.text, "”)"))
	c[cueSignature] = float64(countSignature(di.lines, di.flines))
	c[cueBullets] = float64(bullets) / float64(nonEmpty)
	c[cueUpperLines] = float64(upper) / float64(nonEmpty)
	c[cueContactTop] = b2f(contactTop(di.lines))
	if di.nWords > 0 {
		per1k := 1000 / float64(di.nWords)
		said := 0
		for _, w := range saidWords {
			said += di.counts[w]
		}
		said += countPhrase(di.tokens, "according", "to")
		// density with a prior of 300 words, so one "said" in a short note is not news
		c[cueSaid] = float64(said) * 1000 / float64(di.nWords+300)
		fp := di.counts["i"] + di.counts["my"] + di.counts["me"] + di.counts["ich"] + di.counts["je"] + di.counts["ik"]
		c[cueFirstPerson] = float64(fp) * per1k
		c[cueProse] = min(1, float64(proseWords)/float64(di.nWords))
		if proseWords >= 40 && di.lang != "de" { // German capitalises every noun
			c[cueNames] = float64(names) / float64(proseWords)
		}
		num, wd := 0, 0
		for w, n := range di.counts {
			if isNumeric(w) {
				num += n
			}
			if weekdays[w] {
				wd += n
			}
		}
		c[cueNumeric] = float64(num) / float64(di.nWords)
		c[cueWeekday] = float64(wd)
	}
	c[cueQuotes] = float64(countQuotes(di.text))
	c[cueDateline] = b2f(hasDateline(di.lines))
	c[cueByline] = b2f(hasByline(di.lines))
	c[cueHeadline] = b2f(hasHeadline(di.lines))
	// short: 1 at <=120 words, 0 from 600; long: 0 below 1500, 1 from 4000.
	c[cueShort] = clamp01((600 - float64(di.nWords)) / 480)
	c[cueLong] = clamp01((float64(di.nWords) - 1500) / 2500)
	if di.pages > 3 {
		c[cueShort] = 0
	}
	c[cueShortList] = c[cueShort] * cueDefs[cueAmounts].strength(c[cueAmounts])
}

// countNames counts capitalised words inside sentences (not after a full
// stop, not all capitals): names of people, places and organisations.
func countNames(fields []string) int {
	n := 0
	for i := 1; i < len(fields); i++ {
		prev := fields[i-1]
		if strings.HasSuffix(prev, ".") || strings.HasSuffix(prev, "!") || strings.HasSuffix(prev, "?") ||
			strings.HasSuffix(prev, ":") || strings.HasSuffix(prev, "\"") || strings.HasSuffix(prev, "“") {
			continue
		}
		w := strings.TrimLeft(fields[i], "(\"'‘“")
		r, size := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) || size >= len(w) {
			continue
		}
		r2, _ := utf8.DecodeRuneInString(w[size:])
		if unicode.IsLower(r2) {
			n++
		}
	}
	return n
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func clamp01(x float64) float64 { return max(0, min(1, x)) }

func firstLines(ls []string, n int) []string {
	var out []string
	for _, l := range ls {
		if l != "" {
			out = append(out, l)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

func lastLines(ls []string, n int) []string {
	var out []string
	for i := len(ls) - 1; i >= 0 && len(out) < n; i-- {
		if ls[i] != "" {
			out = append(out, ls[i])
		}
	}
	return out
}

// skipHeaders drops leading "Key: value" header lines and returns up to n lines.
func skipHeaders(ls []string, n int) []string {
	i := 0
	for i < len(ls) {
		k, _, ok := labelValue(ls[i])
		if !ok || mailHeaderKeys[k] == "" {
			break
		}
		i++
	}
	ls = ls[i:]
	return ls[:min(len(ls), n)]
}

func anyStartsWith(ls []string, starts []string) bool {
	for _, l := range ls {
		for _, s := range starts {
			if strings.HasPrefix(l, s) && (len(l) == len(s) || !isLetterByte(l[len(s)])) {
				return true
			}
		}
	}
	return false
}

func isLetterByte(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// isAmount reports whether a whitespace field is a money-like amount:
// digits with a two-digit decimal part, optionally with thousands
// separators, a currency sign or code, a sign or a trailing minus.
func isAmount(f string) bool {
	f = strings.TrimLeft(f, "-+($€£¥₹*")
	f = strings.TrimRight(f, "-)€$£*")
	// strip a short alphabetic currency prefix/suffix ("RM8.70", "8.70EUR")
	i := 0
	for i < len(f) && i < 3 && isLetterByte(f[i]) {
		i++
	}
	f = f[i:]
	j := len(f)
	for j > 0 && len(f)-j < 3 && isLetterByte(f[j-1]) {
		j--
	}
	f = f[:j]
	n := len(f)
	if n < 4 || f[n-3] != '.' && f[n-3] != ',' || !isDigit(f[n-1]) || !isDigit(f[n-2]) {
		return false
	}
	digits := 0
	for k := 0; k < n-3; k++ {
		switch c := f[k]; {
		case isDigit(c):
			digits++
		case c == '.' || c == ',' || c == '\'':
			if k == 0 {
				return false
			}
		default:
			return false
		}
	}
	return digits > 0 && digits <= 9
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// endsInAmount: the line's last field (or the one before a short tax code)
// is an amount.
func endsInAmount(fields []string) bool {
	n := len(fields)
	if n == 0 {
		return false
	}
	if isAmount(fields[n-1]) {
		return true
	}
	return n >= 2 && len(fields[n-1]) <= 3 && isAmount(fields[n-2])
}

func hasNumber(fields []string) bool {
	for _, f := range fields {
		if digitCount(f) > 0 {
			return true
		}
	}
	return false
}

func hasManyNumbers(fields []string) bool {
	n := 0
	for _, f := range fields {
		if digitCount(f) > 0 {
			n++
		}
	}
	return n*3 > len(fields)
}

func digitCount(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

func hasCurrency(l, fl string) bool {
	if strings.ContainsAny(l, "$€£¥₹₩₽") {
		return true
	}
	return currencySet.in(fl)
}

// containsAnyWord reports whether folded line l contains one of ws as a
// whole word (or as a word prefix when the entry ends in '*').
func containsAnyWord(l string, ws []string) bool {
	for _, w := range ws {
		prefix := strings.HasSuffix(w, "*")
		if prefix {
			w = w[:len(w)-1]
		}
		off := 0
		for {
			k := strings.Index(l[off:], w)
			if k < 0 {
				break
			}
			k += off
			okLeft := k == 0 || !isWordByte(l[k-1])
			end := k + len(w)
			okRight := prefix || end == len(l) || !isWordByte(l[end])
			if okLeft && okRight {
				return true
			}
			off = k + 1
		}
	}
	return false
}

// wordSet matches a folded line against a word list: whole words, word
// prefixes ("gesamt*") and phrases or entries with punctuation ("sub
// total", "tel.") - one scan of the line's words.
type wordSet struct {
	exact    map[string]bool
	prefixes []string
	phrases  []string
}

func newWordSet(ws ...string) *wordSet {
	s := &wordSet{exact: map[string]bool{}}
	for _, w := range ws {
		switch {
		case strings.HasSuffix(w, "*"):
			s.prefixes = append(s.prefixes, strings.TrimSuffix(w, "*"))
		case strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) >= 0:
			s.phrases = append(s.phrases, w)
		default:
			s.exact[w] = true
		}
	}
	return s
}

func (s *wordSet) in(l string) bool {
	i := 0
	for i < len(l) {
		for i < len(l) && !isWordByte(l[i]) {
			i++
		}
		j := i
		for j < len(l) && isWordByte(l[j]) {
			j++
		}
		if j > i {
			w := l[i:j]
			if s.exact[w] {
				return true
			}
			for _, p := range s.prefixes {
				if strings.HasPrefix(w, p) {
					return true
				}
			}
		}
		i = j
	}
	return len(s.phrases) > 0 && containsAnyWord(l, s.phrases)
}

func isWordByte(b byte) bool { return isLetterByte(b) || isDigit(b) || b >= 0x80 }

// mayBeReply is a cheap filter before the reply phrases: every one of them
// has a colon or one of these stems.
func mayBeReply(fl string) bool {
	return strings.IndexByte(fl, ':') >= 0 || strings.Contains(fl, "mess") || strings.Contains(fl, "forward") ||
		strings.Contains(fl, "ecrit") || strings.Contains(fl, "schreef") || strings.Contains(fl, "scritto") ||
		strings.Contains(fl, "bericht") || strings.Contains(fl, "nachricht")
}

func containsAnyPhrase(l string, ps []string) bool {
	for _, p := range ps {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}

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

func countSignature(lines, flines []string) int {
	start := len(lines) * 6 / 10
	if len(lines)-start > 120 {
		start = len(lines) - 120
	}
	n := 0
	for i := start; i < len(lines); i++ {
		fl := flines[i]
		if fl == "" {
			continue
		}
		if signatureSet.in(fl) || countRuns(lines[i], '_', 8) > 0 {
			n++
		}
	}
	return n
}

func contactTop(lines []string) bool {
	n := 0
	for _, l := range lines {
		if l == "" {
			continue
		}
		n++
		if n > 10 {
			break
		}
		if countEmails(l) > 0 || digitCount(l) >= 9 && strings.ContainsAny(l, "+()-") && !strings.Contains(l, ",") {
			return true
		}
	}
	return false
}

func countQuotes(s string) int {
	n := strings.Count(s, "“") + strings.Count(s, "„") + strings.Count(s, "«")
	if n == 0 {
		n = strings.Count(s, "\"") / 2
	}
	return n
}

// hasDateline: "LONDON (Reuters) - ...", "WASHINGTON — ..." or an agency tag
// in the first lines.
func hasDateline(lines []string) bool {
	n := 0
	for _, l := range lines {
		if l == "" {
			continue
		}
		if n++; n > 6 {
			break
		}
		fl := strings.ToLower(l)
		for _, a := range agencyTags {
			if strings.Contains(fl, a) {
				return true
			}
		}
		i := strings.IndexAny(l, "-–—")
		if i >= 3 && i < 40 && len(l) > 60 {
			head := strings.TrimSpace(l[:i])
			if isUpperLine(head) && !strings.ContainsAny(head, ":") {
				return true
			}
		}
	}
	return false
}

func hasByline(lines []string) bool {
	n := 0
	for _, l := range lines {
		if l == "" {
			continue
		}
		if n++; n > 8 {
			break
		}
		for _, p := range bylineStarts {
			if strings.HasPrefix(l, p) && len(l) < 60 && !strings.Contains(l, ":") {
				rest := strings.Fields(l[len(p):])
				if len(rest) >= 2 && len(rest) <= 6 {
					r, _ := utf8.DecodeRuneInString(rest[0])
					if unicode.IsUpper(r) {
						return true
					}
				}
			}
		}
	}
	return false
}

// hasHeadline: the first line is a short title without a full stop and is
// followed by at least three lines of running prose.
func hasHeadline(lines []string) bool {
	i := 0
	for i < len(lines) && lines[i] == "" {
		i++
	}
	if i >= len(lines) {
		return false
	}
	h := strings.Fields(lines[i])
	if _, _, kv := labelValue(strings.ToLower(lines[i])); kv {
		return false
	}
	if len(h) < 2 || len(h) > 16 || strings.HasSuffix(lines[i], ".") || strings.HasSuffix(lines[i], ":") || hasManyNumbers(h) {
		return false
	}
	prose := 0
	for _, l := range lines[i+1 : min(len(lines), i+12)] {
		if f := strings.Fields(l); len(f) >= 12 && strings.ContainsAny(l, ".,") {
			prose++
		}
	}
	return prose >= 3
}
