package engine

import (
	"sort"
	"sync"

	"github.com/classifyd/classifyd/internal/api"
)

// Doc is the input of a classification.
type Doc struct {
	Text   string
	Format string
	Pages  int
	Title  string
}

// Result is the outcome of a classification; Type is "" when no rule fits.
type Result struct {
	Type       string
	Confidence float64 // calibrated probability that Type is right (or, for "", that no rule fits)
	Reasoning  string
	Scores     []Score // every rule, best first
}

// Score is one rule's score for a document.
type Score struct {
	Type  string
	Score float64
}

// Engine is the classifier with what it has learned; safe for concurrent use.
type Engine struct {
	mu  sync.RWMutex // guards mem
	mem *memory

	// Calibration maps scores to confidences; set it before use.
	Calibration Calibration

	cacheMu  sync.Mutex
	compiled map[string]*ruleSet
}

// MinEvidence is the score below which a document is said to fit no rule.
// It is a property of the score scale, the same for every rule set.
var MinEvidence = 0.14

// A document is explained away by a kind of document no rule mentions (not
// even in passing) when that kind's evidence is at least explainMin and
// exceeds the winning rule's own kind evidence by explainMargin.
var (
	explainMin    = 0.45
	explainMargin = 0.25
)

// explainedAway returns the unasked kind that explains the document better
// than the winning rule, if any.
func explainedAway(sc *scorer, rs *ruleSet, best *ruleScore) (*concept, *conceptHit) {
	// A rule about a kind the engine does not know (no concept) may well
	// mean this kind: only a rule about another known kind is overruled.
	if best.learnedP >= learnedAccept || best.genre == nil {
		return nil, nil
	}
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
	own := 0.0
	if best.genre != nil {
		own = best.genre.act.a * best.genre.s
	}
	if topHit.s < own+explainMargin {
		return nil, nil
	}
	return top, topHit
}

// learnedAccept is the probability from learned examples alone from which a
// type is accepted even if the rules give little evidence.
const learnedAccept = 0.5

// New returns an engine that knows nothing but general knowledge of documents.
func New() *Engine {
	return &Engine{mem: newMemory(), compiled: map[string]*ruleSet{}, Calibration: DefaultCalibration}
}

// ruleSet returns the compiled form of rules, cached.
func (e *Engine) ruleSet(rules []api.Rule) *ruleSet {
	key := ruleKey(rules)
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	if rs, ok := e.compiled[key]; ok {
		return rs
	}
	if len(e.compiled) >= 32 {
		clear(e.compiled)
	}
	rs := compileRules(rules)
	e.compiled[key] = rs
	return rs
}

// Classify returns the best rule for doc.
func (e *Engine) Classify(doc Doc, rules []api.Rule) Result {
	if len(rules) == 0 {
		return Result{Reasoning: "no rules"}
	}
	rs := e.ruleSet(rules)
	di := analyze(doc)
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.decide(di, rs, learnedView{mems: []*memory{e.mem}, wts: []float64{1}})
}

// decide scores a document against every rule and picks the winner.
func (e *Engine) decide(di *docInfo, rs *ruleSet, lv learnedView) Result {
	sc := newScorer(di)
	scores := make([]ruleScore, len(rs.rules))
	for i, rm := range rs.rules {
		scores[i] = sc.zeroShot(rm)
	}
	corr := applyLearned(di, rs, scores, lv)
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]].total > scores[order[b]].total })
	res := Result{Scores: make([]Score, len(order))}
	for k, i := range order {
		res.Scores[k] = Score{Type: scores[i].rm.typ, Score: round3(scores[i].total)}
	}
	best := &scores[order[0]]
	var second *ruleScore
	if len(order) > 1 {
		second = &scores[order[1]]
	}
	if corr != nil {
		res.Type = corr.typ
		res.Confidence = corr.confidence
		res.Reasoning = corr.reason
		return res
	}
	s1, s2 := best.total, 0.0
	if second != nil {
		s2 = second.total
	}
	// Absolute evidence: enough from the rules, or learned examples that
	// clearly point to this type rather than to an unrelated document.
	if s1 < MinEvidence && best.learnedP < learnedAccept {
		res.Confidence = round3(e.Calibration.PNone(s1))
		res.Reasoning = reasonNone(best, di)
		return res
	}
	// A document that plainly is a kind no rule asks for (a research paper
	// when the rules name invoices and letters) is not forced into the
	// nearest rule.
	if other, hit := explainedAway(sc, rs, best); other != nil {
		res.Confidence = round3(e.Calibration.PNone(0))
		res.Reasoning = reasonUnasked(other, hit, best)
		return res
	}
	res.Type = best.rm.typ
	res.Confidence = round3(e.Calibration.P(s1, s2))
	res.Reasoning = reasonFor(best, second, res.Confidence)
	return res
}

func round3(x float64) float64 {
	return float64(int(x*1000+0.5)) / 1000
}
