package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

// WriteText prints the report for a person. base, if set, shortens file
// paths relative to it.
func (r Report) WriteText(w io.Writer, base string) error {
	bw := &errWriter{w: w}
	mode := "zero-shot (rules only)"
	if r.Examples > 0 {
		mode = fmt.Sprintf("%d examples per type learned, evaluated on the rest", r.Examples)
	}
	switch {
	case r.BatchSize == 1:
		mode += ", one file at a time in arrival order (as the daemon)"
	case r.BatchSize > 1:
		mode += fmt.Sprintf(", in arrival order, %d files a batch (as the daemon)", r.BatchSize)
	case r.SelfTrain:
		mode += ", all files as one batch"
	}
	bw.printf("Mode:      %s\n", mode)
	bw.printf("Files:     %d per run, %d run(s)\n", r.Files, r.Runs)
	bw.printf("Accuracy:  %.1f%% (%d/%d)", 100*r.Accuracy, r.Correct, r.Evaluated)
	if len(r.RunAccuracy) > 1 {
		var ps []string
		for _, a := range r.RunAccuracy {
			ps = append(ps, fmt.Sprintf("%.1f%%", 100*a))
		}
		bw.printf("  per run: %s", strings.Join(ps, " "))
	}
	bw.printf("\nECE:       %.3f (10 bins)   Brier: %.3f\n", r.ECE, r.Brier)
	if r.Threshold > 0 {
		bw.printf("At confidence >= %.2f: %.1f%% of files filed, %.1f%% of them right\n",
			r.Threshold, 100*r.Coverage, 100*r.CovAccuracy)
		bw.printf("Filed in a wrong type folder (wrong type at confidence >= %.2f): %.1f%% (%d)\n",
			r.Threshold, 100*r.WrongFiled, r.WrongFiledN)
	}
	bw.printf("\n")
	width := len("(none)")
	for _, t := range r.Types {
		width = max(width, len(t))
	}
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tprecision\trecall\tF1\tsupport\t\n", width, "type")
	for _, s := range r.PerType {
		fmt.Fprintf(tw, "%-*s\t%.3f\t%.3f\t%.3f\t%d\t\n", width, name(s.Type), s.Precision, s.Recall, s.F1, s.Support)
	}
	tw.Flush()
	bw.printf("\nConfusion (rows: labelled, columns: predicted, numbered as the rows)\n")
	tw = tabwriter.NewWriter(bw, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\t", width+3, "")
	for i := range r.Types {
		fmt.Fprintf(tw, "%d\t", i+1)
	}
	fmt.Fprintf(tw, "\n")
	for i, want := range r.Types {
		fmt.Fprintf(tw, "%2d %-*s\t", i+1, width, name(want))
		for _, got := range r.Types {
			if n := r.Confusion[want][got]; n > 0 {
				fmt.Fprintf(tw, "%d\t", n)
			} else {
				fmt.Fprintf(tw, ".\t")
			}
		}
		fmt.Fprintf(tw, "\n")
	}
	tw.Flush()
	if len(r.Wrong) > 0 {
		bw.printf("\nWrong (%d):\n", len(r.Wrong))
		for _, p := range r.Wrong {
			path := p.Path
			if base != "" {
				if rel, err := filepath.Rel(base, path); err == nil {
					path = rel
				}
			}
			seed := ""
			if r.Runs > 1 {
				seed = fmt.Sprintf(" [seed %d]", p.Seed)
			}
			bw.printf("  %s%s: labelled %s, got %s (%.2f)\n      %s\n", path, seed, name(p.Want), name(p.Got),
				p.Confidence, p.Reasoning)
		}
	}
	return bw.err
}

// WriteJSON writes the report as one JSON document.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func name(t string) string {
	if t == "" {
		return "(none)"
	}
	return t
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, a ...any) { fmt.Fprintf(e, format, a...) }
