package engine

import (
	"fmt"
	"math"
	"sort"

	"github.com/classifyd/classifyd/internal/api"
)

// pending is one document of a batch on its way to a decision.
type pending struct {
	di     *docInfo
	ex     *example
	scores []ruleScore // every rule's concept, learned and text evidence
	corr   *correction
	entry  *popEntry // nil for documents too short to learn from
	s      []float64 // combined standardised evidence per rule
	k      []float64 // its part besides the rule's words: kind, structure and learned examples
	p0     []float64 // the document's own belief
	f      []float64 // belief after propagation
	nb     []*popEntry
	nbSim  []float64
	nbMix  []float64 // the clear neighbours' mean belief (nil: none)
	pulled string    // reasoning about neighbours, when they changed the answer
	peer   []float64 // share of the neighbours' decisions per rule (nil: no decided neighbours)
}

// classify decides every document of a batch: each document is scored on
// its own, the batch joins the population, and beliefs spread between
// similar documents (see population.go). Callers hold no lock.
func (e *Engine) classify(docs []Doc, rules []api.Rule) []Result {
	out := make([]Result, len(docs))
	if len(rules) == 0 {
		for i := range out {
			out[i] = Result{Reasoning: "no rules"}
		}
		return out
	}
	rs := e.ruleSet(rules)
	key := ruleSetID(rules)
	ps := make([]*pending, len(docs))
	e.mu.RLock()
	lv := learnedView{mems: []*memory{e.mem}, wts: []float64{1}}
	parallel(len(docs), func(i int) {
		di := analyze(docs[i])
		sc := newScorer(di)
		p := &pending{di: di, ex: vectorize(di), scores: make([]ruleScore, len(rs.rules))}
		for r, rm := range rs.rules {
			p.scores[r] = sc.zeroShot(rm)
			p.scores[r].sc = sc
		}
		p.corr = applyLearned(di, rs, p.scores, lv)
		ps[i] = p
	})
	agree := e.exampleAgreement(rs, ruleKey(rules))
	pop := e.pop
	e.mu.RUnlock()

	pop.mu.Lock()
	defer pop.mu.Unlock()
	for _, p := range ps {
		if p.di.nWords < minExampleTerm {
			continue
		}
		zs := make([]float32, len(rs.rules))
		for r := range p.scores {
			zs[r] = float32(p.scores[r].zeroShot)
		}
		p.entry = pop.add(p.ex, key, zs)
	}
	st := pop.ruleStats(rs, key)
	inBatch := map[*popEntry]*pending{}
	for _, p := range ps {
		e.standardise(p, rs, st, &pop.stats, agree)
		if p.entry != nil {
			inBatch[p.entry] = p
		}
	}
	for _, p := range ps {
		if p.entry != nil {
			p.nb, p.nbSim = pop.neighbours(p.entry)
		}
	}
	propagate(ps, inBatch, key)
	// A first decision for every document, so that each can be told how
	// the documents it resembles were decided; then the final one.
	decided := map[*popEntry]string{}
	for _, p := range ps {
		if p.entry != nil {
			decided[p.entry] = e.decide(p, rs, false).Type
		}
	}
	for _, p := range ps {
		p.peer = peerVotes(p, decided, rs, key)
	}
	for i, p := range ps {
		out[i] = e.decide(p, rs, true)
		if p.entry != nil && p.corr == nil {
			p.entry.p = make([]float32, len(p.f))
			for r, v := range p.f {
				p.entry.p[r] = float32(v)
			}
			if out[i].Type == "" {
				// what was given no type teaches its neighbours nothing
				clear(p.entry.p)
			}
		}
	}
	return out
}

// standardise turns a document's concept and text evidence into z-scores
// per rule against the population and combines them with learned evidence.
func (e *Engine) standardise(p *pending, rs *ruleSet, st *ruleStats, pstats *popStats, agree []float64) {
	R := len(rs.rules)
	p.s, p.k = make([]float64, R), make([]float64, R)
	dn := textNorm(p.ex, pstats)
	for r := range rs.rules {
		sc := &p.scores[r]
		sc.text = textSimNorm(st.rvecs[r], p.ex, pstats, dn)
		// Concept scores are on one absolute scale for every rule (the
		// lexicon's): standardised with the scale's global statistics, so
		// that a rule whose kind fills the inbox is not penalised for it.
		// Word similarities depend on how common the rule's words are:
		// standardised per rule over the population.
		sc.zConcept = (sc.zeroShot - priorConcept[0]) / priorConcept[1]
		sc.zText = (sc.text - st.tMean[r]) / st.tStd[r]
		w := st.textWeight[r]
		s := (1-w)*sc.zConcept + w*sc.zText
		// Learned examples weigh against the rule text by how well the
		// type's examples agree with it: examples the rule text already
		// describes add little, examples it misses decide more.
		k := sc.zConcept
		if sc.learnedN > 0 {
			trust := sc.learnedN / (sc.learnedN + learnedHalf) * (1 - 0.5*agree[r])
			s = (1-trust)*s + trust*learnedZ*sc.learnedDelta
			k = (1-trust)*k + trust*learnedZ*sc.learnedDelta
		}
		p.s[r], p.k[r] = s, k
	}
	p.p0 = softmax(p.s, popTau)
}

