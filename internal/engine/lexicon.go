package engine

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A concept is a piece of general knowledge about documents: a kind of
// document ("invoice") or an aspect a description may ask for ("line
// items", "signatures"). Rule texts activate concepts through trigger
// phrases; documents show a concept through vocabulary (in several
// languages) and structure cues.
type concept struct {
	id       string
	label    string // how reasoning names it
	genre    bool   // a kind of document, not an aspect
	weak     bool   // a generic property (length, dates): little evidence of a kind on its own
	triggers []weighted[pattern]
	terms    []termRef
	cues     []weighted[cueID]
	scale    float64 // evidence at which the concept is ~63% present
}

type weighted[T any] struct {
	v T
	w float64
}

// pattern is a phrase of folded tokens; the last token may match a prefix.
type pattern struct {
	toks   []string
	prefix bool // last token is a prefix
	suffix bool // single token matched as a word ending (German/Dutch compounds: "*vertrag")
	text   string
}

// termRef is a concept's use of a lexicon term.
type termRef struct {
	idx  int
	w    float64 // negative: evidence against the concept
	name bool    // the name of the kind: strongest in the title and first lines
}

func (p pattern) String() string { return p.text }

// conceptSpec is the source form of a concept, as read from lexicon.yaml
// (the format is described at the top of that file): phrases and cue
// names with their weights, in the file's order. A trigger or term phrase
// may carry the markers '*' (a trailing '*' matches a word prefix, a
// leading '*' on a single word a word ending) and, on a term, a trailing
// '!' (the name of the kind).
type conceptSpec struct {
	id, label       string
	genre, weak     bool
	triggers, terms []weighted[string]
	cues            []weighted[string]
	scale           float64
}

// lexiconYAML is the genre lexicon.
//
//go:embed lexicon.yaml
var lexiconYAML []byte

// lexTerm is one distinct vocabulary pattern shared by all concepts; its
// count in a document is computed once.
var (
	lexTerms    []pattern
	lexFirst    map[string][]int // first token (exact) -> term indexes
	lexPrefix   map[string][]int // prefix of the first token -> single-token prefix terms
	lexPrefLens []int
	lexSuffix   map[string][]int // single-token suffix terms
	lexSufLens  []int
	concepts    []*concept
	conceptByID map[string]*concept
)

func init() {
	specs, err := parseLexicon(lexiconYAML)
	if err != nil {
		panic("engine: lexicon.yaml: " + err.Error())
	}
	buildLexicon(specs)
}

// buildLexicon compiles checked concept specs into concepts and the
// shared term table.
func buildLexicon(specs []conceptSpec) {
	lexFirst = map[string][]int{}
	lexPrefix = map[string][]int{}
	lexSuffix = map[string][]int{}
	sufLens := map[int]bool{}
	conceptByID = map[string]*concept{}
	termIndex := map[string]int{}
	lens := map[int]bool{}
	for _, spec := range specs {
		c := &concept{id: spec.id, label: spec.label, genre: spec.genre, weak: spec.weak, scale: spec.scale}
		if c.scale == 0 {
			c.scale = 1.5
			if c.genre {
				c.scale = 4
			}
		}
		for _, wp := range spec.triggers {
			c.triggers = append(c.triggers, weighted[pattern]{compilePattern(wp.v), wp.w})
		}
		for _, wp := range spec.terms {
			name := strings.HasSuffix(wp.v, "!")
			p := compilePattern(strings.TrimSuffix(wp.v, "!"))
			key := strings.TrimSuffix(strings.TrimSpace(wp.v), "!") // markers included: "vertrag*" is not "*vertrag"
			idx, ok := termIndex[key]
			if !ok {
				idx = len(lexTerms)
				termIndex[key] = idx
				lexTerms = append(lexTerms, p)
				first := p.toks[0]
				if p.suffix {
					lexSuffix[first] = append(lexSuffix[first], idx)
					sufLens[len(first)] = true
				} else if p.prefix && len(p.toks) == 1 {
					lexPrefix[first] = append(lexPrefix[first], idx)
					lens[len(first)] = true
				} else {
					lexFirst[first] = append(lexFirst[first], idx)
				}
			}
			c.terms = append(c.terms, termRef{idx, wp.w, name})
		}
		for _, wc := range spec.cues {
			id, _ := cueByName(wc.v)
			c.cues = append(c.cues, weighted[cueID]{id, wc.w})
		}
		conceptByID[c.id] = c
		concepts = append(concepts, c)
	}
	for l := range lens {
		lexPrefLens = append(lexPrefLens, l)
	}
	for l := range sufLens {
		lexSufLens = append(lexSufLens, l)
	}
}

