package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// A concept is a piece of general knowledge about documents: a kind of
// document ("invoice") or an aspect a description may ask for ("line
// items", "signatures"). Rule texts activate concepts through trigger
// phrases; documents show a concept through vocabulary (in several
// languages) and structure cues.
type concept struct {
	id       string
	label    string // how reasoning names it
	genre    bool   // a kind of document, not an aspect
	weak     bool   // a generic property (length, dates): little evidence of a kind on its own
	triggers []weighted[pattern]
	terms    []termRef
	cues     []weighted[cueID]
	scale    float64 // evidence at which the concept is ~63% present
}

type weighted[T any] struct {
	v T
	w float64
}

// pattern is a phrase of folded tokens; the last token may match a prefix.
type pattern struct {
	toks   []string
	prefix bool // last token is a prefix
	suffix bool // single token matched as a word ending (German/Dutch compounds: "*vertrag")
	text   string
}

// termRef is a concept's use of a lexicon term.
type termRef struct {
	idx  int
	w    float64 // negative: evidence against the concept
	name bool    // the name of the kind: strongest in the title and first lines
}

func (p pattern) String() string { return p.text }

// conceptSpec is the source form of a concept (see concepts_*.go):
// triggers and terms are "phrase=weight; phrase=weight", a trailing '*'
// on a phrase matches a word prefix, a leading '*' on a single word matches
// a word ending (compounds: "*vertrag" matches "Mietvertrag"), a trailing
// '!' on a term marks the
// name of the kind (counted fully only near the top of a document), a
// negative weight is evidence against the concept; cues are
// "cue_name=weight; ...".
type conceptSpec struct {
	id, label       string
	genre, weak     bool
	triggers, terms string
	cues            string
	scale           float64
}

// lexTerm is one distinct vocabulary pattern shared by all concepts; its
// count in a document is computed once.
var (
	lexTerms    []pattern
	lexFirst    map[string][]int // first token (exact) -> term indexes
	lexPrefix   map[string][]int // prefix of the first token -> single-token prefix terms
	lexPrefLens []int
	lexSuffix   map[string][]int // single-token suffix terms
	lexSufLens  []int
	concepts    []*concept
	conceptByID map[string]*concept
)

func init() {
	lexFirst = map[string][]int{}
	lexPrefix = map[string][]int{}
	lexSuffix = map[string][]int{}
	sufLens := map[int]bool{}
	conceptByID = map[string]*concept{}
	termIndex := map[string]int{}
	lens := map[int]bool{}
	for _, spec := range append(genreSpecs, aspectSpecs...) {
		c := &concept{id: spec.id, label: spec.label, genre: spec.genre, weak: spec.weak, scale: spec.scale}
		if c.scale == 0 {
			c.scale = 1.5
			if c.genre {
				c.scale = 4
			}
		}
		for _, wp := range parseWeighted(spec.triggers) {
			c.triggers = append(c.triggers, weighted[pattern]{compilePattern(wp.v), wp.w})
		}
		for _, wp := range parseWeighted(spec.terms) {
			name := strings.HasSuffix(wp.v, "!")
			p := compilePattern(strings.TrimSuffix(wp.v, "!"))
			if len(p.toks) == 0 {
				continue
			}
			key := strings.TrimSuffix(strings.TrimSpace(wp.v), "!") // markers included: "vertrag*" is not "*vertrag"
			idx, ok := termIndex[key]
			if !ok {
				idx = len(lexTerms)
				termIndex[key] = idx
				lexTerms = append(lexTerms, p)
				first := p.toks[0]
				if p.suffix {
					lexSuffix[first] = append(lexSuffix[first], idx)
					sufLens[len(first)] = true
				} else if p.prefix && len(p.toks) == 1 {
					lexPrefix[first] = append(lexPrefix[first], idx)
					lens[len(first)] = true
				} else {
					lexFirst[first] = append(lexFirst[first], idx)
				}
			}
			c.terms = append(c.terms, termRef{idx, wp.w, name})
		}
		for _, wc := range parseWeighted(spec.cues) {
			id, ok := cueByName(wc.v)
			if !ok {
				panic(fmt.Sprintf("engine: concept %s: unknown cue %q", spec.id, wc.v))
			}
			c.cues = append(c.cues, weighted[cueID]{id, wc.w})
		}
		if conceptByID[c.id] != nil {
			panic("engine: duplicate concept " + c.id)
		}
		conceptByID[c.id] = c
		concepts = append(concepts, c)
	}
	for l := range lens {
		lexPrefLens = append(lexPrefLens, l)
	}
	for l := range sufLens {
		lexSufLens = append(lexSufLens, l)
	}
}

