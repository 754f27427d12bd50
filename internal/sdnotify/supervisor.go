package sdnotify

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Supervisor reports a daemon's life to systemd: READY=1 once, STATUS= every
// StatusEvery, WATCHDOG=1 twice per watchdog interval while Healthy says so,
// STOPPING=1 when Run's context ends. One goroutine (Run) owns the timers.
type Supervisor struct {
	N *Notifier
	// Status returns the current status line (queue sizes); nil: none.
	Status func() string
	// Healthy returns nil while the daemon's loops are turning. Before Ready
	// the watchdog is answered regardless (start-up is bounded by
	// TimeoutStartSec); after it, only while Healthy returns nil.
	Healthy func() error
	// StatusEvery is the period of STATUS= lines (default 5s).
	StatusEvery time.Duration
	Logger      *slog.Logger

	once  sync.Once
	ready chan struct{}
	init  sync.Once
}

func (s *Supervisor) setup() {
	s.init.Do(func() {
		s.ready = make(chan struct{})
		if s.StatusEvery <= 0 {
			s.StatusEvery = 5 * time.Second
		}
		if s.Logger == nil {
			s.Logger = slog.New(slog.DiscardHandler)
		}
	})
}

// Ready sends READY=1 and a first status line. Calls after the first do nothing.
func (s *Supervisor) Ready() {
	s.setup()
	s.once.Do(func() {
		if err := s.N.Notify(Ready); err != nil {
			s.Logger.Warn("systemd notify", "err", err)
		}
		s.sendStatus()
		close(s.ready)
	})
}

// IsReady reports whether Ready was called.
func (s *Supervisor) IsReady() bool {
	s.setup()
	select {
	case <-s.ready:
		return true
	default:
		return false
	}
}

func (s *Supervisor) sendStatus() {
	if s.Status == nil {
		return
	}
	if err := s.N.Status(s.Status()); err != nil {
		s.Logger.Warn("systemd notify", "err", err)
	}
}

// Run sends status lines and watchdog answers until ctx ends, then STOPPING=1.
func (s *Supervisor) Run(ctx context.Context) error {
	s.setup()
	status := time.NewTicker(s.StatusEvery)
	defer status.Stop()
	var wd <-chan time.Time
	if iv := s.N.WatchdogInterval(); iv > 0 {
		t := time.NewTicker(max(iv/2, time.Millisecond))
		defer t.Stop()
		wd = t.C
	}
	for {
		select {
		case <-ctx.Done():
			if err := s.N.Notify(Stopping, "STATUS=stopping"); err != nil {
				s.Logger.Warn("systemd notify", "err", err)
			}
			return nil
		case <-status.C:
			if s.IsReady() {
				s.sendStatus()
			}
		case <-wd:
			s.watchdog()
		}
	}
}

// watchdog answers systemd's watchdog if the daemon is healthy.
func (s *Supervisor) watchdog() {
	if s.IsReady() && s.Healthy != nil {
		if err := s.Healthy(); err != nil {
			s.Logger.Error("not answering the systemd watchdog", "err", err)
			return
		}
	}
	if err := s.N.Notify(Watchdog); err != nil {
		s.Logger.Warn("systemd notify", "err", err)
	}
}
