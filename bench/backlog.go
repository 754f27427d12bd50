package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/classify"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/engine"
	"github.com/classifyd/classifyd/internal/extract"
)

// runBacklog measures `classifyd once` over a backlog of text-layer
// documents against three references over the same files: pdftotext (two
// processes at a time), internal/extract alone (GOMAXPROCS workers) and
// internal/classify (extract + engine, in-process, no daemon).
func runBacklog(ctx context.Context, e *env) ([]*table, error) {
	n := e.sz.backlogFiles
	t := &table{
		title:  fmt.Sprintf("Backlog throughput: %s text-layer files, `classifyd once` against extraction alone", fmtCount(n)),
		header: []string{"run", "files", "pages read", "wall", "files/s", "pages/s", "CPU s", "peak RSS", "end to end ÷ this"},
	}
	dir, err := e.mkdir(e.work, "backlog")
	if err != nil {
		return nil, err
	}
	defer e.cleanup(dir)
	corpus, err := loadCorpus(e.corpus)
	if err != nil {
		return nil, err
	}
	inbox := filepath.Join(dir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		return nil, err
	}
	e.logf("backlog: writing %d files", n)
	files, err := makeBacklog(inbox, n, corpus, 1)
	if err != nil {
		return nil, err
	}
	var nPDF, nText, nDOCX int
	var bytesTotal int64
	for _, f := range files {
		switch f.format {
		case "pdf":
			nPDF++
		case "docx":
			nDOCX++
		default:
			nText++
		}
		if fi, err := os.Stat(f.path); err == nil {
			bytesTotal += fi.Size()
		}
	}
	bc := benchConfig{inbox: inbox, output: filepath.Join(dir, "out"), state: filepath.Join(dir, "state", "classifyd.db")}
	cfgPath := filepath.Join(dir, "classifyd.yaml")
	if err := bc.write(cfgPath); err != nil {
		return nil, err
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, err
	}
	opts := classify.ExtractOptions(cfg.Mode, cfg.ParsingConfiguration())

	// Warm-up: one run over a single PDF (without poppler it compiles
	// PDFium into the user's cache folder, as any second start finds it).
	coldStart, err := warmUp(ctx, e, dir, corpus, bc)
	if err != nil {
		return nil, err
	}
	cacheDir := extract.DefaultCacheDir() // where classifyd keeps it too

	// 1. pdftotext, two processes at a time, over the PDFs; other files are
	// only read.
	var ptt *extractRun
	if _, err := exec.LookPath("pdftotext"); err == nil {
		e.logf("backlog: pdftotext over %d PDFs", nPDF)
		ptt, err = runPdftotext(ctx, files, cfg.Parsing.MaxPages)
		if err != nil {
			return nil, err
		}
	} else {
		t.note("pdftotext is not installed (apt-get install poppler-utils): its row is missing.")
	}

	// 2. internal/extract alone, GOMAXPROCS workers.
	e.logf("backlog: internal/extract over %d files", n)
	ours, err := runExtract(ctx, files, cacheDir, opts, nil)
	if err != nil {
		return nil, err
	}

	// 3. internal/classify: extraction + classification, in-process.
	e.logf("backlog: internal/classify over %d files", n)
	pipe, err := runExtract(ctx, files, cacheDir, opts, cfg)
	if err != nil {
		return nil, err
	}

	// 4. End to end.
	e.logf("backlog: classifyd once over %d files", n)
	res, err := runOnce(ctx, e, cfgPath, filepath.Join(dir, "once.log"))
	if err != nil {
		return nil, err
	}
	filed := filedCount(res.stdout)
	acc, accN := accuracy(bc.output, e.corpus)

	pages := ours.pages
	row := func(name string, files, pages int, wall, cpu time.Duration, rssKB int64) {
		ratio := fmt.Sprintf("%.2f", wall.Seconds()/res.wall.Seconds())
		rss := "n/a"
		if rssKB > 0 {
			rss = fmtMB(rssKB)
		}
		if name == "**classifyd once** (end to end)" {
			ratio = "1"
		}
		t.add(name, fmtCount(files), fmtCount(pages), fmtDur(wall), fmtRate(float64(files), wall), fmtRate(float64(pages), wall),
			fmt.Sprintf("%.1f", cpu.Seconds()), rss, ratio)
	}
	if ptt != nil {
		row("pdftotext ×2 processes (PDFs; other files only read)", n, pages, ptt.wall, ptt.cpu, 0)
	}
	row(fmt.Sprintf("internal/extract alone, %d workers", runtime.GOMAXPROCS(0)), n, pages, ours.wall, ours.cpu, 0)
	row(fmt.Sprintf("internal/classify (extract + engine) in-process, %d workers", runtime.GOMAXPROCS(0)), n, pages, pipe.wall, pipe.cpu, 0)
	row("**classifyd once** (end to end)", filed, pages, res.wall, res.cpu(), res.maxRSSKB)

	ratioOurs := ours.wall.Seconds() / res.wall.Seconds()
	t.note("Files: %d PDFs, %d text, %d DOCX (%.0f MB): the dev corpus's %d text-layer files (its 3 JPEGs need OCR and are left out) repeated, each copy made unique "+
		"(a `%%unique N` comment after a PDF's final %%%%EOF, a `ref N` line in a text file) so no copy is skipped as a duplicate, plus one generated text and one generated DOCX file in every 20.",
		nPDF, nText, nDOCX, float64(bytesTotal)/1e6, len(corpus))
	t.note("Pages read honour the default `parsing.max_pages: 10` (pdftotext runs with `-l 10`); a text or DOCX file counts as one page.")
	t.note("**End to end ÷ extraction alone (internal/extract) = %.2f** (target ≥ 0.8: %s)", ratioOurs, verdict(ratioOurs >= 0.8))
	if ptt != nil {
		r := ptt.wall.Seconds() / res.wall.Seconds()
		t.note("End to end ÷ pdftotext = %.2f.", r)
	}
	t.note("The end-to-end run starts from an empty state file (a first start over a one-PDF backlog took %s; without poppler it also compiles PDFium into the user's cache folder once). It filed %d of %d files.", fmtDur(coldStart), filed, n)
	if accN > 0 {
		t.note("Accuracy of the filing: %.1f%% of %d files in the folder of their labelled type (dev corpus labels; generated files by their template).", 100*acc, accN)
	}
	if len(ours.errs) > 0 {
		t.note("internal/extract failed on %d files, e.g. %s", len(ours.errs), ours.errs[0])
	}
	if filed != n {
		return []*table{t}, fmt.Errorf("classifyd once filed %d of %d files", filed, n)
	}
	return []*table{t}, nil
}

