// Package eval measures the embedded engine against labelled documents:
// accuracy, per-type precision/recall/F1, the confusion matrix, the
// expected calibration error of the confidences, and the files it got
// wrong with their reasoning. Labels come from a folder with one subfolder
// per type or from a CSV (path,type columns). It can draw N labelled
// examples per type, teach them to a fresh engine and evaluate on the rest
// (averaged over seeds), and self-train over the evaluated batch.
//
// The package reads documents through internal/classify and never writes.
package eval

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/classifyd/classifyd/internal/classify"
	"github.com/classifyd/classifyd/internal/engine"
	"github.com/classifyd/classifyd/internal/extract"
	"golang.org/x/sync/errgroup"
)

// Item is a labelled file.
type Item struct {
	Path string
	Type string
}

// ErrNoLabels is returned when a label source holds no labelled file.
var ErrNoLabels = errors.New("no labelled files")

// LoadLabels reads a CSV with a header that has (at least) the columns
// path and type; paths are relative to the CSV's folder.
func LoadLabels(csvPath string) ([]Item, error) {
	f, err := os.Open(csvPath)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("labels %s: header: %w", csvPath, err)
	}
	pc, tc := -1, -1
	for i, h := range head {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "path", "file":
			pc = i
		case "type", "label":
			tc = i
		}
	}
	if pc < 0 || tc < 0 {
		return nil, fmt.Errorf("labels %s: the header needs columns path and type", csvPath)
	}
	dir := filepath.Dir(csvPath)
	var items []Item
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("labels %s: %w", csvPath, err)
		}
		if len(rec) <= max(pc, tc) {
			return nil, fmt.Errorf("labels %s:%d: too few columns", csvPath, line)
		}
		p, t := strings.TrimSpace(rec[pc]), strings.TrimSpace(rec[tc])
		if p == "" {
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		items = append(items, Item{Path: p, Type: t})
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("labels %s: %w", csvPath, ErrNoLabels)
	}
	return items, nil
}

// LoadDir reads a folder with one subfolder per type; every regular file
// below a subfolder is an example of it (hidden files skipped).
func LoadDir(dir string) ([]Item, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	var items []Item
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		typ := e.Name()
		err := filepath.WalkDir(filepath.Join(dir, typ), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				items = append(items, Item{Path: p, Type: typ})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("labels: %w", err)
		}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("labels %s: %w", dir, ErrNoLabels)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Path < items[j].Path })
	return items, nil
}

// Doc is a labelled file and its extracted text (or the error extracting it).
type Doc struct {
	Item
	Doc engine.Doc
	Err error
}

// Extract reads every item through the classifier, workers at a time.
func Extract(ctx context.Context, p *classify.Classifier, items []Item, opts extract.Options, workers int) ([]Doc, error) {
	out := make([]Doc, len(items))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, workers))
	for i, it := range items {
		g.Go(func() error {
			d, err := p.Doc(gctx, it.Path, opts)
			out[i] = Doc{Item: it, Doc: d, Err: err}
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}
