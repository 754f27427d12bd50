package extract

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/enums"
	pdfiumerrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	wapi "github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

const (
	// minPageChars: a page with fewer letters and digits has no usable text
	// layer (it is a scan, perhaps with a stamp or a page number).
	minPageChars = 16
	// discardAbove: after a PDF this large the PDFium instance is dropped
	// instead of reused, so its grown WebAssembly memory is given back.
	discardAbove = 32 << 20
	// memOpenMax: PDFs up to this size are handed to PDFium as bytes,
	// larger ones through a reader.
	memOpenMax = 16 << 20
	// maxRenderSide caps the longest side of a page rendered for OCR.
	maxRenderSide = 5000
)

// pdfEngine is a pool of PDFium WebAssembly instances, one per worker.
type pdfEngine struct {
	pool    pdfium.Pool
	cache   wazero.CompilationCache
	startup time.Duration
}

// pdfEngine starts PDFium on first use (compiling the module, or loading it
// from Config.CacheDir) and returns the pool; callers wait while it starts.
func (e *Extractor) pdfEngine() (*pdfEngine, error) {
	e.pdfMu.Lock()
	defer e.pdfMu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	if e.pdf != nil || e.pdfErr != nil {
		return e.pdf, e.pdfErr
	}
	e.pdfStarts++
	e.pdf, e.pdfErr = startPDFium(e.cfg)
	if e.pdfErr != nil && e.cfg.CacheDir != "" {
		// A cache folder that cannot be written (a full or small disk, a
		// read-only one) must not fail every PDF: compile without it.
		e.log.Warn("PDFium compilation cache cannot be used; compiling without it (each start is slower)", "cache", e.cfg.CacheDir, "err", e.pdfErr)
		nc := e.cfg
		nc.CacheDir = ""
		e.pdf, e.pdfErr = startPDFium(nc)
	}
	if e.pdfErr != nil {
		e.log.Error("PDFium did not start", "err", e.pdfErr)
	} else {
		e.log.Info("PDFium started", "workers", e.cfg.Workers, "took", e.pdf.startup, "cache", e.cfg.CacheDir)
	}
	return e.pdf, e.pdfErr
}

func startPDFium(cfg Config) (*pdfEngine, error) {
	t0 := time.Now()
	rc := wazero.NewRuntimeConfig().
		WithCoreFeatures(wapi.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
		WithCloseOnContextDone(true). // a killed instance stops mid-call
		WithMemoryLimitPages(uint32(cfg.PDFMemoryMiB) * 16)
	eng := &pdfEngine{}
	if cfg.CacheDir != "" {
		// A cache that cannot be made costs a compilation, not the PDFs.
		cache, err := openCache(cfg.CacheDir)
		if err != nil {
			cfg.Logger.Warn("PDFium compiles without a cache", "component", "extract", "err", err)
		} else {
			eng.cache = cache
			rc = rc.WithCompilationCache(cache)
		}
	}
	pool, err := webassembly.Init(webassembly.Config{
		MinIdle:       1,
		MaxIdle:       cfg.Workers,
		MaxTotal:      cfg.Workers,
		RuntimeConfig: rc,
		FSConfig:      wazero.NewFSConfig(), // no file system: documents come through a reader
		Stdout:        io.Discard,
		Stderr:        io.Discard,
		ReuseWorkers:  true,
	})
	if err != nil {
		if eng.cache != nil {
			eng.cache.Close(context.Background())
		}
		return nil, fmt.Errorf("start pdfium: %w", err)
	}
	eng.pool = pool
	eng.startup = time.Since(t0)
	return eng, nil
}

func openCache(dir string) (wazero.CompilationCache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pdfium cache: %w", err)
	}
	cache, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		return nil, fmt.Errorf("pdfium cache: %w", err)
	}
	return cache, nil
}

// DefaultCacheDir is where PDFium's compiled code is kept between runs
// (about 22 MB; made only when a PDF is read with PDFium, that is when
// poppler is not installed): $CACHE_DIRECTORY/pdfium (systemd's
// CacheDirectory=), else the user's cache folder ($XDG_CACHE_HOME, else
// ~/.cache) /classifyd/pdfium; "" when there is none.
func DefaultCacheDir() string {
	if d := os.Getenv("CACHE_DIRECTORY"); d != "" && filepath.IsAbs(d) {
		if i := strings.IndexByte(d, ':'); i >= 0 {
			d = d[:i] // several directories: the first
		}
		return filepath.Join(d, "pdfium")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "classifyd", "pdfium")
	}
	return ""
}

