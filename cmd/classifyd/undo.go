package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/classifyd/classifyd/internal/admin"
	"github.com/classifyd/classifyd/internal/state"
)

const undoHelp = `Usage: classifyd undo [flags] (--all | --since TIME | --job ID | FILE...)

Moves filed files back to where they came from, as the journal
(OUTPUT/_journal.jsonl) recorded them, newest first. Say what to undo:
everything (--all), what was filed since a time (--since), one job (--job),
or named files: a filed file, a folder of the output (all filed under it), or
the inbox path a file came from. Selectors combine (--since 1h --job ID).

It never overwrites a file at the source, leaves alone a file whose content
changed since it was filed, and lists every file it could not move back with
the reason (exit status 1). It forgets each file's state record, so the file
dropped again is filed anew rather than as a duplicate of itself, removes the
.error.txt note of failed files and writes an undo line to the journal: a
second undo does nothing. A file a person moved to another type folder
after it was filed (a correction the daemon noticed) is moved back from
where it is now.

Changing the state needs the daemon stopped (systemctl stop classifyd).

Examples:
  classifyd undo --all --dry-run                     # what would move back
  classifyd undo --since 2h                          # the last two hours
  classifyd undo --since "2024-05-01 14:00"
  classifyd undo --job 01a222d8-1e42-7001-953d-1bbb2d92feaf
  classifyd undo sorted/invoice/scan-0042.pdf sorted/receipt
  sudo -u classifyd classifyd undo --config /etc/classifyd/classifyd.yaml --all
`

func cmdUndo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("undo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf configFlags
	pf.registerPaths(fs)
	all := fs.Bool("all", false, "undo every filing in the journal")
	since := fs.String("since", "", "undo filings at or after this time (2024-05-01, \"2024-05-01 14:30\", RFC 3339) or this long ago (2h)")
	job := fs.String("job", "", "undo the files of this job id (see the journal or classifyd status)")
	dryRun := fs.Bool("dry-run", false, "print what would move back; change nothing")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() { printHelp(stderr, undoHelp, fs) }
	posArgs, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	o := admin.UndoOptions{All: *all, Job: *job, DryRun: *dryRun}
	if *since != "" {
		t, err := parseSince(*since, time.Now())
		if err != nil {
			return err
		}
		o.Since = t
	}
	files, err := absPaths(posArgs)
	if err != nil {
		return err
	}
	o.Files = files
	if !o.All && o.Since.IsZero() && o.Job == "" && len(o.Files) == 0 {
		fmt.Fprintln(stderr, "classifyd undo: "+admin.ErrNothingSelected.Error()+" (classifyd undo --help)")
		return errExit{2}
	}
	cfg, err := pf.load()
	if err != nil {
		return err
	}
	o.Config = cfg
	var st *state.Store
	if !o.DryRun {
		st, err = openState(cfg.State, true)
		if errors.Is(err, errDaemonRunning) {
			return fmt.Errorf("%w; undo changes its state: stop the daemon first: systemctl stop classifyd", err)
		}
		if err != nil {
			return err
		}
		defer st.Close()
		o.Store = st
	}
	rep, err := admin.Undo(ctx, o)
	if rep != nil {
		if *asJSON {
			writeJSON(stdout, rep)
		} else {
			printReport(stdout, rep, "undo", "moved back", "would move back", "nothing to undo")
		}
	}
	if err != nil {
		return err
	}
	if rep.Failed() > 0 {
		return errExit{1}
	}
	return nil
}

// printReport prints an undo or retry report for people.
func printReport(w io.Writer, rep *admin.Report, verb, done, would, nothing string) {
	if len(rep.Actions) == 0 {
		fmt.Fprintln(w, nothing)
		return
	}
	for _, a := range rep.Actions {
		switch {
		case a.Error != "":
			fmt.Fprintf(w, "could not %s %s: %s\n", verb, a.From, a.Error)
		case rep.DryRun:
			fmt.Fprintf(w, "%s %s -> %s\n", would, a.From, a.To)
		default:
			fmt.Fprintf(w, "%s %s -> %s\n", done, a.From, a.To)
		}
	}
	n := rep.Moved()
	if rep.DryRun {
		fmt.Fprintf(w, "dry run: %d files would move", n)
	} else {
		fmt.Fprintf(w, "%d files %s", n, done)
	}
	if f := rep.Failed(); f > 0 {
		fmt.Fprintf(w, "; %d could not", f)
	}
	fmt.Fprintln(w)
}
