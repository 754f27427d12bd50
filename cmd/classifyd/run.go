package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/classifyd/classifyd/internal/daemon"
	"github.com/classifyd/classifyd/internal/sorter"
)

const runHelp = `Usage: classifyd run [flags]

Runs as a daemon: watches the inbox, and files every document that lands in
it into its type's folder under the output, until SIGINT or SIGTERM.

A file is picked up once its size and mtime have been still for watch.settle;
the inbox is rescanned at start, every watch.rescan_interval and whenever the
kernel's event queue overflows. New files are batched (batch.size files or
batch.window), submitted as one classify job per batch, polled, and moved.
The state file records every step, so a restart resumes where it stopped:
nothing is lost, filed twice or submitted again. Each filed file is one log
line at info level (file, destination, type, confidence); repeated warnings
and errors are rate-limited.

Every type folder (a folder template's fixed part: Finance/Invoices of
"Finance/Invoices/{year}") and the review, unmatched, failed and duplicates
folders are created at start, with permissions.folder_mode (2775); filed
files get permissions.file_mode (0664): people of the group correct a filing
by moving the file to another type folder, and the engine learns from it.

Under systemd (Type=notify) it reports READY=1 once the state is repaired,
the backlog scan started and the watcher runs, a STATUS= line with the queue
sizes every few seconds, and STOPPING=1 on shutdown; with WatchdogSec= it
answers the watchdog only while its loops keep turning, so a stuck daemon is
restarted. See systemd/classifyd.service.

After a file is in its folder, the actions of on_filed (and of its rule's
on_filed) run from a queue in the state file, at least once, with the same
id on every try (a crash or kill -9 included): a command (run: an argv list,
no shell; the decision as JSON on stdin and in CLASSIFYD_* variables; output
logged; killed at its timeout) or a webhook (POST of the journal line,
signed "LC-Signature: sha256=<hex HMAC-SHA256>" with the secret of
secret_env or secret_credential). Failures are retried (retries, back-off),
then counted and shown by "classifyd status"; they never hold up filing.
At a stop, running actions get 10 s to finish; one still running then is
killed and run again at the next start.
  on_filed:
    - webhook: https://chat.example.com/hooks/XXXX
      secret_env: CLASSIFYD_WEBHOOK_SECRET
      on: [filed, review, failed]

SIGHUP (systemctl reload classifyd) reads the configuration again: new
rules, folders, templates and settings apply to every file not yet
submitted. A configuration that does not load is refused with its error in
the log, and the running one is kept; inbox, output and state need a restart.

The inbox must exist at start (else an error before "ready"). If it is
removed, renamed or made unreadable while the daemon runs, /healthz and
/readyz answer 503 with the reason; when it is back it is watched again at
once.

--admin ADDR serves, on that address:
  /metrics   Prometheus metrics        /healthz  200 while every loop turns and nothing is stuck
  /readyz    200 once ready            /status   what "classifyd status" shows, as JSON
  POST /retry  what "classifyd retry --admin" asks for
It answers only Host headers that are IP addresses, localhost or one of
--admin-allowed-hosts, and refuses state changes from other web origins, so
a web page cannot use it (DNS rebinding). Without --admin-token-file it
must listen on loopback; with it, /status and /retry need
"Authorization: Bearer TOKEN" (status and retry take --admin-token-file too,
or $CLASSIFYD_ADMIN_TOKEN_FILE), while /metrics, /healthz and /readyz stay
open for monitoring.

Examples:
  classifyd run                                   # built-in rules, ./inbox → ./sorted
  classifyd run --config /etc/classifyd/classifyd.yaml --admin 127.0.0.1:9090
  classifyd run --inbox /srv/scans --out /srv/sorted --dry-run
  LLAMA_CLOUD_API_KEY=llx-... classifyd run --backend llamacloud
  curl -s 127.0.0.1:9090/metrics | grep classifyd_files
`

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf configFlags
	pf.register(fs)
	var sf serviceFlags
	sf.register(fs)
	fs.Usage = func() { printHelp(stderr, withEscalateHelp(runHelp), fs) }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("run takes no arguments (got %q); to file given paths once, use classifyd once", fs.Args())
	}
	cfg, err := pf.load()
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, pf.logFormat, pf.logLevel)
	if err != nil {
		return err
	}
	svc, err := startService(ctx, cfg, sf, log)
	if err != nil {
		return err
	}
	log.Info("starting", "inbox", cfg.Inbox, "output", cfg.Output, "state", cfg.State, "backend", cfg.Backend.Kind, "rules", len(cfg.Rules))
	err = runReloading(ctx, &pf, cfg, log, svc, func(o *daemon.Options) {
		if pf.dryRun {
			o.Report = func(e sorter.Entry) {
				fmt.Fprintf(stdout, "%s -> %s (%s %.2f)\n", e.Source, e.Dest, e.Folder, e.Confidence)
			}
		}
	})
	if err = errors.Join(err, svc.stop()); err == nil {
		log.Info("stopped")
	}
	return err
}
