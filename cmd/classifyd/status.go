package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"time"

	"github.com/classifyd/classifyd/internal/admin"
	"github.com/classifyd/classifyd/internal/state"
)

const statusHelp = `Usage: classifyd status [flags]

Shows the files by state (queued, submitted, classified, moving, filed,
failed, duplicate), the jobs in flight with their age, the last failures with
their reasons, and how many files were filed in the last minute and hour;
the actions after filing (on_filed) waiting and the last that failed every
try; and the last corrections: filed files people moved to another type
folder, which the state now follows (undo moves them back from there).

With --admin it asks a running daemon (classifyd run --admin ADDR). Without,
it reads the state file named by --config or --state, which works only while
no daemon holds it; when one does, it says so: ask the daemon with --admin.

Examples:
  classifyd status --admin 127.0.0.1:9090
  classifyd status --config /etc/classifyd/classifyd.yaml     # daemon stopped
  classifyd status --state ./classifyd.db --json | jq .counts
`

func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf configFlags
	pf.registerPaths(fs)
	adminAddr := fs.String("admin", envAdmin(), "address of a running daemon's admin endpoint (default $CLASSIFYD_ADMIN)")
	tokenFile := fs.String("admin-token-file", envAdminTokenFile(), "file holding the admin endpoint's token, if it has one (default $CLASSIFYD_ADMIN_TOKEN_FILE)")
	asJSON := fs.Bool("json", false, "print the status as JSON")
	maxFailures := fs.Int("failures", admin.DefaultMaxFailures, "how many of the last failures to show (read from the state file; the daemon shows its default)")
	fs.Usage = func() { printHelp(stderr, statusHelp, fs) }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("status takes no arguments (got %q)", fs.Args())
	}
	var s *admin.Status
	if *adminAddr != "" {
		token, err := admin.ReadToken(*tokenFile)
		if err != nil {
			return err
		}
		client := admin.NewClient(*adminAddr).WithToken(token)
		if s, err = client.Status(ctx); err != nil {
			return fmt.Errorf("status: %w", err)
		}
	} else {
		cfg, err := pf.load()
		if err != nil {
			return err
		}
		st, err := openState(cfg.State, false)
		if errors.Is(err, errDaemonRunning) {
			return fmt.Errorf("%w; use --admin ADDR to ask it (classifyd run --admin 127.0.0.1:9090)", err)
		}
		if err != nil {
			return err
		}
		defer st.Close()
		if s, err = admin.SnapshotLast(st, cfg, time.Now(), *maxFailures); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(stdout, s)
	}
	printStatus(stdout, s)
	return nil
}

func printStatus(w io.Writer, s *admin.Status) {
	now := s.Time
	switch {
	case !s.Running:
		fmt.Fprintf(w, "classifyd is not running (read from %s)\n", s.State)
	case len(s.Stalled) > 0:
		fmt.Fprintf(w, "classifyd is running, up %s, STALLED: %v\n", ago(now.Sub(s.Started)), s.Stalled)
	case !s.Ready:
		fmt.Fprintf(w, "classifyd is starting, up %s\n", ago(now.Sub(s.Started)))
	default:
		fmt.Fprintf(w, "classifyd is running, up %s\n", ago(now.Sub(s.Started)))
	}
	if s.Trouble != "" {
		fmt.Fprintf(w, "UNHEALTHY: %s\n", s.Trouble)
	}
	fmt.Fprintf(w, "  inbox   %s\n  output  %s\n  state   %s\n  backend %s\n\n", s.Inbox, s.Output, s.State, s.Backend)

	fmt.Fprintf(w, "files by state:\n")
	for _, k := range state.AllStatuses {
		fmt.Fprintf(w, "  %-11s %d\n", k, s.Counts[string(k)])
	}
	if s.Run != nil {
		fmt.Fprintf(w, "since start: %d seen, %d filed, %d failed\n", s.Run.Seen, max(0, s.Run.Done-s.Run.Failed), s.Run.Failed)
	}
	fmt.Fprintf(w, "throughput: %d filed in the last minute, %d in the last hour", s.Throughput.LastMinute, s.Throughput.LastHour)
	if !s.Throughput.LastFiled.IsZero() {
		fmt.Fprintf(w, "; last at %s (%s ago)", s.Throughput.LastFiled.Local().Format("2006-01-02 15:04:05"), ago(now.Sub(s.Throughput.LastFiled)))
	}
	fmt.Fprintln(w)

	printEscalation(w, s)
	fmt.Fprintf(w, "\njobs in flight: %d\n", len(s.Jobs))
	jobs := append([]admin.Job(nil), s.Jobs...)
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].Submitted.Before(jobs[b].Submitted) })
	for i, j := range jobs {
		if i == 20 {
			fmt.Fprintf(w, "  ... and %d more\n", len(jobs)-20)
			break
		}
		retry := ""
		if j.Attempt > 0 {
			retry = fmt.Sprintf(", attempt %d", j.Attempt+1)
		}
		fmt.Fprintf(w, "  %s  %3d files  age %-8s %d polls%s\n", j.ID, j.Files, ago(time.Duration(j.AgeSeconds*float64(time.Second))), j.Polls, retry)
	}

	fmt.Fprintf(w, "\nlast failures: %d of %d\n", len(s.Failures), s.Counts[string(state.Failed)])
	for _, f := range s.Failures {
		fmt.Fprintf(w, "  %s  %s\n      %s\n", f.Time.Local().Format("2006-01-02 15:04:05"), f.Path, oneLine(f.Reason, 200))
	}
	if len(s.Failures) > 0 {
		fmt.Fprintf(w, "  (each is in %s beside a NAME.error.txt note; \"classifyd retry\" sends them through again)\n", filepath.Dir(s.Failures[0].Dest))
	}
	if len(s.Stuck) > 0 {
		fmt.Fprintf(w, "\nstuck in the inbox (classified, the move into the output failed; retried):\n")
		for _, f := range s.Stuck {
			fmt.Fprintf(w, "  %s  %s  (%d tries)\n      %s\n", f.Time.Local().Format("2006-01-02 15:04:05"), f.Path, f.Attempts, oneLine(f.Reason, 200))
		}
	}
	if s.Actions.Pending+s.Actions.Failed > 0 {
		fmt.Fprintf(w, "\nactions after filing: %d waiting, %d failed\n", s.Actions.Pending, s.Actions.Failed)
		for _, a := range s.Actions.Last {
			fmt.Fprintf(w, "  %s  %s (%s, file %d, %d tries)\n      %s\n", a.Time.Local().Format("2006-01-02 15:04:05"), a.Action, a.Event, a.FileID, a.Tries, oneLine(a.Error, 200))
		}
	}
	if len(s.Corrections) > 0 {
		fmt.Fprintf(w, "\nlast corrections (files people moved; the state follows them):\n")
		for _, c := range s.Corrections {
			fmt.Fprintf(w, "  %s  %s -> %s\n      %s\n", c.Time.Local().Format("2006-01-02 15:04:05"), c.Was, c.Is, c.To)
		}
	}
	if s.Watcher != nil {
		fmt.Fprintf(w, "\nwatcher: %d events, %d rescans, %d overflows, %d errors, %d files pending\n",
			s.Watcher.Events, s.Watcher.Rescans, s.Watcher.Overflows, s.Watcher.Errors, s.Watcher.Pending)
	}
}
