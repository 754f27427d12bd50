package engine

import (
	"math"
	"strings"
)

// Rule-text similarity: a rule's own words against the document, weighed
// by how rare each word is among the documents the engine has seen (the
// population: the batch, recent files), and standardised per rule over the
// same population, so that a rule whose words are common everywhere ("project",
// "information") does not outscore a rule whose words are rare but present.

// ruleVec is a rule's words as a hashed vector: type-name words weigh 2,
// description words 1 (the same stems as the rule's terms).
//
// Words that name a kind of document the rule is about are left out: the
// kind's concept measures them, in several languages and with more care
// (a name in the title counts, "invoice" on a receipt less).
func ruleVec(rm *ruleModel) map[uint32]float64 {
	v := make(map[uint32]float64, len(rm.terms))
	for _, t := range rm.terms {
		if rm.namesGenre(t.word) {
			continue
		}
		k := hashStem(t.stem)
		v[k] = max(v[k], t.w*(ruleIDFMix*t.idf+1-ruleIDFMix))
	}
	return v
}

var ruleIDFMix = 0.5

// tfCap saturates a document's term weights (1 + ln tf) for the rule
// similarity: a word a long text uses fifty times ("man" in a novel) is
// not fifty times the evidence of a rule word used three times.
var tfCap = 1.5

// popStats are document frequencies over a population of documents.
type popStats struct {
	df map[uint32]int
	n  int

	// idf values computed since the population last changed
	memo    map[uint32]float64
	memoVer uint64
	ver     uint64
}

func (p *popStats) add(ex *example) {
	for _, k := range ex.vec.idx {
		p.df[k]++
	}
	p.n++
	p.ver++
}

// idf of a hashed stem in the population; a stem no document has is as
// rare as one seen once.
func (p *popStats) idf(k uint32) float64 {
	if p == nil || p.n < 2 {
		return 1
	}
	switch {
	case p.memo == nil:
		p.memo, p.memoVer = make(map[uint32]float64, 1024), p.ver
	case p.memoVer != p.ver:
		// Emptied, not made anew: the population changes with every
		// document, and a new map each time was the engine's largest
		// allocation (garbage the collector had to keep up with).
		clear(p.memo)
		p.memoVer = p.ver
	}
	if v, ok := p.memo[k]; ok {
		return v
	}
	v := math.Log(float64(p.n+1) / (float64(p.df[k]) + 0.5))
	p.memo[k] = v
	return v
}

// textNorm is the norm of a document's vector as textSim weighs it.
func textNorm(ex *example, p *popStats) float64 {
	dn := 0.0
	for i, k := range ex.vec.idx {
		x := min(float64(ex.vec.val[i]), tfCap) * p.idf(k)
		dn += x * x
	}
	return math.Sqrt(dn)
}

// textSim is the IDF-weighted cosine between a rule's words and a document.
func textSim(rv map[uint32]float64, ex *example, p *popStats) float64 {
	return textSimNorm(rv, ex, p, textNorm(ex, p))
}

// textSimNorm is textSim with the document's norm (textNorm) given.
func textSimNorm(rv map[uint32]float64, ex *example, p *popStats, dn float64) float64 {
	dot, rn := 0.0, 0.0
	for k, w := range rv {
		x := w * p.idf(k)
		rn += x * x
		if v := valOf(ex.vec, k); v != 0 {
			dot += x * min(float64(v), tfCap) * p.idf(k)
		}
	}
	if rn == 0 || dn == 0 {
		return 0
	}
	return dot / (math.Sqrt(rn) * dn)
}

// namesGenre reports whether word is (part of) a trigger that brought in
// one of the rule's kinds of document.
func (rm *ruleModel) namesGenre(word string) bool {
	for _, a := range rm.genres {
		for _, tr := range a.c.triggers {
			for _, tok := range tr.v.toks {
				if tok == word || tr.v.prefix && strings.HasPrefix(word, tok) {
					return true
				}
			}
		}
	}
	return false
}