func parseWeighted(s string) []weighted[string] {
	var out []weighted[string]
	for _, item := range strings.Split(s, ";") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		w := 1.0
		if k := strings.LastIndexByte(item, '='); k > 0 {
			f, err := strconv.ParseFloat(strings.TrimSpace(item[k+1:]), 64)
			if err != nil {
				panic(fmt.Sprintf("engine: bad weight in %q", item))
			}
			w = f
			item = strings.TrimSpace(item[:k])
		}
		out = append(out, weighted[string]{item, w})
	}
	return out
}

func compilePattern(s string) pattern {
	s = strings.TrimSpace(s)
	suffix := strings.HasPrefix(s, "*")
	s = strings.TrimPrefix(s, "*")
	prefix := strings.HasSuffix(s, "*")
	s = strings.TrimSuffix(s, "*")
	toks := tokenize(fold(s), 0)
	if suffix && (prefix || len(toks) != 1) {
		panic(fmt.Sprintf("engine: a suffix pattern is one word: %q", s))
	}
	text := strings.TrimSpace(s)
	if prefix {
		text += "…"
	}
	if suffix {
		text = "…" + text
	}
	return pattern{toks: toks, prefix: prefix, suffix: suffix, text: text}
}

// matchAt reports whether p matches tokens starting at i.
func (p pattern) matchAt(tokens []string, i int) bool {
	if i+len(p.toks) > len(tokens) {
		return false
	}
	if p.suffix {
		return strings.HasSuffix(tokens[i], p.toks[0])
	}
	last := len(p.toks) - 1
	for k, t := range p.toks {
		got := tokens[i+k]
		if k == last && p.prefix {
			if !strings.HasPrefix(got, t) {
				return false
			}
		} else if got != t {
			return false
		}
	}
	return true
}

// headTokens is how many tokens count as the top of a document.
const headTokens = 80

// lexCounts counts every lexicon term in the document's tokens, and in
// the top of the document (head).
func lexCounts(tokens []string, counts map[string]int) (out, head []int32) {
	out = make([]int32, len(lexTerms))
	head = make([]int32, len(lexTerms))
	for i, w := range tokens[:min(len(tokens), headTokens)] {
		for _, l := range lexPrefLens {
			if len(w) >= l {
				for _, idx := range lexPrefix[w[:l]] {
					head[idx]++
				}
			}
		}
		for _, idx := range lexFirst[w] {
			if lexTerms[idx].matchAt(tokens, i) {
				head[idx]++
			}
		}
		for _, l := range lexSufLens {
			if len(w) > l {
				for _, idx := range lexSuffix[w[len(w)-l:]] {
					head[idx]++
				}
			}
		}
	}
	// single-token prefix terms: resolve once per distinct token
	for w, n := range counts {
		for _, l := range lexPrefLens {
			if len(w) >= l {
				for _, idx := range lexPrefix[w[:l]] {
					out[idx] += int32(n)
				}
			}
		}
		for _, idx := range lexFirst[w] {
			if len(lexTerms[idx].toks) == 1 && !lexTerms[idx].prefix {
				out[idx] += int32(n)
			}
		}
		for _, l := range lexSufLens {
			if len(w) > l {
				for _, idx := range lexSuffix[w[len(w)-l:]] {
					out[idx] += int32(n)
				}
			}
		}
	}
	// phrases: scan positions of their first token
	for i, w := range tokens {
		for _, idx := range lexFirst[w] {
			p := lexTerms[idx]
			if (len(p.toks) > 1 || p.prefix) && p.matchAt(tokens, i) {
				out[idx]++
			}
		}
	}
	return out, head
}

// evidence is one piece of evidence for a concept in a document.
type evidence struct {
	text  string  // "invoice number" or "12 price lines"
	value float64 // contribution
	cue   bool
}

// conceptScore is how strongly a document shows a concept, 0..1, with the
// evidence that made it.
func conceptScore(c *concept, di *docInfo, lc, head []int32) (float64, []evidence) {
	e := 0.0
	var ev []evidence
	// Counts are damped by length so that long documents do not win
	// vocabulary evidence by mentioning everything once.
	damp := 1 + float64(di.nWords)/2500
	for _, t := range c.terms {
		n := lc[t.idx]
		if n == 0 {
			continue
		}
		g := 1 - math.Exp(-float64(n)/damp-0.3)
		if t.name {
			g = 0.35 * g
			if head[t.idx] > 0 {
				g += 0.65
			}
		}
		v := t.w * g
		e += v
		if v > 0 {
			ev = append(ev, evidence{text: lexTerms[t.idx].text, value: v})
		}
	}
	for _, q := range c.cues {
		s := di.cue(q.v)
		if s < 0.05 {
			continue
		}
		v := q.w * s
		e += v
		ev = append(ev, evidence{text: cueDefs[q.v].describe(di.cues[q.v]), value: v, cue: true})
	}
	return 1 - math.Exp(-max(0, e)/c.scale), ev
}
