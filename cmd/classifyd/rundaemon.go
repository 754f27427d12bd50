package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/daemon"
	"github.com/classifyd/classifyd/internal/memlimit"
	"github.com/classifyd/classifyd/internal/state"
	"golang.org/x/sync/errgroup"
)

// runDaemon runs the daemon of run and once in a straight line: open the
// state file and the backend, build the daemon, hand it to svc (the admin
// endpoint and the watchdog look at it; nil: no service), run the backend
// and the daemon until the daemon returns, close what was opened. setup
// sets the command's options (once mode, paths, reporting).
func runDaemon(ctx context.Context, cfg *config.Config, dryRun bool, log *slog.Logger, svc *service, setup func(*daemon.Options)) error {
	if !memlimit.Operator(os.Getenv) {
		defer memlimit.Start(memlimit.Default)()
	}
	st, closeState, err := openDaemonState(cfg.State, dryRun)
	if err != nil {
		return err
	}
	defer closeState()
	be, err := openBackend(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer be.close()
	o := daemon.Options{Config: cfg, Backend: be, V2: be.v2, JobsDone: be.jobsDone, Store: st, Logger: log, DryRun: dryRun}
	if be.learner != nil {
		o.Learner = be.learner
	}
	if err := withRemote(ctx, cfg, dryRun, log, &o); err != nil {
		return err
	}
	if setup != nil {
		setup(&o)
	}
	if svc != nil {
		svc.install(&o)
	}
	o.RetryBase, o.RetryMax = retryBase, retryMax
	d, err := daemon.New(o)
	if err != nil {
		return err
	}
	if svc != nil {
		svc.attach(d)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	if be.run != nil {
		g.Go(func() error { return be.run(gctx) })
	}
	g.Go(func() error {
		defer cancel() // the daemon is done: stop the backend too
		return d.Run(gctx)
	})
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// openDaemonState opens the daemon's state file; a dry run gets a
// throwaway one instead, so that it never touches the real state.
func openDaemonState(path string, dryRun bool) (st *state.Store, closeFn func(), err error) {
	cleanup := func() {}
	if dryRun {
		tmp, err := os.MkdirTemp("", "classifyd-dry-run-")
		if err != nil {
			return nil, nil, err
		}
		cleanup = func() { os.RemoveAll(tmp) }
		path = filepath.Join(tmp, "state.db")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("state folder: %w", err)
	}
	st, err = state.Open(path, state.Options{})
	if err != nil {
		cleanup()
		if errors.Is(err, state.ErrLocked) {
			return nil, nil, fmt.Errorf("%w (is another classifyd running with state %s?)", err, path)
		}
		return nil, nil, err
	}
	return st, func() { st.Close(); cleanup() }, nil
}

// retryBase and retryMax are the daemon's back-off (zero: its defaults);
// tests shrink them.
var retryBase, retryMax time.Duration
