package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/classifyd/classifyd/internal/admin"
	"github.com/classifyd/classifyd/internal/state"
)

const retryHelp = `Usage: classifyd retry [flags] [FILE...]

Sends files through again: moves every file of the failed folder (or the
named files or folders of the output: a file in review, a whole type folder)
back into the inbox, where it came from (beside it as "name (1).ext" when that
name is taken), removes its .error.txt note and forgets its state record, so
the daemon files it anew. Fix the cause first (a missing OCR language, an API
key, a rule's description) or it fails the same way.

With --admin it asks the running daemon to do it; without, it changes the
state file itself, which needs the daemon stopped.

Examples:
  classifyd retry --admin 127.0.0.1:9090               # all failed files, daemon running
  classifyd retry --dry-run                            # what would go back
  classifyd retry sorted/_failed/scan-0042.pdf
  classifyd retry --config /etc/classifyd/classifyd.yaml sorted/_review
`

func cmdRetry(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("retry", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf configFlags
	pf.registerPaths(fs)
	adminAddr := fs.String("admin", envAdmin(), "ask the running daemon at this admin address (default $CLASSIFYD_ADMIN)")
	tokenFile := fs.String("admin-token-file", envAdminTokenFile(), "file holding the admin endpoint's token, if it has one (default $CLASSIFYD_ADMIN_TOKEN_FILE)")
	dryRun := fs.Bool("dry-run", false, "print what would go back; change nothing")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() { printHelp(stderr, retryHelp, fs) }
	posArgs, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	files, err := absPaths(posArgs)
	if err != nil {
		return err
	}
	var rep *admin.Report
	if *adminAddr != "" {
		token, err := admin.ReadToken(*tokenFile)
		if err != nil {
			return err
		}
		client := admin.NewClient(*adminAddr).WithToken(token)
		rep, err = client.Retry(ctx, admin.RetryRequest{Files: files, DryRun: *dryRun})
		if err != nil {
			return fmt.Errorf("retry: %w", err)
		}
	} else {
		cfg, err := pf.load()
		if err != nil {
			return err
		}
		var st *state.Store
		if !*dryRun {
			st, err = openState(cfg.State, true)
			if errors.Is(err, errDaemonRunning) {
				return fmt.Errorf("%w; use --admin ADDR to ask it, or stop the daemon first: systemctl stop classifyd", err)
			}
			if err != nil {
				return err
			}
			defer st.Close()
		}
		rep, err = admin.Retry(ctx, admin.RetryOptions{Config: cfg, Store: st, Files: files, DryRun: *dryRun})
		if err != nil {
			return err
		}
	}
	if *asJSON {
		writeJSON(stdout, rep)
	} else {
		printReport(stdout, rep, "retry", "back in the inbox", "would go back", "nothing to retry")
	}
	if rep.Failed() > 0 {
		return errExit{1}
	}
	return nil
}
