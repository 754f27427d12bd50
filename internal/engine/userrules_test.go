package engine

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifyd/classifyd/internal/api"
)

// Tests of rules written for the user's own types: the rule's words decide,
// built-in knowledge joins only rules about its kind, a fallback catches
// what nothing fits, corrections and examples only help.

func genresOf(rm *ruleModel) []string {
	var out []string
	for _, a := range rm.genres {
		out = append(out, a.c.id)
	}
	return out
}

// TestTriggerWordOfAnotherKind: a rule whose description happens to contain
// a word that names a known kind of document ("bill", "story", "press
// release") does not inherit that kind; a rule about the kind does.
func TestTriggerWordOfAnotherKind(t *testing.T) {
	tests := []struct {
		rule  api.Rule
		kind  string // a kind the rule must (or must not) be about
		about bool
	}{
		{api.Rule{Type: "legislation", Description: "a bill or act debated in parliament, with its sections"}, "invoice", false},
		{api.Rule{Type: "fiction", Description: "a novel or short story that tells an invented story"}, "news", false},
		{api.Rule{Type: "press_release", Description: "an official announcement sent out by an organisation"}, "news", false},
		{api.Rule{Type: "meeting_notes", Description: "notes of a meeting; not an invoice"}, "invoice", false},
		{api.Rule{Type: "payables", Description: "a bill from a supplier asking for payment of an amount due"}, "invoice", true},
		{api.Rule{Type: "bill", Description: "what a supplier sends to be paid"}, "invoice", true},
		{api.Rule{Type: "invoice", Description: "invoice"}, "invoice", true},
		{api.Rule{Type: "article", Description: "a journalistic piece published by a newspaper or news website"}, "news", true},
	}
	for _, tc := range tests {
		rm := compileRule(tc.rule)
		got := false
		for _, g := range genresOf(rm) {
			if g == tc.kind {
				got = true
			}
		}
		if got != tc.about {
			t.Errorf("%s %q: about %s = %v, want %v (kinds %v)", tc.rule.Type, tc.rule.Description, tc.kind, got, tc.about, genresOf(rm))
		}
	}
	// and in use, beside office rules: invoices stay invoices
	rules := append([]api.Rule{{Type: "legislation", Description: "a bill or act debated in parliament, with its numbered sections"}},
		testRules...)
	e := New()
	for _, f := range []string{"invoice_us.txt", "invoice_nl.txt"} {
		r := e.Classify(readDoc(t, filepath.Join("testdata/docs", f)), rules)
		if r.Type != "invoice" {
			t.Errorf("%s: got %q at %.2f, want invoice: %s", f, r.Type, r.Confidence, r.Reasoning)
		}
	}

}

// TestKnowledgeOff: knowledge: false keeps built-in kinds out of a rule.
func TestKnowledgeOff(t *testing.T) {
	off := false
	rm := compileRule(api.Rule{Type: "invoice", Description: "an invoice with an amount due", Knowledge: &off})
	if len(rm.genres) != 0 || len(rm.aspect) != 0 {
		t.Errorf("knowledge off, still kinds %v and %d aspects", genresOf(rm), len(rm.aspect))
	}
	if len(rm.dropped) == 0 {
		t.Error("the kinds it would have used are not reported")
	}
	if len(ruleVec(rm)) == 0 {
		t.Error("the rule has no words of its own left")
	}
}

// TestFallbackRule: a rule marked as the fallback takes the documents no
// other rule fits, says so, and never takes a document another rule fits.
func TestFallbackRule(t *testing.T) {
	rules := append(append([]api.Rule(nil), testRules...), api.Rule{Type: "other", Description: "anything else", Fallback: true})
	e := New()
	others, _ := filepath.Glob("testdata/other/*")
	for _, p := range others {
		r := e.Classify(readDoc(t, p), rules)
		if r.Type != "other" {
			t.Errorf("%s: got %q, want the fallback: %s", filepath.Base(p), r.Type, r.Reasoning)
			continue
		}
		if !strings.Contains(r.Reasoning, "fallback") {
			t.Errorf("%s: the reasoning does not say it is the fallback: %s", filepath.Base(p), r.Reasoning)
		}
	}
	for file, want := range map[string]string{"invoice_us.txt": "invoice", "news_fr.txt": "news", "resume_de.txt": "resume"} {
		if r := e.Classify(readDoc(t, filepath.Join("testdata/docs", file)), rules); r.Type != want {
			t.Errorf("%s: got %q, want %q: %s", file, r.Type, want, r.Reasoning)
		}
	}
	// without the flag, "anything else" is an ordinary rule with almost no words
	plain := append(append([]api.Rule(nil), testRules...), api.Rule{Type: "other", Description: "anything else"})
	if r := New().Classify(readDoc(t, "testdata/other/recipe.txt"), plain); r.Type == "other" {
		t.Errorf("an unflagged catch-all took the recipe: %s", r.Reasoning)
	}
}

