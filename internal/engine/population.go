package engine

import (
	"math"
	"sort"
	"sync"
)

// Learning from the inbox itself.
//
// The engine keeps the documents it has classified recently (the
// population: their term vectors, concept scores and final beliefs, not
// their text). The population does three things that one document on its
// own cannot:
//
//   - Word weights: a rule word that most documents contain ("project",
//     "information") says little; IDF over the population says how much.
//   - Standardisation: each rule's evidence is measured against how that
//     rule scores on documents in general (a z-score per rule), so a rule
//     whose words are common everywhere does not outscore a rule whose
//     words are rare but present.
//   - Resemblance: documents of one type resemble each other even when few
//     of them say what they are. A document's belief is pulled towards the
//     beliefs of its nearest neighbours (label propagation over a k-nearest
//     neighbour graph). Only neighbours whose own evidence is clear pull,
//     and a pull never makes a document more sure than its neighbours were.
//
// A document's answer depends on the documents seen before it (that is the
// learning) and on the other documents of its batch, never on the order
// within a batch.
const (
	popMax   = 512 // documents kept
	popK     = 5   // neighbours consulted
	popIters = 10  // propagation rounds within a batch
	popTerms = 200 // strongest terms of a document used to find neighbours
	popPrior = 8.0 // pseudo-documents of the prior in the per-rule statistics
)

// Tunable properties of the method (package variables so the evaluation
// can vary them; the defaults hold for any rule set).
var (
	popAlpha  = 0.3  // weight of the neighbours' beliefs against the document's own
	popTau    = 0.5  // temperature of the softmax over combined z-scores
	popSeed   = 0.6  // belief from which a neighbour's belief spreads
	popMinSim = 0.15 // similarity below which a document is no neighbour

	// Priors of the per-rule statistics, used in full while the population
	// is empty (the scale of the scores, not of any rule set).
	priorConcept = [2]float64{0.14, 0.14}   // mean, std of a concept score
	priorText    = [2]float64{0.017, 0.022} // mean, std of a text similarity
)

// popEntry is one document of the population.
type popEntry struct {
	ex   *example
	norm float64   // IDF-weighted norm at the population's last refresh
	key  uint64    // rule set of zs and p (ruleSetID)
	zs   []float32 // concept score per rule
	p    []float32 // final belief per rule (nil while undecided)
}

// population is the engine's recent documents; it has its own lock.
type population struct {
	mu      sync.Mutex
	ring    []*popEntry // oldest first
	byHash  map[uint64]*popEntry
	stats   popStats
	post    map[uint32][]*popEntry // term -> entries holding it
	ver     uint64                 // changes with every entry added or removed
	normVer uint64
	cache   map[uint64]*ruleStats
}

// ruleStats are the per-rule statistics of one rule set over the population.
type ruleStats struct {
	ver          uint64
	cMean, cStd  []float64
	tMean, tStd  []float64
	rvecs        []map[uint32]float64
	textWeight   []float64
	refreshedAtN int
}

func newPopulation() *population {
	return &population{byHash: map[uint64]*popEntry{}, stats: popStats{df: map[uint32]int{}},
		post: map[uint32][]*popEntry{}, cache: map[uint64]*ruleStats{}}
}

// add puts a document into the population (replacing an older copy of the
// same document) and returns its entry.
func (p *population) add(ex *example, key uint64, zs []float32) *popEntry {
	if old, ok := p.byHash[ex.hash]; ok {
		old.key, old.zs = key, zs
		return old
	}
	if len(p.ring) >= popMax {
		p.remove(p.ring[0])
	}
	e := &popEntry{ex: ex, key: key, zs: zs}
	p.ring = append(p.ring, e)
	p.byHash[ex.hash] = e
	p.stats.add(ex)
	for _, k := range ex.vec.idx {
		p.post[k] = append(p.post[k], e)
	}
	p.ver++
	e.norm = p.norm(ex)
	return e
}

func (p *population) remove(e *popEntry) {
	for i, x := range p.ring {
		if x == e {
			p.ring = append(p.ring[:i], p.ring[i+1:]...)
			break
		}
	}
	delete(p.byHash, e.ex.hash)
	for _, k := range e.ex.vec.idx {
		if p.stats.df[k]--; p.stats.df[k] <= 0 {
			delete(p.stats.df, k)
		}
		list := p.post[k]
		for i, x := range list {
			if x == e {
				list[i] = list[len(list)-1]
				list = list[:len(list)-1]
				break
			}
		}
		if len(list) == 0 {
			delete(p.post, k)
		} else {
			p.post[k] = list
		}
	}
	p.stats.n--
	p.stats.ver++
	p.ver++
}

// norm is the IDF-weighted norm of a vector under the current statistics.
func (p *population) norm(ex *example) float64 {
	s := 0.0
	for i, k := range ex.vec.idx {
		x := float64(ex.vec.val[i]) * p.stats.idf(k)
		s += x * x
	}
	return math.Sqrt(s)
}