// maxWeight bounds the weight of a trigger, term or cue.
const maxWeight = 3

var conceptIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// parseLexicon reads and checks a lexicon file: only the sections genres
// and aspects, only known keys, unique ids, known cue names, weights in
// [-maxWeight, maxWeight], well-formed phrases. Errors name the concept
// and the line.
func parseLexicon(data []byte) ([]conceptSpec, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("want a mapping with the sections genres and aspects")
	}
	root := doc.Content[0]
	var specs []conceptSpec
	ids := map[string]int{} // id -> line
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		genre := k.Value == "genres"
		if !genre && k.Value != "aspects" {
			return nil, fmt.Errorf("line %d: unknown section %q (want genres or aspects)", k.Line, k.Value)
		}
		if seen[k.Value] {
			return nil, fmt.Errorf("line %d: section %s given twice", k.Line, k.Value)
		}
		seen[k.Value] = true
		if v.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("line %d: %s: want a list of concepts (\"- id: ...\")", v.Line, k.Value)
		}
		for _, n := range v.Content {
			spec, err := parseConcept(n, genre)
			if err != nil {
				return nil, err
			}
			if l, dup := ids[spec.id]; dup {
				return nil, fmt.Errorf("concept %s (line %d): duplicate id, first at line %d", spec.id, n.Line, l)
			}
			ids[spec.id] = n.Line
			specs = append(specs, spec)
		}
	}
	if len(specs) == 0 {
		return nil, errors.New("no concepts")
	}
	return specs, nil
}

// parseConcept reads and checks one concept mapping.
func parseConcept(n *yaml.Node, genre bool) (conceptSpec, error) {
	spec := conceptSpec{genre: genre}
	if n.Kind != yaml.MappingNode {
		return spec, fmt.Errorf("line %d: a concept is a mapping (\"id: ...\", \"label: ...\")", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], n.Content[i+1]; k.Value == "id" && v.Kind == yaml.ScalarNode {
			spec.id = v.Value
		}
	}
	if spec.id == "" {
		return spec, fmt.Errorf("concept at line %d: no id", n.Line)
	}
	fail := func(line int, format string, args ...any) (conceptSpec, error) {
		return spec, fmt.Errorf("concept %s (line %d): %s", spec.id, line, fmt.Sprintf(format, args...))
	}
	if !conceptIDPattern.MatchString(spec.id) {
		return fail(n.Line, "id: want lower case letters, digits and _")
	}
	keys := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if keys[k.Value] {
			return fail(k.Line, "%s given twice", k.Value)
		}
		keys[k.Value] = true
		var err error
		switch k.Value {
		case "id":
		case "label":
			if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
				return fail(v.Line, "label: want a text")
			}
			spec.label = v.Value
		case "weak":
			err = v.Decode(&spec.weak)
		case "scale":
			err = v.Decode(&spec.scale)
			if err == nil && !(spec.scale > 0 && spec.scale <= 100) {
				return fail(v.Line, "scale %v: want a number above 0 (at most 100)", spec.scale)
			}
		case "triggers":
			spec.triggers, err = parseWeights(v, func(s string) error { return checkPhrase(s, false) })
		case "terms":
			spec.terms, err = parseWeights(v, func(s string) error { return checkPhrase(s, true) })
		case "cues":
			spec.cues, err = parseWeights(v, checkCue)
		default:
			return fail(k.Line, "unknown key %q (want id, label, weak, triggers, terms, cues, scale)", k.Value)
		}
		if err != nil {
			return fail(k.Line, "%s: %v", k.Value, err)
		}
	}
	if spec.label == "" {
		return fail(n.Line, "no label")
	}
	return spec, nil
}

