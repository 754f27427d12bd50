package engine

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestDevDebug prints concept scores of one text file (DEVFILE).
func TestDevDebug(t *testing.T) {
	p := os.Getenv("DEVFILE")
	if p == "" {
		t.Skip("DEVFILE not set")
	}
	b, _ := os.ReadFile(p)
	di := analyze(Doc{Text: string(b)})
	sc := newScorer(di)
	fmt.Printf("lang=%s words=%d\n", di.lang, di.nWords)
	for i, c := range cueDefs {
		if di.cues[i] != 0 {
			fmt.Printf("  cue %-20s raw=%.3f s=%.2f\n", c.name, di.cues[i], di.cue(cueID(i)))
		}
	}
	for _, c := range concepts {
		h := sc.concept(c)
		if !c.genre && os.Getenv("DEVALL") == "" {
			continue
		}
		var ev []string
		for _, e := range h.ev {
			ev = append(ev, fmt.Sprintf("%s:%.2f", e.text, e.value))
		}
		fmt.Printf("%-16s %.3f  %s\n", c.id, h.s, strings.Join(ev, ", "))
	}
}
