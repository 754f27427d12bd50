package classify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/engine"
	"github.com/classifyd/classifyd/internal/extract"
)

// Open builds the embedded engine's classifier for a configuration: an
// Extractor (its PDFium cache in extract.DefaultCacheDir, else under
// stateDir), an engine with the state it
// saved in stateDir last time, and the rules' example folders learned.
// stateDir "" keeps nothing on disk. The returned close function saves what
// was learned and closes the Extractor.
func Open(ctx context.Context, cfg *config.Config, stateDir string, log *slog.Logger) (*Classifier, func() error, error) {
	if log == nil {
		log = slog.Default()
	}
	xc := extract.Config{Logger: log, CacheDir: extract.DefaultCacheDir()}
	statePath := ""
	if stateDir != "" {
		if err := os.MkdirAll(stateDir, 0o755); err != nil {
			return nil, nil, fmt.Errorf("state folder: %w", err)
		}
		if xc.CacheDir == "" {
			xc.CacheDir = filepath.Join(stateDir, "pdfium-cache")
		}
		statePath = EngineStatePath(stateDir)
	}
	ext, err := extract.New(xc)
	if err != nil {
		return nil, nil, err
	}
	eng := engine.New()
	eng.MinEvidence = cfg.MinEvidence
	p := New(Options{Extractor: ext, Engine: eng, Logger: log, StatePath: statePath,
		LearnOptions: ExtractOptions(cfg.Mode, cfg.ParsingConfiguration())})
	if err := p.LoadState(); err != nil {
		// a damaged state file costs what was learned, not the service
		log.Warn("engine state unreadable; starting from the rules alone", "err", err)
	}
	if _, err := p.LoadExamples(ctx, cfg.Rules); err != nil {
		log.Warn("some example files could not be learned", "err", err)
	}
	closeFn := func() error { return errors.Join(p.Close(), ext.Close()) }
	return p, closeFn, nil
}
