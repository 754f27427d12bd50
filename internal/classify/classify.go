// Package classify classifies files with the embedded engine: file → text
// (internal/extract) → type, confidence and reasoning (internal/engine).
// Where engine works on text and extract only reads, this package takes a
// path and answers a type. It is the local backend's Classifier and the
// daemon's Learner (examples from type folders, corrections), and it reads
// the example folders named in the rules and keeps what the engine learned
// in the state directory.
//
// It owns the engine state file (EngineStatePath) and nothing else on disk;
// it never moves or writes user files.
package classify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/engine"
	"github.com/classifyd/classifyd/internal/extract"
	"github.com/classifyd/classifyd/internal/metrics"
)

// Options configure a Classifier.
type Options struct {
	Extractor *extract.Extractor // required
	Engine    *engine.Engine     // nil = a fresh engine
	Logger    *slog.Logger       // nil = slog.Default()
	// StatePath, if set, is where the engine's learned state is saved
	// (after learning, at most every SaveEvery, and on Close).
	StatePath string
	// ReadOnly loads the state from StatePath but never writes it.
	ReadOnly bool
	// LearnOptions are the extraction options for examples (language and
	// pages); the zero value reads every page in English.
	LearnOptions extract.Options
}

// SaveEvery is the shortest time between two saves of the engine state
// after learning; a variable so tests can shrink it.
var SaveEvery = 30 * time.Second

// Classifier classifies files with the embedded engine; safe for concurrent use.
type Classifier struct {
	ext *extract.Extractor
	eng *engine.Engine
	log *slog.Logger
	o   Options

	saveMu   sync.Mutex
	dirty    bool
	lastSave time.Time

	pf prefetcher
}

// New returns a Classifier.
func New(o Options) *Classifier {
	if o.Engine == nil {
		o.Engine = engine.New()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	p := &Classifier{ext: o.Extractor, eng: o.Engine, log: o.Logger.With("component", "classify"), o: o,
		lastSave: time.Now()}
	p.pf.entries = map[prefetchKey]*prefetched{}
	p.pf.ctx, p.pf.stop = context.WithCancel(context.Background())
	return p
}

// Engine returns the classifier's engine.
func (p *Classifier) Engine() *engine.Engine { return p.eng }

// ExtractOptions maps a job's parsing configuration to extraction options.
// The mode changes nothing: the embedded engine OCRs scans in every mode.
func ExtractOptions(mode api.Mode, pc api.ParsingConfiguration) extract.Options {
	o := extract.Options{TargetPages: pc.TargetPages}
	if pc.Lang != nil {
		o.Lang = *pc.Lang
	}
	if pc.MaxPages != nil {
		o.MaxPages = *pc.MaxPages
	}
	return o
}

// Doc extracts the file at path into the engine's input.
func (p *Classifier) Doc(ctx context.Context, path string, opts extract.Options) (engine.Doc, error) {
	start := time.Now()
	d, err := p.ext.Extract(ctx, path, opts)
	format := d.Format
	if format == "" {
		format = "unknown"
	}
	metrics.ExtractSeconds.WithLabelValues(format).Observe(time.Since(start).Seconds())
	if err != nil {
		return engine.Doc{}, err
	}
	for _, w := range d.Warnings {
		p.log.Warn("extracted with a warning", "path", path, "warning", w)
	}
	return engine.Doc{Text: d.Text, Format: d.Format, Pages: d.Pages, Title: d.Title}, nil
}

// Classify extracts the file at path and classifies it against rules. It
// implements the local backend's Classifier. Type is nil when no rule fits.
func (p *Classifier) Classify(ctx context.Context, path string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration) (api.ItemResult, error) {
	opts := ExtractOptions(mode, pc)
	doc, err, ok := p.take(ctx, path, opts)
	if !ok {
		doc, err = p.Doc(ctx, path, opts)
	}
	if err != nil {
		if extract.Permanent(err) {
			// Unsupported, corrupt, encrypted, no text and no OCR: another
			// attempt would fail the same way.
			return api.ItemResult{}, api.Permanent(err)
		}
		return api.ItemResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return api.ItemResult{}, err
	}
	res := p.eng.Classify(doc, rules)
	p.changed() // the document joined the engine's population
	return ItemResult(res), nil
}

// ClassifyBatch extracts the files at paths (as many at once as there are
// CPUs, each within fileTimeout) and classifies those it could read as one
// batch, so that they weigh each other (engine.ClassifyBatch). It
// implements the local backend's BatchClassifier: each file has its own
// result or error.
func (p *Classifier) ClassifyBatch(ctx context.Context, paths []string, rules []api.Rule, mode api.Mode,
	pc api.ParsingConfiguration, fileTimeout time.Duration) ([]api.ItemResult, []error) {
	opts := ExtractOptions(mode, pc)
	docs := make([]engine.Doc, len(paths))
	errs := make([]error, len(paths))
	var g errgroup.Group
	g.SetLimit(max(1, runtime.GOMAXPROCS(0)))
	for i, path := range paths {
		g.Go(func() error {
			fctx, cancel := context.WithTimeout(ctx, fileTimeout)
			defer cancel()
			doc, err, ok := p.take(fctx, path, opts)
			if !ok {
				doc, err = p.Doc(fctx, path, opts)
			}
			switch {
			case err != nil && fctx.Err() == context.DeadlineExceeded && ctx.Err() == nil:
				err = fmt.Errorf("%s: classification timed out after %s", filepath.Base(path), fileTimeout)
			case err != nil && extract.Permanent(err):
				err = api.Permanent(err)
			}
			// only what the engine reads is kept while the batch is read
			docs[i], errs[i] = engine.Trim(doc), err
			return nil
		})
	}
	g.Wait()
	out := make([]api.ItemResult, len(paths))
	if err := ctx.Err(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return out, errs
	}
	var ok []engine.Doc
	var at []int
	for i := range paths {
		if errs[i] == nil {
			ok = append(ok, docs[i])
			at = append(at, i)
		}
	}
	if len(ok) > 0 {
		for k, r := range p.eng.ClassifyBatch(ok, rules, true) {
			out[at[k]] = ItemResult(r)
		}
		p.changed() // the documents joined the engine's population
	}
	return out, errs
}

// ItemResult converts an engine result to the API's.
func ItemResult(r engine.Result) api.ItemResult {
	out := api.ItemResult{Confidence: r.Confidence, Reasoning: r.Reasoning}
	if r.Type != "" {
		t := r.Type
		out.Type = &t
	}
	return out
}

// Learn adds the file at path as an example of typ (the daemon's Learner).
func (p *Classifier) Learn(ctx context.Context, typ, path string) error {
	doc, err := p.Doc(ctx, path, p.o.LearnOptions)
	if err != nil {
		return fmt.Errorf("learn %s: %w", path, err)
	}
	p.eng.Learn(typ, doc)
	p.changed()
	return nil
}

// LearnFile is Learn.
func (p *Classifier) LearnFile(ctx context.Context, typ, path string) error {
	return p.Learn(ctx, typ, path)
}

// Correct records that a person moved the file at path from type from to
// type to (the daemon's Learner); it outranks the rules from now on.
func (p *Classifier) Correct(ctx context.Context, from, to, path string) error {
	doc, err := p.Doc(ctx, path, p.o.LearnOptions)
	if err != nil {
		return fmt.Errorf("correct %s: %w", path, err)
	}
	p.eng.Correct(from, to, doc)
	p.changed()
	// The daemon logs the correction (one line per correction, at info).
	p.log.Debug("learned correction", "path", path, "from", from, "to", to)
	return nil
}

// Forget drops the file at path from the examples of typ ("" = every
// type), and a correction that named it. It reports whether the engine knew
// the file.
func (p *Classifier) Forget(ctx context.Context, typ, path string) (bool, error) {
	doc, err := p.Doc(ctx, path, p.o.LearnOptions)
	if err != nil {
		return false, fmt.Errorf("forget %s: %w", path, err)
	}
	known := p.eng.Forget(typ, doc)
	if known {
		p.changed()
	}
	return known, nil
}

// LoadExamples learns every file in each rule's Examples folder (and its
// subfolders; hidden files skipped). It returns how many files it learned;
// files that cannot be read are skipped and reported in the joined error.
func (p *Classifier) LoadExamples(ctx context.Context, rules []config.Rule) (int, error) {
	n := 0
	var errs []error
	for _, r := range rules {
		if r.Examples == "" {
			continue
		}
		err := filepath.WalkDir(r.Examples, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, fmt.Errorf("examples of %s: %w", r.Type, err))
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") && path != r.Examples {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := p.Learn(ctx, r.Type, path); err != nil {
				errs = append(errs, err)
				return nil
			}
			n++
			return nil
		})
		if err != nil {
			return n, errors.Join(append(errs, err)...)
		}
	}
	if n > 0 {
		p.log.Info("learned examples", "files", n)
	}
	return n, errors.Join(errs...)
}