func (p *pdfEngine) close() error {
	err := p.pool.Close()
	if p.cache != nil {
		err = errors.Join(err, p.cache.Close(context.Background()))
	}
	return err
}

// extractPDFium reads the text layer of the selected pages with PDFium;
// pages without one are rendered and OCRed (pageOCR).
func (e *Extractor) extractPDFium(ctx context.Context, in *input, opts Options, s *sink, doc *Document) error {
	eng, err := e.pdfEngine()
	if err != nil {
		return err
	}
	inst, err := eng.pool.GetInstanceWithContext(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return fmt.Errorf("pdfium instance: %w", err)
	}
	// On timeout the instance is killed, which interrupts a call in flight;
	// the pool replaces it.
	var killed atomic.Bool
	stop := context.AfterFunc(ctx, func() {
		killed.Store(true)
		inst.Kill()
	})
	discard := in.size > discardAbove
	defer func() {
		if !stop() {
			return // killed
		}
		if discard {
			inst.Kill()
		} else if err := inst.Close(); err != nil {
			e.log.Debug("pdfium instance close", "err", err)
		}
	}()
	r := &pdfRun{e: e, ctx: ctx, inst: inst, opts: opts, s: s, doc: doc, ocr: newPageOCR(ctx, e, in.path, opts, s.max)}
	err = r.run(in)
	if killed.Load() || ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if r.rendered || r.badPages {
		discard = true
	}
	if err != nil && !errors.Is(err, errFull) && (!Permanent(err) || errors.Is(err, ErrMalformed) || errors.Is(err, ErrPanic)) {
		// PDFium may have trapped (out of memory, abort) half-way through
		// an operation: do not hand that instance to the next file.
		discard = true
	}
	return err
}

// pdfRun is the extraction of one PDF on one instance.
type pdfRun struct {
	e        *Extractor
	ctx      context.Context
	inst     pdfium.Pdfium
	opts     Options
	s        *sink
	doc      *Document
	rendered bool // pages were rendered (memory grew)
	badPages bool // a page failed to load: PDFium may have trapped

	ocr  *pageOCR
	kept int // bytes of text collected so far
}

func (r *pdfRun) run(in *input) error {
	req := &requests.OpenDocument{FileReader: in.section(), FileReaderSize: in.size}
	if in.size <= memOpenMax {
		// Small files are copied into PDFium's memory in one read: parsing
		// through read callbacks costs a Go round trip per block.
		data, err := in.readAll(in.size)
		if err != nil {
			return err
		}
		req = &requests.OpenDocument{File: &data}
	}
	opened, err := r.inst.OpenDocument(req)
	if errors.Is(err, pdfiumerrors.ErrPassword) {
		return ErrEncrypted
	}
	if err != nil {
		return fmt.Errorf("%w: pdf: %v", ErrMalformed, err)
	}
	docRef := opened.Document
	defer r.inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: docRef})

	pc, err := r.inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: docRef})
	if err != nil {
		return fmt.Errorf("%w: pdf: %v", ErrMalformed, err)
	}
	if pc.PageCount <= 0 {
		return fmt.Errorf("%w: pdf: no pages", ErrMalformed)
	}
	if mt, err := r.inst.FPDF_GetMetaText(&requests.FPDF_GetMetaText{Document: docRef, Tag: "Title"}); err == nil {
		r.doc.Title = pdfTitle(mt.Value)
	}
	pages := newPageSelector(pc.PageCount, r.opts).list(pc.PageCount)
	if len(pages) == 0 {
		return fmt.Errorf("%w: %d pages", ErrNoPages, pc.PageCount)
	}
	r.doc.Fields = map[string]string{"page_count": fmt.Sprint(pc.PageCount)}
	r.doc.Pages = 0
	texts := make([]string, 0, len(pages)) // never grows: OCR writes into it by address
	var bad []string                       // pages PDFium cannot load: skipped, unless all are
	var badErr error
	err = r.pages(docRef, pages, &texts, &bad, &badErr)
	// Every page started is waited for, whatever happened since.
	if werr := r.ocr.wait(); err == nil {
		err = werr
	}
	if err != nil && !errors.Is(err, errFull) {
		return err
	}
	r.doc.Pages = len(texts)
	if r.doc.Pages == 0 && badErr != nil {
		return badErr
	}
	if len(bad) > 0 {
		r.doc.Warnings = append(r.doc.Warnings, fmt.Sprintf("unreadable pages skipped: %s (%v)", strings.Join(bad, ", "), badErr))
	}
	if ferr := r.ocr.finish(texts, r.s, r.doc); ferr != nil {
		return ferr
	}
	return err
}

