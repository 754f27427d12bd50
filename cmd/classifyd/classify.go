package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/classify"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/engine"
	"github.com/classifyd/classifyd/internal/extract"
	"golang.org/x/sync/errgroup"
)

const classifyHelp = `Usage: classifyd classify [flags] PATH...

Classifies files with the embedded engine and prints one JSON line per file,
in the order given (folders are walked, hidden files skipped):

  {"file":"scan.pdf","type":"invoice","confidence":0.93,"reasoning":"..."}

"type" is null when no rule fits; a file that cannot be read gets
"type":null and an "error". Nothing is moved. The engine uses the rules of
--config (without it, the built-in example rules), learns the files in each
rule's examples folder, and what it learned while running as a daemon (the
engine state next to the config's state file: corrections, examples and the
documents it has seen), unless --no-learned. Files are classified as the
daemon classifies them: in the order given, --batch at a time (default the
config's batch.size), each batch weighed against the documents seen before
it, so the answer is the one the daemon would give.

Exit status: 0 when every file was read, 1 when any file failed.

Examples:
  classifyd classify invoice.pdf
  classifyd classify --config rules.yaml ~/Scans
  classifyd classify --config rules.yaml --mode multimodal photo.jpg | jq .type
  classifyd classify --config rules.yaml --batch 1 /srv/backlog
`

// classifyLine is one line of output.
type classifyLine struct {
	File       string  `json:"file"`
	Type       *string `json:"type"`
	Confidence float64 `json:"confidence"`
	Reasoning  string  `json:"reasoning"`
	Error      string  `json:"error,omitempty"`
	// Escalate: with escalate.enabled, the daemon would send the file to
	// LlamaCloud (the engine is unsure), costing Pages pages.
	Escalate bool `json:"escalate,omitempty"`
	Pages    int  `json:"pages,omitempty"`
}

func cmdClassify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("classify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file with the rules (default: built-in example rules)")
	mode := fs.String("mode", "", "FAST (text layers only) or MULTIMODAL (OCR images and scans); default: the config's mode")
	noLearned := fs.Bool("no-learned", false, "use the rules alone: no examples folders, no learned state")
	batch := fs.Int("batch", 0, "files classified together, in the order given (default: the config's batch.size; 1: one at a time)")
	selfTrain := fs.Bool("self-train", engine.SelfTrainByDefault, "kept for older scripts: --self-train=false is --batch 1")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "files extracted at once")
	fs.Usage = func() { printHelp(stderr, withEscalateHelp(classifyHelp), fs) }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "classify: name at least one file or folder")
		fs.Usage()
		return errExit{2}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *mode != "" {
		cfg.Mode = api.Mode(strings.ToUpper(*mode))
		if !cfg.Mode.Valid() {
			return fmt.Errorf("--mode %q: want FAST or MULTIMODAL", *mode)
		}
	}
	log, err := newLogger(stderr, "", "warn")
	if err != nil {
		return err
	}
	paths, err := walkPaths(fs.Args())
	if err != nil {
		return err
	}
	// PDFium's compiled code is kept in the user's cache folder, so only the
	// first classify without poppler compiles it.
	ext, err := extract.New(extract.Config{Logger: log, CacheDir: extract.DefaultCacheDir()})
	if err != nil {
		return err
	}
	defer ext.Close()
	pc := cfg.ParsingConfiguration()
	po := classify.Options{Extractor: ext, Logger: log, ReadOnly: true, LearnOptions: classify.ExtractOptions(cfg.Mode, pc)}
	if !*noLearned {
		po.StatePath = classify.EngineStatePath(filepath.Dir(cfg.State))
	}
	po.Engine = engine.New()
	po.Engine.MinEvidence = cfg.MinEvidence
	p := classify.New(po)
	if !*noLearned {
		if err := p.LoadState(); err != nil {
			log.Warn("learned state unreadable; using the rules alone", "err", err)
		}
		if _, err := p.LoadExamples(ctx, cfg.Rules); err != nil {
			log.Warn("some example files could not be learned", "err", err)
		}
	}
	rules := cfg.APIRules()
	xo := classify.ExtractOptions(cfg.Mode, pc)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	failed := 0
	chunk := *batch
	switch {
	case chunk <= 0 && !*selfTrain:
		chunk = 1
	case chunk <= 0:
		chunk = cfg.Batch.Size
	}
	for start := 0; start < len(paths); start += chunk {
		part := paths[start:min(len(paths), start+chunk)]
		docs := make([]engine.Doc, len(part))
		errs := make([]error, len(part))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(max(1, *workers))
		for i, path := range part {
			g.Go(func() error {
				docs[i], errs[i] = p.Doc(gctx, path, xo)
				return gctx.Err()
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		var ok []engine.Doc
		for i := range part {
			if errs[i] == nil {
				ok = append(ok, docs[i])
			}
		}
		results := p.Engine().ClassifyBatch(ok, rules, true)
		k := 0
		for i, path := range part {
			line := classifyLine{File: path}
			if errs[i] != nil {
				failed++
				line.Error = errs[i].Error()
			} else {
				ir := classify.ItemResult(results[k])
				k++
				line.Type, line.Confidence, line.Reasoning = ir.Type, ir.Confidence, ir.Reasoning
				line.Escalate, line.Pages = wouldEscalate(cfg, ir, docs[i].Pages)
			}
			if err := enc.Encode(line); err != nil {
				return err
			}
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "classify: %d of %d files could not be read\n", failed, len(paths))
		return errExit{1}
	}
	return nil
}

// loadConfig reads the configuration file, or the built-in defaults.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}

// walkPaths expands folders into the regular files below them (hidden
// files and folders skipped), keeping the order of the arguments.
func walkPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != a && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