// learnedZ converts learned evidence (a softmax share minus the uniform
// share, -1..1) into the units of the standardised evidence; learnedHalf is
// the number of examples at which they weigh half (less the agreement).
var (
	learnedZ    = 6.0
	learnedHalf = 3.0
)

// propagate spreads beliefs between similar documents: a batch document's
// belief becomes its own belief mixed with the beliefs of its clear
// neighbours (the population's earlier decisions, and the batch's current
// ones), for popIters rounds.
func propagate(ps []*pending, inBatch map[*popEntry]*pending, key uint64) {
	for _, p := range ps {
		p.f = append([]float64(nil), p.p0...)
	}
	for it := 0; it < popIters; it++ {
		next := make([][]float64, len(ps))
		for i, p := range ps {
			if p.corr != nil || len(p.nb) == 0 {
				continue
			}
			R := len(p.p0)
			acc := make([]float64, R)
			wsum, n := 0.0, 0
			for k, o := range p.nb {
				var b []float64
				if q, ok := inBatch[o]; ok {
					b = q.f
				} else if o.key == key && len(o.p) == R {
					b = make([]float64, R)
					for r := range b {
						b[r] = float64(o.p[r])
					}
				}
				if b == nil || maxOf(b) < popSeed {
					continue // only clear neighbours teach
				}
				w := p.nbSim[k]
				for r := range acc {
					acc[r] += w * b[r]
				}
				wsum += w
				n++
			}
			if wsum == 0 {
				p.nbMix = nil
				continue
			}
			p.nbMix = make([]float64, R)
			for r := range acc {
				p.nbMix[r] = acc[r] / wsum
			}
			a := popAlpha * float64(n) / popK
			f := make([]float64, R)
			for r := range f {
				f[r] = (1-a)*p.p0[r] + a*acc[r]/wsum
			}
			next[i] = f
		}
		for i, f := range next {
			if f != nil {
				ps[i].f = f
			}
		}
	}
}