// TestMinEvidenceSetting: the evidence threshold is a setting: raised, a
// weakly matching document gets no type; lowered, it gets its best rule.
func TestMinEvidenceSetting(t *testing.T) {
	rules := append([]api.Rule{{Type: "recipe", Description: "a cooking recipe with ingredients and baking or cooking steps"}}, testRules...)
	doc := readDoc(t, "testdata/other/recipe.txt")
	e := New()
	r := e.Classify(doc, rules)
	if r.Type != "recipe" || r.Features.E < 1 {
		t.Fatalf("default threshold: got %q with evidence %.2f thresholds: %s", r.Type, r.Features.E, r.Reasoning)
	}
	// a threshold just above the document's evidence
	strict := New()
	strict.MinEvidence = MinEvidence * (r.Features.E + 0.1)
	r = strict.Classify(doc, rules)
	if r.Type != "" || !strings.Contains(r.Reasoning, fmt.Sprintf("below the evidence threshold %.2f", strict.MinEvidence)) {
		t.Errorf("threshold %.2f: got %q: %s", strict.MinEvidence, r.Type, r.Reasoning)
	}
}

// TestCorrectionsOnlyHelp: a person's correction decides the corrected
// document (and near copies), and does not change the answers for other
// documents for the worse.
func TestCorrectionsOnlyHelp(t *testing.T) {
	cases := []struct {
		file, from, to string
	}{
		{"resume_plain.txt", "resume", "form"}, // a person says this CV is a form
		{"news_sports.txt", "news", "paper"},
		{"receipt_fr.txt", "receipt", "invoice"},
	}
	paths, _ := filepath.Glob("testdata/docs/*")
	want := map[string]string{}
	base := New()
	for _, p := range paths {
		want[p] = base.Classify(readDoc(t, p), testRules).Type
	}
	for _, tc := range cases {
		e := New()
		corrected := filepath.Join("testdata/docs", tc.file)
		e.Correct(tc.from, tc.to, readDoc(t, corrected))
		for _, p := range paths {
			r := e.Classify(readDoc(t, p), testRules)
			if p == corrected {
				if r.Type != tc.to {
					t.Errorf("%s corrected to %s, still answered %q: %s", tc.file, tc.to, r.Type, r.Reasoning)
				}
				continue
			}
			if r.Type != want[p] {
				t.Errorf("correcting %s to %s changed %s from %q to %q: %s", tc.file, tc.to, filepath.Base(p), want[p], r.Type, r.Reasoning)
			}
		}
	}
}

// TestPopulationSavedWithState: the documents seen are saved with what was
// learned, so an engine loaded from the state answers as the one that
// saved it (classify answers what the daemon would).
func TestPopulationSavedWithState(t *testing.T) {
	rules := []api.Rule{
		{Type: "recipe", Description: "a cooking recipe with ingredients and baking or cooking steps"},
		{Type: "minutes", Description: "minutes of a meeting: who attended, what was decided, action items"},
		{Type: "poem", Description: "a poem in verse, with stanzas"},
	}
	paths, _ := filepath.Glob("testdata/other/*")
	e := New()
	for _, p := range paths {
		e.Classify(readDoc(t, p), rules)
	}
	b, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	loaded := New()
	if err := loaded.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if got, want := len(loaded.pop.ring), len(e.pop.ring); got != want || want == 0 {
		t.Fatalf("population of %d documents after loading, saved %d", got, want)
	}
	fresh := New()
	differs := false
	for _, p := range paths {
		d := readDoc(t, p)
		a, b := e.Classify(d, rules), loaded.Classify(d, rules)
		if a.Type != b.Type || a.Confidence != b.Confidence {
			t.Errorf("%s: %q %.3f before saving, %q %.3f after loading", filepath.Base(p), a.Type, a.Confidence, b.Type, b.Confidence)
		}
		if f := fresh.Classify(d, rules); f.Confidence != a.Confidence {
			differs = true
		}
	}
	if !differs {
		t.Error("the population changed no answer: the test cannot tell a loaded population from none")
	}
}

