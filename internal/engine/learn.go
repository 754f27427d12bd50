package engine

import (
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strings"
	"sync"
)

// Learning from labelled examples.
//
// Every example is kept as a sparse vector: hashed stems of its words
// (log term frequency, weighted at query time by an IDF over all stored
// examples) and, separately, its structure cues. A document's learned
// evidence for a type is how much closer it is to that type's nearest
// examples than to the examples of the other types. Learning is a map
// insert: no retraining.
//
// A correction (a person moved a file from one type folder to another)
// outranks everything: the same document, or a near copy of it, gets the
// corrected type whatever the rules and other examples say.

const (
	hashBits      = 20
	maxVecTerms   = 400 // strongest stems kept per example
	maxPerType    = 400 // examples kept per type (oldest plain examples go first)
	knnK          = 3
	correctionSim = 0.92 // near-duplicate of a corrected document
	correctionWt  = 3.0  // weight of a corrected example among neighbours

	learnedWeight  = 0.6  // scale of learned evidence against zero-shot scores
	simUnrelated   = 0.25 // similarity at which a document is as near an unrelated one
	simTemperature = 0.05 // softmax temperature over similarities
	selfTaughtWt   = 0.6  // weight of a self-taught (batch) example
	minExampleTerm = 3
)

// cueSimWeightVar is the share of structure in the similarity of two
// documents; simGate is the word similarity from which it counts in full.
var (
	cueSimWeightVar = 0.5
	simGate         = 0.1
)

// sparseVec is a sorted sparse vector.
type sparseVec struct {
	idx []uint32
	val []float32
}

// example is one labelled document.
type example struct {
	hash      uint64
	vec       sparseVec
	cues      [numCues]float32
	weight    float64
	corrected bool
	from      string // for a correction: the type it was moved away from
	title     string
	seq       uint64
}

// memory is what the engine has learned.
type memory struct {
	types       map[string][]*example
	corrections map[uint64]string // document hash -> corrected type
	df          map[uint32]int    // examples holding each hashed stem
	n           int               // examples stored
	seq         uint64
	ver         uint64 // changes with every example added or removed

	// IDF-weighted norms of the examples, computed lazily for one version
	// of the IDF memory and of this memory (readers share the result).
	normMu   sync.Mutex
	norms    map[*example]float64
	normFor  uint64
	normSelf uint64
}

func newMemory() *memory {
	return &memory{types: map[string][]*example{}, corrections: map[uint64]string{}, df: map[uint32]int{}}
}

