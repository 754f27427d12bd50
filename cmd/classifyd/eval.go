package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/classify"
	"github.com/classifyd/classifyd/internal/engine"
	"github.com/classifyd/classifyd/internal/eval"
	"github.com/classifyd/classifyd/internal/extract"
)

const evalHelp = `Usage: classifyd eval [flags] DIR
       classifyd eval [flags] --labels labels.csv

Measures the embedded engine against labelled documents and prints the
accuracy, per-type precision/recall/F1, the confusion matrix, the expected
calibration error (ECE) of the confidences and every file it got wrong with
its reasoning.

Labels come from DIR (one subfolder per type, every file below it is of that
type) or from a CSV with a header and at least the columns path and type
(paths relative to the CSV's folder). A label that is no rule's type
expects "no type" (use it for unrelated documents).

Zero-shot by default: the engine knows only the rules. --examples N draws N
files per type from the labelled set, learns them and evaluates on the rest;
--runs R repeats that with seeds S, S+1, ... and averages.

The files are classified as the daemon classifies an inbox: in arrival order
(the order of the CSV, or of the folder listing), --batch files at a time
(default: the configuration's batch.size), each batch weighing the documents
seen before it (see "How the engine decides" in the README). --batch 1 is a
drop folder that receives one file at a time; --batch 0 classifies all files
as one batch. The report says what share of the files would be filed in a
wrong type folder (a wrong type at or above min_confidence).

Examples:
  classifyd eval --config rules.yaml ./labelled
  classifyd eval --config rules.yaml --labels corpus/labels.csv
  classifyd eval --config rules.yaml --labels corpus/labels.csv --examples 5 --runs 3
  classifyd eval --config rules.yaml --labels corpus/labels.csv --batch 1
  classifyd eval --config paraphrased.yaml --labels corpus/labels.csv --map invoice=bill,receipt=till_slip
  classifyd eval --labels corpus/labels.csv --json > report.json
`

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file with the rules (default: built-in example rules)")
	labels := fs.String("labels", "", "CSV of labels (columns path,type; paths relative to the CSV)")
	examples := fs.Int("examples", 0, "examples per type to learn before evaluating on the rest (0 = zero-shot)")
	seed := fs.Int64("seed", 1, "seed of the example draw")
	runs := fs.Int("runs", 1, "runs with seeds seed, seed+1, ... (averaged)")
	batch := fs.Int("batch", -1, "files classified together, in arrival order (default: the config's batch.size; 1: one at a time; 0: all at once)")
	selfTrain := fs.Bool("self-train", engine.SelfTrainByDefault, "kept for older scripts: --self-train=false is --batch 1")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	mapping := fs.String("map", "", "rename labels to rule types: label=type,label=type")
	mode := fs.String("mode", "", "FAST or MULTIMODAL (default: the config's mode)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "files extracted at once")
	fs.Usage = func() { printHelp(stderr, evalHelp, fs) }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*labels == "") == (fs.NArg() == 0) || fs.NArg() > 1 {
		fmt.Fprintln(stderr, "eval: give either a folder of type subfolders or --labels CSV")
		fs.Usage()
		return errExit{2}
	}
	if *examples < 0 || *runs < 1 || *batch < -1 {
		return fmt.Errorf("eval: --examples and --batch must be >= 0 and --runs >= 1")
	}
	typeMap, err := parseMap(*mapping)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if len(cfg.Rules) == 0 {
		return fmt.Errorf("eval: the configuration has no rules")
	}
	if *mode != "" {
		cfg.Mode = api.Mode(strings.ToUpper(*mode))
		if !cfg.Mode.Valid() {
			return fmt.Errorf("--mode %q: want FAST or MULTIMODAL", *mode)
		}
	}
	var items []eval.Item
	base := ""
	if *labels != "" {
		items, err = eval.LoadLabels(*labels)
		base = filepath.Dir(*labels)
	} else {
		items, err = eval.LoadDir(fs.Arg(0))
		base = fs.Arg(0)
	}
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, "", "warn")
	if err != nil {
		return err
	}
	ext, err := extract.New(extract.Config{Logger: log, CacheDir: extract.DefaultCacheDir()})
	if err != nil {
		return err
	}
	defer ext.Close()
	p := classify.New(classify.Options{Extractor: ext, Logger: log})
	docs, err := eval.Extract(ctx, p, items, classify.ExtractOptions(cfg.Mode, cfg.ParsingConfiguration()), *workers)
	if err != nil {
		return err
	}
	o := eval.Options{Rules: cfg.APIRules(), TypeMap: typeMap, Examples: *examples, SelfTrain: true,
		Threshold: cfg.MinConfidence, BatchSize: *batch}
	switch {
	case !*selfTrain && *batch < 0:
		o.BatchSize = 1
	case *batch < 0:
		o.BatchSize = cfg.Batch.Size
	}
	newEngine := func() *engine.Engine {
		e := engine.New()
		e.MinEvidence = cfg.MinEvidence
		return e
	}
	o.NewEngine = newEngine
	for i := 0; i < *runs; i++ {
		o.Seeds = append(o.Seeds, *seed+int64(i))
	}
	rep := eval.Run(docs, o)
	if *asJSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteText(stdout, base)
}

// parseMap reads "label=type,label=type".
func parseMap(s string) (map[string]string, error) {
	m := map[string]string{}
	if s == "" {
		return m, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("--map %q: want label=type,label=type", s)
		}
		m[k] = v
	}
	return m, nil
}
