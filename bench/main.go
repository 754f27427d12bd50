// Command bench measures where classifyd stands against the physical limit:
// backlog throughput against extraction alone (pdftotext and our own
// extractor), peak memory over large backlogs, drop-to-filed latency of the
// running daemon, API requests per file against a slow remote, and the state
// store's transitions per second.
//
//	go run ./bench [flags] [scenario...]   scenarios: backlog memory pdf latency api state escalate, or all
//	go run ./bench --quick all             reduced sizes for CI (a few minutes)
//	go run ./bench --write bench/RESULTS.md all
//
// Every scenario runs the real classifyd binary (built from this checkout
// unless --bin names one) on files it generates under a temporary folder, and
// prints one markdown table. The command owns nothing in the repository but
// the results file it is asked to write; it never asserts on timings.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// scenarios in the order `all` runs them.
var scenarios = []struct {
	name, what string
	run        func(ctx context.Context, e *env) ([]*table, error)
}{
	{"backlog", "backlog throughput of `classifyd once` against extraction alone", runBacklog},
	{"memory", "anonymous RSS (and peak RSS) of `classifyd once` over 10k and 100k small text files", runMemory},
	{"pdf", "PDFs end to end against pdftotext, memory over the dev corpus, OCR pages/s", runPDF},
	{"latency", "drop → filed latency of `classifyd run`", runLatency},
	{"api", "API requests per file and wall time against a slow remote", runAPI},
	{"state", "bbolt state store transitions/s", runState},
	{"escalate", "local first, LlamaCloud when unsure: accuracy and share escalated over dev-b at several thresholds", runEscalate},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		os.Exit(1)
	}
}

// sizes are the workload sizes; flags override the mode's defaults.
type sizes struct {
	backlogFiles int
	memSizes     []int
	drops        int
	fastDrops    int
	apiFiles     int
	apiLatency   time.Duration
	apiConc      []int
	benchtime    string
}

func defaultSizes(quick bool) sizes {
	if quick {
		return sizes{backlogFiles: 600, memSizes: []int{5000, 50000}, drops: 10, fastDrops: 10,
			apiFiles: 100, apiLatency: 50 * time.Millisecond, apiConc: []int{1, 4, 16}, benchtime: "1s"}
	}
	return sizes{backlogFiles: 10000, memSizes: []int{10000, 100000}, drops: 200, fastDrops: 200,
		apiFiles: 1000, apiLatency: time.Second, apiConc: []int{1, 4, 16}, benchtime: "5s"}
}

