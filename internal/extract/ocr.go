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

// ocrRetry is how long a failed tesseract look-up is remembered before the
// next image tries again (someone may install it meanwhile).
var ocrRetry = time.Minute

// ocrTool is the tesseract program and the language packs it has.
type ocrTool struct {
	path   string
	langs  map[string]bool
	warned sync.Map // tesseract lang -> struct{}: fallback already logged
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
	t := &ocrTool{path: full, langs: map[string]bool{}}
	for i, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if i == 0 && strings.HasPrefix(line, "List of") || line == "" {
			continue
		}
		t.langs[line] = true
	}
	if !t.langs["eng"] {
		return nil, fmt.Errorf("%w (no eng language pack: install tesseract-ocr-eng)", ErrNoOCR)
	}
	return t, nil
}

// lang resolves an API language code to an installed tesseract model;
// a missing pack falls back to eng with a warning.
func (e *Extractor) ocrLang(t *ocrTool, code string) (lang, warning string, err error) {
	lang, err = TesseractLang(code)
	if err != nil {
		return "", "", err
	}
	if t.langs[lang] {
		return lang, "", nil
	}
	pkg := "tesseract-ocr-" + strings.ReplaceAll(strings.ToLower(lang), "_", "-")
	if lang == "script/Latin" {
		pkg = "tesseract-ocr-script-latn"
	}
	warning = fmt.Sprintf("tesseract language %q (for %q) is not installed, OCR used eng; install %s", lang, code, pkg)
	if _, done := t.warned.LoadOrStore(lang, struct{}{}); !done {
		e.log.Warn("OCR language fallback", "lang", code, "tesseract", lang, "using", "eng", "install", pkg)
	}
	return "eng", warning, nil
}

// run OCRs the image on stdin and returns at most max bytes of text.
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

// extractImage OCRs an image file, in FAST and MULTIMODAL mode alike: an
// image has no other text. The file descriptor itself is tesseract's stdin,
// so nothing is copied and no path is opened twice.
func (e *Extractor) extractImage(ctx context.Context, in *input, opts Options, s *sink, doc *Document) error {
	t, err := e.tesseract(ctx)
	if err != nil {
		return err
	}
	lang, warning, err := e.ocrLang(t, opts.Lang)
	if err != nil {
		return err
	}
	if warning != "" {
		doc.Warnings = append(doc.Warnings, warning)
	}
	if err := checkImageSize(in.head); err != nil {
		return err
	}
	if _, err := in.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("seek: %w", err)
	}
	text, err := t.run(ctx, in.f, lang, s.max)
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