// warmUp runs classifyd once over one PDF with the scenario's state folder,
// then removes everything but PDFium's compilation cache. It returns the
// wall time of that first start.
func warmUp(ctx context.Context, e *env, dir string, corpus []corpusFile, bc benchConfig) (time.Duration, error) {
	warm := bc
	warm.inbox = filepath.Join(dir, "warm-inbox")
	warm.output = filepath.Join(dir, "warm-out")
	if err := os.MkdirAll(warm.inbox, 0o755); err != nil {
		return 0, err
	}
	for _, c := range corpus {
		if c.pdf {
			if err := os.WriteFile(filepath.Join(warm.inbox, c.name), c.data, 0o644); err != nil {
				return 0, err
			}
			break
		}
	}
	p := filepath.Join(dir, "warm.yaml")
	if err := warm.write(p); err != nil {
		return 0, err
	}
	res, err := runOnce(ctx, e, p, filepath.Join(dir, "warm.log"))
	if err != nil {
		return 0, err
	}
	stateDir := filepath.Dir(bc.state)
	ents, _ := os.ReadDir(stateDir)
	for _, de := range ents {
		if de.Name() != "pdfium-cache" {
			os.RemoveAll(filepath.Join(stateDir, de.Name()))
		}
	}
	os.RemoveAll(warm.output)
	return res.wall, nil
}

