package eval

import (
	"fmt"
	"os"
	"testing"

	"github.com/classifyd/classifyd/internal/api"
)

// holdOutRuns evaluates, for every type, the documents of that type against
// the rules without it: every one of them should get no type.
func holdOutRuns(t testing.TB, docs []Doc, rs ruleSet) []Prediction {
	rules := rulesOf(t, rs.path)
	var preds []Prediction
	for _, drop := range rules {
		var kept []api.Rule
		for _, r := range rules {
			if r.Type != drop.Type {
				kept = append(kept, r)
			}
		}
		var mine []Doc
		for _, d := range docs {
			typ := d.Type
			if m, ok := rs.types[typ]; ok {
				typ = m
			}
			if typ == drop.Type {
				mine = append(mine, d)
			}
		}
		preds = append(preds, Run(mine, Options{Rules: kept, TypeMap: rs.types, SelfTrain: os.Getenv("CLASSIFYD_SELFTRAIN") != ""}).Predictions...)
	}
	return preds
}

// TestHoldOutType: a document whose type has no rule must not be forced
// into another type (the absolute evidence threshold at work).
func TestHoldOutType(t *testing.T) {
	dir := corpusDir(t)
	docs := loadCorpus(t)
	floors := map[string]float64{"dev": 0.87, "paraphrase": 0.9, "german": 0.78, "terse": 0.87}
	for _, rs := range ruleSets(dir) {
		floor, ok := floors[rs.name]
		if !ok {
			continue
		}
		t.Run(rs.name, func(t *testing.T) {
			preds := holdOutRuns(t, docs, rs)
			right := 0
			forced := map[string]int{}
			for _, p := range preds {
				if p.Right() {
					right++
				} else {
					forced[fmt.Sprintf("%s->%s", p.Path[len(p.Path)-8:], p.Got)]++
				}
			}
			acc := float64(right) / float64(len(preds))
			t.Logf("no type for %d/%d held-out documents (%.3f), ECE %.3f", right, len(preds), acc, ECE(preds, 10))
			if os.Getenv("CLASSIFYD_VERBOSE") != "" {
				t.Logf("forced: %v", forced)
			}
			if acc < floor {
				t.Errorf("held-out documents given no type %.3f, below the floor %.3f", acc, floor)
			}
		})
	}
}