// TestPeerVotes: a document is told how the documents it resembles were
// decided: batch neighbours by their first decision, population neighbours
// by their stored belief; neighbours given no type count against every
// rule, and neighbours decided under other rules do not count.
func TestPeerVotes(t *testing.T) {
	rs := &ruleSet{rules: []*ruleModel{{typ: "a"}, {typ: "b"}}}
	const key = 7
	inBatchA, inBatchNone := &popEntry{}, &popEntry{}
	earlierB := &popEntry{key: key, p: []float32{0.1, 0.9}}
	earlierNone := &popEntry{key: key, p: []float32{0, 0}}
	otherRules := &popEntry{key: 8, p: []float32{1, 0}}
	decided := map[*popEntry]string{inBatchA: "a", inBatchNone: ""}
	tests := []struct {
		name string
		nb   []*popEntry
		sim  []float64
		want []float64 // nil: no decided neighbours
	}{
		{"none", nil, nil, nil},
		{"only other rules", []*popEntry{otherRules}, []float64{0.9}, nil},
		{"batch and earlier", []*popEntry{inBatchA, inBatchNone, earlierB, otherRules}, []float64{0.5, 0.2, 0.3, 0.9}, []float64{0.5, 0.3}},
		{"given no type", []*popEntry{earlierNone, inBatchA}, []float64{0.6, 0.2}, []float64{0.25, 0}},
	}
	for _, tc := range tests {
		got := peerVotes(&pending{nb: tc.nb, nbSim: tc.sim}, decided, rs, key)
		if (got == nil) != (tc.want == nil) {
			t.Errorf("%s: votes %v, want %v", tc.name, got, tc.want)
			continue
		}
		for r := range tc.want {
			if math.Abs(got[r]-tc.want[r]) > 1e-9 {
				t.Errorf("%s: votes %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
}

// TestPeersAgreeing: documents of one kind in a batch are told that their
// neighbours were given the same type, and a decision whose neighbours
// went elsewhere is less sure than the same decision whose neighbours
// agree.
func TestPeersAgreeing(t *testing.T) {
	e := New()
	var docs []Doc
	for _, name := range []string{"receipt_us.txt", "receipt_fr.txt", "invoice_us.txt", "invoice_nl.txt"} {
		d := readDoc(t, filepath.Join("testdata/docs", name))
		docs = append(docs, d, Doc{Text: d.Text + "\n\nCopy for the records.", Format: d.Format})
	}
	res := e.ClassifyBatch(docs, testRules, true)
	for i, r := range res {
		if r.Features.HasPeer != 1 || r.Features.Peer < 0.5 {
			t.Errorf("doc %d (%s): peers %v agreeing %.2f, want decided neighbours mostly of its type", i, r.Type, r.Features.HasPeer, r.Features.Peer)
		}
	}
	f := res[0].Features
	agree, disagree := f, f
	agree.Peer, disagree.Peer = 1, 0
	if c := DefaultCalibration; c.P(disagree) >= c.P(agree) {
		t.Errorf("confidence with disagreeing neighbours %.3f, with agreeing ones %.3f: want lower", c.P(disagree), c.P(agree))
	}
}

// TestWordsAgainstKind: a decision won on the rule's words while the
// document's kind and structure point to another rule is less sure than
// the same decision with them on its side.
func TestWordsAgainstKind(t *testing.T) {
	f := CalFeatures{F1: 0.5, F2: 0.2, Z: 0.5, E: 2, W: 0.9, C: 0.3, N: 4}
	with, against := f, f
	with.KLead, against.KLead = 1, -1
	c := DefaultCalibration
	if c.P(against) >= c.P(with) {
		t.Errorf("confidence with kind and structure against the words %.3f, with them %.3f: want lower", c.P(against), c.P(with))
	}
	// and the engine sets it: a rule that names the document's kind leads
	// in concept evidence over one that does not
	r := New().Classify(readDoc(t, "testdata/docs/invoice_us.txt"), testRules)
	if r.Type != "invoice" || r.Features.KLead <= 0 {
		t.Errorf("invoice_us: %s with concept lead %.2f, want invoice with a positive lead: %s", r.Type, r.Features.KLead, r.Reasoning)
	}
}
