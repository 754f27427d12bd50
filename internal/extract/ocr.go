package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // DecodeConfig of GIF headers
	_ "image/jpeg" // DecodeConfig of JPEG headers
	_ "image/png"  // DecodeConfig of PNG headers
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// ocrRetry is how long a failed tesseract look-up (or a language found
// missing) is remembered before the next file tries again: someone may
// install it meanwhile, and `classifyd retry` sends the failed files again.
var ocrRetry = 10 * time.Second

// ocrTool is the tesseract program and the language packs it has.
type ocrTool struct {
	path   string
	langs  map[string]bool
	listed time.Time
}

// ocrState caches the look-up of tesseract.
type ocrState struct {
	mu     sync.Mutex
	tool   *ocrTool
	err    error
	tried  time.Time
	checks int // look-ups done (tests)
}

// tesseract returns the OCR tool, looking it up and listing its languages
// once (`tesseract --list-langs`), or ErrNoOCR.
func (e *Extractor) tesseract(ctx context.Context) (*ocrTool, error) {
	st := &e.ocrState
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.tool != nil {
		return st.tool, nil
	}
	if st.err != nil && time.Since(st.tried) < ocrRetry {
		return nil, st.err
	}
	st.tried = time.Now()
	st.checks++
	st.tool, st.err = findTesseract(ctx, e.cfg.Tesseract)
	if st.err != nil {
		e.log.Warn("OCR unavailable", "err", st.err)
	}
	return st.tool, st.err
}

func findTesseract(ctx context.Context, name string) (*ocrTool, error) {
	if name == "" {
		name = "tesseract"
	}
	full, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoOCR, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, full, "--list-langs")
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%w (%s --list-langs: %v)", ErrNoOCR, full, err)
	}
	t := &ocrTool{path: full, langs: map[string]bool{}, listed: time.Now()}
	for i, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if i == 0 && strings.HasPrefix(line, "List of") || line == "" {
			continue
		}
		t.langs[line] = true
	}
	return t, nil
}

// ocrLang resolves API language codes ("en", "en,de") to tesseract's
// ("eng", "eng+deu") and checks that their data is installed: a missing one
// is ErrNoOCRLang naming the package to install.
func (e *Extractor) ocrLang(t *ocrTool, code string) (string, error) {
	lang, err := TesseractLang(code)
	if err != nil {
		return "", err
	}
	var missing, pkgs []string
	for _, l := range strings.Split(lang, "+") {
		if !t.langs[l] {
			missing = append(missing, l)
			pkgs = append(pkgs, TesseractPackage(l))
		}
	}
	if len(missing) > 0 && time.Since(t.listed) >= ocrRetry {
		// A language pack may have been installed since tesseract was
		// looked up: list the languages again.
		st := &e.ocrState
		st.mu.Lock()
		if st.tool == t {
			st.tool = nil
		}
		st.mu.Unlock()
		if t2, err := e.tesseract(context.Background()); err == nil && t2 != t {
			return e.ocrLang(t2, code)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%w: %s (for %q): install %s", ErrNoOCRLang, strings.Join(missing, ", "), code, strings.Join(pkgs, " "))
	}
	return lang, nil
}

// TesseractPackage is the Debian/Ubuntu package with a tesseract language's data.
func TesseractPackage(lang string) string {
	if lang == "script/Latin" {
		return "tesseract-ocr-script-latn"
	}
	return "tesseract-ocr-" + strings.ReplaceAll(strings.ToLower(lang), "_", "-")
}

// acquireOCR waits for one of the Extractor's Config.OCRJobs tesseract slots.
func (e *Extractor) acquireOCR(ctx context.Context) error {
	select {
	case e.ocrSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (e *Extractor) releaseOCR() { <-e.ocrSem }

// run OCRs the image on stdin and returns at most max bytes of text. The
// caller holds an OCR slot (Extractor.acquireOCR).
func (t *ocrTool) run(ctx context.Context, stdin io.Reader, lang string, max int) (string, error) {
	cmd := exec.CommandContext(ctx, t.path, "stdin", "stdout", "-l", lang)
	cmd.Stdin = stdin
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	out := &capWriter{max: max}
	errOut := &capWriter{max: 4096}
	cmd.Stdout, cmd.Stderr = out, errOut
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", context.Cause(ctx)
		}
		msg := strings.TrimSpace(errOut.buf.String())
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("%w: tesseract: %v: %s", ErrMalformed, err, lastLine(msg))
		}
		return "", fmt.Errorf("tesseract: %w", err)
	}
	return out.buf.String(), nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// capWriter keeps the first max bytes and swallows the rest, so the child
// never blocks or dies on a closed pipe.
type capWriter struct {
	buf bytes.Buffer
	max int
}

func (w *capWriter) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// extractImage OCRs an image file. The file descriptor itself is
// tesseract's stdin, so nothing is copied and no path is opened twice.
func (e *Extractor) extractImage(ctx context.Context, in *input, opts Options, s *sink, doc *Document) error {
	t, err := e.tesseract(ctx)
	if err != nil {
		return fmt.Errorf("%w: install %s", err, ocrPackages(opts.Lang))
	}
	lang, err := e.ocrLang(t, opts.Lang)
	if err != nil {
		return err
	}
	if err := checkImageSize(in.head); err != nil {
		return err
	}
	if _, err := in.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("seek: %w", err)
	}
	if err := e.acquireOCR(ctx); err != nil {
		return err
	}
	text, err := t.run(ctx, in.f, lang, s.max)
	e.releaseOCR()
	if err != nil {
		return err
	}
	// tesseract ends every page with a form feed (multi-page TIFF).
	doc.Pages = max(1, strings.Count(text, "\f"))
	return s.write(text)
}

// maxImagePixels bounds the images handed to tesseract: a small PNG can
// declare gigapixels and make leptonica allocate them.
var maxImagePixels = 150_000_000

// checkImageSize reads the dimensions from the header of the formats the
// standard library knows (PNG, JPEG, GIF) and refuses oversized images.
func checkImageSize(head []byte) error {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(head))
	if err != nil {
		return nil // another format, or the header is not within head: tesseract decides
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > int64(maxImagePixels) {
		return fmt.Errorf("%w: image of %dx%d pixels", ErrTooLarge, cfg.Width, cfg.Height)
	}
	return nil
}