// pages reads the text of each page into texts, starting OCR of the pages
// without one; it stops early when the text budget is reached (errFull).
func (r *pdfRun) pages(docRef references.FPDF_DOCUMENT, pages []int, texts *[]string, bad *[]string, badErr *error) error {
	for _, i := range pages {
		if err := r.s.check(); err != nil {
			return err
		}
		if err := r.ocr.failed(); err != nil {
			return err
		}
		if r.kept >= r.s.max {
			return errFull
		}
		err := r.page(docRef, i, texts)
		if errors.Is(err, ErrMalformed) {
			*bad = append(*bad, fmt.Sprint(i+1))
			r.badPages = true
			*badErr = cmp.Or(*badErr, err)
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// page appends the text of page i to texts and starts its OCR when it has
// none and OCR is possible.
func (r *pdfRun) page(docRef references.FPDF_DOCUMENT, i int, texts *[]string) error {
	lp, err := r.inst.FPDF_LoadPage(&requests.FPDF_LoadPage{Document: docRef, Index: i})
	if err != nil {
		return fmt.Errorf("%w: pdf page %d: %v", ErrMalformed, i, err)
	}
	page := lp.Page
	defer r.inst.FPDF_ClosePage(&requests.FPDF_ClosePage{Page: page})
	text, err := r.pageText(page)
	if err != nil {
		return err
	}
	r.kept += len(text)
	*texts = append(*texts, text)
	slot := &(*texts)[len(*texts)-1]
	if alnum(text) >= minPageChars || !r.ocr.want() {
		return nil
	}
	if err := r.ocr.acquire(); err != nil {
		return err
	}
	pgm, err := r.renderPGM(page)
	if err != nil || pgm == nil {
		r.ocr.release()
		if errors.Is(err, ErrMalformed) {
			r.ocr.mu.Lock()
			r.ocr.bad = cmp.Or(r.ocr.bad, err)
			r.ocr.mu.Unlock()
			return nil
		}
		return err
	}
	r.ocr.start(i, slot, func(ctx context.Context, t *ocrTool, lang string) (string, error) {
		return t.run(ctx, bytes.NewReader(pgm), lang, r.s.max)
	})
	return nil
}

func (r *pdfRun) pageText(page references.FPDF_PAGE) (string, error) {
	tp, err := r.inst.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: requests.Page{ByReference: &page}})
	if err != nil {
		return "", fmt.Errorf("%w: pdf text: %v", ErrMalformed, err)
	}
	defer r.inst.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage})
	cc, err := r.inst.FPDFText_CountChars(&requests.FPDFText_CountChars{TextPage: tp.TextPage})
	if err != nil {
		return "", fmt.Errorf("%w: pdf text: %v", ErrMalformed, err)
	}
	// No more characters than the text budget can still take.
	n := min(cc.Count, r.s.max-r.s.len()+1)
	if n <= 0 {
		return "", nil
	}
	gt, err := r.inst.FPDFText_GetText(&requests.FPDFText_GetText{TextPage: tp.TextPage, StartIndex: 0, Count: n})
	if err != nil {
		return "", fmt.Errorf("%w: pdf text: %v", ErrMalformed, err)
	}
	if spaceStarved(gt.Text) {
		if fixed, ok := r.respace(tp.TextPage, gt.Text, n); ok {
			return fixed, nil
		}
	}
	return gt.Text, nil
}