// env is what every scenario gets.
type env struct {
	root   string // repository root
	bin    string // classifyd binary
	corpus string // dev corpus folder (docs/ inside); "" when absent
	work   string // scratch folder of this run
	shm    string // scratch folder in memory (/dev/shm) if any, else work
	quick  bool
	keep   bool
	sz     sizes
	log    io.Writer
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.log, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// mkdir makes a fresh scratch folder name under base.
func (e *env) mkdir(base, name string) (string, error) {
	d, err := os.MkdirTemp(base, name+"-")
	if err != nil {
		return "", err
	}
	return d, nil
}

// cleanup removes a scratch folder unless --keep.
func (e *env) cleanup(dir string) {
	if e.keep {
		e.logf("kept %s", dir)
		return
	}
	os.RemoveAll(dir)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "reduced sizes for CI")
	bin := fs.String("bin", "", "classifyd binary to measure (default: build ./cmd/classifyd)")
	corpus := fs.String("corpus", "", "dev corpus folder (default: ../shared/corpus/dev beside the repository)")
	workDir := fs.String("work", "", "parent of the scratch folder (default: the temp folder)")
	write := fs.String("write", "", "also write the tables as markdown to this file")
	keep := fs.Bool("keep", false, "keep the scratch folders")
	backlogFiles := fs.Int("backlog-files", 0, "files in the backlog scenario (default 10000, quick 600)")
	memSizes := fs.String("mem-sizes", "", "backlog sizes of the memory scenario (default 10000,100000; quick 5000,50000)")
	drops := fs.Int("drops", 0, "drops at default settle/window (default 200, quick 10)")
	fastDrops := fs.Int("fast-drops", 0, "drops at settle/window 200ms (default 200, quick 10)")
	apiFiles := fs.Int("api-files", 0, "files per concurrency in the api scenario (default 1000, quick 100)")
	apiLatency := fs.Duration("api-latency", 0, "latency the proxy adds to each request (default 1s, quick 50ms)")
	apiConc := fs.String("api-concurrency", "", "batch.concurrency values of the api scenario (default 1,4,16)")
	benchtime := fs.String("benchtime", "", "go test -benchtime of the state scenario (default 5s, quick 1s)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./bench [flags] [scenario...]\n\nScenarios:\n")
		for _, s := range scenarios {
			fmt.Fprintf(stderr, "  %-8s %s\n", s.name, s.what)
		}
		fmt.Fprintf(stderr, "  %-8s every scenario above\n\nFlags:\n", "all")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	sz := defaultSizes(*quick)
	if *backlogFiles > 0 {
		sz.backlogFiles = *backlogFiles
	}
	if *memSizes != "" {
		v, err := parseInts(*memSizes)
		if err != nil {
			return fmt.Errorf("--mem-sizes: %w", err)
		}
		sz.memSizes = v
	}
	if *drops > 0 {
		sz.drops = *drops
	}
	if *fastDrops > 0 {
		sz.fastDrops = *fastDrops
	}
	if *apiFiles > 0 {
		sz.apiFiles = *apiFiles
	}
	if *apiLatency > 0 {
		sz.apiLatency = *apiLatency
	}
	if *apiConc != "" {
		v, err := parseInts(*apiConc)
		if err != nil {
			return fmt.Errorf("--api-concurrency: %w", err)
		}
		sz.apiConc = v
	}
	if *benchtime != "" {
		sz.benchtime = *benchtime
	}

	var chosen []int
	names := fs.Args()
	if len(names) == 0 {
		fs.Usage()
		return errors.New("name a scenario, or all")
	}
	for _, n := range names {
		found := false
		for i, s := range scenarios {
			if n == "all" || n == s.name {
				chosen = append(chosen, i)
				found = true
			}
		}
		if !found {
			return fmt.Errorf("unknown scenario %q", n)
		}
	}

	root, err := repoRoot()
	if err != nil {
		return err
	}
	e := &env{root: root, quick: *quick, keep: *keep, sz: sz, log: stderr}
	e.work, err = os.MkdirTemp(*workDir, "classifyd-bench-")
	if err != nil {
		return err
	}
	defer e.cleanup(e.work)
	e.shm = e.work
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() && *workDir == "" {
		if d, err := os.MkdirTemp("/dev/shm", "classifyd-bench-"); err == nil {
			e.shm = d
			defer e.cleanup(d)
		}
	}
	e.corpus = *corpus
	if e.corpus == "" {
		e.corpus = filepath.Join(root, "..", "shared", "corpus", "dev")
	}
	if _, err := os.Stat(filepath.Join(e.corpus, "docs")); err != nil {
		e.logf("dev corpus not found at %s: the backlog and latency scenarios use generated files only", e.corpus)
		e.corpus = ""
	}
	e.bin = *bin
	if e.bin == "" {
		e.bin = filepath.Join(e.work, "classifyd")
		e.logf("building classifyd")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", e.bin, "./cmd/classifyd")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/classifyd: %v\n%s", err, out)
		}
	}

	var all []*table
	var failed []string
	for _, i := range dedupe(chosen) {
		s := scenarios[i]
		if ctx.Err() != nil {
			break
		}
		e.logf("scenario %s: %s", s.name, s.what)
		start := time.Now()
		tabs, err := s.run(ctx, e)
		for _, t := range tabs {
			fmt.Fprintln(stdout, t.markdown())
			all = append(all, t)
		}
		if err != nil {
			e.logf("scenario %s failed: %v", s.name, err)
			failed = append(failed, s.name)
			continue
		}
		e.logf("scenario %s done in %s", s.name, time.Since(start).Round(time.Second))
	}
	if *write != "" && len(all) > 0 {
		if err := writeResults(*write, e, all); err != nil {
			return err
		}
		e.logf("wrote %s", *write)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(failed) > 0 {
		return fmt.Errorf("scenarios failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

func dedupe(v []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, x := range v {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// repoRoot finds classifyd's module root from the working directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/classifyd/classifyd\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("classifyd's go.mod not found above the working directory")
		}
		dir = parent
	}
}

// machine describes the machine for the results header.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
		}
	}
	return fmt.Sprintf("%d cores (%s)%s, %s %s/%s", runtime.NumCPU(), cpu, mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
