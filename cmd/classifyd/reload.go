package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/daemon"
)

// reloadSignal is the signal that re-reads the configuration (systemctl
// reload sends it: ExecReload= in the units).
var reloadSignal os.Signal = syscall.SIGHUP

// runReloading runs the daemon of run, and on SIGHUP reads the
// configuration again (the same --config and flags). A configuration that
// does not load is refused: the error is logged and the running daemon
// goes on with the old one. A valid one replaces it: the daemon stops at
// its next clean point (what is in flight is in the state) and starts again
// on the same state file with the new rules, folders and templates, which
// apply to every file not yet submitted; jobs already submitted are polled
// and their files filed as usual. inbox, output and state cannot change
// without a restart (the admin endpoint, retry and undo name them).
func runReloading(ctx context.Context, pf *configFlags, cfg *config.Config, log *slog.Logger, svc *service, setup func(*daemon.Options)) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, reloadSignal)
	defer signal.Stop(hup)
	for {
		pctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			err := runDaemon(pctx, cfg, pf.dryRun, log, svc, setup)
			done <- err
		}()
		next := waitReload(ctx, pf, cfg, log, hup, done)
		stop()
		if next == nil {
			return <-done
		}
		if err := <-done; err != nil {
			return err
		}
		cfg = next
		log.Info("configuration reloaded", "config", pf.config, "rules", len(cfg.Rules))
	}
}

// waitReload returns a valid new configuration after a SIGHUP, or nil once
// the daemon ended (its error is left in done) or ctx is done.
func waitReload(ctx context.Context, pf *configFlags, cur *config.Config, log *slog.Logger, hup <-chan os.Signal, done chan error) *config.Config {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-done:
			done <- err
			return nil
		case <-hup:
			next, err := pf.load()
			if err == nil {
				err = sameLocations(cur, next)
			}
			if err != nil {
				log.Error("reload refused, the running configuration is kept", "config", pf.config, "err", err)
				continue
			}
			log.Info("reloading the configuration", "config", pf.config)
			return next
		}
	}
}

// sameLocations refuses a reload that moves the inbox, the output or the
// state: they need a restart.
func sameLocations(cur, next *config.Config) error {
	for _, c := range []struct{ key, a, b string }{
		{"inbox", cur.Inbox, next.Inbox}, {"output", cur.Output, next.Output}, {"state", cur.State, next.State},
	} {
		if c.a != c.b {
			return fmt.Errorf("%s changed (%s → %s): that needs a restart (systemctl restart classifyd)", c.key, c.a, c.b)
		}
	}
	return nil
}
