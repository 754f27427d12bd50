package engine

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/classifyd/classifyd/internal/testutil"
)

// TestAnswersGolden: the engine's answers on the package's own documents
// (testdata/docs, one of each kind in several languages, and
// testdata/other, documents no rule is about) under testRules are the ones
// recorded in testdata/answers.golden: type, confidence to two decimals,
// runner-up and the evidence the reasoning gives. A change to the engine
// that moves any answer shows here, document by document; after a
// deliberate one, rewrite the file with
//
//	UPDATE_GOLDEN=1 go test ./internal/engine -run TestAnswersGolden
//
// and review the diff. Each document gets a fresh engine, so an answer does
// not depend on the documents before it.
func TestAnswersGolden(t *testing.T) {
	var paths []string
	for _, dir := range []string{"testdata/docs", "testdata/other"} {
		ps, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, ps...) // Glob sorts
	}
	if len(paths) < 20 {
		t.Fatalf("only %d test documents found", len(paths))
	}
	var b strings.Builder
	b.WriteString("# The embedded engine's answers on testdata/docs and testdata/other with\n" +
		"# testRules (engine_test.go), a fresh engine per document. Rewrite with\n" +
		"# UPDATE_GOLDEN=1 go test ./internal/engine -run TestAnswersGolden\n")
	for _, p := range paths {
		r := New().Classify(readDoc(t, p), testRules)
		b.WriteString(answerLine(strings.TrimPrefix(filepath.ToSlash(p), "testdata/"), r))
	}
	testutil.Golden(t, "testdata/answers.golden", b.String())
}

// answerLine is one document's answer as the golden file records it.
func answerLine(name string, r Result) string {
	typ := r.Type
	if typ == "" {
		typ = "(none)"
	}
	// The runner-up of a filed document; for one no rule fits, the best.
	next := "-"
	switch {
	case r.None && len(r.Scores) > 0:
		next = fmt.Sprintf("best %s %.2f", r.Scores[0].Type, r.Scores[0].Score)
	case len(r.Scores) > 1:
		next = fmt.Sprintf("runner-up %s %.2f", r.Scores[1].Type, r.Scores[1].Score)
	}
	return fmt.Sprintf("\n%s\n  type %s, confidence %.2f, %s\n  evidence: %s\n",
		name, typ, r.Confidence, next, firstReason(r.Reasoning))
}

// leadingAnswer is the "invoice (0.97): " that opens a reasoning.
var leadingAnswer = regexp.MustCompile(`^\S+ \([0-9.]+\): `)

// firstReason is the first sentence of a reasoning, without the answer it
// opens with: what matched and the structure seen, or why no rule fits.
func firstReason(reasoning string) string {
	s := leadingAnswer.ReplaceAllString(reasoning, "")
	if i := strings.Index(s, ". Runner-up "); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, ".")
}
