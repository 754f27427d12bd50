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
	"github.com/classifyd/classifyd/internal/state"
	"golang.org/x/sync/errgroup"
)

// runPipeline opens the state and backend and runs the daemon until it
// returns. extra customises the daemon options (once mode, reporting).
func runPipeline(ctx context.Context, cfg *config.Config, dryRun bool, log *slog.Logger, extra func(*daemon.Options)) (*daemon.Daemon, error) {
	statePath := cfg.State
	if dryRun {
		// A dry run must not touch the real state: it gets a throwaway one.
		tmp, err := os.MkdirTemp("", "classifyd-dry-run-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		statePath = filepath.Join(tmp, "state.db")
	}
	if err := os.MkdirAll(filepath.Dir(statePath), 0o755); err != nil {
		return nil, fmt.Errorf("state folder: %w", err)
	}
	st, err := state.Open(statePath, state.Options{})
	if err != nil {
		if errors.Is(err, state.ErrLocked) {
			return nil, fmt.Errorf("%w (is another classifyd running with state %s?)", err, statePath)
		}
		return nil, err
	}
	defer st.Close()
	be, err := openBackend(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer be.close()
	o := daemon.Options{Config: cfg, Backend: be, V2: be.v2, Store: st, Logger: log, DryRun: dryRun}
	if be.learner != nil {
		o.Learner = be.learner
	}
	if err := withRemote(ctx, cfg, dryRun, log, &o); err != nil {
		return nil, err
	}
	if extra != nil {
		extra(&o)
	}
	o.RetryBase, o.RetryMax = retryBase, retryMax
	d, err := daemon.New(o)
	if err != nil {
		return nil, err
	}
	jobDone := d.JobDone
	be.jobDone.Store(&jobDone)
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
		return d, err
	}
	return d, nil
}

// retryBase and retryMax are the daemon's back-off (zero: its defaults);
// tests shrink them.
var retryBase, retryMax time.Duration
