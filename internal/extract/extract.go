// Package extract turns a file into text. STUB: the extract helper replaces this file.
package extract

import (
	"context"
	"time"
)

// Config configures an Extractor.
type Config struct {
	CacheDir  string        // PDFium compilation cache; "" = no cache
	Workers   int           // PDFium instances; 0 = GOMAXPROCS
	Tesseract string        // path of the tesseract program; "" = look up "tesseract" in PATH
	MaxBytes  int64         // byte budget per file; 0 = default
	Timeout   time.Duration // time budget per file; 0 = default
}

// Options are the per-file parsing options of a job.
type Options struct {
	Multimodal  bool   // MULTIMODAL mode: OCR images and text-less PDF pages
	Lang        string // API language code ("en", "de", "ch_sim", ...); "" = en
	MaxPages    int    // 0 = no limit
	TargetPages []int  // 0-indexed; empty = all (up to MaxPages)
}

// Document is the text of a file and what extraction learned about it.
type Document struct {
	Text   string
	Format string // "pdf", "docx", "xlsx", "pptx", "odt", "odp", "eml", "html", "text", "image", ...
	Pages  int    // pages read (1 for page-less formats)
	Title  string // document title or e-mail subject, if known
	Fields map[string]string
}

// Extractor extracts text; safe for concurrent use.
type Extractor struct{ cfg Config }

// New returns an Extractor.
func New(cfg Config) (*Extractor, error) { return &Extractor{cfg: cfg}, nil }

// Extract reads the file at path.
func (e *Extractor) Extract(ctx context.Context, path string, opts Options) (Document, error) {
	panic("not implemented")
}

// Close releases the PDFium pool.
func (e *Extractor) Close() error { return nil }
