package eval

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/engine"
)

// Options choose what Run measures.
type Options struct {
	Rules []api.Rule
	// TypeMap renames labels to rule types (label -> type), for rule sets
	// whose type names differ from the labels. A label that is no rule's
	// type expects "no type".
	TypeMap map[string]string
	// Examples per type are drawn from the labelled files, learned, and
	// left out of the evaluation; 0 = zero-shot.
	Examples int
	// Seeds of the example draws; each seed is one run on a fresh engine
	// (default: one run, seed 1).
	Seeds []int64
	// SelfTrain classifies all evaluated files as one batch (they weigh
	// each other at once) when BatchSize is 0.
	SelfTrain bool
	// BatchSize, when set, classifies the files as the daemon does: in
	// their order (arrival order), BatchSize at a time, each batch joining
	// the engine's population before the next (1 = one file at a time).
	BatchSize int
	// Threshold is the confidence below which the daemon sends a file to
	// review; the report says how many files clear it and how many of
	// those are right. 0 = not reported.
	Threshold float64
	// NewEngine makes the engine of each run (default engine.New).
	NewEngine func() *engine.Engine
}

// Prediction is one evaluated file.
type Prediction struct {
	Path       string  `json:"path"`
	Want       string  `json:"want"` // "" = no rule should match
	Got        string  `json:"got"`  // "" = no rule matched
	Confidence float64 `json:"confidence"`
	Score      float64 `json:"score"`           // the winner's score
	RunnerUp   float64 `json:"runner_up_score"` // the second best score
	Reasoning  string  `json:"reasoning"`
	Error      string  `json:"error,omitempty"`
	// Features are what the confidence was computed from (for refitting
	// the calibration); None marks an answer for lack of evidence.
	Features engine.CalFeatures `json:"-"`
	None     bool               `json:"-"`
	Seed     int64              `json:"seed"`
}

// Right reports whether the prediction is correct.
func (p Prediction) Right() bool { return p.Error == "" && p.Got == p.Want }

