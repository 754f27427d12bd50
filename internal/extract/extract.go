// Package extract turns a file into text for classification.
//
// It owns format detection (by content with mimetype, the file name's
// extension only as a tiebreak), one extractor per format family (PDF through
// poppler's pdftotext and pdftoppm when they are installed, else PDFium
// compiled to WebAssembly, which needs nothing installed; DOCX/PPTX/ODT/ODP
// through archive/zip and streaming encoding/xml, XLSX through excelize,
// e-mail through enmime, HTML, plain text in the common encodings) and OCR of
// images and of PDF pages without a text layer through the tesseract program,
// whenever it is installed. OCR runs at most Config.OCRJobs tesseract
// processes at once per Extractor (one thread each); the pages of one scan
// are OCRed in parallel.
//
// Every extraction runs under a byte budget (Config.MaxBytes read from disk,
// Config.MaxZipBytes decompressed), a time budget (Config.Timeout), a text
// budget (Config.MaxText) and panic isolation: a malformed or hostile file is
// an error for that file, never a crash of the caller.
//
// The package only reads: it never follows a symbolic link, never opens a
// non-regular file (a FIFO cannot make it hang) and never writes next to the
// file. It knows nothing about jobs, rules or the API beyond language codes.
package extract

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// Defaults of Config.
const (
	DefaultMaxBytes      int64 = 256 << 20
	DefaultMaxZipBytes   int64 = 64 << 20
	DefaultMaxZipEntries       = 10000
	DefaultMaxText             = 2 << 20
	DefaultTimeout             = 60 * time.Second
	DefaultMaxOCRPages         = 10
	DefaultOCRDPI              = 300
	DefaultPDFMemoryMiB        = 1024
)

// PDF engines of Config.PDF.
const (
	PDFAuto    = ""        // poppler when pdftotext and pdftoppm are installed, else PDFium
	PDFPoppler = "poppler" // poppler only (ErrNoPoppler without it)
	PDFium     = "pdfium"  // PDFium in WebAssembly only
)

// Sentinel errors; callers test them with errors.Is.
var (
	// ErrNoText: a PDF has neither a text layer nor text that OCR could read.
	ErrNoText = errors.New("no text: no text layer, and OCR read nothing")
	// ErrNoOCR: an image (or a PDF without a text layer) needs OCR and
	// tesseract is missing.
	ErrNoOCR = errors.New("needs OCR, but tesseract is not installed")
	// ErrNoOCRLang: OCR is needed in a language whose tesseract data is not installed.
	ErrNoOCRLang = errors.New("tesseract language data not installed")
	// ErrEncrypted: the PDF needs a password.
	ErrEncrypted = errors.New("encrypted PDF (password protected)")
	// ErrUnsupported: the file's format is not one this package reads.
	ErrUnsupported = errors.New("unsupported file format")
	// ErrNotRegular: the path is a symbolic link, FIFO, device or directory.
	ErrNotRegular = errors.New("not a regular file")
	// ErrEmpty: the file has no bytes.
	ErrEmpty = errors.New("empty file")
	// ErrTooLarge: the file is larger than Config.MaxBytes.
	ErrTooLarge = errors.New("file exceeds the byte budget")
	// ErrBomb: an archive decompresses to more than Config.MaxZipBytes or has too many entries.
	ErrBomb = errors.New("archive exceeds the decompression budget")
	// ErrTimeout: extraction took longer than Config.Timeout.
	ErrTimeout = errors.New("extraction exceeded the time budget")
	// ErrMalformed: the file claims a format but cannot be parsed.
	ErrMalformed = errors.New("malformed file")
	// ErrPanic: an extractor panicked; the panic was contained.
	ErrPanic = errors.New("extractor panicked")
	// ErrUnknownLang: a language code that is not one of the API's.
	ErrUnknownLang = errors.New("unknown language code")
	// ErrNoPages: every page of Options.TargetPages is outside the document.
	ErrNoPages = errors.New("no target page within the document")
	// ErrClosed: the Extractor was closed.
	ErrClosed = errors.New("extractor closed")
)

