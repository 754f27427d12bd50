package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/classifyd/classifyd/internal/admin"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/daemon"
	"github.com/classifyd/classifyd/internal/httpguard"
	"github.com/classifyd/classifyd/internal/metrics"
	"github.com/classifyd/classifyd/internal/sdnotify"
)

// serviceFlags are the flags of a long-running classifyd: the admin endpoint.
type serviceFlags struct {
	admin, addrFile, tokenFile, hosts string
}

func (s *serviceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.admin, "admin", envAdmin(),
		"serve /metrics, /healthz, /readyz, /status and POST /retry on this address, e.g. 127.0.0.1:9090 (port 0 picks a free one); empty: off (default $CLASSIFYD_ADMIN)")
	fs.StringVar(&s.addrFile, "admin-addr-file", "", "write the admin endpoint's address to this file once it listens (useful with port 0)")
	fs.StringVar(&s.tokenFile, "admin-token-file", envAdminTokenFile(),
		"file holding the admin token: /status and /retry then need \"Authorization: Bearer TOKEN\"; required for a non-loopback --admin (default $CLASSIFYD_ADMIN_TOKEN_FILE)")
	fs.StringVar(&s.hosts, "admin-allowed-hosts", "", "comma-separated host names the admin endpoint answers to besides IP addresses and localhost (others are refused: DNS rebinding)")
}

// envAdminTokenFile is the default admin token file: $CLASSIFYD_ADMIN_TOKEN_FILE.
func envAdminTokenFile() string { return os.Getenv("CLASSIFYD_ADMIN_TOKEN_FILE") }

// envAdmin is the default admin address: $CLASSIFYD_ADMIN.
func envAdmin() string { return os.Getenv("CLASSIFYD_ADMIN") }

// Timing knobs, shrunk by tests.
var (
	// stallAge: a daemon loop that has not turned for this long (or for
	// the watchdog interval, if longer) fails /healthz and stops the
	// watchdog answers, so systemd restarts the daemon. Idle loops turn
	// every 10 s, but one turn of the poll loop waits for a round of
	// backend calls, each bounded by the client's timeout and retries
	// (about 6 min against an API that never answers): a shorter age would
	// turn an API outage into restarts.
	stallAge = 10 * time.Minute
	// statusEvery is the period of systemd STATUS= lines and gauge updates.
	statusEvery = 5 * time.Second
)

// service is what surrounds the daemon of `run`: the systemd notify
// protocol (ready, status, watchdog, stopping) and the admin endpoint.
type service struct {
	log      *slog.Logger
	srv      *admin.Server // nil without --admin
	sup      *sdnotify.Supervisor
	d        atomic.Pointer[daemon.Daemon]
	stallAge time.Duration

	cancelSup, cancelSrv context.CancelFunc
	wg                   sync.WaitGroup
	srvErr               error
}

// startService starts the supervisor and, with --admin, the admin endpoint.
// The supervisor says STOPPING=1 as soon as ctx ends; the endpoint serves
// until stop, so it answers while the daemon drains.
func startService(ctx context.Context, cfg *config.Config, sf serviceFlags, log *slog.Logger) (*service, error) {
	n := sdnotify.FromEnv()
	s := &service{log: log, stallAge: max(stallAge, n.WatchdogInterval())}
	s.sup = &sdnotify.Supervisor{N: n, Status: s.statusLine, Healthy: s.health, StatusEvery: statusEvery, Logger: log}
	if sf.admin != "" {
		token, err := admin.ReadToken(sf.tokenFile)
		if err != nil {
			return nil, err
		}
		guard, err := httpguard.New(splitList(sf.hosts), nil)
		if err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
		ln, err := admin.Listen(sf.admin)
		if err != nil {
			return nil, err
		}
		if err := admin.RequireToken(ln, token); err != nil {
			ln.Close()
			return nil, err
		}
		if sf.addrFile != "" {
			if err := os.WriteFile(sf.addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
				ln.Close()
				return nil, fmt.Errorf("admin address file: %w", err)
			}
		}
		s.srv = admin.New(admin.Options{Config: cfg, StallAge: s.stallAge, Logger: log.With("component", "admin"), Token: token, Guard: guard})
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		s.cancelSrv = cancel
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.srv.Serve(sctx, ln); err != nil {
				s.srvErr = err
				log.Error("admin endpoint stopped", "err", err)
			}
		}()
		log.Info("admin endpoint listening", "addr", ln.Addr().String())
	}
	if n.Enabled() {
		log.Debug("systemd notify socket", "watchdog", n.WatchdogInterval())
	}
	sctx, cancel := context.WithCancel(ctx)
	s.cancelSup = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.sup.Run(sctx)
		n.Close()
	}()
	return s, nil
}

// attach makes d the daemon the admin endpoint and the watchdog look at
// (a reload builds a new one).
func (s *service) attach(d *daemon.Daemon) {
	s.d.Store(d)
	if s.srv != nil {
		s.srv.SetDaemon(d)
	}
}

// install hooks the service into the daemon's options: Ready tells systemd
// and the admin endpoint.
func (s *service) install(o *daemon.Options) {
	prevReady := o.Ready
	o.Ready = func() {
		if prevReady != nil {
			prevReady()
		}
		if s.srv != nil {
			s.srv.SetReady()
		}
		s.sup.Ready()
		s.log.Info("ready")
	}
}

// stop ends the supervisor (STOPPING=1 if not said yet) and the endpoint.
func (s *service) stop() error {
	s.cancelSup()
	if s.cancelSrv != nil {
		s.cancelSrv()
	}
	s.wg.Wait()
	return s.srvErr
}

// health is nil while the daemon exists and every loop turns.
func (s *service) health() error {
	d := s.d.Load()
	if d == nil {
		return errors.New("the daemon has not started")
	}
	if st := d.Stalled(s.stallAge); len(st) > 0 {
		return fmt.Errorf("daemon loops stalled for over %s: %v", s.stallAge, st)
	}
	return nil
}

// statusLine is systemd's STATUS=: the queue sizes. It also refreshes the
// queue gauges.
func (s *service) statusLine() string {
	d := s.d.Load()
	if d == nil {
		return "starting"
	}
	counts, err := d.Store().Counts()
	if err != nil {
		return "state unreadable: " + err.Error()
	}
	q, f := admin.QueueSizes(counts)
	metrics.FilesQueued.Set(float64(q))
	metrics.FilesInFlight.Set(float64(f))
	done, _ := d.Progress()
	failed := d.Failed()
	return fmt.Sprintf("queued %d, in flight %d; %d filed, %d failed since start", q, f, max(0, done-failed), failed)
}
