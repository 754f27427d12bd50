package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/classifyd/classifyd/internal/extract/pdftest"
)

// runPDF measures PDFs end to end against poppler's pdftotext on the same
// files with the same page limit, the peak memory of once and run over the
// whole dev corpus, and OCR of scanned pages.
func runPDF(ctx context.Context, e *env) ([]*table, error) {
	if e.corpus == "" {
		return nil, fmt.Errorf("pdf: the dev corpus is needed (--corpus)")
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		return nil, fmt.Errorf("pdf: pdftotext is not installed (apt-get install poppler-utils)")
	}
	dir, err := e.mkdir(e.work, "pdf")
	if err != nil {
		return nil, err
	}
	defer e.cleanup(dir)
	docs := filepath.Join(e.corpus, "docs")
	all, err := os.ReadDir(docs)
	if err != nil {
		return nil, err
	}
	var pdfs, every []string
	for _, de := range all {
		if !de.Type().IsRegular() {
			continue
		}
		every = append(every, filepath.Join(docs, de.Name()))
		if strings.HasSuffix(de.Name(), ".pdf") {
			pdfs = append(pdfs, filepath.Join(docs, de.Name()))
		}
	}
	const maxPages = 10 // parsing.max_pages's default; pdftotext -l 10
	rounds := 5
	if e.quick {
		rounds = 2
	}

	// fill copies files into a fresh inbox as c-NAME (accuracy reads the label).
	n := 0
	fresh := func(files []string) (benchConfig, string, error) {
		n++
		d := filepath.Join(dir, fmt.Sprintf("run%02d", n))
		bc := benchConfig{inbox: filepath.Join(d, "inbox"), output: filepath.Join(d, "out"), state: filepath.Join(d, "state", "classifyd.db")}
		if err := os.MkdirAll(bc.inbox, 0o755); err != nil {
			return bc, "", err
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return bc, "", err
			}
			if err := os.WriteFile(filepath.Join(bc.inbox, "c-"+filepath.Base(f)), b, 0o644); err != nil {
				return bc, "", err
			}
		}
		cfg := filepath.Join(d, "classifyd.yaml")
		return bc, cfg, bc.write(cfg)
	}
	asFiles := func(paths []string) []backlogFile {
		var out []backlogFile
		for _, p := range paths {
			out = append(out, backlogFile{path: p, format: "pdf"})
		}
		return out
	}

	// 1. PDFs end to end against pdftotext, alternating, several rounds.
	t := &table{
		title:  fmt.Sprintf("PDFs end to end: the dev corpus's %d PDFs, `classifyd once` against `pdftotext -l %d`", len(pdfs), maxPages),
		header: []string{"run", "rounds", "wall (median)", "files/s", "CPU s (median)", "peak RSS (median)", "throughput ÷ pdftotext"},
	}
	pages := 0
	for _, p := range pdfs {
		out, err := exec.CommandContext(ctx, "pdftotext", "-q", "-l", fmt.Sprint(maxPages), p, "-").Output()
		if err == nil {
			pages += strings.Count(string(out), "\f")
		}
	}
	var pttWall, pttCPU, onceWall, onceCPU []time.Duration
	var onceRSS []int64
	acc, accN := 0.0, 0
	for r := range rounds {
		e.logf("pdf: round %d of %d: pdftotext, then classifyd once", r+1, rounds)
		ptt, err := runPdftotext(ctx, asFiles(pdfs), maxPages)
		if err != nil {
			return nil, err
		}
		pttWall, pttCPU = append(pttWall, ptt.wall), append(pttCPU, ptt.cpu)
		bc, cfg, err := fresh(pdfs)
		if err != nil {
			return nil, err
		}
		res, err := runOnce(ctx, e, cfg, filepath.Join(filepath.Dir(cfg), "once.log"))
		if err != nil {
			return nil, err
		}
		if f := filedCount(res.stdout); f != len(pdfs) {
			return nil, fmt.Errorf("pdf: once filed %d of %d PDFs:\n%s", f, len(pdfs), res.stdout)
		}
		onceWall, onceCPU, onceRSS = append(onceWall, res.wall), append(onceCPU, res.cpu()), append(onceRSS, res.maxRSSKB)
		acc, accN = accuracy(bc.output, e.corpus)
	}
	e.logf("pdf: classifyd once with PDFium (CLASSIFYD_PDF=pdfium), warm")
	var pdfium []procResult
	for range 2 { // the first compiles PDFium when the cache is empty
		_, cfg, err := fresh(pdfs)
		if err != nil {
			return nil, err
		}
		res, err := runOnce(ctx, e, cfg, filepath.Join(filepath.Dir(cfg), "once.log"), "CLASSIFYD_PDF=pdfium")
		if err != nil {
			return nil, err
		}
		pdfium = append(pdfium, res)
	}
	pw, ow := median(pttWall), median(onceWall)
	t.add(fmt.Sprintf("pdftotext -l %d, 2 processes at a time", maxPages), fmt.Sprint(rounds), fmtDur(pw), fmtRate(float64(len(pdfs)), pw),
		fmt.Sprintf("%.2f", median(pttCPU).Seconds()), "n/a", "1")
	t.add("**classifyd once** (poppler)", fmt.Sprint(rounds), fmtDur(ow), fmtRate(float64(len(pdfs)), ow),
		fmt.Sprintf("%.2f", median(onceCPU).Seconds()), fmtMB(medianInt(onceRSS)), fmt.Sprintf("**%.2f**", pw.Seconds()/ow.Seconds()))
	last := pdfium[len(pdfium)-1]
	t.add("classifyd once, PDFium in WebAssembly (fallback)", "1", fmtDur(last.wall), fmtRate(float64(len(pdfs)), last.wall),
		fmt.Sprintf("%.2f", last.cpu().Seconds()), fmtMB(last.maxRSSKB), fmt.Sprintf("%.2f", pw.Seconds()/last.wall.Seconds()))
	t.note("%d PDFs, %d pages read (max_pages %d). Rounds alternate pdftotext and once; medians. Every once run starts from an empty state and files all %d PDFs; %.1f%% of them in their labelled type.",
		len(pdfs), pages, maxPages, len(pdfs), 100*acc)
	_ = accN
	t.note("Throughput ÷ pdftotext target ≥ 0.8: %s. pdftotext's CPU is its processes'; once's is its own and its children's (pdftotext).", verdict(pw.Seconds()/ow.Seconds() >= 0.8))
	t.note("PDFium: the row is the second of two runs; the first (which compiles PDFium when the user's cache folder has no copy) took %s (peak RSS %s).", fmtDur(pdfium[0].wall), fmtMB(pdfium[0].maxRSSKB))

	// 2. Peak memory over the whole dev corpus (PDFs, text, photos that need OCR).
	m := &table{
		title:  fmt.Sprintf("Memory over the whole dev corpus (%d files: PDFs, text, JPEG photos OCRed)", len(every)),
		header: []string{"run", "wall", "peak RSS of classifyd", "filed"},
	}
	e.logf("pdf: classifyd once over the dev corpus")
	bc, cfg, err := fresh(every)
	if err != nil {
		return nil, err
	}
	res, err := runOnce(ctx, e, cfg, filepath.Join(filepath.Dir(cfg), "once.log"))
	if err != nil {
		return nil, err
	}
	a, _ := accuracy(bc.output, e.corpus)
	m.add("classifyd once", fmtDur(res.wall), fmtMB(res.maxRSSKB), fmt.Sprintf("%d of %d, %.1f%% in their labelled type", filedCount(res.stdout), len(every), 100*a))
	e.logf("pdf: classifyd run over the dev corpus")
	runWall, runRSS, runFiled, err := runDaemonOver(ctx, e, every, dir)
	if err != nil {
		return nil, err
	}
	m.add("classifyd run (files dropped at once)", fmtDur(runWall), fmtMB(runRSS), fmt.Sprintf("%d of %d", runFiled, len(every)))
	m.note("Target ≤ 150 MB: %s. The process's own memory: tesseract and poppler run as child processes (tesseract ~%s each, at most GOMAXPROCS at once).",
		verdict(res.maxRSSKB <= 150<<10 && runRSS <= 150<<10), "50-100 MB")

	// 3. OCR: scanned pages made from the corpus's PDFs.
	o, err := runOCR(ctx, e, dir, pdfs)
	if err != nil {
		return nil, err
	}
	return []*table{t, m, o}, nil
}

