package engine

import (
	"strings"
	"unicode/utf8"
)

// Text budget: the engine reads the head of a document and its tail (where
// references, signatures and sign-offs live); structure is measured on the
// same text.
const (
	headChars = 30_000
	tailChars = 10_000
	maxTokens = 12_000
)

// docInfo is a document analysed once for every rule set: folded tokens,
// lines, language and structure cues.
type docInfo struct {
	text   string   // the capped original text
	lines  []string // original lines, spaces trimmed
	flines []string // folded lines, spaces trimmed (same count as lines)
	tokens []string // folded word tokens
	counts map[string]int
	lang   string
	nWords int
	stopN  int // tokens that are stop words of lang

	format string
	pages  int
	title  string

	cues [numCues]float64 // raw cue measurements (counts or ratios)

	stemTF map[string]map[string]int // per stemming language, built lazily
}

// capText keeps the head and the tail of long text, cut at rune boundaries.
func capText(s string) string {
	if len(s) <= headChars+tailChars {
		return s
	}
	h := headChars
	for h > 0 && !utf8.RuneStart(s[h]) {
		h--
	}
	t := len(s) - tailChars
	for t < len(s) && !utf8.RuneStart(s[t]) {
		t++
	}
	return s[:h] + "\n" + s[t:]
}

// Trim keeps of a document only the text the engine reads (its head and
// tail), so a caller holding many documents at once holds little.
func Trim(d Doc) Doc {
	d.Text = capText(d.Text)
	return d
}

// analyze prepares a document for scoring.
func analyze(d Doc) *docInfo {
	text := capText(d.Text)
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, " ")
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	text = strings.ReplaceAll(text, "\f", "\n")
	folded := fold(text)
	di := &docInfo{text: text, format: d.Format, pages: d.Pages, title: d.Title}
	di.lines = splitTrim(text)
	di.flines = splitTrim(folded)
	if len(di.flines) != len(di.lines) {
		di.flines = make([]string, len(di.lines))
		for i, l := range di.lines {
			di.flines[i] = strings.ToLower(l)
		}
	}
	di.tokens = tokenize(folded, maxTokens)
	di.counts = make(map[string]int, len(di.tokens)/3+1)
	for _, t := range di.tokens {
		di.counts[t]++
	}
	di.nWords = len(di.tokens)
	di.lang = detectLanguage(di.tokens)
	for _, t := range di.tokens {
		if isStop(di.lang, t) {
			di.stopN++
		}
	}
	measureCues(di)
	return di
}

func splitTrim(s string) []string {
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimSpace(l)
	}
	return ls
}

// termFreq returns the counts of the document's content-word stems under
// the stemmer of lang (stop words of lang and of the document dropped).
func (di *docInfo) termFreq(lang string) map[string]int {
	if tf, ok := di.stemTF[lang]; ok {
		return tf
	}
	if di.stemTF == nil {
		di.stemTF = map[string]map[string]int{}
	}
	tf := make(map[string]int, len(di.counts))
	for w, c := range di.counts {
		if isStop(lang, w) || isStop(di.lang, w) || isNumeric(w) {
			continue
		}
		tf[stem(lang, w)] += c
	}
	di.stemTF[lang] = tf
	return tf
}

// cue returns the strength (0..1) of a structure cue.
func (di *docInfo) cue(id cueID) float64 {
	return cueDefs[id].strength(di.cues[id])
}