// TypeStats are the per-type figures.
type TypeStats struct {
	Type      string  `json:"type"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Report is the outcome of Run.
type Report struct {
	Files       int                       `json:"files"` // distinct files evaluated per run
	Runs        int                       `json:"runs"`
	Examples    int                       `json:"examples_per_type"`
	SelfTrain   bool                      `json:"self_train"`
	Evaluated   int                       `json:"evaluated"` // predictions over all runs
	Correct     int                       `json:"correct"`
	Accuracy    float64                   `json:"accuracy"`
	RunAccuracy []float64                 `json:"run_accuracy"`
	ECE         float64                   `json:"ece"`
	Brier       float64                   `json:"brier"`
	Threshold   float64                   `json:"threshold,omitempty"`
	Coverage    float64                   `json:"coverage,omitempty"`         // share at or above Threshold
	CovAccuracy float64                   `json:"covered_accuracy,omitempty"` // accuracy of those
	WrongFiled  float64                   `json:"wrong_filed"`                // share given a wrong type at or above Threshold
	WrongFiledN int                       `json:"wrong_filed_files"`
	BatchSize   int                       `json:"batch_size,omitempty"`
	PerType     []TypeStats               `json:"per_type"`
	Types       []string                  `json:"types"`
	Confusion   map[string]map[string]int `json:"confusion"` // want -> got -> count
	Wrong       []Prediction              `json:"wrong"`
	Predictions []Prediction              `json:"predictions"`
}

// Run classifies the documents with the rules and measures the result.
func Run(docs []Doc, o Options) Report {
	if o.NewEngine == nil {
		o.NewEngine = engine.New
	}
	seeds := o.Seeds
	if len(seeds) == 0 {
		seeds = []int64{1}
	}
	ruleTypes := map[string]bool{}
	for _, r := range o.Rules {
		ruleTypes[r.Type] = true
	}
	want := func(label string) string {
		if t, ok := o.TypeMap[label]; ok {
			label = t
		}
		if !ruleTypes[label] {
			return ""
		}
		return label
	}
	rep := Report{Runs: len(seeds), Examples: o.Examples, SelfTrain: o.SelfTrain, Threshold: o.Threshold, BatchSize: o.BatchSize}
	for _, seed := range seeds {
		eng := o.NewEngine()
		test := docs
		if o.Examples > 0 {
			var train []Doc
			train, test = split(docs, want, o.Examples, seed)
			for _, d := range train {
				eng.Learn(want(d.Type), d.Doc)
			}
		}
		var edocs []engine.Doc
		for _, d := range test {
			if d.Err == nil {
				edocs = append(edocs, d.Doc)
			}
		}
		var res []engine.Result
		switch {
		case o.BatchSize > 0:
			for start := 0; start < len(edocs); start += o.BatchSize {
				res = append(res, eng.ClassifyBatch(edocs[start:min(len(edocs), start+o.BatchSize)], o.Rules, true)...)
			}
		default:
			res = eng.ClassifyBatch(edocs, o.Rules, o.SelfTrain)
		}
		right := 0
		k := 0
		for _, d := range test {
			p := Prediction{Path: d.Path, Want: want(d.Type), Seed: seed}
			if d.Err != nil {
				p.Error = d.Err.Error()
				p.Reasoning = "extraction failed: " + p.Error
			} else {
				r := res[k]
				k++
				p.Got, p.Confidence, p.Reasoning = r.Type, r.Confidence, r.Reasoning
				p.Features, p.None = r.Features, r.None
				if len(r.Scores) > 0 {
					p.Score = r.Scores[0].Score
				}
				if len(r.Scores) > 1 {
					p.RunnerUp = r.Scores[1].Score
				}
			}
			if p.Right() {
				right++
			}
			rep.Predictions = append(rep.Predictions, p)
		}
		rep.Files = len(test)
		rep.RunAccuracy = append(rep.RunAccuracy, ratio(right, len(test)))
	}
	rep.measure()
	return rep
}

// split draws n examples of every type (at most all but one of its files)
// for training; the rest is the test set.
func split(docs []Doc, want func(string) string, n int, seed int64) (train, test []Doc) {
	byType := map[string][]int{}
	var types []string
	for i, d := range docs {
		t := want(d.Type)
		if t == "" || d.Err != nil {
			continue
		}
		if _, ok := byType[t]; !ok {
			types = append(types, t)
		}
		byType[t] = append(byType[t], i)
	}
	sort.Strings(types)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x636c617373696679))
	inTrain := map[int]bool{}
	for _, t := range types {
		idx := byType[t]
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for _, i := range idx[:min(n, len(idx)-1)] {
			inTrain[i] = true
		}
	}
	for i, d := range docs {
		if inTrain[i] {
			train = append(train, d)
		} else {
			test = append(test, d)
		}
	}
	return train, test
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (r *Report) measure() {
	r.Confusion = map[string]map[string]int{}
	tp, fp, fn, sup := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	types := map[string]bool{}
	covered, coveredRight := 0, 0
	for _, p := range r.Predictions {
		r.Evaluated++
		if p.Right() {
			r.Correct++
		} else {
			r.Wrong = append(r.Wrong, p)
		}
		if r.Confusion[p.Want] == nil {
			r.Confusion[p.Want] = map[string]int{}
		}
		r.Confusion[p.Want][p.Got]++
		types[p.Want], types[p.Got] = true, true
		sup[p.Want]++
		if p.Right() {
			tp[p.Want]++
		} else {
			fn[p.Want]++
			fp[p.Got]++
		}
		if r.Threshold > 0 && p.Got != "" && p.Confidence >= r.Threshold {
			covered++
			if p.Right() {
				coveredRight++
			} else if p.Error == "" {
				r.WrongFiledN++
			}
		}
	}
	r.Accuracy = ratio(r.Correct, r.Evaluated)
	r.ECE = ECE(r.Predictions, 10)
	r.Brier = Brier(r.Predictions)
	if r.Threshold > 0 {
		r.Coverage = ratio(covered, r.Evaluated)
		r.CovAccuracy = ratio(coveredRight, covered)
		r.WrongFiled = ratio(r.WrongFiledN, r.Evaluated)
	}
	for t := range types {
		r.Types = append(r.Types, t)
	}
	sort.Slice(r.Types, func(i, j int) bool {
		if (r.Types[i] == "") != (r.Types[j] == "") {
			return r.Types[j] == "" // "no type" last
		}
		return r.Types[i] < r.Types[j]
	})
	for _, t := range r.Types {
		if sup[t] == 0 && fp[t] == 0 {
			continue
		}
		prec := ratio(tp[t], tp[t]+fp[t])
		rec := ratio(tp[t], tp[t]+fn[t])
		f1 := 0.0
		if prec+rec > 0 {
			f1 = 2 * prec * rec / (prec + rec)
		}
		r.PerType = append(r.PerType, TypeStats{Type: t, Precision: prec, Recall: rec, F1: f1, Support: sup[t]})
	}
}

// ECE is the expected calibration error over bins equal-width confidence
// bins: the support-weighted mean |accuracy - mean confidence| per bin. A
// prediction's confidence is the probability it gives to its own answer
// ("no type" included).
func ECE(preds []Prediction, bins int) float64 {
	if len(preds) == 0 || bins <= 0 {
		return 0
	}
	n := make([]int, bins)
	conf := make([]float64, bins)
	acc := make([]float64, bins)
	for _, p := range preds {
		b := min(bins-1, int(p.Confidence*float64(bins)))
		b = max(0, b)
		n[b]++
		conf[b] += p.Confidence
		if p.Right() {
			acc[b]++
		}
	}
	e := 0.0
	for b := range n {
		if n[b] == 0 {
			continue
		}
		e += float64(n[b]) / float64(len(preds)) * math.Abs(acc[b]/float64(n[b])-conf[b]/float64(n[b]))
	}
	return e
}

// Brier is the mean squared error of the confidences against correctness.
func Brier(preds []Prediction) float64 {
	if len(preds) == 0 {
		return 0
	}
	s := 0.0
	for _, p := range preds {
		y := 0.0
		if p.Right() {
			y = 1
		}
		s += (p.Confidence - y) * (p.Confidence - y)
	}
	return s / float64(len(preds))
}
