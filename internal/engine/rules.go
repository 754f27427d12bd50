package engine

import (
	"hash/fnv"
	"math"
	"sort"
	"strings"

	"github.com/classifyd/classifyd/internal/api"
)

// activation is a concept a rule asks for, with how surely (a: 0..1) and
// the words of the rule that asked for it.
type activation struct {
	c       *concept
	a       float64
	idf     float64 // distinctiveness of the concept within the rule set
	trigger string
}

// ruleTerm is a content word of a rule, matched on stems.
type ruleTerm struct {
	stem string
	word string  // as written, for reasoning
	w    float64 // 2 for words of the type name, 1 for the description
	idf  float64
}

// ruleModel is a rule compiled for scoring.
type ruleModel struct {
	typ    string
	lang   string
	genres []activation
	aspect []activation
	terms  []ruleTerm
	// kinds of document a word of the rule names but the rule is not
	// about (reported by rules check, not scored)
	dropped     []activation
	noKnowledge bool // the rule turned built-in knowledge off
	fallback    bool
}

// ruleSet is a compiled rule list.
type ruleSet struct {
	rules []*ruleModel
	index map[string]int       // type -> position
	asked map[*concept]float64 // kinds of document the rules ask for, by strongest activation
	// fallback is the position of the rule that takes what no other rule
	// fits (-1: none)
	fallback int
}

// A trigger of at least nameWeight names a kind of document ("invoice",
// "bill"); one of at least supportWeight points to it ("press release"
// to news articles); weaker ones are associations ("media").
const (
	nameWeight    = 0.9
	supportWeight = 0.5
	descHead      = 6 // tokens of a description that say what the document is
)

// negators cancel a trigger that follows them closely ("not an invoice").
var negators = setOf("not", "no", "never", "without", "except", "excluding", "non", "nicht", "kein",
	"keine", "keinen", "ohne", "pas", "sans", "niet", "geen", "zonder", "sin", "non", "senza")

// ruleKey identifies a rule list for the compile cache.
func ruleKey(rules []api.Rule) string {
	var b strings.Builder
	for _, r := range rules {
		b.WriteString(r.Type)
		b.WriteByte(0)
		b.WriteString(r.Description)
		if r.Fallback {
			b.WriteString("\x00fallback")
		}
		if r.Knowledge != nil && !*r.Knowledge {
			b.WriteString("\x00noknowledge")
		}
		b.WriteByte(1)
	}
	return b.String()
}

// ruleSetID is a short fingerprint of a rule list (the population keeps
// each document's scores under it).
func ruleSetID(rules []api.Rule) uint64 {
	h := fnv.New64a()
	h.Write([]byte(ruleKey(rules)))
	return h.Sum64()
}

// compileRules maps every rule to concepts and terms and weighs both by
// how well they separate the rule from the others.
func compileRules(rules []api.Rule) *ruleSet {
	rs := &ruleSet{index: map[string]int{}, asked: map[*concept]float64{}, fallback: -1}
	for i, r := range rules {
		rs.rules = append(rs.rules, compileRule(r))
		if r.Fallback && rs.fallback < 0 {
			rs.fallback = i
		}
		if _, dup := rs.index[r.Type]; !dup {
			rs.index[r.Type] = i
		}
	}
	n := float64(len(rs.rules))
	// concept document frequency over the rule set, weighted by activation
	cdf := map[*concept]float64{}
	tdf := map[string]float64{}
	for _, rm := range rs.rules {
		for _, a := range append(append([]activation(nil), rm.genres...), rm.aspect...) {
			cdf[a.c] += a.a
		}
		for _, t := range rm.terms {
			tdf[t.stem]++
		}
		for _, a := range rm.genres {
			rs.asked[a.c] = max(rs.asked[a.c], a.a)
		}
	}
	idf := func(df float64) float64 {
		v := math.Log((n+1)/(df+0.5)) / math.Log((n+1)/1.5)
		return max(0.05, min(1, v))
	}
	for _, rm := range rs.rules {
		for i := range rm.genres {
			rm.genres[i].idf = idf(cdf[rm.genres[i].c])
		}
		for i := range rm.aspect {
			rm.aspect[i].idf = idf(cdf[rm.aspect[i].c])
		}
		for i := range rm.terms {
			rm.terms[i].idf = idf(tdf[rm.terms[i].stem])
		}
	}
	return rs
}