// spaceStarved reports text in a spaced script (Latin, Greek, Cyrillic)
// whose words are implausibly long (English averages under 5 letters, German
// under 6.5; these pages measure 7 and more): PDFium did not see the word gaps of a
// PDF that positions every glyph itself instead of using space characters.
func spaceStarved(text string) bool {
	letters, spaced, words := 0, 0, 0
	inWord := false
	for _, r := range text {
		if unicode.IsSpace(r) {
			inWord = false
			continue
		}
		if !inWord {
			words++
			inWord = true
		}
		if unicode.IsLetter(r) {
			letters++
			if unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic) {
				spaced++
			}
		}
	}
	return letters >= 40 && spaced*2 > letters && letters*10 > 68*words
}

// respace rebuilds a page's text from the character boxes, inserting a
// space wherever two glyphs on one line are further apart than usual. What
// is usual depends on the glyph: an "f" overhangs its neighbour by a couple
// of points inside a word, so the gap after each character is measured
// against the median gap after that character within words. It costs one
// call per character, so it only runs for space-starved pages.
func (r *pdfRun) respace(tp references.FPDF_TEXTPAGE, text string, n int) (string, bool) {
	runes := []rune(text)
	if len(runes) != n {
		return "", false // a character outside the BMP: indexes do not align
	}
	type glyph struct {
		visible               bool
		right, bottom, height float32
		gap                   float32 // to the previous glyph; meaningful only if joined
		joined                bool    // follows a visible glyph on the same line
	}
	glyphs := make([]glyph, n)
	var prev *glyph
	inWord := map[rune][]float32{} // gaps after each character below the absolute threshold
	for i, ch := range runes {
		if i&255 == 0 && r.ctx.Err() != nil {
			return "", false
		}
		box, err := r.inst.FPDFText_GetLooseCharBox(&requests.FPDFText_GetLooseCharBox{TextPage: tp, Index: i})
		if err != nil {
			return "", false
		}
		g := &glyphs[i]
		g.height = box.Rect.Top - box.Rect.Bottom
		g.visible = g.height > 0 && !unicode.IsSpace(ch)
		g.right, g.bottom = box.Rect.Right, box.Rect.Bottom
		if !g.visible {
			prev = nil
			continue
		}
		if prev != nil {
			tall := max(g.height, prev.height)
			if abs32(g.bottom-prev.bottom) < tall/2 {
				g.joined = true
				g.gap = box.Rect.Left - prev.right
				if g.gap < tall/10 {
					inWord[runes[i-1]] = append(inWord[runes[i-1]], g.gap)
				}
			}
		}
		prev = g
	}
	base := make(map[rune]float32, len(inWord))
	for ch, gaps := range inWord {
		sort.Slice(gaps, func(a, b int) bool { return gaps[a] < gaps[b] })
		base[ch] = gaps[len(gaps)/2]
	}
	var out strings.Builder
	out.Grow(len(text) + len(text)/4)
	for i, ch := range runes {
		if g := glyphs[i]; g.joined {
			tall := max(g.height, glyphs[i-1].height)
			b, ok := base[runes[i-1]]
			if !ok {
				b = 0
			}
			if g.gap-b > tall*0.12 {
				out.WriteByte(' ')
			}
		}
		out.WriteRune(ch)
	}
	return out.String(), true
}

func abs32(f float32) float32 {
	if f < 0 {
		return -f
	}
	return f
}

