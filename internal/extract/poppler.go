package extract

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNoPoppler: Config.PDF is PDFPoppler and its programs are not installed.
var ErrNoPoppler = errors.New("poppler not found: install poppler-utils (pdftotext, pdftoppm)")

// popplerTools are the poppler programs the PDF extractor runs.
type popplerTools struct {
	pdftotext, pdftoppm, pdfimages string
}

// popplerState caches the look-up of poppler, like ocrState for tesseract.
type popplerState struct {
	mu    sync.Mutex
	tools *popplerTools
	err   error
	tried time.Time
}

// poppler returns poppler's programs, or ErrNoPoppler; a failed look-up is
// tried again after ocrRetry (someone may install them meanwhile).
func (e *Extractor) poppler() (*popplerTools, error) {
	st := &e.popplerState
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.tools != nil || st.err != nil && time.Since(st.tried) < ocrRetry {
		return st.tools, st.err
	}
	st.tried = time.Now()
	look := func(name string) (string, error) {
		if e.cfg.Poppler != "" {
			name = filepath.Join(e.cfg.Poppler, name)
		}
		return exec.LookPath(name)
	}
	t := &popplerTools{}
	var err1, err2 error
	t.pdftotext, err1 = look("pdftotext")
	t.pdftoppm, err2 = look("pdftoppm")
	t.pdfimages, _ = look("pdfimages") // optional: the resolution of scans
	if err := errors.Join(err1, err2); err != nil {
		st.err = fmt.Errorf("%w (%v)", ErrNoPoppler, err)
		e.log.Info("poppler not found, PDFs are read with PDFium", "err", err)
		return nil, st.err
	}
	st.tools, st.err = t, nil
	e.log.Debug("PDFs are read with poppler", "pdftotext", t.pdftotext)
	return t, nil
}

// extractPDF reads a PDF with poppler when it is installed (Config.PDF
// allowing), else with PDFium. Either way, pages without a text layer are
// OCRed when tesseract is installed.
func (e *Extractor) extractPDF(ctx context.Context, in *input, opts Options, s *sink, doc *Document) error {
	e.pdfMu.Lock()
	closed := e.closed
	e.pdfMu.Unlock()
	if closed {
		return ErrClosed
	}
	if e.cfg.PDF != PDFium {
		pp, err := e.poppler()
		if err == nil {
			return e.extractPoppler(ctx, pp, in, opts, s, doc)
		}
		if e.cfg.PDF == PDFPoppler {
			return err
		}
	}
	return e.extractPDFium(ctx, in, opts, s, doc)
}

// pageRun is a range of pages for one pdftotext process: first..last,
// 1-based and inclusive; last 0 means to the end. want, if set, lists the
// 0-based pages kept from the range.
type pageRun struct {
	first, last int
	want        map[int]bool
}

// pageRuns turns Options.MaxPages and Options.TargetPages into page ranges.
// Targets are sorted, capped at MaxPages, and close ones (gaps of up to
// three pages) share a range: a process costs more than a few pages.
func pageRuns(opts Options) []pageRun {
	if len(opts.TargetPages) == 0 {
		if opts.MaxPages > 0 {
			return []pageRun{{first: 1, last: opts.MaxPages}}
		}
		return []pageRun{{first: 1}}
	}
	var ts []int
	for _, t := range opts.TargetPages {
		if t >= 0 {
			ts = append(ts, t)
		}
	}
	slices.Sort(ts)
	ts = slices.Compact(ts)
	if opts.MaxPages > 0 && len(ts) > opts.MaxPages {
		ts = ts[:opts.MaxPages]
	}
	var runs []pageRun
	for _, t := range ts {
		if n := len(runs); n > 0 && t+1-runs[n-1].last <= 4 {
			runs[n-1].last = t + 1
			runs[n-1].want[t] = true
			continue
		}
		runs = append(runs, pageRun{first: t + 1, last: t + 1, want: map[int]bool{t: true}})
	}
	return runs
}

// fileArg hands the opened file to a child process: as its descriptor 3
// (/dev/fd/3 opens the same file afresh, with its own offset) on Linux, so
// no path is looked up twice; by path elsewhere.
func fileArg(cmd *exec.Cmd, in *input) string {
	if runtime.GOOS == "linux" {
		cmd.ExtraFiles = []*os.File{in.f}
		return "/dev/fd/3"
	}
	return in.path
}

