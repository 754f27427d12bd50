package engine

import (
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestLexiconFile: the embedded lexicon.yaml passes the checks, and its
// header lists every cue name.
func TestLexiconFile(t *testing.T) {
	specs, err := parseLexicon(lexiconYAML)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != len(concepts) {
		t.Fatalf("%d specs, %d concepts", len(specs), len(concepts))
	}
	header, _, _ := strings.Cut(string(lexiconYAML), "\ngenres:")
	for _, c := range cueDefs {
		if !strings.Contains(header, "#   "+c.name+" ") {
			t.Errorf("the header of lexicon.yaml does not list the cue %s", c.name)
		}
	}
}

// TestLexiconErrors: each mistake in a lexicon file is an error naming the
// concept and the problem.
func TestLexiconErrors(t *testing.T) {
	const ok = `
genres:
  - id: invoice
    label: invoice
    triggers: {invoice*: 1, bill: 0.9, '*rechnung': 1}
    terms: {invoice*!: 2, amount due: 1.5, cashier: -1}
    cues: {price_lines: 1, prose: -0.5}
aspects:
  - id: dates
    label: dates
    weak: true
    triggers:
      - {date: 1, dated: 1}
      - {date: 0.5}
    cues: {dates: 1}
    scale: 1
`
	specs, err := parseLexicon([]byte(ok))
	if err != nil {
		t.Fatalf("valid snippet: %v", err)
	}
	if len(specs) != 2 || !specs[0].genre || specs[1].genre || !specs[1].weak || len(specs[1].triggers) != 3 ||
		specs[0].terms[2] != (weighted[string]{"cashier", -1}) {
		t.Fatalf("valid snippet read as %+v", specs)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"not yaml", "genres: [", "did not find expected"},
		{"not a mapping", "- id: x", "sections genres and aspects"},
		{"empty", "", "sections genres and aspects"},
		{"no concepts", "genres: []", "no concepts"},
		{"unknown section", "genre:\n  - {id: x, label: x}", `unknown section "genre"`},
		{"section twice", "genres: []\ngenres: []", "section genres given twice"},
		{"section not a list", "genres: {id: x}", "want a list of concepts"},
		{"concept not a mapping", "genres: [x]", "a concept is a mapping"},
		{"no id", "genres:\n  - {label: x}", "no id"},
		{"bad id", "genres:\n  - {id: Bad-Id, label: x}", "concept Bad-Id (line 2): id: want lower case"},
		{"no label", "genres:\n  - {id: x}", "concept x (line 2): no label"},
		{"unknown key", "genres:\n  - {id: x, label: x, trigers: {a: 1}}", `concept x (line 2): unknown key "trigers"`},
		{"genre key", "genres:\n  - {id: x, label: x, genre: true}", `concept x (line 2): unknown key "genre"`},
		{"key twice", "genres:\n  - id: x\n    label: x\n    label: y", "concept x (line 4): label given twice"},
		{"duplicate id", "genres:\n  - {id: x, label: x}\naspects:\n  - {id: x, label: y}", "concept x (line 4): duplicate id, first at line 2"},
		{"unknown cue", "genres:\n  - {id: x, label: x, cues: {price_line: 1}}", `concept x (line 2): cues: line 2: "price_line": unknown cue (known: price_lines,`},
		{"weight too big", "genres:\n  - {id: x, label: x, terms: {iban: 3.5}}", `concept x (line 2): terms: line 2: "iban": weight 3.5 outside [-3, 3]`},
		{"weight too small", "genres:\n  - {id: x, label: x, triggers: {iban: -4}}", `"iban": weight -4 outside [-3, 3]`},
		{"weight not a number", "genres:\n  - {id: x, label: x, terms: {iban: high}}", `"iban": weight "high" is not a number`},
		{"weight quoted", "genres:\n  - {id: x, label: x, terms: {iban: '1'}}", `"iban": weight "1" is not a number`},
		{"weight NaN", "genres:\n  - {id: x, label: x, terms: {iban: .nan}}", `"iban": weight NaN outside`},
		{"weight missing", "genres:\n  - {id: x, label: x, terms: {iban}}", `"iban": weight "" is not a number`},
		{"empty trigger", "genres:\n  - {id: x, label: x, triggers: {'': 1}}", `concept x (line 2): triggers: line 2: "": empty phrase`},
		{"empty term", "genres:\n  - {id: x, label: x, terms: {' ': 1}}", `concept x (line 2): terms: line 2: " ": empty phrase`},
		{"no words", "genres:\n  - {id: x, label: x, terms: {'- /': 1}}", "no words in phrase"},
		{"star inside", "genres:\n  - {id: x, label: x, terms: {in*voice: 1}}", `"in*voice": '*' may only start a single word or end a phrase`},
		{"star both ends", "genres:\n  - {id: x, label: x, terms: {'*voice*': 1}}", `"*voice*": a suffix pattern`},
		{"suffix of two words", "genres:\n  - {id: x, label: x, terms: {'*tax id': 1}}", `"*tax id": a suffix pattern`},
		{"name in trigger", "genres:\n  - {id: x, label: x, triggers: {invoice!: 1}}", `"invoice!": '!' (the name of the kind) is for terms`},
		{"bang inside", "genres:\n  - {id: x, label: x, terms: {in!voice: 1}}", `"in!voice": '!' may only end a term`},
		{"phrase twice", "genres:\n  - {id: x, label: x, terms: {iban: 1, iban: 2}}", `"iban" given twice in one mapping`},
		{"terms as list of text", "genres:\n  - {id: x, label: x, terms: [iban]}", "concept x (line 2): terms: line 2: want {phrase: weight, ...}"},
		{"terms as text", "genres:\n  - {id: x, label: x, terms: iban=1}", "want {phrase: weight, ...}"},
		{"bad scale", "genres:\n  - {id: x, label: x, scale: 0}", "concept x (line 2): scale 0: want a number above 0"},
		{"scale not a number", "genres:\n  - {id: x, label: x, scale: big}", "concept x (line 2): scale:"},
		{"weak not a bool", "genres:\n  - {id: x, label: x, weak: maybe}", "concept x (line 2): weak:"},
	} {
		_, err := parseLexicon([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

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
