package engine

import (
	"fmt"
	"strings"
)

// reasonFor explains a decision: the evidence for the winner and why the
// runner-up lost, in words a person can check against the document.
func reasonFor(best, second *ruleScore, conf float64, pulled string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%.2f): ", best.rm.typ, conf)
	ev := evidenceFor(best)
	if pulled != "" {
		ev = append(ev, pulled)
	}
	b.WriteString(strings.Join(ev, "; "))
	if second != nil {
		fmt.Fprintf(&b, ". Runner-up %s (score %.2f vs %.2f): %s", second.rm.typ, second.total, best.total,
			whyLower(second, best))
	}
	b.WriteString(".")
	return b.String()
}

// reasonNone explains why no rule was chosen.
func reasonNone(best *ruleScore, di *docInfo, minEv float64) string {
	if best == nil {
		return "no rule matches"
	}
	ev := evidenceFor(best)
	s := fmt.Sprintf("no rule matches: the best, %s, has evidence %.2f, below the evidence threshold %.2f", best.rm.typ,
		best.evidence(minEv)*minEv, minEv)
	if len(ev) > 0 && ev[0] != "little evidence" {
		s += " (only " + strings.Join(ev, "; ") + ")"
	}
	if di.nWords < 5 {
		s += "; the document has almost no text"
	}
	return s + "."
}

// reasonUnasked explains a document put aside as a kind no rule asks for.
func reasonUnasked(c *concept, h *conceptHit, best *ruleScore) string {
	var ev []string
	for _, e := range h.ev {
		if len(ev) == 4 {
			break
		}
		if e.cue {
			ev = append(ev, e.text)
		} else {
			ev = append(ev, fmt.Sprintf("%q", e.text))
		}
	}
	return fmt.Sprintf("no rule matches: the document looks like %s (%s), which no rule asks for; the best rule, %s, scores only %.2f",
		withArticle(c.label), strings.Join(ev, ", "), best.rm.typ, best.zeroShot)
}

// withArticle puts "a" or "an" before a noun phrase.
func withArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiouAEIOU", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// evidenceFor lists the strongest evidence behind a rule's score.
func evidenceFor(rs *ruleScore) []string {
	var parts []string
	var words, structure []string
	seen := map[string]bool{}
	addWord := func(w string) {
		if !seen[w] && len(words) < 6 {
			seen[w] = true
			words = append(words, fmt.Sprintf("%q", w))
		}
	}
	addCue := func(c string) {
		if !seen[c] && len(structure) < 5 {
			seen[c] = true
			structure = append(structure, c)
		}
	}
	if g := rs.genre; g != nil && g.s > 0.05 {
		for _, e := range g.ev {
			if e.cue {
				addCue(e.text)
			} else {
				addWord(e.text)
			}
		}
	}
	for _, a := range rs.aspects {
		if a.s < 0.3 || len(a.ev) == 0 {
			continue
		}
		e := a.ev[0]
		if e.cue {
			addCue(e.text)
		} else {
			addWord(e.text)
		}
	}
	for _, w := range rs.matched {
		addWord(w)
	}
	if len(words) > 0 {
		parts = append(parts, "matched "+strings.Join(words, ", "))
	}
	if len(structure) > 0 {
		parts = append(parts, "structure: "+strings.Join(structure, ", "))
	}
	if rs.nearest != "" {
		parts = append(parts, rs.nearest)
	}
	if len(parts) == 0 {
		parts = append(parts, "little evidence")
	}
	return parts
}

// whyLower names what the runner-up lacked compared with the winner.
func whyLower(loser, winner *ruleScore) string {
	var lacks []string
	if g := loser.genre; g != nil && g.s < 0.5 {
		lacks = append(lacks, "few "+g.act.c.label+" signs")
	}
	for _, a := range loser.aspects {
		if a.s < 0.25 && a.act.idf > 0.3 && a.act.a >= 0.4 && len(lacks) < 3 {
			lacks = append(lacks, "no "+a.act.c.label)
		}
	}
	if len(lacks) == 0 && len(loser.missing) > 0 {
		n := min(3, len(loser.missing))
		q := make([]string, n)
		for i := range q {
			q[i] = fmt.Sprintf("%q", loser.missing[i])
		}
		lacks = append(lacks, "no "+strings.Join(q, ", "))
	}
	if len(lacks) == 0 {
		if loser.genre != nil {
			return "weaker " + loser.genre.act.c.label + " evidence"
		}
		return "weaker evidence"
	}
	return strings.Join(lacks, ", ")
}
