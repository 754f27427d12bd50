package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/classifyd/classifyd/internal/daemon"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

const onceHelp = `Usage: classifyd once [flags] [PATH...]

Files everything in the inbox (or only the named files and folders), waits
for every job, moves every file into its folder, prints a summary and exits:
0 when every file was filed, 1 when any file failed.

On a terminal a progress bar shows files done, rate and ETA; otherwise a log
line every few seconds. --dry-run prints where each file would go and moves
nothing (it uses a throwaway state, so a later real run starts fresh).
A rule's folder and name may be templates (folder: "Finance/Invoices/{year}",
name: "{stem}.{ext}"; placeholders {type} {year} {month} {day} {stem} {ext}
{confidence} {source_dir}); --dry-run prints the resolved paths.

Examples:
  classifyd once                                        # ./inbox → ./sorted, built-in rules
  classifyd once --inbox ~/Scans --out ~/Sorted
  classifyd once --config rules.yaml --dry-run
  classifyd once --config rules.yaml /srv/backlog/2024  # only this folder
`

func cmdOnce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("once", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf configFlags
	pf.register(fs)
	quiet := fs.Bool("quiet", false, "no progress bar or progress lines")
	var sf serviceFlags
	sf.register(fs)
	fs.Usage = func() { printHelp(stderr, withEscalateHelp(onceHelp), fs) }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := pf.load()
	if err != nil {
		return err
	}
	if pf.logLevel == "" && os.Getenv("LOG_LEVEL") == "" {
		pf.logLevel = "warn" // the summary says what happened; -log-level info shows each file
	}
	log, err := newLogger(stderr, pf.logFormat, pf.logLevel)
	if err != nil {
		return err
	}
	svc, err := startService(ctx, cfg, sf, log)
	if err != nil {
		return err
	}
	var paths []string
	for _, a := range fs.Args() {
		if _, err := os.Lstat(a); err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
		paths = append(paths, a)
	}
	var mu sync.Mutex
	counts := map[string]int{}
	var failures, left []sorter.Entry
	counters := &daemon.Counters{}
	var dryEsc dryEscalations
	stop := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	err = runDaemon(ctx, cfg, pf.dryRun, log, svc, func(o *daemon.Options) {
		o.Once = true
		o.Counters = counters
		o.Paths = paths
		o.Report = func(e sorter.Entry) {
			mu.Lock()
			defer mu.Unlock()
			if e.Folder == daemon.LeftInInbox {
				left = append(left, e)
				return
			}
			counts[e.Folder]++
			if e.Folder == "failed" {
				failures = append(failures, e)
			}
			if pf.dryRun {
				fmt.Fprintf(stdout, "%s -> %s (%s %.2f)%s\n", e.Source, e.Dest, e.Folder, e.Confidence, dryEsc.note(e))
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			progress(stderr, *quiet || pf.dryRun, stop, counters.Progress)
		}()
	})
	close(stop)
	wg.Wait()
	err = errors.Join(err, svc.stop())
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "interrupted; the state is saved, run again to continue")
		return errExit{130}
	}
	// Summary: filed (type, review and unmatched folders), failed and
	// duplicate files are counted apart.
	var names []string
	total := 0
	for k, n := range counts {
		names = append(names, k)
		total += n
	}
	sort.Strings(names)
	failed, dups := counts["failed"], counts["duplicate"]
	verb, didFail, dup := "filed", "failed", "duplicate"
	if pf.dryRun {
		verb, didFail, dup = "would file", "would fail", "duplicate"
	}
	fmt.Fprintf(stdout, "%d files in %s into %s: %s %d, %s %d, %s %d\n", total, time.Since(start).Round(time.Millisecond), cfg.Output,
		verb, total-failed-dups, didFail, failed, dup, dups)
	for _, k := range names {
		fmt.Fprintf(stdout, "  %-20s %d\n", k, counts[k])
	}
	if pf.dryRun {
		dryEsc.summary(stdout, cfg)
	}
	if len(failures) > 0 {
		fmt.Fprintf(stdout, "failures:\n")
		for i, f := range failures {
			if i == 50 {
				fmt.Fprintf(stdout, "  ... and %d more (see the .error.txt files in %s)\n", len(failures)-50, filepath.Dir(f.Dest))
				break
			}
			fmt.Fprintf(stdout, "  %s: %s\n", f.Source, f.Reason)
		}
	}
	if len(left) > 0 {
		fmt.Fprintf(stdout, "%d files left in the inbox: classified, but they could not be moved into the output (run again once the cause is fixed; \"classifyd status\" lists them):\n", len(left))
		for i, f := range left {
			if i == 50 {
				fmt.Fprintf(stdout, "  ... and %d more\n", len(left)-50)
				break
			}
			fmt.Fprintf(stdout, "  %s: %s\n", f.Source, f.Reason)
		}
	}
	if len(failures) > 0 || len(left) > 0 {
		return errExit{1}
	}
	return nil
}

// progress shows a bar on a terminal and a line every 5 s otherwise, until stop.
func progress(w io.Writer, quiet bool, stop <-chan struct{}, get func() (done, seen int64)) {
	if quiet {
		<-stop
		return
	}
	f, isFile := w.(*os.File)
	tty := isFile && term.IsTerminal(int(f.Fd()))
	if tty {
		bar := progressbar.NewOptions64(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("filing"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("files"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				bar.Finish()
				return
			case <-t.C:
				done, seen := get()
				if seen > 0 {
					bar.ChangeMax64(seen)
				}
				bar.Set64(done)
			}
		}
	}
	start := time.Now()
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			done, seen := get()
			seen = max(seen, done)
			el := time.Since(start).Seconds()
			rate := float64(done) / el
			eta := "?"
			if rate > 0 {
				eta = (time.Duration(float64(seen-done)/rate) * time.Second).String()
			}
			fmt.Fprintf(w, "progress: %d/%d files, %.1f files/s, eta %s\n", done, seen, rate, eta)
		}
	}
}