func compileRule(r api.Rule) *ruleModel {
	typeToks := tokenize(fold(splitTypeName(r.Type)), 0)
	descToks := tokenize(fold(r.Description), 0)
	rm := &ruleModel{typ: r.Type, lang: detectLanguage(descToks), fallback: r.Fallback,
		noKnowledge: r.Knowledge != nil && !*r.Knowledge}
	acts := map[*concept]activation{}
	fromType := map[*concept]bool{}
	// words of the rule that name each concept (trigger weight at least
	// nameWeight) or point to it (any trigger, or the vocabulary its
	// documents show with weight supportWeight or more)
	names := map[*concept]bool{}
	support := map[*concept][][2]int{} // token spans in all
	all := append(append([]string(nil), typeToks...), descToks...)
	// distinct reports whether the spans hold two different words that do
	// not overlap
	distinct := func(sp [][2]int) bool {
		for i := range sp {
			for j := i + 1; j < len(sp); j++ {
				apart := sp[i][1] <= sp[j][0] || sp[j][1] <= sp[i][0]
				same := strings.Join(all[sp[i][0]:sp[i][1]], " ") == strings.Join(all[sp[j][0]:sp[j][1]], " ")
				if apart && !same {
					return true
				}
			}
		}
		return false
	}
	for _, c := range concepts {
		for _, tr := range c.triggers {
			for _, src := range []struct {
				toks  []string
				scale float64
				typ   bool
			}{{typeToks, 1, true}, {descToks, 0.8, false}} {
				for i := range src.toks {
					if !tr.v.matchAt(src.toks, i) || negated(src.toks, i) {
						continue
					}
					a := tr.w * src.scale
					// (a type name's trigger is taken at its own weight: "press
					// release" is related to news articles, not one of them)
					if cur, ok := acts[c]; !ok || a > cur.a {
						acts[c] = activation{c: c, a: a, trigger: tr.v.text}
					}
					off := 0
					if !src.typ {
						off = len(typeToks)
					}
					if src.typ {
						fromType[c] = true
						if tr.w >= nameWeight {
							names[c] = true
						}
					} else if tr.w >= 1 && i < descHead {
						// the head of the description names the kind with
						// one of its own names ("a supplier invoice to pay")
						names[c] = true
					}
					if tr.w >= supportWeight {
						support[c] = append(support[c], [2]int{off + i, off + i + len(tr.v.toks)})
					}
				}
			}
		}
	}
	// A kind of document joins a rule when the rule is about it: the type
	// name names it, or a word of the rule points to it and another,
	// different word of the rule points to it too (its triggers or the
	// vocabulary its documents show). "A bill or act debated in parliament"
	// names no payment, amount or seller, so "bill" does not make the rule
	// about invoices; "press release" is related to news articles but, with
	// nothing else about news in the rule, does not make it about them.
	coherent := func(c *concept) bool {
		if names[c] || distinct(support[c]) {
			return true
		}
		if len(support[c]) == 0 {
			return false
		}
		sp := append([][2]int(nil), support[c]...)
		for _, t := range c.terms {
			if t.w < supportWeight*2 {
				continue
			}
			p := lexTerms[t.idx]
			for i := range all {
				if p.matchAt(all, i) {
					sp = append(sp, [2]int{i, i + len(p.toks)})
				}
			}
		}
		return distinct(sp)
	}
	typeGenre := false
	for c := range fromType {
		if c.genre && acts[c].a >= 0.7 {
			typeGenre = true
		}
	}
	for _, c := range concepts { // stable order
		a, ok := acts[c]
		if !ok {
			continue
		}
		if rm.noKnowledge {
			rm.dropped = append(rm.dropped, a)
			continue
		}
		if c.genre {
			if !coherent(c) {
				rm.dropped = append(rm.dropped, a)
				continue
			}
			if typeGenre && !fromType[c] {
				a.a *= 0.4 // the type name says what it is; other kinds named in passing count less
			}
			rm.genres = append(rm.genres, a)
		} else {
			rm.aspect = append(rm.aspect, a)
		}
	}
	// content words of the type name and the description
	seen := map[string]int{}
	add := func(toks []string, w float64) {
		for _, t := range toks {
			if len(t) < 2 || isNumeric(t) || isStop(rm.lang, t) || descriptionFiller[t] || negators[t] {
				continue
			}
			s := stem(rm.lang, t)
			if k, ok := seen[s]; ok {
				rm.terms[k].w = max(rm.terms[k].w, w)
				continue
			}
			seen[s] = len(rm.terms)
			rm.terms = append(rm.terms, ruleTerm{stem: s, word: t, w: w})
		}
	}
	// A type name that names a known kind of document is matched by its
	// concept, which knows the kind's vocabulary in several languages;
	// the literal word is then weak evidence.
	tw := 2.0
	if typeGenre {
		tw = 0.5
	}
	add(typeToks, tw)
	add(descToks, 1)
	sort.SliceStable(rm.terms, func(i, j int) bool { return rm.terms[i].w > rm.terms[j].w })
	return rm
}

// negated reports whether a negating word stands within the three tokens
// before position i.
func negated(toks []string, i int) bool {
	for k := max(0, i-3); k < i; k++ {
		if negators[toks[k]] {
			return true
		}
	}
	return false
}