// extractPoppler reads the selected pages with pdftotext (one process per
// range of pages), then OCRs the pages without text with pdftoppm and
// tesseract, several at once.
func (e *Extractor) extractPoppler(ctx context.Context, pp *popplerTools, in *input, opts Options, s *sink, doc *Document) error {
	doc.Pages = 0
	doc.Fields = map[string]string{}
	var texts []string
	var pages []int // 0-based page of each text
	kept := 0
	count := -1 // page count, when a range ran past the end
	var err error
	for i, run := range pageRuns(opts) {
		var got, last int
		var title string
		got, last, title, err = e.pdftotext(ctx, pp, in, run, i == 0, func(page int, text string) error {
			if run.want != nil && !run.want[page] {
				return nil
			}
			texts = append(texts, text)
			pages = append(pages, page)
			kept += len(text)
			if kept >= s.max {
				return errFull
			}
			return nil
		})
		if i == 0 {
			doc.Title = pdfTitle(title)
		}
		if err != nil {
			break
		}
		if last >= 0 {
			count = last // the range began past the end
			break
		}
		if run.last == 0 || got < run.last-run.first+1 {
			count = run.first - 1 + got
			break // later ranges are past the end
		}
	}
	if err != nil && !errors.Is(err, errFull) {
		return err
	}
	full := err
	if count >= 0 {
		doc.Fields["page_count"] = strconv.Itoa(count)
	}
	if len(texts) == 0 {
		if len(opts.TargetPages) > 0 {
			return fmt.Errorf("%w: %d pages", ErrNoPages, max(count, 0))
		}
		return fmt.Errorf("%w: pdf: no pages", ErrMalformed)
	}
	doc.Pages = len(texts)
	ocr := newPageOCR(ctx, e, in.path, opts, s.max)
	for k, text := range texts {
		if alnum(text) >= minPageChars || !ocr.want() {
			continue
		}
		if err := ocr.acquire(); err != nil {
			break
		}
		page := pages[k]
		ocr.start(page, &texts[k], func(ctx context.Context, t *ocrTool, lang string) (string, error) {
			return e.ocrPopplerPage(ctx, pp, t, in, page, lang, s.max)
		})
	}
	if err := ocr.wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	if err := ocr.finish(texts, s, doc); err != nil {
		return err
	}
	return full
}

var (
	// wrongRange is pdftotext's complaint about a first page past the end.
	wrongRange = regexp.MustCompile(`first page \((\d+)\) can not be after the last page \((\d+)\)`)
	titleTag   = regexp.MustCompile(`<title>(.*)</title>`)
)

// pdftotext runs pdftotext over one range of pages and calls each with
// every page's text (page 0-based) as it arrives; each may stop it with an
// error (errFull). It returns the number of pages read, the document's last
// page when the range began after it (else -1) and, when asked, the
// document's title.
func (e *Extractor) pdftotext(ctx context.Context, pp *popplerTools, in *input, run pageRun, wantTitle bool, each func(page int, text string) error) (n, last int, title string, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, pp.pdftotext)
	args := []string{"-enc", "UTF-8", "-f", strconv.Itoa(run.first)}
	if run.last > 0 {
		args = append(args, "-l", strconv.Itoa(run.last))
	}
	if wantTitle {
		args = append(args, "-htmlmeta")
	}
	cmd.Args = append(append(cmd.Args, args...), fileArg(cmd, in), "-")
	errOut := &capWriter{max: 4096}
	cmd.Stderr = errOut
	cmd.WaitDelay = 5 * time.Second
	last = -1
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, last, "", fmt.Errorf("pdftotext: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return 0, last, "", fmt.Errorf("pdftotext: %w", err)
	}
	br := bufio.NewReaderSize(stdout, 64<<10)
	if wantTitle {
		// -htmlmeta: a head with the title, the pages inside <pre>.
		for {
			line, err := br.ReadString('\n')
			if m := titleTag.FindStringSubmatch(line); m != nil {
				title = html.UnescapeString(m[1])
			}
			if err != nil || strings.HasPrefix(line, "<pre>") {
				break
			}
		}
	}
	var stop error
	for stop == nil {
		text, more, err := readPage(br, 1<<20)
		if err != nil && !more {
			// The tail after the last form feed: "</pre>..." or nothing.
			break
		}
		if wantTitle {
			text = html.UnescapeString(text)
		}
		stop = each(run.first-1+n, text)
		n++
	}
	if stop != nil {
		cancel() // the rest is not wanted
	}
	io.Copy(io.Discard, br)
	werr := cmd.Wait()
	if stop != nil {
		return n, last, title, stop
	}
	if werr != nil {
		if err := ctx.Err(); err != nil {
			return n, last, title, context.Cause(ctx)
		}
		msg := errOut.buf.String()
		if m := wrongRange.FindStringSubmatch(msg); m != nil {
			last, _ = strconv.Atoi(m[2])
			return 0, last, title, nil
		}
		if strings.Contains(msg, "Incorrect password") {
			return n, last, title, ErrEncrypted
		}
		if n == 0 {
			return 0, last, title, fmt.Errorf("%w: pdf: %s", ErrMalformed, cmp.Or(lastLine(msg), werr.Error()))
		}
		e.log.Debug("pdftotext ended with an error after some pages", "path", in.path, "err", werr, "stderr", lastLine(msg))
	}
	return n, last, title, nil
}