// Permanent reports whether err is a failure of the file itself, which
// another attempt would repeat: an unsupported, malformed, encrypted, empty
// or oversized file, a PDF without text and no OCR (or OCR without its
// language), an unknown language. A timeout, an I/O error, a closed
// Extractor or a cancelled context is not permanent. (A missing tesseract is
// permanent for this attempt: `classifyd retry` sends the file again after
// the install.)
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	for _, e := range []error{ErrTimeout, ErrClosed, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return false
		}
	}
	for _, e := range []error{ErrNoText, ErrNoOCR, ErrNoOCRLang, ErrEncrypted, ErrUnsupported, ErrNotRegular,
		ErrEmpty, ErrTooLarge, ErrBomb, ErrMalformed, ErrPanic, ErrUnknownLang, ErrNoPages} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Config configures an Extractor. Zero values mean the defaults above.
type Config struct {
	PDF       string        // PDFAuto ($CLASSIFYD_PDF if set), PDFPoppler or PDFium
	Poppler   string        // folder of pdftotext and pdftoppm; "" = look them up in PATH
	CacheDir  string        // PDFium compilation cache; "" = no cache
	Workers   int           // PDFium instances; 0 = GOMAXPROCS
	OCRJobs   int           // tesseract processes at once; 0 = GOMAXPROCS
	Tesseract string        // path of the tesseract program; "" = look up "tesseract" in PATH
	MaxBytes  int64         // byte budget per file; 0 = default
	Timeout   time.Duration // time budget per file; 0 = default

	MaxZipBytes   int64        // decompressed bytes per archive-based file; 0 = default
	MaxZipEntries int          // entries per archive; 0 = default
	MaxText       int          // bytes of text kept per file; 0 = default
	MaxOCRPages   int          // PDF pages OCRed per file; 0 = default
	OCRDPI        int          // resolution a PDF page without images is rendered at for OCR; 0 = default
	PDFMemoryMiB  int          // WebAssembly memory limit per PDFium instance; 0 = default
	Logger        *slog.Logger // nil = slog.Default()
}

func (c *Config) setDefaults() {
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.OCRJobs <= 0 {
		c.OCRJobs = runtime.GOMAXPROCS(0)
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxZipBytes <= 0 {
		c.MaxZipBytes = DefaultMaxZipBytes
	}
	if c.MaxZipEntries <= 0 {
		c.MaxZipEntries = DefaultMaxZipEntries
	}
	if c.MaxText <= 0 {
		c.MaxText = DefaultMaxText
	}
	if c.MaxOCRPages <= 0 {
		c.MaxOCRPages = DefaultMaxOCRPages
	}
	if c.OCRDPI <= 0 {
		c.OCRDPI = DefaultOCRDPI
	}
	if c.PDFMemoryMiB <= 0 {
		c.PDFMemoryMiB = DefaultPDFMemoryMiB
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Options are the per-file parsing options of a job.
//
// There is no mode: images and PDF pages without a text layer are OCRed
// whenever tesseract is installed (the API's FAST and MULTIMODAL say what a
// remote service does; for the embedded engine a scan must simply work).
type Options struct {
	Lang        string // API language codes, comma-separated ("en", "en,de", "ch_sim"); "" = en
	MaxPages    int    // 0 = no limit
	TargetPages []int  // 0-indexed; empty = all (up to MaxPages)
}

// Document is the text of a file and what extraction learned about it.
type Document struct {
	Text      string
	Format    string            // "pdf", "docx", "xlsx", "pptx", "odt", "odp", "eml", "html", "text", "image"
	Pages     int               // pages read (1 for page-less formats; slides, sheets and PDF pages otherwise)
	Title     string            // document title or e-mail subject, if known
	Fields    map[string]string // extra facts; PDFs: "page_count" (all pages, read or not)
	Truncated bool              // Text stopped at Config.MaxText
	Warnings  []string          // things the caller may want to log, e.g. an OCR language fallback
}

// testHookFormat, when set by a test, runs after detection (to inject panics).
var testHookFormat func(format string)

// Extractor extracts text; safe for concurrent use.
type Extractor struct {
	cfg Config
	log *slog.Logger

	pdfMu     sync.Mutex
	pdf       *pdfEngine
	pdfErr    error
	closed    bool
	pdfStarts int // PDFium pool initialisations (tests)

	ocrState ocrState
	ocrSem   chan struct{} // one token per tesseract process running

	popplerState popplerState
}

// New returns an Extractor. Nothing expensive happens here: PDFium starts on
// the first PDF, tesseract is looked up on the first image.
func New(cfg Config) (*Extractor, error) {
	cfg.setDefaults()
	if cfg.PDF == PDFAuto {
		cfg.PDF = os.Getenv("CLASSIFYD_PDF") // "pdfium" or "poppler": for benchmarks and diagnosis
	}
	switch cfg.PDF {
	case PDFAuto, PDFPoppler, PDFium:
	default:
		return nil, fmt.Errorf("extract: PDF engine %q: want %q, %q or \"\"", cfg.PDF, PDFPoppler, PDFium)
	}
	return &Extractor{cfg: cfg, log: cfg.Logger.With("component", "extract"),
		ocrSem: make(chan struct{}, cfg.OCRJobs)}, nil
}

var (
	defaultOnce sync.Once
	defaultExt  *Extractor
)

// Text extracts the text of path with a package-wide default Extractor
// (default budgets, no PDFium cache), for one-off use.
func Text(ctx context.Context, path string) (string, error) {
	defaultOnce.Do(func() { defaultExt, _ = New(Config{}) })
	doc, err := defaultExt.Extract(ctx, path, Options{})
	return doc.Text, err
}

// Extract reads the file at path. Errors are wrapped as "extract PATH: ..."
// around one of the sentinel errors where one applies. On ErrNoText and
// ErrNoOCR the returned Document still carries Format and Pages.
func (e *Extractor) Extract(ctx context.Context, path string, opts Options) (doc Document, err error) {
	ctx, cancel := context.WithTimeoutCause(ctx, e.cfg.Timeout, ErrTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("extractor panic", "path", path, "format", doc.Format, "panic", r, "stack", string(debug.Stack()))
			doc = Document{Format: doc.Format}
			err = fmt.Errorf("extract %s: %w: %v", path, ErrPanic, r)
		}
	}()
	doc, err = e.extract(ctx, path, opts)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) {
			err = fmt.Errorf("%w (%v)", cause, err)
		}
		return doc, fmt.Errorf("extract %s: %w", path, err)
	}
	return doc, nil
}