// renderPGM renders a page in grey at the resolution of its largest image
// (pageDPI), so tesseract sees the scan's own pixels, and returns it as PGM.
func (r *pdfRun) renderPGM(page references.FPDF_PAGE) ([]byte, error) {
	dpi := r.pageDPI(page)
	w, errW := r.inst.FPDF_GetPageWidthF(&requests.FPDF_GetPageWidthF{Page: requests.Page{ByReference: &page}})
	h, errH := r.inst.FPDF_GetPageHeightF(&requests.FPDF_GetPageHeightF{Page: requests.Page{ByReference: &page}})
	if errW == nil && errH == nil {
		side := float64(max(w.PageWidth, h.PageHeight))
		if side <= 0 {
			return nil, nil
		}
		if px := side / 72 * float64(dpi); px > maxRenderSide {
			dpi = max(1, int(float64(maxRenderSide)*72/side))
		}
	}
	r.rendered = true
	res, err := r.inst.RenderPageInDPI(&requests.RenderPageInDPI{
		Page:        requests.Page{ByReference: &page},
		DPI:         dpi,
		ImageFormat: requests.RenderImageFormatGrayscale,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: pdf render: %v", ErrMalformed, err)
	}
	pgm := encodePGM(res.Result.RenderedImage)
	if res.CleanupFunc != nil {
		res.CleanupFunc()
	}
	if pgm == nil {
		return nil, fmt.Errorf("%w: pdf render: unexpected image type", ErrMalformed)
	}
	return pgm, nil
}

// Bounds of the resolution a page is rendered at for OCR.
const (
	minOCRDPI = 50
	maxOCRDPI = 600
)

// pageDPI is the resolution of the largest image on the page as drawn
// there: a scanned page rendered at it gives tesseract the scan's own
// pixels, neither blurred up nor thinned out (a scan wrapped in a page of
// the wrong size, such as one point per pixel, is common). A page without
// images (text drawn as outlines) gets Config.OCRDPI.
func (r *pdfRun) pageDPI(page references.FPDF_PAGE) int {
	ref := requests.Page{ByReference: &page}
	n, err := r.inst.FPDFPage_CountObjects(&requests.FPDFPage_CountObjects{Page: ref})
	if err != nil {
		return r.e.cfg.OCRDPI
	}
	best, dpi := 0.0, 0.0
	for i := range min(n.Count, 1000) {
		obj, err := r.inst.FPDFPage_GetObject(&requests.FPDFPage_GetObject{Page: ref, Index: i})
		if err != nil {
			continue
		}
		typ, err := r.inst.FPDFPageObj_GetType(&requests.FPDFPageObj_GetType{PageObject: obj.PageObject})
		if err != nil || typ.Type != enums.FPDF_PAGEOBJ_IMAGE {
			continue
		}
		md, err := r.inst.FPDFImageObj_GetImageMetadata(&requests.FPDFImageObj_GetImageMetadata{ImageObject: obj.PageObject, Page: ref})
		if err != nil {
			continue
		}
		if px := float64(md.ImageMetadata.Width) * float64(md.ImageMetadata.Height); px > best {
			best, dpi = px, float64(md.ImageMetadata.HorizontalDPI)
		}
	}
	return ocrDPI(dpi, r.e.cfg.OCRDPI)
}

// ocrDPI bounds an image's resolution to minOCRDPI..maxOCRDPI; none (0) is def.
func ocrDPI(native float64, def int) int {
	if native <= 0 {
		return def
	}
	return int(min(max(native+0.5, minOCRDPI), maxOCRDPI))
}

// encodePGM writes a grey image as binary PGM, which tesseract reads without
// any decompression work on either side.
func encodePGM(img image.Image) []byte {
	g, ok := img.(*image.Gray)
	if !ok {
		if rgba, ok := img.(*image.RGBA); ok {
			g = image.NewGray(rgba.Rect)
			for y := rgba.Rect.Min.Y; y < rgba.Rect.Max.Y; y++ {
				for x := rgba.Rect.Min.X; x < rgba.Rect.Max.X; x++ {
					g.Set(x, y, rgba.At(x, y))
				}
			}
		} else {
			return nil
		}
	}
	b := g.Bounds()
	header := fmt.Sprintf("P5\n%d %d\n255\n", b.Dx(), b.Dy())
	out := make([]byte, 0, len(header)+b.Dx()*b.Dy())
	out = append(out, header...)
	for y := 0; y < b.Dy(); y++ {
		off := y * g.Stride
		out = append(out, g.Pix[off:off+b.Dx()]...)
	}
	return out
}

// pdfTitle cleans the Title of the document information: producers often
// store a temporary file name or URL there, which is no title.
func pdfTitle(t string) string {
	t = oneLine(t)
	t = strings.TrimPrefix(t, "Microsoft Word - ")
	if strings.Contains(t, "://") || strings.HasPrefix(t, "/") || strings.Contains(t, `:\`) {
		return ""
	}
	return t
}

// alnum counts letters and digits.
func alnum(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}
