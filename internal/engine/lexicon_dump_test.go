package engine

import (
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// dumpConcepts writes the compiled lexicon (every concept with its
// triggers, terms and cues, and the shared term table) as text, so that a
// change of the lexicon's source form can be checked to compile to the
// same concepts.
func dumpConcepts() string {
	var b strings.Builder
	w := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	pat := func(p pattern) string {
		return fmt.Sprintf("%q prefix=%v suffix=%v text=%q", p.toks, p.prefix, p.suffix, p.text)
	}
	fmt.Fprintf(&b, "terms %d\n", len(lexTerms))
	for i, p := range lexTerms {
		fmt.Fprintf(&b, "term %d %s\n", i, pat(p))
	}
	fmt.Fprintf(&b, "concepts %d\n", len(concepts))
	for _, c := range concepts {
		fmt.Fprintf(&b, "concept %s label=%q genre=%v weak=%v scale=%s byID=%v\n",
			c.id, c.label, c.genre, c.weak, w(c.scale), conceptByID[c.id] == c)
		for _, t := range c.triggers {
			fmt.Fprintf(&b, "  trigger %s %s\n", w(t.w), pat(t.v))
		}
		for _, t := range c.terms {
			fmt.Fprintf(&b, "  term %d %s name=%v\n", t.idx, w(t.w), t.name)
		}
		for _, q := range c.cues {
			fmt.Fprintf(&b, "  cue %d %s %s\n", q.v, cueDefs[q.v].name, w(q.w))
		}
	}
	return b.String()
}

// TestLexiconGolden: the compiled concepts are the ones recorded in
// testdata/lexicon.golden (recorded from the Go-literal lexicon the YAML
// file replaced). After a deliberate change of the lexicon, rewrite it
// with UPDATE_LEXICON_GOLDEN=1.
func TestLexiconGolden(t *testing.T) {
	got := dumpConcepts()
	const file = "testdata/lexicon.golden"
	if os.Getenv("UPDATE_LEXICON_GOLDEN") != "" {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("compiled lexicon differs from %s at line %d:\n got  %s\n want %s", file, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("compiled lexicon differs from %s: %d lines, want %d", file, len(gl), len(wl))
	}
	t.Logf("lexicon dump sha256 %x", sha256.Sum256([]byte(got)))
}