func maxOf(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func argmax(xs []float64) int {
	b := 0
	for i, x := range xs {
		if x > xs[b] {
			b = i
		}
	}
	return b
}

// decide picks the winner of a scored, propagated document.
//
// A first decision (final false) sets only the type, without confidence or
// reasoning.
func (e *Engine) decide(p *pending, rs *ruleSet, final bool) Result {
	R := len(rs.rules)
	for r := range p.scores {
		p.scores[r].total = p.f[r]
	}
	order := make([]int, R)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p.f[order[a]] > p.f[order[b]] })
	res := Result{Scores: make([]Score, R)}
	for k, i := range order {
		res.Scores[k] = Score{Type: rs.rules[i].typ, Score: round3(p.f[i])}
	}
	if p.corr != nil {
		res.Type, res.Confidence, res.Reasoning = p.corr.typ, p.corr.confidence, p.corr.reason
		return res
	}
	fb := rs.fallback
	minEv := e.minEvidence()
	// The winner is the rule with the strongest belief among those with
	// enough evidence of their own (a rule that leads only relative to the
	// others, with next to nothing in the document, does not shut out one
	// that has real evidence); the fallback wins only by default.
	bi := -1
	for _, i := range order {
		if i != fb && (p.scores[i].evidence(minEv) >= 1 || p.scores[i].learnedP >= learnedAccept) {
			bi = i
			break
		}
	}
	if bi < 0 {
		bi = order[0]
		if bi == fb && R > 1 {
			bi = order[1]
		}
	}
	best := &p.scores[bi]
	var second *ruleScore
	for _, i := range order {
		if i != bi && i != fb {
			second = &p.scores[i]
			break
		}
	}
	s2 := 0.0
	if second != nil {
		s2 = second.total
	}
	none := func(reason string, pNone float64) Result {
		res.None = true
		res.Features = CalFeatures{E: best.evidence(minEv)}
		if fb >= 0 {
			res.Type = rs.rules[fb].typ
			res.Confidence = round3(min(maxConfidence, pNone))
			res.Reasoning = fmt.Sprintf("%s (%.2f): fallback: no other rule fits (%s)", res.Type, res.Confidence, reason)
			return res
		}
		res.Confidence = round3(pNone)
		res.Reasoning = reason
		return res
	}
	// Absolute evidence: the rule's concepts or its own words must be in
	// the document, or the type's examples must point to it.
	weak := best.evidence(minEv) < 1 && best.learnedP < learnedAccept
	if !final {
		if weak || bi == fb || explainedAwayBy(best, rs, p.scores) {
			if fb >= 0 {
				res.Type = rs.rules[fb].typ
			}
			return res
		}
		res.Type = best.rm.typ
		return res
	}
	if weak || bi == fb {
		return none(reasonNone(best, p.di, minEv), e.Calibration.PNone(best.evidence(minEv)))
	}
	// A document that plainly is a kind no rule asks for (a research paper
	// when the rules name invoices and letters) is not forced into the
	// nearest rule, unless a rule about a kind the engine does not know
	// has real evidence (that rule may well mean this kind).
	if other, hit := explainedAway(best, rs, p.scores); other != nil {
		return none(reasonUnasked(other, hit, best), e.Calibration.PNone(0))
	}
	res.Type = best.rm.typ
	lead, klead := math.Inf(1), math.Inf(1)
	for r := range p.s {
		if r != bi && r != fb {
			lead = min(lead, p.s[bi]-p.s[r])
			klead = min(klead, p.k[bi]-p.k[r])
		}
	}
	if math.IsInf(klead, 1) {
		klead = 3
	}
	if math.IsInf(lead, 1) {
		lead = 6
	}
	res.Features = CalFeatures{F1: best.total, F2: s2, Z: lead, E: best.evidence(minEv), W: best.rm.textWeight(),
		C: best.lexical, N: float64(len(best.matched)), KLead: klead}
	if p.nbMix != nil {
		// how much the document's clear neighbours believe the same
		res.Features.HasNb, res.Features.NbAgree = 1, p.nbMix[bi]
	}
	if p.peer != nil {
		// how the documents it resembles were decided
		res.Features.HasPeer, res.Features.Peer = 1, p.peer[bi]
	}
	conf := e.Calibration.P(res.Features)
	if p.pulled = pulledBy(p, bi); p.pulled != "" {
		// resemblance alone never makes a file surer than its own evidence
		// and its neighbours' were
		own := res.Features
		own.F1, own.F2 = p.p0[bi], secondOf(p.p0, bi)
		conf = min(conf, e.Calibration.P(own))
	}
	res.Confidence = round3(conf)
	res.Reasoning = reasonFor(best, second, res.Confidence, p.pulled)
	if klead < 0 {
		o := -1
		for r := range p.scores {
			if r != bi && r != fb && (o < 0 || p.k[r] > p.k[o]) {
				o = r
			}
		}
		what := "kind and structure"
		if p.scores[o].learnedN > 0 || best.learnedN > 0 {
			what = "kind, structure and the learned examples"
		}
		res.Reasoning += fmt.Sprintf(" The document's %s fit %s better.", what, rs.rules[o].typ)
	}
	if p.peer != nil && p.peer[bi] < 0.5 {
		if o := argmax(p.peer); o != bi && p.peer[o] > 0 {
			res.Reasoning += fmt.Sprintf(" Most similar files were given %s.", rs.rules[o].typ)
		} else {
			res.Reasoning += " Most similar files were given another type or none."
		}
	}
	return res
}

// evidence is a rule's absolute evidence in a document, in units of the
// evidence threshold: its concept score, and its own words' similarity (a
// cosine runs about a tenth of a concept score), the latter weighed as the
// rule's standardised evidence weighs its words. A rule about a kind of document the
// engine does not know has no kind evidence, only aspects and words: its
// concept score counts double there.
func (rs *ruleScore) evidence(minEv float64) float64 {
	w := rs.rm.textWeight()
	c := rs.zeroShot / minEv
	c2 := c
	if len(rs.rm.genres) == 0 {
		c2 *= 2
	}
	// a rule fully about a known kind (text weight 0.2) stands on its concept
	words := (w - 0.2) / 0.8
	return max(c, words*max(c2, rs.text/(minEv*minTextRatio)))
}