// extractRun is one pass of an extraction reference over the backlog.
type extractRun struct {
	wall, cpu time.Duration
	pages     int
	errs      []string
}

// runPdftotext runs pdftotext over the PDFs, two processes at a time
// (the machine's cores), and reads the other files.
func runPdftotext(ctx context.Context, files []backlogFile, maxPages int) (*extractRun, error) {
	cpu0 := childCPU()
	start := time.Now()
	work := make(chan backlogFile)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				var err error
				if f.format == "pdf" {
					args := []string{"-q"}
					if maxPages > 0 {
						args = append(args, "-l", fmt.Sprint(maxPages))
					}
					err = exec.CommandContext(ctx, "pdftotext", append(args, f.path, "-")...).Run()
				} else {
					_, err = os.ReadFile(f.path)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("pdftotext %s: %w", f.path, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		work <- f
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &extractRun{wall: time.Since(start), cpu: childCPU() - cpu0}, firstErr
}

// runExtract extracts every file with GOMAXPROCS workers through a fresh
// Extractor (PDFium cache in cacheDir); with cfg it also classifies each
// file through internal/classify with cfg's rules. The time includes
// starting PDFium, as the daemon's does.
func runExtract(ctx context.Context, files []backlogFile, cacheDir string, opts extract.Options, cfg *config.Config) (*extractRun, error) {
	cpu0 := selfCPU() + childCPU() // poppler runs as child processes
	start := time.Now()
	ext, err := extract.New(extract.Config{CacheDir: cacheDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	defer ext.Close()
	var pl *classify.Classifier
	if cfg != nil {
		pl = classify.New(classify.Options{Extractor: ext})
	}
	var rules []api.Rule
	if cfg != nil {
		rules = cfg.APIRules()
	}
	work := make(chan string)
	var wg sync.WaitGroup
	var pages atomic.Int64
	var mu sync.Mutex
	var errs []string
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				var err error
				if pl != nil {
					var doc engine.Doc
					doc, err = pl.Doc(ctx, p, opts)
					if err == nil {
						pl.Engine().Classify(doc, rules)
					}
					pages.Add(int64(doc.Pages))
				} else {
					var doc extract.Document
					doc, err = ext.Extract(ctx, p, opts)
					pages.Add(int64(doc.Pages))
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err.Error())
					mu.Unlock()
				}
			}
		}()
	}
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		work <- f.path
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &extractRun{wall: time.Since(start), cpu: selfCPU() + childCPU() - cpu0, pages: int(pages.Load()), errs: errs}, nil
}

func selfCPU() time.Duration { return rusageCPU(syscall.RUSAGE_SELF) }

func childCPU() time.Duration { return rusageCPU(syscall.RUSAGE_CHILDREN) }

func rusageCPU(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// accuracy walks the output folder and returns the share of files in the
// folder of their type: corpus copies by labels.csv, generated files by
// the kind in their name.
func accuracy(out, corpus string) (float64, int) {
	labels := map[string]string{}
	if corpus != "" {
		if f, err := os.Open(filepath.Join(corpus, "labels.csv")); err == nil {
			recs, _ := csv.NewReader(f).ReadAll()
			f.Close()
			for _, r := range recs {
				if len(r) >= 2 {
					labels[filepath.Base(r[0])] = r[1]
				}
			}
		}
	}
	var total, right int
	filepath.WalkDir(out, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || strings.HasSuffix(p, ".error.txt") || strings.HasPrefix(de.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(out, p)
		if err != nil {
			return nil
		}
		folder := strings.Split(rel, string(filepath.Separator))[0]
		name := de.Name()
		want := ""
		if _, rest, ok := strings.Cut(name, "-gen-"); ok {
			want = strings.TrimSuffix(rest, filepath.Ext(rest))
		} else if _, orig, ok := strings.Cut(name, "-"); ok {
			want = labels[orig]
		}
		if want == "" {
			return nil
		}
		total++
		if folder == want {
			right++
		}
		return nil
	})
	if total == 0 {
		return 0, 0
	}
	return float64(right) / float64(total), total
}
