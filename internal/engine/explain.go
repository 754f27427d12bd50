package engine

import (
	"math"
	"sort"

	"github.com/classifyd/classifyd/internal/api"
)

// RuleReport says what the engine makes of one rule: the kinds of
// document it knows the rule is about and from which words, the kinds a
// word named that the rule is not about, the structure it will look for,
// the rule's own words by weight and the rules it overlaps with.
type RuleReport struct {
	Type      string       `json:"type"`
	Fallback  bool         `json:"fallback,omitempty"`
	Knowledge bool         `json:"knowledge"` // false: built-in knowledge turned off
	Kinds     []Activation `json:"kinds"`     // built-in kinds of document the rule is about
	Ignored   []Activation `json:"ignored"`   // kinds a word named, left out (the rule is not about them)
	Aspects   []Activation `json:"aspects"`   // things the description asks of a document
	Cues      []string     `json:"cues"`      // structure cues those aspects and kinds look at
	Words     []Word       `json:"words"`     // the rule's own words, strongest first
	// TextWeight is how much the rule's own words count against the
	// built-in knowledge (1: only its words).
	TextWeight float64   `json:"text_weight"`
	Overlaps   []Overlap `json:"overlaps,omitempty"`
}

// Activation is a concept a rule switched on (or named without being about).
type Activation struct {
	Concept string  `json:"concept"`
	Label   string  `json:"label"`
	Weight  float64 `json:"weight"`
	Trigger string  `json:"trigger"` // the words of the rule that switched it on
}

// Word is a word of the rule and its weight (type-name words weigh more,
// words shared with other rules less).
type Word struct {
	Word   string  `json:"word"`
	Weight float64 `json:"weight"`
}

// Overlap is another rule that shares words or kinds with this one.
type Overlap struct {
	Type       string   `json:"type"`
	Similarity float64  `json:"similarity"` // cosine of the two rules' words, 0..1
	Shared     []string `json:"shared"`     // shared words and kinds
}

// overlapMin is the word similarity from which two rules are reported as
// overlapping.
const overlapMin = 0.2

// ExplainRules reports what the engine makes of each rule (classifyd rules
// check).
func (e *Engine) ExplainRules(rules []api.Rule) []RuleReport {
	if len(rules) == 0 {
		return nil
	}
	rs := e.ruleSet(rules)
	out := make([]RuleReport, len(rs.rules))
	vecs := make([]map[uint32]float64, len(rs.rules))
	for i, rm := range rs.rules {
		vecs[i] = ruleVec(rm)
		r := RuleReport{Type: rm.typ, Fallback: rm.fallback, Knowledge: !rm.noKnowledge, TextWeight: round3(rm.textWeight())}
		cues := map[string]bool{}
		for _, a := range rm.genres {
			r.Kinds = append(r.Kinds, activationOf(a))
			for _, c := range a.c.cues {
				if c.w > 0 {
					cues[cueDefs[c.v].name] = true
				}
			}
		}
		for _, a := range rm.dropped {
			r.Ignored = append(r.Ignored, activationOf(a))
		}
		for _, a := range rm.aspect {
			r.Aspects = append(r.Aspects, activationOf(a))
			for _, c := range a.c.cues {
				if c.w > 0 {
					cues[cueDefs[c.v].name] = true
				}
			}
		}
		for c := range cues {
			r.Cues = append(r.Cues, c)
		}
		sort.Strings(r.Cues)
		for _, t := range rm.terms {
			if rm.namesGenre(t.word) {
				continue
			}
			r.Words = append(r.Words, Word{Word: t.word, Weight: round3(t.w * (ruleIDFMix*t.idf + 1 - ruleIDFMix))})
		}
		sort.SliceStable(r.Words, func(a, b int) bool { return r.Words[a].Weight > r.Words[b].Weight })
		out[i] = r
	}
	for i, a := range rs.rules {
		for j, b := range rs.rules {
			if i == j {
				continue
			}
			sim := vecCosine(vecs[i], vecs[j])
			var shared []string
			for _, t := range a.terms {
				for _, u := range b.terms {
					if t.stem == u.stem && !a.namesGenre(t.word) {
						shared = append(shared, t.word)
					}
				}
			}
			for _, ga := range a.genres {
				for _, gb := range b.genres {
					if ga.c == gb.c {
						shared = append(shared, "kind: "+ga.c.label)
						sim = max(sim, min(ga.a, gb.a))
					}
				}
			}
			if sim >= overlapMin {
				out[i].Overlaps = append(out[i].Overlaps, Overlap{Type: b.typ, Similarity: round3(sim), Shared: shared})
			}
		}
		sort.SliceStable(out[i].Overlaps, func(x, y int) bool { return out[i].Overlaps[x].Similarity > out[i].Overlaps[y].Similarity })
	}
	return out
}

func activationOf(a activation) Activation {
	return Activation{Concept: a.c.id, Label: a.c.label, Weight: round3(a.a), Trigger: a.trigger}
}

func vecCosine(a, b map[uint32]float64) float64 {
	dot, na, nb := 0.0, 0.0, 0.0
	for k, x := range a {
		na += x * x
		dot += x * b[k]
	}
	for _, y := range b {
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}