// docHash identifies a document by its normalised words.
func docHash(di *docInfo) uint64 {
	h := fnv.New64a()
	for _, t := range di.tokens {
		h.Write([]byte(t))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

func hashStem(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32() & (1<<hashBits - 1)
}

// vectorize turns a document into its example form.
func vectorize(di *docInfo) *example {
	tf := di.termFreq(di.lang)
	type kv struct {
		k uint32
		v float64
	}
	acc := map[uint32]float64{}
	for s, n := range tf {
		if len(s) < 2 {
			continue
		}
		acc[hashStem(s)] += 1 + math.Log(float64(n))
	}
	items := make([]kv, 0, len(acc))
	for k, v := range acc {
		items = append(items, kv{k, v})
	}
	if len(items) > maxVecTerms {
		sort.Slice(items, func(i, j int) bool {
			return items[i].v > items[j].v || items[i].v == items[j].v && items[i].k < items[j].k
		})
		items = items[:maxVecTerms]
	}
	sort.Slice(items, func(i, j int) bool { return items[i].k < items[j].k })
	ex := &example{hash: docHash(di), weight: 1, title: docTitle(di)}
	ex.vec.idx = make([]uint32, len(items))
	ex.vec.val = make([]float32, len(items))
	for i, it := range items {
		ex.vec.idx[i] = it.k
		ex.vec.val[i] = float32(it.v)
	}
	for i := range ex.cues {
		ex.cues[i] = float32(di.cue(cueID(i)))
	}
	return ex
}

// docTitle is a short name for a document in reasoning.
func docTitle(di *docInfo) string {
	t := di.title
	if t == "" {
		for _, l := range di.lines {
			if len(strings.Fields(l)) >= 2 {
				t = l
				break
			}
		}
	}
	t = strings.Join(strings.Fields(t), " ")
	if r := []rune(t); len(r) > 50 {
		t = string(r[:50]) + "…"
	}
	return t
}

func (m *memory) add(typ string, ex *example) {
	// the same document is an example of one type only
	m.remove("", ex.hash)
	m.seq++
	ex.seq = m.seq
	list := m.types[typ]
	if len(list) >= maxPerType {
		drop := -1
		for i, old := range list {
			if !old.corrected {
				drop = i
				break
			}
		}
		if drop < 0 {
			drop = 0
		}
		m.unindex(list[drop])
		list = append(list[:drop], list[drop+1:]...)
	}
	m.types[typ] = append(list, ex)
	m.index(ex)
}

func (m *memory) index(ex *example) {
	for _, k := range ex.vec.idx {
		m.df[k]++
	}
	m.n++
	m.ver++
}

func (m *memory) unindex(ex *example) {
	for _, k := range ex.vec.idx {
		if m.df[k]--; m.df[k] <= 0 {
			delete(m.df, k)
		}
	}
	m.n--
	m.ver++
}

// remove drops the document with hash h from typ ("" = every type) and
// reports whether it was there.
func (m *memory) remove(typ string, h uint64) bool {
	found := false
	for t, list := range m.types {
		if typ != "" && t != typ {
			continue
		}
		kept := list[:0]
		for _, ex := range list {
			if ex.hash == h {
				m.unindex(ex)
				found = true
				continue
			}
			kept = append(kept, ex)
		}
		if len(kept) == 0 {
			delete(m.types, t)
		} else {
			m.types[t] = kept
		}
	}
	return found
}

// learnedView is the learned knowledge consulted for one document: the
// engine's memory and, during self-training, the batch's own examples.
type learnedView struct {
	mems []*memory
	wts  []float64
	skip uint64 // hash of the document itself (leave-one-out)
}

// idf weighs a hashed stem by how rare it is among the engine's examples
// (self-taught examples of a batch do not change it).
func (lv learnedView) idf(k uint32) float64 {
	m := lv.mems[0]
	return math.Log(1 + float64(m.n+1)/float64(m.df[k]+1))
}

// normsOf returns the IDF-weighted norms of m's examples.
func (lv learnedView) normsOf(m *memory) map[*example]float64 {
	m.normMu.Lock()
	defer m.normMu.Unlock()
	key := lv.mems[0].ver
	if m.norms != nil && m.normFor == key && m.normSelf == m.ver {
		return m.norms
	}
	norms := make(map[*example]float64, m.n)
	for _, list := range m.types {
		for _, ex := range list {
			s := 0.0
			for i, k := range ex.vec.idx {
				w := float64(ex.vec.val[i]) * lv.idf(k)
				s += w * w
			}
			norms[ex] = math.Sqrt(s)
		}
	}
	m.norms, m.normFor, m.normSelf = norms, key, m.ver
	return norms
}

// similarity of the query (already IDF-weighted and normalised) to ex,
// whose IDF-weighted norm is norm.
func (lv learnedView) similarity(q map[uint32]float64, qc *[numCues]float32, ex *example, norm float64) float64 {
	dot := 0.0
	for i, k := range ex.vec.idx {
		if qv, ok := q[k]; ok {
			dot += qv * float64(ex.vec.val[i]) * lv.idf(k)
		}
	}
	ts := 0.0
	if norm > 0 {
		ts = dot / norm
	}
	cd, cn1, cn2 := 0.0, 0.0, 0.0
	for i := range ex.cues {
		a, b := float64(qc[i]), float64(ex.cues[i])
		cd += a * b
		cn1 += a * a
		cn2 += b * b
	}
	cs := 0.0
	if cn1 > 0 && cn2 > 0 {
		cs = cd / math.Sqrt(cn1*cn2)
	}
	// Structure counts in full only between documents that share some
	// vocabulary: two pieces of running prose are not alike for that alone.
	return (1-cueSimWeightVar)*ts + cueSimWeightVar*cs*min(1, ts/simGate)
}

// neighbour is an example near the query.
type neighbour struct {
	ex   *example
	sim  float64
	wt   float64
	self bool // a self-taught example of the current batch
}

// typeEvidence is what a type's examples say about a document.
type typeEvidence struct {
	ok         bool    // the type has examples
	n          float64 // how many
	p, uniform float64 // softmax probability, and the share with no information
}

// softmaxEvidence: each type's evidence is the (weighted) mean similarity
// of its k nearest examples (those keep admits). A softmax over the types
// with examples, plus an "unrelated" competitor at simUnrelated, gives how
// much more likely one type is than the others.
func softmaxEvidence(perType [][]neighbour, keep func(neighbour) bool) []typeEvidence {
	out := make([]typeEvidence, len(perType))
	sims := make([]float64, len(perType))
	with := 0
	for i, all := range perType {
		var nb []neighbour
		for _, n := range all {
			if keep(n) {
				nb = append(nb, n)
			}
		}
		if len(nb) == 0 {
			continue
		}
		sort.Slice(nb, func(a, b int) bool { return nb[a].sim > nb[b].sim })
		k := min(knnK, len(nb))
		num, den := 0.0, 0.0
		for _, n := range nb[:k] {
			num += n.sim * n.wt
			den += n.wt
		}
		sims[i] = num / den
		out[i] = typeEvidence{ok: true, n: float64(len(nb))}
		with++
	}
	z := 1.0
	for i := range out {
		if out[i].ok {
			z += math.Exp((sims[i] - simUnrelated) / simTemperature)
		}
	}
	for i := range out {
		if out[i].ok {
			out[i].p = math.Exp((sims[i]-simUnrelated)/simTemperature) / z
			out[i].uniform = 1 / float64(with+1)
		}
	}
	return out
}

// correction is a decision forced by a person's correction.
type correction struct {
	typ        string
	confidence float64
	reason     string
}

// applyLearned adds learned evidence to the zero-shot scores and returns a
// correction when one decides the document outright.
func applyLearned(di *docInfo, rs *ruleSet, scores []ruleScore, lv learnedView) *correction {
	total := 0
	for _, m := range lv.mems {
		for _, rm := range rs.rules {
			total += len(m.types[rm.typ])
		}
	}
	if total == 0 {
		return nil
	}
	h := docHash(di)
	for _, m := range lv.mems {
		if typ, ok := m.corrections[h]; ok && h != lv.skip {
			if _, known := rs.index[typ]; known {
				return &correction{typ: typ, confidence: 0.99,
					reason: fmt.Sprintf("%s (0.99): a person filed this document as %s (correction); that outranks the rules", typ, typ)}
			}
		}
	}
	qex := vectorize(di)
	q := map[uint32]float64{}
	qn := 0.0
	for i, k := range qex.vec.idx {
		w := float64(qex.vec.val[i]) * lv.idf(k)
		q[k] = w
		qn += w * w
	}
	if qn > 0 {
		qn = math.Sqrt(qn)
		for k := range q {
			q[k] /= qn
		}
	}
	perType := make([][]neighbour, len(scores))
	norms := make([]map[*example]float64, len(lv.mems))
	for mi, m := range lv.mems {
		norms[mi] = lv.normsOf(m)
	}
	for i := range scores {
		typ := scores[i].rm.typ
		for mi, m := range lv.mems {
			for _, ex := range m.types[typ] {
				if ex.hash == h && (mi > 0 || lv.skip == h) {
					continue
				}
				s := lv.similarity(q, &qex.cues, ex, norms[mi][ex])
				wt := lv.wts[mi] * ex.weight
				if ex.corrected {
					if s >= correctionSim {
						return &correction{typ: typ, confidence: 0.97,
							reason: fmt.Sprintf("%s (0.97): near copy (similarity %.2f) of %q, which a person corrected from %s to %s",
								typ, s, ex.title, ex.from, typ)}
					}
				}
				perType[i] = append(perType[i], neighbour{ex, s, wt, mi > 0})
			}
		}
	}

	// The change to a type's score is its softmax probability minus the
	// uniform share, so that examples of other types do not penalise a type
	// that has none.
	for _, nb := range perType {
		sort.Slice(nb, func(a, b int) bool { return nb[a].sim > nb[b].sim })
	}
	// Self-taught examples (a batch teaching itself) move scores but never
	// accept a document on their own: acceptance (learnedP) comes from the
	// examples people filed.
	all := softmaxEvidence(perType, func(n neighbour) bool { return true })
	own := softmaxEvidence(perType, func(n neighbour) bool { return !n.self })
	for i, ev := range all {
		if !ev.ok {
			continue
		}
		delta := learnedWeight * ev.n / (ev.n + 1) * (ev.p - ev.uniform)
		scores[i].learned = delta
		scores[i].learnedDelta = (ev.p - ev.uniform)
		scores[i].learnedN = ev.n
		scores[i].learnedP = own[i].p
		if delta > 0.02 {
			nb := perType[i]
			scores[i].nearest = fmt.Sprintf("like learned examples (nearest %q, similarity %.2f)", nb[0].ex.title, nb[0].sim)
		}
	}
	return nil
}