// EngineStatePath is where a daemon with state directory dir keeps the
// engine's learned state.
func EngineStatePath(dir string) string { return filepath.Join(dir, "engine.state") }

// LoadState reads the engine state from Options.StatePath; a missing file
// is not an error.
func (p *Classifier) LoadState() error {
	if p.o.StatePath == "" {
		return nil
	}
	f, err := os.Open(p.o.StatePath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("engine state: %w", err)
	}
	defer f.Close()
	if err := p.eng.Load(f); err != nil {
		return fmt.Errorf("engine state %s: %w", p.o.StatePath, err)
	}
	return nil
}

// SaveState writes the engine state to Options.StatePath atomically
// (temporary file, fsync, rename).
func (p *Classifier) SaveState() error {
	if p.o.StatePath == "" || p.o.ReadOnly {
		return nil
	}
	p.saveMu.Lock()
	defer p.saveMu.Unlock()
	return p.saveLocked()
}

func (p *Classifier) saveLocked() error {
	dir := filepath.Dir(p.o.StatePath)
	tmp, err := os.CreateTemp(dir, ".engine-*.tmp")
	if err != nil {
		return fmt.Errorf("save engine state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := p.eng.Save(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save engine state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save engine state: %w", err)
	}
	if err := os.Rename(tmp.Name(), p.o.StatePath); err != nil {
		return fmt.Errorf("save engine state: %w", err)
	}
	p.dirty = false
	p.lastSave = time.Now()
	return nil
}

// changed notes new learning and saves when the last save is old enough.
func (p *Classifier) changed() {
	if p.o.StatePath == "" || p.o.ReadOnly {
		return
	}
	p.saveMu.Lock()
	defer p.saveMu.Unlock()
	p.dirty = true
	if time.Since(p.lastSave) < SaveEvery {
		return
	}
	if err := p.saveLocked(); err != nil {
		p.log.Warn("saving engine state", "err", err)
	}
}

// Close saves unsaved learning. It does not close the Extractor, which the
// caller owns.
func (p *Classifier) Close() error {
	p.closePrefetch()
	p.saveMu.Lock()
	defer p.saveMu.Unlock()
	if p.dirty && p.o.StatePath != "" && !p.o.ReadOnly {
		return p.saveLocked()
	}
	return nil
}
