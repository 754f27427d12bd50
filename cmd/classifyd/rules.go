package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/classifyd/classifyd/internal/engine"
)

const rulesHelp = `Usage: classifyd rules check [flags]

Shows what the embedded engine makes of each rule of a configuration, so a
rule that does not do what its author meant can be fixed before any file is
filed:

  kinds     built-in kinds of document the rule is about, and the words
            that said so (a kind joins a rule only when its type name names
            it, or two different words of the rule point to it)
  ignored   kinds a word of the rule names that the rule is not about
            ("bill" in "a bill debated in parliament" is not an invoice)
  asks for  aspects of the description and the structure cues they look at
            (numbered sections, dialogue, option lines, verse, dated entries...)
  words     the rule's own words, strongest first (type-name words weigh
            more, words other rules share less)
  overlaps  other rules with similar words or the same kind: files may go
            either way between them; say what tells them apart

A rule with "knowledge: false" uses only its own words; "fallback: true"
marks the rule that takes what no other rule fits.

Examples:
  classifyd rules check --config /etc/classifyd/classifyd.yaml
  classifyd rules check --config rules.yaml --json
`

func cmdRules(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file with the rules (default: built-in example rules)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() { printHelp(stderr, rulesHelp, fs) }
	if len(args) > 0 && args[0] == "check" {
		args = args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "rules: unknown argument %q (the only action is check)\n", fs.Arg(0))
		fs.Usage()
		return errExit{2}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if len(cfg.Rules) == 0 {
		return fmt.Errorf("rules: the configuration has no rules")
	}
	rep := engine.New().ExplainRules(cfg.APIRules())
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	writeRulesReport(stdout, rep)
	return nil
}

func writeRulesReport(w io.Writer, rep []engine.RuleReport) {
	acts := func(as []engine.Activation) string {
		var parts []string
		for _, a := range as {
			parts = append(parts, fmt.Sprintf("%s (from %q, %.2f)", a.Label, a.Trigger, a.Weight))
		}
		return strings.Join(parts, ", ")
	}
	for i, r := range rep {
		if i > 0 {
			fmt.Fprintln(w)
		}
		head := r.Type
		if r.Fallback {
			head += " (fallback)"
		}
		if !r.Knowledge {
			head += " (knowledge: false)"
		}
		fmt.Fprintln(w, head)
		switch {
		case len(r.Kinds) > 0:
			fmt.Fprintf(w, "  kinds:    %s\n", acts(r.Kinds))
		case r.Knowledge:
			fmt.Fprintln(w, "  kinds:    none the engine knows: decided by the rule's own words")
		}
		if len(r.Ignored) > 0 {
			fmt.Fprintf(w, "  ignored:  %s\n", acts(r.Ignored))
		}
		if len(r.Aspects) > 0 {
			fmt.Fprintf(w, "  asks for: %s\n", acts(r.Aspects))
		}
		if len(r.Cues) > 0 {
			fmt.Fprintf(w, "  cues:     %s\n", strings.Join(r.Cues, ", "))
		}
		var words []string
		for _, wd := range r.Words {
			words = append(words, fmt.Sprintf("%s %.2f", wd.Word, wd.Weight))
		}
		if len(words) == 0 && len(r.Kinds) > 0 {
			words = []string{"none beyond the kind's name"}
		} else if len(words) == 0 {
			words = []string{"none (only stop words): the rule cannot match anything by its words"}
		}
		fmt.Fprintf(w, "  words:    %s\n", strings.Join(words, ", "))
		fmt.Fprintf(w, "  weight of its own words against built-in knowledge: %.2f\n", r.TextWeight)
		for _, o := range r.Overlaps {
			fmt.Fprintf(w, "  overlaps: %s (similarity %.2f; shared: %s)\n", o.Type, o.Similarity, strings.Join(o.Shared, ", "))
		}
	}
}