// parseWeights reads {phrase: weight, ...}, or a list of such mappings,
// in order. A phrase may be given once per mapping.
func parseWeights(n *yaml.Node, check func(string) error) ([]weighted[string], error) {
	groups := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		groups = n.Content
	}
	var out []weighted[string]
	for _, g := range groups {
		if g.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: want {phrase: weight, ...}", g.Line)
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(g.Content); i += 2 {
			k, v := g.Content[i], g.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: want a phrase", k.Line)
			}
			if seen[k.Value] {
				return nil, fmt.Errorf("line %d: %q given twice in one mapping", k.Line, k.Value)
			}
			seen[k.Value] = true
			if err := check(k.Value); err != nil {
				return nil, fmt.Errorf("line %d: %q: %v", k.Line, k.Value, err)
			}
			var w float64
			if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") || v.Decode(&w) != nil {
				return nil, fmt.Errorf("line %d: %q: weight %q is not a number", v.Line, k.Value, v.Value)
			}
			if !(w >= -maxWeight && w <= maxWeight) {
				return nil, fmt.Errorf("line %d: %q: weight %v outside [-%d, %d]", v.Line, k.Value, w, maxWeight, maxWeight)
			}
			out = append(out, weighted[string]{k.Value, w})
		}
	}
	return out, nil
}

// checkPhrase checks the markers and words of a trigger or term phrase.
func checkPhrase(s string, term bool) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errors.New("empty phrase")
	}
	if strings.HasSuffix(s, "!") {
		if !term {
			return errors.New("'!' (the name of the kind) is for terms, not triggers")
		}
		s = strings.TrimSuffix(s, "!")
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "*"), "*")
	if strings.Contains(inner, "*") {
		return errors.New("'*' may only start a single word or end a phrase")
	}
	if strings.Contains(inner, "!") {
		return errors.New("'!' may only end a term")
	}
	p, err := parsePattern(s)
	if err != nil {
		return err
	}
	if len(p.toks) == 0 {
		return errors.New("no words in phrase")
	}
	return nil
}

// checkCue checks a cue name.
func checkCue(name string) error {
	if _, ok := cueByName(name); ok {
		return nil
	}
	names := make([]string, len(cueDefs))
	for i, c := range cueDefs {
		names[i] = c.name
	}
	return fmt.Errorf("unknown cue (known: %s)", strings.Join(names, ", "))
}

// compilePattern compiles a checked phrase (see parsePattern).
func compilePattern(s string) pattern {
	p, err := parsePattern(s)
	if err != nil {
		panic("engine: " + err.Error())
	}
	return p
}

// parsePattern compiles a phrase: a leading '*' makes a single word a
// suffix, a trailing '*' makes the last word a prefix.
func parsePattern(s string) (pattern, error) {
	s = strings.TrimSpace(s)
	suffix := strings.HasPrefix(s, "*")
	s = strings.TrimPrefix(s, "*")
	prefix := strings.HasSuffix(s, "*")
	s = strings.TrimSuffix(s, "*")
	toks := tokenize(fold(s), 0)
	if suffix && (prefix || len(toks) != 1) {
		return pattern{}, fmt.Errorf("a suffix pattern ('*' first) is one word with no '*' after it: %q", s)
	}
	text := strings.TrimSpace(s)
	if prefix {
		text += "…"
	}
	if suffix {
		text = "…" + text
	}
	return pattern{toks: toks, prefix: prefix, suffix: suffix, text: text}, nil
}

