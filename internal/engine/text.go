package engine

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	snowball "github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/danish"
	"github.com/blevesearch/snowballstem/dutch"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/french"
	"github.com/blevesearch/snowballstem/german"
	"github.com/blevesearch/snowballstem/italian"
	"github.com/blevesearch/snowballstem/norwegian"
	"github.com/blevesearch/snowballstem/portuguese"
	"github.com/blevesearch/snowballstem/spanish"
	"github.com/blevesearch/snowballstem/swedish"
	"github.com/clipperhouse/uax29/v2/words"
	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// fold normalises text for matching: NFKC, Unicode case folding, and
// diacritics removed (é→e, ü→u, ß→ss). Newlines are preserved, so the folded
// text has the same lines as the original.
func fold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, " ")
	}
	t := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), cases.Fold(), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return strings.ToLower(s)
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// tokenize splits folded text into words (UAX #29) that hold a letter or a
// digit; punctuation and spaces are dropped.
func tokenize(folded string, max int) []string {
	var out []string
	it := words.FromString(folded)
	for it.Next() {
		w := it.Value()
		if isWordToken(w) {
			out = append(out, w)
			if max > 0 && len(out) >= max {
				break
			}
		}
	}
	return out
}

func isWordToken(w string) bool {
	for _, r := range w {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// isNumeric reports whether a token is a number (digits with separators).
func isNumeric(w string) bool {
	digits := 0
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' || c == ',' || c == '\'':
		default:
			return false
		}
	}
	return digits > 0
}

// stemmers maps a language code to its Snowball stemmer.
var stemmers = map[string]func(*snowball.Env) bool{
	"en": english.Stem,
	"de": german.Stem,
	"fr": french.Stem,
	"nl": dutch.Stem,
	"es": spanish.Stem,
	"it": italian.Stem,
	"pt": portuguese.Stem,
	"sv": swedish.Stem,
	"da": danish.Stem,
	"no": norwegian.Stem,
}

// stemCache memoises stems: a direct-mapped table of stemSlots entries, each
// slot holding the last word stemmed whose hash falls in it. Its size is
// fixed (a few hundred kB when full), so a daemon that reads millions of
// documents, each with its own names, numbers and misspellings, holds no more
// than a process that read a hundred; the words met often stay in it because
// they come back before another word takes their slot. Reads take no lock.
type stemCache struct {
	seed  maphash.Seed
	slots [stemSlots]atomic.Pointer[stemEntry]
}

type stemEntry struct {
	lang, word, stem string
}

const stemSlots = 1 << 13

var stems = stemCache{seed: maphash.MakeSeed()}

// stem returns the stem of a folded word in lang; numbers and words the
// stemmer does not know are returned as they are.
func stem(lang, w string) string {
	fn, ok := stemmers[lang]
	if !ok || len(w) < 3 || isNumeric(w) {
		return w
	}
	slot := &stems.slots[maphash.String(stems.seed, w)&(stemSlots-1)]
	if e := slot.Load(); e != nil && e.word == w && e.lang == lang {
		return e.stem
	}
	env := snowball.NewEnv(w)
	fn(env)
	s := env.Current()
	// Words are slices of their document's folded text: the cache keeps a
	// copy, never a reference that would pin the whole document.
	e := &stemEntry{lang: lang, word: strings.Clone(w)}
	if s == "" || s == w {
		e.stem = e.word
	} else {
		e.stem = strings.Clone(s)
	}
	slot.Store(e)
	return e.stem
}

// detectLanguage guesses the language of folded tokens by counting stop
// words of each supported language; "en" when there is too little evidence.
func detectLanguage(tokens []string) string {
	counts := map[string]int{}
	n := 0
	for _, t := range tokens {
		if n >= 3000 {
			break
		}
		n++
		for _, lang := range stopLangs[t] {
			counts[lang]++
		}
	}
	best, bestN := "en", 0
	for _, lang := range languageOrder {
		if c := counts[lang]; c > bestN {
			best, bestN = lang, c
		}
	}
	if bestN < 2 || float64(bestN) < 0.6*float64(counts["en"]) {
		return "en"
	}
	return best
}

// isStop reports whether the folded word is a stop word in lang (or in
// English, which leaks into documents of every language).
func isStop(lang, w string) bool {
	for _, l := range stopLangs[w] {
		if l == lang || l == "en" {
			return true
		}
	}
	return false
}

// splitTypeName turns a rule type such as "news_article", "TaxForm" or
// "purchase-order" into the words it is made of.
func splitTypeName(typ string) string {
	var b strings.Builder
	var prev rune
	for i, r := range typ {
		switch {
		case r == '_' || r == '-' || r == '.' || r == '/' || unicode.IsSpace(r):
			b.WriteByte(' ')
		case i > 0 && unicode.IsUpper(r) && unicode.IsLower(prev):
			b.WriteByte(' ')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}
