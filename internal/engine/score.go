package engine

import (
	"math"
	"sort"
)

// Weights of the parts of a rule's zero-shot score. They are generic knobs
// of the method (not of any document collection).
var (
	weightGenre   = 0.5
	weightAspect  = 0.3
	weightLexical = 0.2
	weightPrior   = 0.1
	weakAspect    = 0.4 // weight of generic aspects (length, dates) among a rule's aspects
)

// conceptHit is a concept measured in a document.
type conceptHit struct {
	act activation
	s   float64
	ev  []evidence
}

// ruleScore is one rule's score for one document, with its parts.
type ruleScore struct {
	rm       *ruleModel
	genre    *conceptHit // best kind-of-document concept, if the rule names one
	aspects  []conceptHit
	aspect   float64
	lexical  float64
	matched  []string // rule words found in the document
	missing  []string // weighty rule words not found
	zeroShot float64
	learned  float64 // evidence from examples (see learn.go)
	learnedP float64 // probability, from examples alone, that the document is of this type
	nearest  string  // reasoning about examples
	total    float64 // final belief (decide.go)

	learnedN     float64 // examples of the type (weighted)
	learnedDelta float64 // their softmax share minus the uniform share
	text         float64 // IDF-weighted cosine of the rule's words and the document
	zConcept     float64 // concept evidence standardised over the population
	zText        float64 // text similarity standardised over the population
	sc           *scorer // the document's scorer (for explaining a veto)
}

// scorer evaluates concepts lazily and once per document.
type scorer struct {
	di   *docInfo
	lc   []int32
	head []int32
	cs   map[*concept]*conceptHit
}

func newScorer(di *docInfo) *scorer {
	lc, head := lexCounts(di.tokens, di.counts)
	return &scorer{di: di, lc: lc, head: head, cs: map[*concept]*conceptHit{}}
}

func (sc *scorer) concept(c *concept) *conceptHit {
	if h, ok := sc.cs[c]; ok {
		return h
	}
	s, ev := conceptScore(c, sc.di, sc.lc, sc.head)
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].value > ev[j].value })
	h := &conceptHit{s: s, ev: ev}
	sc.cs[c] = h
	return h
}

// zeroShot scores a document against one compiled rule from the rule text
// alone.
func (sc *scorer) zeroShot(rm *ruleModel) ruleScore {
	rs := ruleScore{rm: rm}
	for _, a := range rm.genres {
		h := sc.concept(a.c)
		v := a.a * h.s
		if rs.genre == nil || v > rs.genre.act.a*rs.genre.s {
			rs.genre = &conceptHit{act: a, s: h.s, ev: h.ev}
		}
	}
	num, den := 0.0, 0.0
	for _, a := range rm.aspect {
		h := sc.concept(a.c)
		w := a.a * a.idf
		if a.c.weak {
			w *= weakAspect
		}
		num += w * h.s
		den += w
		rs.aspects = append(rs.aspects, conceptHit{act: a, s: h.s, ev: h.ev})
	}
	if den > 0 {
		rs.aspect = num / den
	}
	// lexical: IDF-weighted share of the rule's words found in the text
	tf := sc.di.termFreq(rm.lang)
	damp := 1 + float64(sc.di.nWords)/1500
	lnum, lden := 0.0, 0.0
	for _, t := range rm.terms {
		w := t.w * t.idf
		lden += w
		if n := tf[t.stem]; n > 0 {
			lnum += w * (1 - math.Exp(-float64(n)/damp-0.2))
			rs.matched = append(rs.matched, t.word)
		} else if t.idf > 0.5 {
			rs.missing = append(rs.missing, t.word)
		}
	}
	if lden > 0 {
		rs.lexical = lnum / lden
	}
	wg, wa, wl := 0.0, 0.0, 0.0
	g := 0.0
	if rs.genre != nil {
		wg = weightGenre
		g = rs.genre.act.a * rs.genre.s
	}
	if den > 0 {
		wa = weightAspect * min(1, den)
	}
	if lden > 0 {
		// as much weight as there is lexical material (a bare type name
		// already covered by a concept says little more)
		wl = weightLexical * min(1, lden/3)
	}
	// The prior weight shrinks the scores of rules with little to go on
	// (a bare word) more than those of rules with concepts and descriptions.
	if tot := wg + wa + wl; tot > 0 {
		rs.zeroShot = (wg*g + wa*rs.aspect + wl*rs.lexical) / (tot + weightPrior)
	}
	rs.total = rs.zeroShot
	return rs
}