func (e *Extractor) extract(ctx context.Context, path string, opts Options) (Document, error) {
	var doc Document
	in, err := openInput(path, e.cfg.MaxBytes)
	if err != nil {
		return doc, err
	}
	defer in.Close()
	if ctx.Err() != nil {
		return doc, context.Cause(ctx)
	}
	format, err := detect(in, e.cfg)
	doc.Format = format
	if err != nil {
		return doc, err
	}
	if testHookFormat != nil {
		testHookFormat(format)
	}
	s := newSink(ctx, e.cfg.MaxText)
	doc.Pages = 1
	switch format {
	case "pdf":
		err = e.extractPDF(ctx, in, opts, s, &doc)
	case "docx", "pptx", "odt", "odp":
		err = e.extractOffice(ctx, in, format, opts, s, &doc)
	case "xlsx":
		err = e.extractXLSX(ctx, in, opts, s, &doc)
	case "eml":
		err = extractEML(in, s, &doc)
		if err != nil && in.sniffedMail {
			// Content looked like mail but is not parseable as mail: read it as text.
			e.log.Debug("mail parse failed, reading as text", "path", path, "err", err)
			doc = Document{Format: "text", Pages: 1}
			s = newSink(ctx, e.cfg.MaxText)
			err = extractText(in, s)
		}
	case "html":
		err = extractHTML(in, s, &doc)
	case "text":
		err = extractText(in, s)
	case "image":
		err = e.extractImage(ctx, in, opts, s, &doc)
	default:
		err = fmt.Errorf("%w: %s", ErrUnsupported, format)
	}
	if errors.Is(err, errFull) {
		err = nil
	}
	doc.Text = s.String()
	doc.Truncated = s.full
	return doc, err
}

// Close releases the PDFium pool. Extract after Close fails for PDFs.
func (e *Extractor) Close() error {
	e.pdfMu.Lock()
	defer e.pdfMu.Unlock()
	e.closed = true
	if e.pdf != nil {
		err := e.pdf.close()
		e.pdf = nil
		return err
	}
	return nil
}
