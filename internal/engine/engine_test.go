package engine

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/classifyd/classifyd/internal/api"
)

// testRules are rules as a user might write them (not the dev corpus's).
var testRules = []api.Rule{
	{Type: "invoice", Description: "an invoice from a supplier: invoice number, line items, VAT and the amount due"},
	{Type: "receipt", Description: "a till receipt from a shop or restaurant, paid by cash or card"},
	{Type: "contract", Description: "an agreement between parties with clauses and signatures"},
	{Type: "resume", Description: "a CV: work experience, education and skills of a person"},
	{Type: "email", Description: "an e-mail message with sender, recipients and a subject"},
	{Type: "paper", Description: "a scientific paper with an abstract and references"},
	{Type: "news", Description: "a newspaper article about current events"},
	{Type: "form", Description: "a blank form with fields and checkboxes to fill in"},
}

func readDoc(t testing.TB, path string) Doc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Doc{Text: string(b), Format: "text"}
}

// TestKnownKinds: one document of each kind, in several languages, each
// matched to the rule for its kind (a Dutch invoice and a German lease to
// English rules).
func TestKnownKinds(t *testing.T) {
	tests := map[string]string{
		"invoice_nl.txt":    "invoice",
		"receipt_us.txt":    "receipt",
		"contract_de.txt":   "contract",
		"resume_plain.txt":  "resume",
		"email_headers.txt": "email",
		"paper_short.txt":   "paper",
		"news_fr.txt":       "news",
		"form_en.txt":       "form",
		"invoice_us.txt":    "invoice",
		"receipt_fr.txt":    "receipt",
		"contract_nda.txt":  "contract",
		"resume_de.txt":     "resume",
		"email_de.txt":      "email",
		"paper_ieee.txt":    "paper",
		"news_sports.txt":   "news",
		"form_de.txt":       "form",
	}
	e := New()
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			r := e.Classify(readDoc(t, filepath.Join("testdata/docs", file)), testRules)
			if r.Type != want {
				t.Fatalf("got %q (%.2f), want %q: %s", r.Type, r.Confidence, want, r.Reasoning)
			}
			if r.Confidence < 0.5 || r.Confidence > 1 {
				t.Errorf("confidence %.3f", r.Confidence)
			}
			if !strings.HasPrefix(r.Reasoning, want+" (") || !strings.Contains(r.Reasoning, "Runner-up") {
				t.Errorf("reasoning does not name the winner and the runner-up: %s", r.Reasoning)
			}
			if len(r.Scores) != len(testRules) || r.Scores[0].Type != want {
				t.Errorf("scores %v", r.Scores)
			}
			for i := 1; i < len(r.Scores); i++ {
				if r.Scores[i].Score > r.Scores[i-1].Score {
					t.Errorf("scores not sorted: %v", r.Scores)
				}
			}
		})
	}
}

// TestUnrelatedIsNone: documents that fit no rule get no type.
func TestUnrelatedIsNone(t *testing.T) {
	paths, _ := filepath.Glob("testdata/other/*")
	if len(paths) == 0 {
		t.Fatal("no unrelated documents")
	}
	e := New()
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			r := e.Classify(readDoc(t, p), testRules)
			if r.Type != "" {
				t.Errorf("got %q (%.2f): %s", r.Type, r.Confidence, r.Reasoning)
			}
			if !strings.HasPrefix(r.Reasoning, "no rule matches") {
				t.Errorf("reasoning: %s", r.Reasoning)
			}
		})
	}
	if r := e.Classify(Doc{}, testRules); r.Type != "" {
		t.Errorf("empty document: %+v", r)
	}
	if r := e.Classify(Doc{Text: "x"}, nil); r.Type != "" || r.Reasoning == "" {
		t.Errorf("no rules: %+v", r)
	}
}