// refresh recomputes what depends on word weights once the population has
// changed by an eighth (or is small): entry norms and the rule set's
// statistics.
func (p *population) ruleStats(rs *ruleSet, key uint64) *ruleStats {
	n := len(p.ring)
	st := p.cache[key]
	if st != nil && (st.ver == p.ver || n > 64 && n-st.refreshedAtN < n/8 && p.ver-st.ver < uint64(n/8)) {
		return st
	}
	if p.normVer != p.ver {
		for _, e := range p.ring {
			e.norm = p.norm(e.ex)
		}
		p.normVer = p.ver
	}
	if len(p.cache) >= 8 && st == nil {
		clear(p.cache)
	}
	R := len(rs.rules)
	st = &ruleStats{ver: p.ver, refreshedAtN: n, cMean: make([]float64, R), cStd: make([]float64, R),
		tMean: make([]float64, R), tStd: make([]float64, R), rvecs: make([]map[uint32]float64, R),
		textWeight: make([]float64, R)}
	tnorms := make([]float64, n)
	for i, e := range p.ring {
		tnorms[i] = textNorm(e.ex, &p.stats)
	}
	for r, rm := range rs.rules {
		st.rvecs[r] = ruleVec(rm)
		st.textWeight[r] = rm.textWeight()
		if len(st.rvecs[r]) == 0 {
			st.textWeight[r] = 0 // no words of its own beyond the kind's name
		}
		var cs, ts []float64
		for i, e := range p.ring {
			ts = append(ts, textSimNorm(st.rvecs[r], e.ex, &p.stats, tnorms[i]))
			if e.key == key && r < len(e.zs) {
				cs = append(cs, float64(e.zs[r]))
			}
		}
		st.cMean[r], st.cStd[r] = shrunkStats(cs, priorConcept)
		st.tMean[r], st.tStd[r] = shrunkStats(ts, priorText)
	}
	p.cache[key] = st
	return st
}

// shrunkStats is the mean and standard deviation of xs, shrunk towards a
// prior worth popPrior observations.
func shrunkStats(xs []float64, prior [2]float64) (float64, float64) {
	n := float64(len(xs))
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	mean := (sum + popPrior*prior[0]) / (n + popPrior)
	ss := popPrior * (prior[1]*prior[1] + (prior[0]-mean)*(prior[0]-mean))
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss/(n+popPrior)) + 1e-6
}

// neighbours returns the entries most similar to e (IDF-weighted cosine over
// e's strongest terms), best first, at most popK, each at least popMinSim.
func (p *population) neighbours(e *popEntry) ([]*popEntry, []float64) {
	ex := e.ex
	type tw struct {
		k uint32
		w float64
	}
	terms := make([]tw, 0, len(ex.vec.idx))
	for i, k := range ex.vec.idx {
		if p.stats.df[k]*2 > p.stats.n && p.stats.n > 8 {
			continue // in most documents: no help in telling them apart
		}
		terms = append(terms, tw{k, float64(ex.vec.val[i]) * p.stats.idf(k)})
	}
	sort.Slice(terms, func(i, j int) bool {
		return terms[i].w > terms[j].w || terms[i].w == terms[j].w && terms[i].k < terms[j].k
	})
	if len(terms) > popTerms {
		terms = terms[:popTerms]
	}
	acc := map[*popEntry]float64{}
	for _, t := range terms {
		idf := p.stats.idf(t.k)
		for _, o := range p.post[t.k] {
			if o == e {
				continue
			}
			acc[o] += t.w * idf * float64(valOf(o.ex.vec, t.k))
		}
	}
	var out []*popEntry
	var sims []float64
	for o, d := range acc {
		if e.norm == 0 || o.norm == 0 {
			continue
		}
		s := d / (e.norm * o.norm)
		if s < popMinSim {
			continue
		}
		out = append(out, o)
		sims = append(sims, s)
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		if sims[idx[a]] != sims[idx[b]] {
			return sims[idx[a]] > sims[idx[b]]
		}
		return out[idx[a]].ex.hash < out[idx[b]].ex.hash
	})
	if len(idx) > popK {
		idx = idx[:popK]
	}
	ro, rs := make([]*popEntry, len(idx)), make([]float64, len(idx))
	for i, j := range idx {
		ro[i], rs[i] = out[j], sims[j]
	}
	return ro, rs
}

// valOf is the value of term k in a sorted sparse vector (0 if absent).
func valOf(v sparseVec, k uint32) float32 {
	i := sort.Search(len(v.idx), func(i int) bool { return v.idx[i] >= k })
	if i < len(v.idx) && v.idx[i] == k {
		return v.val[i]
	}
	return 0
}

// textWeight is how much a rule's standardised word similarity counts
// against its concept evidence: a rule about a kind of document the
// lexicon knows well leans on that knowledge, a rule about anything else
// on its own words.
func (rm *ruleModel) textWeight() float64 {
	if rm.noKnowledge {
		return 1
	}
	g := 0.0
	for _, a := range rm.genres {
		g = max(g, a.a)
	}
	return min(1-0.8*g, maxTextWeight)
}

// maxTextWeight leaves a rule's concept evidence (the aspects and structure
// its description asks for) a tenth of the say even in a rule about a kind
// the engine does not know: where the words tell rules apart it changes
// little, where they do not (a German law against English rules) it
// decides. Checked with each type of both corpora left out in turn.
var maxTextWeight = 0.9

// softmax of xs at temperature tau.
func softmax(xs []float64, tau float64) []float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = max(m, x)
	}
	out := make([]float64, len(xs))
	sum := 0.0
	for i, x := range xs {
		out[i] = math.Exp((x - m) / tau)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}
