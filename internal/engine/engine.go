package engine

import (
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
	// Features are what Confidence was computed from (for refitting the
	// calibration); zero for corrections.
	Features CalFeatures
	None     bool // Type is "" or the fallback's, because no rule had enough evidence
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
	// MinEvidence is the evidence threshold (0 = the package default).
	MinEvidence float64

	pop *population // the documents seen recently (population.go)

	agreeMu  sync.Mutex
	agreeKey string
	agreeVer uint64
	agree    []float64

	cacheMu  sync.Mutex
	compiled map[string]*ruleSet
}

// MinEvidence is the default evidence threshold: a document whose best
// rule has less evidence than this (from the rule's concepts, a quarter of
// it from the rule's own words) fits no rule. It is a property of the score
// scale, the same for every rule set; Engine.MinEvidence overrides it.
var MinEvidence = 0.14

// A document is explained away by a kind of document no rule mentions (not
// even in passing) when that kind's evidence is at least explainMin and
// exceeds the winning rule's own kind evidence by explainMargin.
var (
	explainMin    = 0.45
	explainMargin = 0.25
)

// learnedAccept is the probability from learned examples alone from which a
// type is accepted even if the rules give little evidence.
const learnedAccept = 0.5

// New returns an engine that knows nothing but general knowledge of documents.
func New() *Engine {
	return &Engine{mem: newMemory(), pop: newPopulation(), compiled: map[string]*ruleSet{}, Calibration: DefaultCalibration}
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

// Classify returns the best rule for doc. The document joins the
// population of recent documents, so that later documents are weighed
// against it (see population.go).
func (e *Engine) Classify(doc Doc, rules []api.Rule) Result {
	return e.classify([]Doc{doc}, rules)[0]
}

func (e *Engine) minEvidence() float64 {
	if e.MinEvidence > 0 {
		return e.MinEvidence
	}
	return MinEvidence
}

func round3(x float64) float64 {
	return float64(int(x*1000+0.5)) / 1000
}