func TestRuleWithoutConceptUsesTerms(t *testing.T) {
	rules := append([]api.Rule{{Type: "recipe", Description: "a cooking recipe with ingredients and baking or cooking steps"}}, testRules...)
	r := New().Classify(readDoc(t, "testdata/other/recipe.txt"), rules)
	if r.Type != "recipe" {
		t.Fatalf("got %q: %s", r.Type, r.Reasoning)
	}
	if !strings.Contains(r.Reasoning, `"ingredients"`) && !strings.Contains(r.Reasoning, `"recipe"`) {
		t.Errorf("reasoning should quote the matched words: %s", r.Reasoning)
	}
}

// TestUnaskedKindExplainsAway: a document that plainly is a kind of document
// no rule mentions gets no type, but a rule that mentions the kind even in
// passing keeps it.
func TestUnaskedKindExplainsAway(t *testing.T) {
	e := New()
	var noInvoice []api.Rule
	for _, r := range testRules {
		if r.Type != "invoice" {
			noInvoice = append(noInvoice, r)
		}
	}
	r := e.Classify(readDoc(t, "testdata/docs/invoice_nl.txt"), noInvoice)
	if r.Type != "" || !strings.Contains(r.Reasoning, "looks like an invoice") {
		t.Errorf("an invoice without an invoice rule: %q %s", r.Type, r.Reasoning)
	}
	memo := []api.Rule{
		{Type: "memo", Description: "an internal memo sent to staff"},
		{Type: "invoice", Description: "an invoice with the amount due"},
	}
	if r := e.Classify(readDoc(t, "testdata/docs/email_headers.txt"), memo); r.Type != "memo" {
		t.Errorf("an e-mail-like memo: %q %s", r.Type, r.Reasoning)
	}
}

func TestNegatedTrigger(t *testing.T) {
	rs := compileRules([]api.Rule{{Type: "letter", Description: "a letter that is not an invoice"}})
	for _, a := range rs.rules[0].genres {
		if a.c.id == "invoice" {
			t.Errorf("a negated mention activated the invoice concept")
		}
	}
}

// opaqueRules name nothing the engine knows: only examples can help.
var opaqueRules = []api.Rule{{Type: "alpha", Description: "alpha"}, {Type: "beta", Description: "beta"}}

func TestLearningChangesTheAnswer(t *testing.T) {
	e := New()
	invoice := readDoc(t, "testdata/docs/invoice_nl.txt")
	receipt := readDoc(t, "testdata/docs/receipt_us.txt")
	if r := e.Classify(invoice, opaqueRules); r.Type != "" {
		t.Fatalf("before learning: %q", r.Type)
	}
	// examples: other invoices and receipts (variations of the test documents)
	e.Learn("alpha", Doc{Text: strings.ReplaceAll(invoice.Text, "Croissants", "Baguettes")})
	e.Learn("alpha", Doc{Text: strings.ReplaceAll(invoice.Text, "2024-0117", "2024-0230")})
	e.Learn("beta", Doc{Text: strings.ReplaceAll(receipt.Text, "BANANAS", "APPLES")})
	e.Learn("beta", Doc{Text: strings.ReplaceAll(receipt.Text, "DANA", "LEE")})
	if got := e.Examples(); got["alpha"] != 2 || got["beta"] != 2 {
		t.Fatalf("examples %v", got)
	}
	if r := e.Classify(invoice, opaqueRules); r.Type != "alpha" || !strings.Contains(r.Reasoning, "learned examples") {
		t.Errorf("invoice: %q %s", r.Type, r.Reasoning)
	}
	if r := e.Classify(receipt, opaqueRules); r.Type != "beta" {
		t.Errorf("receipt: %q %s", r.Type, r.Reasoning)
	}
	// examples of types not in the rules are ignored
	if r := e.Classify(invoice, []api.Rule{{Type: "gamma", Description: "gamma"}}); r.Type != "" {
		t.Errorf("examples of other types leaked: %q", r.Type)
	}
	// learning the same document twice keeps one example
	e.Learn("alpha", Doc{Text: strings.ReplaceAll(invoice.Text, "Croissants", "Baguettes")})
	if got := e.Examples()["alpha"]; got != 2 {
		t.Errorf("duplicate example stored: %d", got)
	}
}

