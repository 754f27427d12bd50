package extract

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// pageOCR OCRs the pages of one PDF that have no text layer, several at
// once: each page holds one of the Extractor's OCR slots while its image is
// made and read, so at most Config.OCRJobs tesseract processes (and page
// images) exist at a time across every file. Scans of three pages or more
// log their progress.
//
// The PDF engine walks the pages in order on its own goroutine: for a page
// to OCR it calls want, then acquire (which waits for a slot), makes what it
// must make on its goroutine (PDFium renders there) and hands the rest to
// start. wait returns when every page is done.
type pageOCR struct {
	e    *Extractor
	ctx  context.Context
	path string
	code string // API language codes
	max  int    // bytes of text kept per page

	looked bool
	tool   *ocrTool
	lang   string
	err    error // why OCR is not possible (ErrNoOCR, ErrNoOCRLang, ErrUnknownLang)
	left   int   // pages that may still be OCRed

	wg      sync.WaitGroup
	mu      sync.Mutex
	started int
	done    int
	bad     error // first page whose image tesseract could not read: a warning
	fatal   error // first other error: fails the file
	t0      time.Time
}

func newPageOCR(ctx context.Context, e *Extractor, path string, opts Options, max int) *pageOCR {
	return &pageOCR{e: e, ctx: ctx, path: path, code: opts.Lang, max: max, left: e.cfg.MaxOCRPages}
}

// want reports whether one more page can be OCRed: tesseract and the
// language's data are installed and Config.MaxOCRPages is not spent.
func (o *pageOCR) want() bool {
	if !o.looked {
		o.looked = true
		o.tool, o.err = o.e.tesseract(o.ctx)
		if o.err != nil {
			o.err = fmt.Errorf("%w: install %s", o.err, ocrPackages(o.code))
		} else {
			o.lang, o.err = o.e.ocrLang(o.tool, o.code)
		}
	}
	return o.err == nil && o.left > 0 && o.failed() == nil
}

// acquire takes an OCR slot for the next page; start or release gives it back.
func (o *pageOCR) acquire() error {
	o.left--
	return o.e.acquireOCR(o.ctx)
}

func (o *pageOCR) release() { o.e.releaseOCR() }

// start runs fn on its own goroutine with the slot acquire took; the page's
// text becomes fn's when that has more letters and digits than *text. fn
// gets the tool and language to run.
func (o *pageOCR) start(page int, text *string, fn func(ctx context.Context, t *ocrTool, lang string) (string, error)) {
	o.mu.Lock()
	o.started++
	if o.t0.IsZero() {
		o.t0 = time.Now()
	}
	o.mu.Unlock()
	o.wg.Go(func() {
		got, err := fn(o.ctx, o.tool, o.lang)
		o.release()
		o.mu.Lock()
		defer o.mu.Unlock()
		o.done++
		switch {
		case err == nil:
			if alnum(got) > alnum(*text) {
				*text = got
			}
		case errors.Is(err, ErrMalformed):
			if o.bad == nil {
				o.bad = fmt.Errorf("page %d: %w", page+1, err)
			}
		case o.fatal == nil:
			o.fatal = err
		}
		if o.started >= 3 || o.done >= 3 {
			o.e.log.Info("OCR", "path", o.path, "pages_done", o.done, "pages_started", o.started,
				"took", time.Since(o.t0).Round(time.Millisecond))
		}
	})
}

// failed is the first error that fails the file.
func (o *pageOCR) failed() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.fatal
}

// wait waits for every page started and returns the error that fails the
// file, if any.
func (o *pageOCR) wait() error {
	o.wg.Wait()
	if o.fatal != nil && o.ctx.Err() != nil {
		return context.Cause(o.ctx)
	}
	return o.fatal
}

// finish writes the pages to the sink, with a separator after each, and
// decides the outcome of a PDF read with OCR where a page needed it: no
// text at all is ErrNoOCR (or the language error) when OCR was not possible,
// ErrNoText when it ran and read nothing; pages left without text while
// others have some are a warning.
func (o *pageOCR) finish(texts []string, s *sink, doc *Document) error {
	chars, empty := 0, 0
	for _, t := range texts {
		n := alnum(t)
		chars += n
		if n < minPageChars {
			empty++
		}
	}
	for _, t := range texts {
		if err := s.write(t); err != nil {
			return err
		}
		if err := s.separator(); err != nil {
			return err
		}
	}
	notOCRed := o.err
	if notOCRed == nil && o.bad != nil {
		notOCRed = o.bad
	}
	if chars < minPageChars {
		if notOCRed != nil {
			return notOCRed
		}
		return ErrNoText
	}
	if empty > 0 && notOCRed != nil && o.started < empty {
		doc.Warnings = append(doc.Warnings, "some pages have no text and were not OCRed: "+notOCRed.Error())
	}
	if o.started > 0 {
		doc.Fields["ocr_pages"] = fmt.Sprint(o.started)
	}
	return nil
}

// ocrPackages names what to install for OCR in the languages of code.
func ocrPackages(code string) string {
	lang, err := TesseractLang(code)
	if err != nil {
		return "tesseract-ocr"
	}
	pkgs := []string{"tesseract-ocr"}
	for _, l := range strings.Split(lang, "+") {
		pkgs = append(pkgs, TesseractPackage(l))
	}
	return strings.Join(pkgs, " ")
}