// runDaemonOver starts classifyd run on an empty inbox, drops files into it
// and waits until every one is in a folder; it returns the time from the
// first drop, the daemon's peak RSS and the files filed.
func runDaemonOver(ctx context.Context, e *env, files []string, dir string) (time.Duration, int64, int, error) {
	d := filepath.Join(dir, "daemon")
	bc := benchConfig{inbox: filepath.Join(d, "inbox"), output: filepath.Join(d, "out"), state: filepath.Join(d, "state", "classifyd.db"),
		settle: 200 * time.Millisecond, window: 200 * time.Millisecond}
	for _, p := range []string{bc.inbox, bc.output} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return 0, 0, 0, err
		}
	}
	cfg := filepath.Join(d, "classifyd.yaml")
	if err := bc.write(cfg); err != nil {
		return 0, 0, 0, err
	}
	dm, _, err := startDaemon(e.bin, []string{"run", "--config", cfg, "--log-level", "warn"}, filepath.Join(d, "run.log"), "", nil)
	if err != nil {
		return 0, 0, 0, err
	}
	defer dm.stop()
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return 0, 0, 0, err
		}
		tmp := filepath.Join(bc.inbox, "c-"+filepath.Base(f)+".part")
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return 0, 0, 0, err
		}
		if err := os.Rename(tmp, strings.TrimSuffix(tmp, ".part")); err != nil {
			return 0, 0, 0, err
		}
	}
	var rss int64
	deadline := time.Now().Add(5 * time.Minute)
	for {
		rss = max(rss, dm.vmHWM())
		filed := 0
		filepath.WalkDir(bc.output, func(p string, de os.DirEntry, err error) error {
			if err == nil && de.Type().IsRegular() && strings.HasPrefix(de.Name(), "c-") && !strings.HasSuffix(de.Name(), ".error.txt") {
				filed++
			}
			return nil
		})
		if filed >= len(files) {
			return time.Since(start), rss, filed, nil
		}
		select {
		case <-ctx.Done():
			return 0, 0, 0, ctx.Err()
		case <-dm.done:
			return 0, 0, 0, fmt.Errorf("classifyd run exited: %v\n%s", dm.waitErr, tail(dm.logPath, 15))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return 0, 0, 0, fmt.Errorf("run filed %d of %d in 5 minutes\n%s", filed, len(files), tail(dm.logPath, 15))
		}
	}
}