func TestCorrectionOutranksEverything(t *testing.T) {
	e := New()
	doc := readDoc(t, "testdata/docs/invoice_nl.txt")
	if r := e.Classify(doc, testRules); r.Type != "invoice" {
		t.Fatalf("precondition: %q", r.Type)
	}
	e.Learn("invoice", doc)
	e.Correct("invoice", "receipt", doc)
	r := e.Classify(doc, testRules)
	if r.Type != "receipt" || r.Confidence < 0.95 || !strings.Contains(r.Reasoning, "correct") {
		t.Fatalf("after correction: %q (%.2f) %s", r.Type, r.Confidence, r.Reasoning)
	}
	if e.Examples()["invoice"] != 0 {
		t.Errorf("the corrected document is still an invoice example: %v", e.Examples())
	}
	// a near copy (one line changed) follows the correction too
	near := Doc{Text: strings.Replace(doc.Text, "Appeltaart", "Kersentaart", 1)}
	if r := e.Classify(near, testRules); r.Type != "receipt" {
		t.Errorf("near copy: %q %s", r.Type, r.Reasoning)
	}
	// a plain example cannot move a corrected document back
	e.Learn("invoice", doc)
	if r := e.Classify(doc, testRules); r.Type != "receipt" {
		t.Errorf("a plain example undid a correction: %q", r.Type)
	}
	// forgetting the correction restores the rules' answer
	if !e.Forget("", doc) {
		t.Fatal("Forget found nothing")
	}
	if r := e.Classify(doc, testRules); r.Type != "invoice" {
		t.Errorf("after Forget: %q %s", r.Type, r.Reasoning)
	}
}

func TestPersistenceRoundTrip(t *testing.T) {
	e := New()
	invoice := readDoc(t, "testdata/docs/invoice_nl.txt")
	receipt := readDoc(t, "testdata/docs/receipt_us.txt")
	e.Learn("alpha", invoice)
	e.Learn("beta", receipt)
	e.Correct("alpha", "beta", readDoc(t, "testdata/docs/form_en.txt"))
	data, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	e2 := New()
	if err := e2.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	for _, d := range []Doc{invoice, receipt, readDoc(t, "testdata/docs/form_en.txt"), readDoc(t, "testdata/docs/news_fr.txt")} {
		a, b := e.Classify(d, opaqueRules), e2.Classify(d, opaqueRules)
		if a.Type != b.Type || a.Confidence != b.Confidence || a.Reasoning != b.Reasoning {
			t.Errorf("differs after round trip:\n%+v\n%+v", a, b)
		}
	}
	if got := e2.Examples(); got["alpha"] != 1 || got["beta"] != 2 {
		t.Errorf("examples after load: %v", got)
	}
	var buf bytes.Buffer
	if err := e2.Save(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), data) && buf.Len() == 0 {
		t.Error("Save wrote nothing")
	}
	for _, bad := range [][]byte{nil, []byte("not a state"), data[:len(data)/2]} {
		if err := New().Load(bytes.NewReader(bad)); !errors.Is(err, ErrBadState) {
			t.Errorf("Load(%d bytes) = %v, want ErrBadState", len(bad), err)
		}
	}
}

