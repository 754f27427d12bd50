package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifyd/classifyd/internal/engine"
)

// TestRulesCheck: rules check names the kinds a rule is about and from which
// words, the kinds a word named that it is not about, the fallback, the
// structure cues, the rule's words and overlapping rules.
func TestRulesCheck(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rules.yaml")
	os.WriteFile(cfg, []byte(`inbox: in
output: out
state: st
rules:
  - type: legislation
    description: "a bill or act debated in parliament, set out in numbered sections"
  - type: invoice
    description: "an invoice asking for payment of an amount due"
  - type: payables
    description: "a supplier invoice to pay"
  - type: manual
    description: "a manual page with its command-line options"
    knowledge: false
  - type: other
    description: "anything else"
    fallback: true
`), 0o644)
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"rules", "check", "--config", cfg}, &out, &errb); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	text := out.String()
	for _, want := range []string{
		"ignored:  invoice (from \"bill\"",  // a word of another kind, not the rule's kind
		"kinds:    invoice (from \"invoice", // the invoice rule is about invoices
		"other (fallback)",                  // the fallback is marked
		"manual (knowledge: false)",         // knowledge off is shown
		"numbered_headings",                 // the cue "numbered sections" looks at
		"overlaps: payables",                // two rules about invoices overlap
		"words:    legislation 2.00",        // type-name words weigh most
		"none (only stop words)",            // a rule with no words of its own
	} {
		if !strings.Contains(text, want) {
			t.Errorf("rules check output lacks %q:\n%s", want, text)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"rules", "check", "--config", cfg, "--json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var rep []engine.RuleReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || len(rep) != 5 {
		t.Fatalf("json: %v, %d rules", err, len(rep))
	}
	if rep[3].Knowledge || len(rep[3].Kinds) != 0 {
		t.Errorf("knowledge: false rule: %+v", rep[3])
	}
	if err := run(context.Background(), []string{"rules", "bogus"}, &out, &errb); err == nil {
		t.Error("an unknown action was accepted")
	}
}
