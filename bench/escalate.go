package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/classifyd/classifyd/internal/cloudtest"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/sorter"
)

// runEscalate measures "local first, LlamaCloud when unsure" over the dev-b
// corpus (116 documents of 8 types the engine has no built-in knowledge
// of): the real binary's embedded engine, escalating to a stand-in of
// LlamaCloud that answers each document's known label (confidence 0.95),
// at several escalate.below thresholds. The documents arrive twenty at a
// time (one `classifyd once` each, the same state and engine state), so
// what the answers taught shows in the later parts. Accuracy is the share
// of files filed under their label's type; the stand-in is always right,
// so it measures what the engine decided alone and how often it asked.
func runEscalate(ctx context.Context, e *env) ([]*table, error) {
	devb := filepath.Join(e.root, "..", "shared", "corpus", "dev-b")
	if e.corpus != "" {
		devb = filepath.Join(filepath.Dir(e.corpus), "dev-b")
	}
	names, labels, err := readLabels(filepath.Join(devb, "labels.csv"))
	if err != nil {
		e.logf("escalate: dev-b corpus not found at %s: skipped (%v)", devb, err)
		return nil, nil
	}
	bcfg, err := config.Load(filepath.Join(devb, "rules.yaml"))
	if err != nil {
		return nil, err
	}
	written, terse := "rules:\n", "rules:\n"
	for _, r := range bcfg.Rules {
		written += fmt.Sprintf("  - type: %s\n    description: %q\n", r.Type, r.Description)
		terse += fmt.Sprintf("  - type: %s\n    description: %q\n", r.Type, "a document of the kind "+r.Type)
	}
	srv := cloudtest.New(cloudtest.Options{Label: func(name string, _ []byte) cloudtest.Answer {
		return cloudtest.Answer{Type: labels[name], Confidence: 0.95, Reasoning: "known label"}
	}})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	t := &table{
		title:  fmt.Sprintf("Local first, LlamaCloud when unsure: dev-b corpus (%d documents, 8 types unknown to the engine), twenty at a time", len(names)),
		header: []string{"rules", "escalate.below", "escalated", "first 20", "next 96", "pages sent", "accuracy", "engine alone"},
	}
	dir, err := e.mkdir(e.work, "escalate")
	if err != nil {
		return nil, err
	}
	defer e.cleanup(dir)
	for _, rs := range []struct{ name, rules string }{{"dev-b rules.yaml", written}, {"type names only", terse}} {
		alone := ""
		for _, below := range []float64{0, 0.5, 0.7, 0.85} {
			run := filepath.Join(dir, fmt.Sprintf("%s-%v", strings.Fields(rs.name)[0], below))
			in, out := filepath.Join(run, "inbox"), filepath.Join(run, "out")
			if err := os.MkdirAll(in, 0o755); err != nil {
				return nil, err
			}
			esc := "escalate: {enabled: false}\n"
			if below > 0 {
				esc = fmt.Sprintf("escalate: {enabled: true, below: %v, files_per_day: 10000, backend: {base_url: %q}}\n", below, ts.URL)
			}
			cfg := filepath.Join(run, "classifyd.yaml")
			y := fmt.Sprintf("inbox: %q\noutput: %q\nstate: %q\nmin_confidence: 0\n%s%s", in, out, filepath.Join(run, "state", "classifyd.db"), esc, rs.rules)
			if err := os.WriteFile(cfg, []byte(y), 0o644); err != nil {
				return nil, err
			}
			jobs0 := srv.Jobs()
			var parts []int
			for i := 0; i < len(names); i += 20 {
				for _, n := range names[i:min(i+20, len(names))] {
					b, err := os.ReadFile(filepath.Join(devb, n))
					if err != nil {
						return nil, err
					}
					if err := os.WriteFile(filepath.Join(in, filepath.Base(n)), b, 0o644); err != nil {
						return nil, err
					}
				}
				before := srv.Jobs()
				if _, err := runOnce(ctx, e, cfg, filepath.Join(run, fmt.Sprintf("once-%d.log", i))); err != nil {
					return []*table{t}, err
				}
				parts = append(parts, srv.Jobs()-before)
			}
			right, pages := 0, 0
			err := sorter.ReadJournal(filepath.Join(out, sorter.JournalName), func(en sorter.Entry) error {
				if en.Folder == en.Type && en.Type == labels[filepath.Base(en.Source)] {
					right++
				}
				if x := en.Escalation; x != nil && x.Decided == "remote" {
					pages += x.Pages
				}
				return nil
			})
			if err != nil {
				return []*table{t}, err
			}
			total := srv.Jobs() - jobs0
			rest := total - parts[0]
			acc := fmt.Sprintf("%.1f%%", 100*float64(right)/float64(len(names)))
			if below == 0 {
				alone = acc
			}
			row := []string{rs.name, "off", "0", "–", "–", "0", acc, alone}
			if below > 0 {
				row = []string{rs.name, fmt.Sprint(below), fmt.Sprintf("%d (%.0f%%)", total, 100*float64(total)/float64(len(names))),
					fmt.Sprintf("%.0f%%", 100*float64(parts[0])/20), fmt.Sprintf("%.0f%%", 100*float64(rest)/float64(len(names)-20)),
					fmt.Sprint(pages), acc, alone}
			}
			e.logf("escalate: %s below %v: escalated %v, accuracy %s", rs.name, below, parts, acc)
			t.add(row...)
		}
	}
	t.note("The stand-in LlamaCloud answers every document's true label at confidence 0.95 (above learn_above 0.8, so every answer teaches the engine): accuracy is the engine's own on what it kept plus the escalated files.")
	t.note("Each part of twenty is one `classifyd once` run on the same state; \"first 20\" and \"next 96\" are the shares escalated, which fall as the answers teach the engine.")
	t.note("pages sent: what a bill counts (escalate.pages_per_file 3, parsing.max_pages 10; page-less formats count 1).")
	return []*table{t}, nil
}

func readLabels(path string) (names []string, labels map[string]string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, nil, err
	}
	labels = map[string]string{}
	for _, r := range rows[1:] {
		names = append(names, r[0])
		labels[filepath.Base(r[0])] = r[1]
	}
	return names, labels, nil
}