// TestBatchOrderDoesNotMatter: a batch's answers do not depend on the order
// of its documents (beyond learning, which happens between batches), and
// classifying the documents one after the other gives the same types.
func TestBatchOrderDoesNotMatter(t *testing.T) {
	paths, _ := filepath.Glob("testdata/docs/*")
	var docs []Doc
	for _, p := range paths {
		docs = append(docs, readDoc(t, p))
	}
	want := New().ClassifyBatch(docs, testRules, true)
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 5; round++ {
		perm := rng.Perm(len(docs))
		shuffled := make([]Doc, len(docs))
		for i, j := range perm {
			shuffled[i] = docs[j]
		}
		got := New().ClassifyBatch(shuffled, testRules, true)
		for i, j := range perm {
			if got[i].Type != want[j].Type || got[i].Confidence != want[j].Confidence {
				t.Errorf("round %d, %s: %q %.3f in this order, %q %.3f in file order", round, paths[j],
					got[i].Type, got[i].Confidence, want[j].Type, want[j].Confidence)
			}
		}
	}
	seq := New().ClassifyBatch(docs, testRules, false)
	for i := range docs {
		if seq[i].Type != want[i].Type {
			t.Errorf("%s: one by one %q, as a batch %q", paths[i], seq[i].Type, want[i].Type)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	e := New()
	paths, _ := filepath.Glob("testdata/docs/*")
	var docs []Doc
	for _, p := range paths {
		docs = append(docs, readDoc(t, p))
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				d := docs[(w+i)%len(docs)]
				if i%5 == 0 {
					e.Learn(testRules[i%len(testRules)].Type, d)
				}
				e.Classify(d, testRules)
				if i%7 == 0 {
					var b bytes.Buffer
					_ = e.Save(&b)
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkClassify(b *testing.B) {
	paths, _ := filepath.Glob("testdata/docs/*")
	var docs []Doc
	bytes := 0
	for _, p := range paths {
		d := readDoc(b, p)
		docs = append(docs, d)
		bytes += len(d.Text)
	}
	e := New()
	e.Classify(docs[0], testRules) // compile the rules once
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Classify(docs[i%len(docs)], testRules)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	b.SetBytes(int64(bytes / len(docs)))
}

func BenchmarkClassifyLong(b *testing.B) {
	text := strings.Repeat(readDoc(b, "testdata/docs/contract_de.txt").Text+"\n"+readDoc(b, "testdata/docs/paper_short.txt").Text+"\n", 40)
	doc := Doc{Text: text}
	e := New()
	b.SetBytes(int64(min(len(text), headChars+tailChars)))
	for i := 0; i < b.N; i++ {
		e.Classify(doc, testRules)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"", "Invoice 12.50\nTotal 12.50", "Subject: hi\n\nDear x,", "[1] (Smith, 2019) ____ ☐", "\xff\xfe\x00"} {
		f.Add(s)
	}
	e := New()
	f.Fuzz(func(t *testing.T, s string) {
		r := e.Classify(Doc{Text: s}, testRules)
		if r.Confidence < 0 || r.Confidence > 1 {
			t.Fatalf("confidence %v", r.Confidence)
		}
	})
}

// BenchmarkClassifyWithExamples: 8 rules with 50 learned examples each.
func BenchmarkClassifyWithExamples(b *testing.B) {
	paths, _ := filepath.Glob("testdata/docs/*")
	var docs []Doc
	for _, p := range paths {
		docs = append(docs, readDoc(b, p))
	}
	e := New()
	for i := 0; i < 50; i++ {
		for k, d := range docs {
			e.Learn(testRules[k%len(testRules)].Type, Doc{Text: d.Text + strings.Repeat(" variant", i+1)})
		}
	}
	e.Classify(docs[0], testRules)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Classify(docs[i%len(docs)], testRules)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkClassifyFullPopulation: every document is new (a distinct
// variant of a test document), so the population is full (popMax) and each
// classification searches it for neighbours, as in a long-running daemon.
func BenchmarkClassifyFullPopulation(b *testing.B) {
	paths, _ := filepath.Glob("testdata/docs/*")
	var base []Doc
	for _, p := range paths {
		base = append(base, readDoc(b, p))
	}
	variant := func(i int) Doc {
		d := base[i%len(base)]
		d.Text += fmt.Sprintf("\nref %d-%d note%d", i, i*7919, i%97)
		return d
	}
	e := New()
	for i := 0; i < popMax; i++ {
		e.Classify(variant(i), testRules)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Classify(variant(popMax+i), testRules)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}