// readPage reads up to the next form feed (the end of a page), keeping at
// most limit bytes of it. more is false at the end of the output, where
// what is returned is no page.
func readPage(br *bufio.Reader, limit int) (text string, more bool, err error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\f')
		if len(b) < limit {
			b = append(b, chunk[:min(len(chunk), limit-len(b))]...)
		}
		switch {
		case err == nil:
			return string(b[:max(0, len(b)-1)]), true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return string(b), false, err
		}
	}
}

// ocrPopplerPage renders page (0-based) in grey with pdftoppm at the
// resolution of its largest image and pipes it into tesseract.
func (e *Extractor) ocrPopplerPage(ctx context.Context, pp *popplerTools, t *ocrTool, in *input, page int, lang string, max int) (string, error) {
	dpi, long := e.popplerDPI(ctx, pp, in, page)
	p := strconv.Itoa(page + 1)
	render := exec.CommandContext(ctx, pp.pdftoppm, "-f", p, "-l", p, "-gray")
	if long > maxRenderSide {
		render.Args = append(render.Args, "-scale-to", strconv.Itoa(maxRenderSide))
	} else {
		// The crop is a guard against a small image on a huge page.
		render.Args = append(render.Args, "-r", strconv.Itoa(dpi), "-x", "0", "-y", "0",
			"-W", strconv.Itoa(maxRenderSide), "-H", strconv.Itoa(maxRenderSide))
	}
	render.Args = append(render.Args, fileArg(render, in))
	errOut := &capWriter{max: 4096}
	render.Stderr = errOut
	render.WaitDelay = 5 * time.Second
	img, err := render.StdoutPipe()
	if err != nil {
		return "", fmt.Errorf("pdftoppm: %w", err)
	}
	if err := render.Start(); err != nil {
		return "", fmt.Errorf("pdftoppm: %w", err)
	}
	text, terr := t.run(ctx, img, lang, max)
	img.Close()
	rerr := render.Wait()
	if ctx.Err() != nil {
		return "", context.Cause(ctx)
	}
	if rerr != nil {
		return "", fmt.Errorf("%w: pdftoppm page %d: %s", ErrMalformed, page+1, cmp.Or(lastLine(errOut.buf.String()), rerr.Error()))
	}
	return text, terr
}

// popplerDPI is pageDPI for poppler: the resolution of the largest image on
// the page (from pdfimages -list), and that image's longer side in pixels.
func (e *Extractor) popplerDPI(ctx context.Context, pp *popplerTools, in *input, page int) (dpi, long int) {
	if pp.pdfimages == "" {
		return e.cfg.OCRDPI, 0
	}
	p := strconv.Itoa(page + 1)
	cmd := exec.CommandContext(ctx, pp.pdfimages, "-list", "-f", p, "-l", p)
	cmd.Args = append(cmd.Args, fileArg(cmd, in))
	out := &capWriter{max: 64 << 10}
	cmd.Stdout = out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return e.cfg.OCRDPI, 0
	}
	return parseImageList(out.buf.String(), e.cfg.OCRDPI)
}

// parseImageList reads `pdfimages -list`: page num type width height color
// comp bpc enc interp object ID x-ppi y-ppi size ratio.
func parseImageList(list string, def int) (dpi, long int) {
	best, native := 0.0, 0.0
	for _, line := range strings.Split(list, "\n") {
		f := strings.Fields(line)
		if len(f) < 14 || f[2] != "image" {
			continue
		}
		w, err1 := strconv.Atoi(f[3])
		h, err2 := strconv.Atoi(f[4])
		ppi, err3 := strconv.ParseFloat(f[12], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		if px := float64(w) * float64(h); px > best {
			best, native, long = px, ppi, max(w, h)
		}
	}
	return ocrDPI(native, def), long
}
