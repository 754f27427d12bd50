package extract

import (
	"context"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user + system) used so far by this process and
// by its waited-for children: pages per CPU second is a fairer comparison
// than wall time on a shared machine.
func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
}

func reportPages(b *testing.B, pages int, cpu0 time.Duration) {
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(float64(pages)/(cpuTime()-cpu0).Seconds(), "pages/cpu-s")
}

// BenchmarkPDF extracts every corpus PDF once per iteration, one file at a
// time (pages/s of a single PDFium instance).
func BenchmarkPDF(b *testing.B) {
	files := corpusPDFs(b)
	e := newExtractor(b, Config{})
	if _, err := e.pdfEngine(); err != nil {
		b.Fatal(err)
	}
	pages := 0
	cpu0 := cpuTime()
	for b.Loop() {
		for _, f := range files {
			doc, err := e.Extract(context.Background(), f, Options{})
			if err != nil {
				b.Fatal(err)
			}
			pages += doc.Pages
		}
	}
	reportPages(b, pages, cpu0)
}

// BenchmarkPDFParallel extracts the corpus PDFs with as many goroutines as
// PDFium workers (GOMAXPROCS).
func BenchmarkPDFParallel(b *testing.B) {
	files := corpusPDFs(b)
	e := newExtractor(b, Config{})
	if _, err := e.pdfEngine(); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	pages := 0
	cpu0 := cpuTime()
	for b.Loop() {
		work := make(chan string)
		var wg sync.WaitGroup
		for w := 0; w < e.cfg.Workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for f := range work {
					doc, err := e.Extract(context.Background(), f, Options{})
					if err != nil {
						b.Error(err)
						continue
					}
					mu.Lock()
					pages += doc.Pages
					mu.Unlock()
				}
			}()
		}
		for _, f := range files {
			work <- f
		}
		close(work)
		wg.Wait()
	}
	reportPages(b, pages, cpu0)
}

// BenchmarkPdftotext is the comparison: poppler's pdftotext on the same
// files, one process per file as a daemon would run it.
func BenchmarkPdftotext(b *testing.B) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		b.Skip("pdftotext not installed")
	}
	files := corpusPDFs(b)
	e := newExtractor(b, Config{})
	total := 0
	for _, f := range files {
		doc, err := e.Extract(context.Background(), f, Options{})
		if err != nil {
			b.Fatal(err)
		}
		total += doc.Pages
	}
	pages := 0
	cpu0 := cpuTime()
	for b.Loop() {
		for _, f := range files {
			if err := exec.Command("pdftotext", "-q", f, "/dev/null").Run(); err != nil {
				b.Fatal(err)
			}
		}
		pages += total
	}
	reportPages(b, pages, cpu0)
}

func BenchmarkDOCX(b *testing.B) {
	var body string
	for i := 0; i < 2000; i++ {
		body += `<w:p><w:r><w:t>Paragraph with a handful of ordinary words in it.</w:t></w:r></w:p>`
	}
	p := writeFile(b, "b.docx", docxFile(b, body))
	e := newExtractor(b, Config{})
	for b.Loop() {
		if _, err := e.Extract(context.Background(), p, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
