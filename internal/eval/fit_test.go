package eval

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"testing"

	"github.com/classifyd/classifyd/internal/engine"
)

// TestFitCalibration refits the engine's calibration map on the dev corpus
// (zero-shot with several rule wordings, learned examples, unrelated
// documents) and reports its cross-validated expected calibration error.
// Run it with CLASSIFYD_FIT=1 and copy the printed map into
// engine.DefaultCalibration.
func TestFitCalibration(t *testing.T) {
	if os.Getenv("CLASSIFYD_FIT") == "" {
		t.Skip("set CLASSIFYD_FIT=1 to refit the calibration")
	}
	dir := corpusDir(t)
	docs := append(append([]Doc(nil), loadCorpus(t)...), otherDocs(t)...)
	var preds []Prediction
	for _, rs := range ruleSets(dir) {
		rules := rulesOf(t, rs.path)
		runs := []Options{{Examples: 3, Seeds: []int64{11, 12}}, {Examples: 5, Seeds: []int64{21, 22}}}
		if rs.name == "opaque" {
			// learning from one or two examples gives the errors at small
			// margins that the zero-shot runs on this corpus rarely make
			runs = append(runs, Options{Examples: 1, Seeds: []int64{31, 32}}, Options{Examples: 2, Seeds: []int64{41, 42}})
		} else {
			runs = append(runs, Options{})
		}
		for _, o := range runs {
			o.Rules, o.TypeMap = rules, rs.types
			o.NewEngine = func() *engine.Engine {
				e := engine.New()
				e.Calibration = engine.Calibration{Margin: 1, Score: 1, NoneScale: engine.DefaultCalibration.NoneScale,
					NoneBias: engine.DefaultCalibration.NoneBias}
				return e
			}
			preds = append(preds, Run(docs, o).Predictions...)
		}
	}
	// documents whose type has no rule (all of them should get no type)
	for _, rs := range ruleSets(dir) {
		if rs.name != "opaque" {
			preds = append(preds, holdOutRuns(t, docs, rs)...)
		}
	}
	// 5-fold cross-validation, folds by document.
	paths := map[string]int{}
	var names []string
	for _, p := range preds {
		if _, ok := paths[p.Path]; !ok {
			paths[p.Path] = 0
			names = append(names, p.Path)
		}
	}
	sort.Strings(names)
	rng := rand.New(rand.NewPCG(7, 7))
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	for i, n := range names {
		paths[n] = i % 5
	}
	samples := func(ps []Prediction) []engine.CalSample {
		var out []engine.CalSample
		for _, p := range ps {
			if p.Error == "" {
				out = append(out, engine.CalSample{F: engine.CalFeatures{F1: p.Score, F2: p.RunnerUp}, None: p.Got == "", Right: p.Right()})
			}
		}
		return out
	}
	const l2 = 1.0
	var oof []Prediction
	for f := 0; f < 5; f++ {
		var train, test []Prediction
		for _, p := range preds {
			if paths[p.Path] == f {
				test = append(test, p)
			} else {
				train = append(train, p)
			}
		}
		c := engine.FitCalibration(samples(train), engine.DefaultCalibration, l2)
		for _, p := range test {
			p.Confidence = recalibrate(c, p)
			oof = append(oof, p)
		}
	}
	c := engine.FitCalibration(samples(preds), engine.DefaultCalibration, l2)
	all := make([]Prediction, len(preds))
	for i, p := range preds {
		p.Confidence = recalibrate(c, p)
		all[i] = p
	}
	right := 0
	for _, p := range preds {
		if p.Right() {
			right++
		}
	}
	fmt.Printf("decisions: %d (%d right)\n", len(preds), right)
	fmt.Printf("cross-validated ECE (5 folds, 10 bins): %.4f   in-sample ECE: %.4f\n", ECE(oof, 10), ECE(all, 10))
	fmt.Printf("engine.Calibration{Margin: %.3f, Score: %.3f, Bias: %.3f, NoneScale: %.3f, NoneBias: %.3f}\n",
		c.Margin, c.Score, c.Bias, c.NoneScale, c.NoneBias)
	printReliability(oof)
	if os.Getenv("CLASSIFYD_FIT") == "2" {
		for _, p := range oof {
			if p.Confidence >= 0.4 && p.Confidence < 0.7 {
				fmt.Printf("    %s want=%s got=%s s1=%.3f s2=%.3f conf=%.2f right=%v\n", p.Path[len(p.Path)-12:], p.Want, p.Got, p.Score, p.RunnerUp, p.Confidence, p.Right())
			}
		}
	}
	none, noneRight := 0, 0
	for _, p := range preds {
		if p.Got == "" {
			none++
			if p.Right() {
				noneRight++
			}
		}
	}
	fmt.Printf("no-type decisions: %d (%d right)\n", none, noneRight)
}

func recalibrate(c engine.Calibration, p Prediction) float64 {
	if p.Error != "" {
		return 0
	}
	if p.Got == "" {
		return c.PNone(p.Score)
	}
	return c.P(engine.CalFeatures{F1: p.Score, F2: p.RunnerUp})
}

func printReliability(ps []Prediction) {
	var n, right [10]int
	var conf [10]float64
	for _, p := range ps {
		b := min(9, int(p.Confidence*10))
		n[b]++
		conf[b] += p.Confidence
		if p.Right() {
			right[b]++
		}
	}
	for b := range n {
		if n[b] > 0 {
			fmt.Printf("  bin %.1f-%.1f: %4d decisions, mean confidence %.3f, accuracy %.3f\n",
				float64(b)/10, float64(b+1)/10, n[b], conf[b]/float64(n[b]), float64(right[b])/float64(n[b]))
		}
	}
}