// minTextRatio relates the text-similarity scale to the concept scale for
// the evidence threshold.
const minTextRatio = 0.1

func secondOf(xs []float64, skip int) float64 {
	s := 0.0
	for i, x := range xs {
		if i != skip {
			s = max(s, x)
		}
	}
	return s
}

// pulledBy says which neighbours changed a document's answer, if they did.
func pulledBy(p *pending, bi int) string {
	if argmax(p.p0) == bi || len(p.nb) == 0 {
		return ""
	}
	return fmt.Sprintf("resembles %d similar documents (nearest %q, similarity %.2f)", len(p.nb), p.nb[0].ex.title, p.nbSim[0])
}

// explainedAway returns the unasked kind that explains the document better
// than the winning rule, if any.
func explainedAwayBy(best *ruleScore, rs *ruleSet, scores []ruleScore) bool {
	other, _ := explainedAway(best, rs, scores)
	return other != nil
}

func explainedAway(best *ruleScore, rs *ruleSet, scores []ruleScore) (*concept, *conceptHit) {
	// A rule about a kind the engine does not know (no concept) may well
	// mean this kind: only a rule about another known kind is overruled,
	// and only when no rule about an unknown kind has evidence of its own.
	if best.learnedP >= learnedAccept || best.genre == nil {
		return nil, nil
	}
	for i := range scores {
		if len(scores[i].rm.genres) == 0 && scores[i].zText >= 1.5 {
			return nil, nil
		}
	}
	sc := best.sc
	var top *concept
	var topHit *conceptHit
	for _, c := range concepts {
		if !c.genre {
			continue
		}
		if h := sc.concept(c); topHit == nil || h.s > topHit.s {
			top, topHit = c, h
		}
	}
	if top == nil || rs.asked[top] > 0 || topHit.s < explainMin {
		return nil, nil
	}
	own := best.genre.act.a * best.genre.s
	if topHit.s < own+explainMargin {
		return nil, nil
	}
	return top, topHit
}

// exampleAgreement is, per rule, how well the type's learned examples agree
// with the rule text: the share of them whose words are nearer this rule
// than any other (0 without examples).
func (e *Engine) exampleAgreement(rs *ruleSet, key string) []float64 {
	e.agreeMu.Lock()
	defer e.agreeMu.Unlock()
	if e.agree != nil && e.agreeKey == key && e.agreeVer == e.mem.ver {
		return e.agree
	}
	out := make([]float64, len(rs.rules))
	defer func() { e.agree, e.agreeKey, e.agreeVer = out, key, e.mem.ver }()
	vecs := make([]map[uint32]float64, len(rs.rules))
	for r, rm := range rs.rules {
		vecs[r] = ruleVec(rm)
	}
	ps := &popStats{df: e.mem.df, n: e.mem.n}
	for r, rm := range rs.rules {
		list := e.mem.types[rm.typ]
		if len(list) == 0 {
			continue
		}
		if len(vecs[r]) == 0 {
			continue // no words of its own to agree with
		}
		hit := 0
		for _, ex := range list {
			best, bs := -1, 0.0
			for q := range rs.rules {
				if s := textSim(vecs[q], ex, ps); s > bs {
					best, bs = q, s
				}
			}
			if best == r {
				hit++
			}
		}
		out[r] = float64(hit) / float64(len(list))
	}
	return out
}

// peerVotes is how a document's neighbours were decided: the
// similarity-weighted share of them given each rule's type, from the
// batch's first decisions (decided) and the population's earlier ones
// (neighbours given no type count against every rule). Nil when it has no
// decided neighbours.
func peerVotes(p *pending, decided map[*popEntry]string, rs *ruleSet, key uint64) []float64 {
	R := len(rs.rules)
	votes := make([]float64, R)
	wsum := 0.0
	for k, o := range p.nb {
		w := p.nbSim[k]
		if t, ok := decided[o]; ok {
			wsum += w
			for r := range rs.rules {
				if t != "" && rs.rules[r].typ == t {
					votes[r] += w
				}
			}
			continue
		}
		if o.key != key || len(o.p) != R {
			continue // decided under other rules
		}
		wsum += w
		best := 0
		for r := range o.p {
			if o.p[r] > o.p[best] {
				best = r
			}
		}
		if o.p[best] > 0 { // all zero: given no type
			votes[best] += w
		}
	}
	if wsum == 0 {
		return nil
	}
	for r := range votes {
		votes[r] /= wsum
	}
	return votes
}
