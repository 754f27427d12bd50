package eval

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/classify"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/extract"
	"github.com/classifyd/classifyd/internal/testutil/corpus"
)

// The dev corpus lives next to the repository (never copied into it).
func corpusDir(t testing.TB) string {
	t.Helper()
	return corpus.Dir(t, "dev")
}

var (
	corpusOnce sync.Once
	corpusDocs []Doc
	corpusErr  error

	corpusBOnce sync.Once
	corpusBDocs []Doc
	corpusBErr  error
)

// corpusBDir is the second development corpus: types the engine has no
// built-in knowledge of, with rules written the way a user would.
func corpusBDir(t testing.TB) string {
	t.Helper()
	return corpus.Dir(t, "dev-b")
}

// loadCorpusB extracts the dev-b corpus once per test binary.
func loadCorpusB(t testing.TB) []Doc {
	dir := corpusBDir(t)
	corpusBOnce.Do(func() { corpusBDocs, corpusBErr = extractCorpus(dir) })
	if corpusBErr != nil {
		t.Fatal(corpusBErr)
	}
	return corpusBDocs
}

func extractCorpus(dir string) ([]Doc, error) {
	items, err := LoadLabels(filepath.Join(dir, "labels.csv"))
	if err != nil {
		return nil, err
	}
	ext, err := extract.New(extract.Config{})
	if err != nil {
		return nil, err
	}
	defer ext.Close()
	p := classify.New(classify.Options{Extractor: ext})
	return Extract(context.Background(), p, items,
		classify.ExtractOptions(api.ModeMultimodal, api.ParsingConfiguration{}), runtime.GOMAXPROCS(0))
}

// loadCorpus extracts the dev corpus once per test binary, through the real
// extractor and pipeline (MULTIMODAL, so the scanned receipts are OCRed).
func loadCorpus(t testing.TB) []Doc {
	dir := corpusDir(t)
	corpusOnce.Do(func() {
		items, err := LoadLabels(filepath.Join(dir, "labels.csv"))
		if err != nil {
			corpusErr = err
			return
		}
		ext, err := extract.New(extract.Config{})
		if err != nil {
			corpusErr = err
			return
		}
		defer ext.Close()
		p := classify.New(classify.Options{Extractor: ext})
		corpusDocs, corpusErr = Extract(context.Background(), p, items,
			classify.ExtractOptions(api.ModeMultimodal, api.ParsingConfiguration{}), runtime.GOMAXPROCS(0))
	})
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	return corpusDocs
}

func rulesOf(t testing.TB, path string) []api.Rule {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.APIRules()
}

// ruleSet is a rule file and how the corpus labels map to its types.
type ruleSet struct {
	name  string
	path  string
	types map[string]string
}

func ruleSets(dir string) []ruleSet {
	return []ruleSet{
		{"dev", filepath.Join(dir, "rules.yaml"), nil},
		{"paraphrase", "testdata/rules_paraphrase.yaml", map[string]string{"invoice": "bill", "receipt": "till_slip",
			"contract": "agreement", "resume": "cv", "email": "mail", "scientific_paper": "paper",
			"news_article": "article", "form": "questionnaire"}},
		{"german", "testdata/rules_german.yaml", map[string]string{"invoice": "rechnung", "receipt": "kassenbon",
			"contract": "vertrag", "resume": "lebenslauf", "email": "e_mail", "scientific_paper": "fachartikel",
			"news_article": "nachricht", "form": "formular"}},
		{"terse", "testdata/rules_terse.yaml", map[string]string{"scientific_paper": "research_paper", "news_article": "news"}},
		{"opaque", "testdata/rules_opaque.yaml", map[string]string{"invoice": "t1", "receipt": "t2", "contract": "t3",
			"resume": "t4", "email": "t5", "scientific_paper": "t6", "news_article": "t7", "form": "t8"}},
	}
}

// TestDevCorpus guards the engine's accuracy and calibration on the dev
// corpus: zero-shot with the corpus rules and with rules written in other
// words, and with 5 learned examples per type. The floors sit just under
// what the engine achieves, so a regression fails.
func TestDevCorpus(t *testing.T) {
	dir := corpusDir(t)
	docs := loadCorpus(t)
	for _, d := range docs {
		if d.Err != nil {
			t.Errorf("%s: %v", d.Path, d.Err)
		}
	}
	sets := map[string]ruleSet{}
	for _, rs := range ruleSets(dir) {
		sets[rs.name] = rs
	}
	tests := []struct {
		name      string
		set       string
		examples  int
		seeds     []int64
		selfTrain bool
		minAcc    float64
		maxECE    float64
	}{
		{"zero-shot dev rules", "dev", 0, nil, false, 0.985, 0.06},
		{"zero-shot paraphrased rules", "paraphrase", 0, nil, false, 0.98, 0.06},
		{"zero-shot german rules", "german", 0, nil, false, 0.985, 0.06},
		{"zero-shot type names only", "terse", 0, nil, false, 0.98, 0.06},
		{"5 examples dev rules", "dev", 5, []int64{1, 2, 3}, false, 0.99, 0.03},
		{"5 examples opaque rules", "opaque", 5, []int64{1, 2, 3}, false, 0.88, 0.1},
		{"self-training dev rules", "dev", 0, nil, true, 0.985, 0.05},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := sets[tc.set]
			rep := Run(docs, Options{Rules: rulesOf(t, rs.path), TypeMap: rs.types, Examples: tc.examples,
				Seeds: tc.seeds, SelfTrain: tc.selfTrain})
			t.Logf("accuracy %.3f (%d/%d), ECE %.3f, Brier %.3f", rep.Accuracy, rep.Correct, rep.Evaluated, rep.ECE, rep.Brier)
			for _, w := range rep.Wrong {
				t.Logf("wrong: %s want %s got %s (%.2f): %s", filepath.Base(w.Path), w.Want, w.Got, w.Confidence, w.Reasoning)
			}
			if rep.Accuracy < tc.minAcc {
				t.Errorf("accuracy %.3f below the floor %.3f", rep.Accuracy, tc.minAcc)
			}
			if rep.ECE > tc.maxECE {
				t.Errorf("ECE %.3f above the ceiling %.3f", rep.ECE, tc.maxECE)
			}
		})
	}
}

// otherDocs are unrelated documents (recipes, poems, code...) that no rule
// of the corpus fits, written for the engine's tests.
func otherDocs(t testing.TB) []Doc {
	paths, err := filepath.Glob("../engine/testdata/other/*")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no unrelated documents: %v", err)
	}
	var docs []Doc
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		d := Doc{Item: Item{Path: p, Type: "other"}}
		d.Doc.Text, d.Doc.Format = string(b), "text"
		docs = append(docs, d)
	}
	return docs
}

func TestUnrelatedDocumentsGetNoType(t *testing.T) {
	dir := corpusDir(t)
	for _, rs := range ruleSets(dir) {
		t.Run(rs.name, func(t *testing.T) {
			rep := Run(otherDocs(t), Options{Rules: rulesOf(t, rs.path), TypeMap: rs.types})
			for _, w := range rep.Wrong {
				t.Errorf("%s: got %s (%.2f): %s", filepath.Base(w.Path), w.Got, w.Confidence, w.Reasoning)
			}
		})
	}
}
