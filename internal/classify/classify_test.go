package classify

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/engine"
	"github.com/classifyd/classifyd/internal/extract"
)

var rules = []api.Rule{
	{Type: "invoice", Description: "an invoice with line items, VAT and the amount due"},
	{Type: "letter", Description: "a letter to a person"},
}

const invoiceText = `ACME Supplies Ltd
INVOICE
Invoice number: 2024-117
Invoice date: 03/02/2024
Due date: 03/03/2024
Bill to: Example GmbH

Item              Qty   Unit price   Amount
Paper A4 box        4        21.00    84.00
Toner black         2        65.50   131.00

Subtotal                            215.00
VAT 20%                              43.00
Total amount due                    258.00
`

const recipeText = `Pancakes

Mix 200 g flour, 2 eggs and 300 ml milk into a smooth batter. Leave it to rest for half an hour.
Heat a little butter in a pan and fry thin pancakes, turning them once, until golden on both sides.
Serve with lemon and sugar.
`

func newPipeline(t *testing.T, o Options) *Classifier {
	t.Helper()
	ext, err := extract.New(extract.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ext.Close() })
	o.Extractor = ext
	return New(o)
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestClassify(t *testing.T) {
	dir := t.TempDir()
	p := newPipeline(t, Options{})
	ctx := context.Background()
	res, err := p.Classify(ctx, writeFile(t, dir, "inv.txt", invoiceText), rules, api.ModeFast, api.ParsingConfiguration{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Type == nil || *res.Type != "invoice" || res.Confidence <= 0.5 || !strings.Contains(res.Reasoning, "invoice") {
		t.Errorf("invoice: %+v", res)
	}
	res, err = p.Classify(ctx, writeFile(t, dir, "recipe.txt", recipeText), rules, api.ModeFast, api.ParsingConfiguration{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Type != nil {
		t.Errorf("a recipe got type %q: %s", *res.Type, res.Reasoning)
	}
	if _, err := p.Classify(ctx, filepath.Join(dir, "missing.txt"), rules, api.ModeFast, api.ParsingConfiguration{}); err == nil {
		t.Error("a missing file classified without error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.Classify(cctx, filepath.Join(dir, "inv.txt"), rules, api.ModeFast, api.ParsingConfiguration{}); err == nil {
		t.Error("a cancelled context classified without error")
	}
}

func TestExtractOptions(t *testing.T) {
	lang, pages := "de", 3
	got := ExtractOptions(api.ModeMultimodal, api.ParsingConfiguration{Lang: &lang, MaxPages: &pages, TargetPages: []int{0, 2}})
	want := extract.Options{Lang: "de", MaxPages: 3, TargetPages: []int{0, 2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := ExtractOptions(api.ModeFast, api.ParsingConfiguration{}); got.Lang != "" || got.MaxPages != 0 {
		t.Errorf("fast: %+v", got)
	}
}

func TestItemResult(t *testing.T) {
	if r := ItemResult(engine.Result{Reasoning: "none"}); r.Type != nil || r.Reasoning != "none" {
		t.Errorf("no type: %+v", r)
	}
	if r := ItemResult(engine.Result{Type: "x", Confidence: 0.7}); r.Type == nil || *r.Type != "x" || r.Confidence != 0.7 {
		t.Errorf("type: %+v", r)
	}
}

// opaque rules: only examples can tell these types apart.
var opaque = []api.Rule{{Type: "alpha", Description: "alpha"}, {Type: "beta", Description: "beta"}}

func TestLearnCorrectAndState(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state", "engine.state")
	if err := os.MkdirAll(filepath.Dir(state), 0o755); err != nil {
		t.Fatal(err)
	}
	old := SaveEvery
	SaveEvery = 0 // save after every change
	t.Cleanup(func() { SaveEvery = old })
	p := newPipeline(t, Options{StatePath: state})
	ctx := context.Background()
	inv := writeFile(t, dir, "inv.txt", invoiceText)
	if err := p.Learn(ctx, "alpha", writeFile(t, dir, "ex1.txt", strings.Replace(invoiceText, "Toner black", "Toner cyan", 1))); err != nil {
		t.Fatal(err)
	}
	if err := p.Learn(ctx, "beta", writeFile(t, dir, "ex2.txt", recipeText)); err != nil {
		t.Fatal(err)
	}
	if err := p.Learn(ctx, "alpha", filepath.Join(dir, "nope.txt")); err == nil {
		t.Error("learning a missing file succeeded")
	}
	res, err := p.Classify(ctx, inv, opaque, api.ModeFast, api.ParsingConfiguration{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Type == nil || *res.Type != "alpha" {
		t.Fatalf("after learning: %+v", res)
	}
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("state not saved: %v", err)
	}
	// a person moves the invoice from alpha to beta
	if err := p.Correct(ctx, "alpha", "beta", inv); err != nil {
		t.Fatal(err)
	}
	res, _ = p.Classify(ctx, inv, opaque, api.ModeFast, api.ParsingConfiguration{})
	if res.Type == nil || *res.Type != "beta" {
		t.Fatalf("after correction: %+v", res)
	}
	// forgetting an example that was never learned changes nothing
	if known, err := p.Forget(ctx, "alpha", writeFile(t, dir, "never.txt", "never learned text here")); err != nil || known {
		t.Errorf("Forget of an unknown file: %v %v", known, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	// a new classifier on the same state knows all of it
	p2 := newPipeline(t, Options{StatePath: state})
	if err := p2.LoadState(); err != nil {
		t.Fatal(err)
	}
	res, _ = p2.Classify(ctx, inv, opaque, api.ModeFast, api.ParsingConfiguration{})
	if res.Type == nil || *res.Type != "beta" {
		t.Errorf("after reload: %+v", res)
	}
	if got := p2.Engine().Examples(); got["alpha"] != 1 || got["beta"] != 2 {
		t.Errorf("examples after reload: %v", got)
	}
	// forgetting the correction gives the examples their say again
	if known, err := p2.Forget(ctx, "", inv); err != nil || !known {
		t.Fatalf("Forget: %v %v", known, err)
	}
	res, _ = p2.Classify(ctx, inv, opaque, api.ModeFast, api.ParsingConfiguration{})
	if res.Type == nil || *res.Type != "alpha" {
		t.Errorf("after Forget: %+v", res)
	}
	// a damaged state file is an error, a missing one is not
	if err := os.WriteFile(state, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := newPipeline(t, Options{StatePath: state}).LoadState(); err == nil {
		t.Error("garbage state loaded")
	}
	if err := newPipeline(t, Options{StatePath: filepath.Join(dir, "none.state")}).LoadState(); err != nil {
		t.Errorf("missing state: %v", err)
	}
}

func TestReadOnlyNeverWrites(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "engine.state")
	old := SaveEvery
	SaveEvery = 0
	t.Cleanup(func() { SaveEvery = old })
	p := newPipeline(t, Options{StatePath: state, ReadOnly: true})
	if err := p.Learn(context.Background(), "alpha", writeFile(t, dir, "a.txt", invoiceText)); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("read-only classifier wrote its state: %v", err)
	}
}

func TestLoadExamples(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ex/alpha/one.txt", invoiceText)
	writeFile(t, dir, "ex/alpha/sub/two.txt", strings.Replace(invoiceText, "Paper A4", "Envelopes", 1))
	writeFile(t, dir, "ex/alpha/.hidden.txt", recipeText)
	writeFile(t, dir, "ex/beta/r.txt", recipeText)
	p := newPipeline(t, Options{})
	n, err := p.LoadExamples(context.Background(), []config.Rule{
		{Type: "alpha", Examples: filepath.Join(dir, "ex/alpha")},
		{Type: "beta", Examples: filepath.Join(dir, "ex/beta")},
		{Type: "gamma"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("learned %d files, want 3", n)
	}
	if got := p.Engine().Examples(); got["alpha"] != 2 || got["beta"] != 1 {
		t.Errorf("examples %v", got)
	}
	n, err = p.LoadExamples(context.Background(), []config.Rule{{Type: "alpha", Examples: filepath.Join(dir, "missing")}})
	if err == nil || n != 0 {
		t.Errorf("missing folder: n=%d err=%v", n, err)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ex/inv.txt", invoiceText)
	cfg := config.Defaults()
	cfg.Rules = []config.Rule{{Type: "alpha", Description: "alpha", Examples: filepath.Join(dir, "ex")}, {Type: "beta", Description: "beta"}}
	stateDir := filepath.Join(dir, "state")
	p, closeFn, err := Open(context.Background(), cfg, stateDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Engine().Examples()["alpha"]; got != 1 {
		t.Errorf("examples folder not learned: %d", got)
	}
	if err := closeFn(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(EngineStatePath(stateDir)); err != nil {
		t.Errorf("close did not save the state: %v", err)
	}
}