// runOCR scans (pdftoppm, 150 dpi, grey JPEG) the first pages of some of
// the corpus's PDFs into image-only PDFs and files them with once.
func runOCR(ctx context.Context, e *env, dir string, pdfs []string) (*table, error) {
	t := &table{
		title:  "OCR: image-only PDFs made from the corpus's PDFs (150 dpi grey scans)",
		header: []string{"files", "scanned pages", "wall", "pages/s", "CPU s (with tesseract)", "peak RSS of classifyd", "in their labelled type"},
	}
	for _, p := range []string{"pdftoppm", "tesseract"} {
		if _, err := exec.LookPath(p); err != nil {
			t.note("%s is not installed: no OCR measurement.", p)
			return t, nil
		}
	}
	n, perFile := 12, 2
	if e.quick {
		n = 4
	}
	d := filepath.Join(dir, "ocr")
	bc := benchConfig{inbox: filepath.Join(d, "inbox"), output: filepath.Join(d, "out"), state: filepath.Join(d, "state", "classifyd.db")}
	if err := os.MkdirAll(bc.inbox, 0o755); err != nil {
		return nil, err
	}
	// Every fifth PDF: all the corpus's types.
	var picked []string
	for i := 0; i < len(pdfs) && len(picked) < n; i += max(1, len(pdfs)/n) {
		picked = append(picked, pdfs[i])
	}
	total := 0
	for _, p := range picked {
		tmp := filepath.Join(d, "pages")
		os.RemoveAll(tmp)
		os.MkdirAll(tmp, 0o755)
		if out, err := exec.CommandContext(ctx, "pdftoppm", "-l", fmt.Sprint(perFile), "-r", "150", "-gray", "-jpeg", p, filepath.Join(tmp, "p")).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("pdftoppm %s: %v: %s", p, err, out)
		}
		imgs, _ := filepath.Glob(filepath.Join(tmp, "p-*.jpg"))
		slices.Sort(imgs)
		var pages []pdftest.Page
		for _, img := range imgs {
			b, err := os.ReadFile(img)
			if err != nil {
				return nil, err
			}
			pages = append(pages, pdftest.Page{JPEG: b, DPI: 150})
		}
		data, err := pdftest.Build(pages)
		if err != nil {
			return nil, err
		}
		total += len(pages)
		if err := os.WriteFile(filepath.Join(bc.inbox, "scan-"+filepath.Base(p)), data, 0o644); err != nil {
			return nil, err
		}
	}
	cfg := filepath.Join(d, "classifyd.yaml")
	if err := bc.write(cfg); err != nil {
		return nil, err
	}
	e.logf("pdf: classifyd once over %d scanned PDFs (%d pages)", len(picked), total)
	res, err := runOnce(ctx, e, cfg, filepath.Join(d, "once.log"))
	if err != nil {
		return nil, err
	}
	acc, _ := accuracy(bc.output, e.corpus)
	t.add(fmt.Sprint(len(picked)), fmt.Sprint(total), fmtDur(res.wall), fmtRate(float64(total), res.wall), fmt.Sprintf("%.1f", res.cpu().Seconds()),
		fmtMB(res.maxRSSKB), fmt.Sprintf("%.0f%%", 100*acc))
	t.note("The first %d pages of every %dth corpus PDF, each page a JPEG, no text layer; default configuration (mode FAST); pages OCRed %d at a time (GOMAXPROCS), one tesseract thread each.",
		perFile, max(1, len(pdfs)/n), 2)
	return t, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianInt(d []int64) int64 {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