// matchAt reports whether p matches tokens starting at i.
func (p pattern) matchAt(tokens []string, i int) bool {
	if i+len(p.toks) > len(tokens) {
		return false
	}
	if p.suffix {
		return strings.HasSuffix(tokens[i], p.toks[0])
	}
	last := len(p.toks) - 1
	for k, t := range p.toks {
		got := tokens[i+k]
		if k == last && p.prefix {
			if !strings.HasPrefix(got, t) {
				return false
			}
		} else if got != t {
			return false
		}
	}
	return true
}

// headTokens is how many tokens count as the top of a document.
const headTokens = 80

// lexCounts counts every lexicon term in the document's tokens, and in
// the top of the document (head).
func lexCounts(tokens []string, counts map[string]int) (out, head []int32) {
	out = make([]int32, len(lexTerms))
	head = make([]int32, len(lexTerms))
	for i, w := range tokens[:min(len(tokens), headTokens)] {
		for _, l := range lexPrefLens {
			if len(w) >= l {
				for _, idx := range lexPrefix[w[:l]] {
					head[idx]++
				}
			}
		}
		for _, idx := range lexFirst[w] {
			if lexTerms[idx].matchAt(tokens, i) {
				head[idx]++
			}
		}
		for _, l := range lexSufLens {
			if len(w) > l {
				for _, idx := range lexSuffix[w[len(w)-l:]] {
					head[idx]++
				}
			}
		}
	}
	// single-token prefix terms: resolve once per distinct token
	for w, n := range counts {
		for _, l := range lexPrefLens {
			if len(w) >= l {
				for _, idx := range lexPrefix[w[:l]] {
					out[idx] += int32(n)
				}
			}
		}
		for _, idx := range lexFirst[w] {
			if len(lexTerms[idx].toks) == 1 && !lexTerms[idx].prefix {
				out[idx] += int32(n)
			}
		}
		for _, l := range lexSufLens {
			if len(w) > l {
				for _, idx := range lexSuffix[w[len(w)-l:]] {
					out[idx] += int32(n)
				}
			}
		}
	}
	// phrases: scan positions of their first token
	for i, w := range tokens {
		for _, idx := range lexFirst[w] {
			p := lexTerms[idx]
			if (len(p.toks) > 1 || p.prefix) && p.matchAt(tokens, i) {
				out[idx]++
			}
		}
	}
	return out, head
}

// evidence is one piece of evidence for a concept in a document.
type evidence struct {
	text  string  // "invoice number" or "12 price lines"
	value float64 // contribution
	cue   bool
}

// conceptScore is how strongly a document shows a concept, 0..1, with the
// evidence that made it.
func conceptScore(c *concept, di *docInfo, lc, head []int32) (float64, []evidence) {
	e := 0.0
	var ev []evidence
	// Counts are damped by length so that long documents do not win
	// vocabulary evidence by mentioning everything once.
	damp := 1 + float64(di.nWords)/2500
	for _, t := range c.terms {
		n := lc[t.idx]
		if n == 0 {
			continue
		}
		g := 1 - math.Exp(-float64(n)/damp-0.3)
		if t.name {
			g = 0.35 * g
			if head[t.idx] > 0 {
				g += 0.65
			}
		}
		v := t.w * g
		e += v
		if v > 0 {
			ev = append(ev, evidence{text: lexTerms[t.idx].text, value: v})
		}
	}
	for _, q := range c.cues {
		s := di.cue(q.v)
		if s < 0.05 {
			continue
		}
		v := q.w * s
		e += v
		ev = append(ev, evidence{text: cueDefs[q.v].describe(di.cues[q.v]), value: v, cue: true})
	}
	return 1 - math.Exp(-max(0, e)/c.scale), ev
}
