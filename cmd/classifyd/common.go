package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/classify"
	"github.com/classifyd/classifyd/internal/client"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/daemon"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/metrics"
	"golang.org/x/term"
)

// newLogger builds the slog logger: text on a terminal, JSON otherwise.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	if level == "" {
		level = os.Getenv("LOG_LEVEL")
	}
	var lv slog.Level
	if level != "" {
		if err := lv.UnmarshalText([]byte(level)); err != nil {
			return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
		}
	}
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: durationAsText}
	var h slog.Handler
	switch format {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: want text or json", format)
	}
	return slog.New(newRateLimited(h)), nil
}

// backend is a classify service and how to stop it.
type backend struct {
	api.Backend
	learner daemon.Learner                  // the local engine learns from examples and corrections
	run     func(ctx context.Context) error // nil when nothing runs in the background
	close   func() error
	// jobsDone, when the backend can say so, carries the ids of its
	// finished jobs to the daemon (daemon.Options.JobsDone).
	jobsDone chan string
	// v2 submits one Classify v2 job per file (llamacloud with backend.api: v2).
	v2 api.V2Backend
}

// FileFailures passes on why each failed file of a job failed, from a
// backend that says (the embedded engine); for others the daemon reads the
// job's error_message.
func (b *backend) FileFailures(ctx context.Context, jobID string) ([]api.FileFailure, error) {
	if r, ok := b.Backend.(api.FailureReporter); ok {
		return r.FileFailures(ctx, jobID)
	}
	return nil, errors.ErrUnsupported
}

// ReleaseJob passes the daemon's release of a finished job on to a backend
// that holds jobs for it (the embedded engine); others need nothing.
func (b *backend) ReleaseJob(ctx context.Context, id string) error {
	if r, ok := b.Backend.(api.JobReleaser); ok {
		return r.ReleaseJob(ctx, id)
	}
	return nil
}

// Prefetch passes the daemon's read-ahead hint on to a backend that can use
// it (the embedded engine); others ignore it.
func (b *backend) Prefetch(path string, mode api.Mode, pc api.ParsingConfiguration) {
	if p, ok := b.Backend.(api.Prefetcher); ok {
		p.Prefetch(path, mode, pc)
	}
}

// newLocalClassifier builds the embedded engine's classifier. stateDir holds
// its caches and what it has learned.
var newLocalClassifier = func(ctx context.Context, cfg *config.Config, stateDir string, log *slog.Logger) (local.Classifier, func() error, error) {
	p, closeFn, err := classify.Open(ctx, cfg, stateDir, log)
	if err != nil {
		return nil, nil, err
	}
	return p, closeFn, nil
}

// openBackend builds the configured backend.
func openBackend(ctx context.Context, cfg *config.Config, log *slog.Logger) (*backend, error) {
	switch cfg.Backend.Kind {
	case config.BackendLlamaCloud:
		key := os.Getenv(cfg.Backend.APIKeyEnv)
		if key == "" {
			key = credential("api_key")
		}
		if key == "" && !loopbackURL(cfg.Backend.BaseURL) {
			return nil, fmt.Errorf("backend.kind llamacloud needs an API key: set $%s (backend.api_key_env names the variable; under systemd, LoadCredential=api_key:...). Only a server on this machine (base_url on localhost, such as classifyd serve without --api-key) is used without one", cfg.Backend.APIKeyEnv)
		}
		c, err := client.New(client.Options{
			BaseURL: cfg.Backend.BaseURL, APIKey: key, ProjectID: cfg.Backend.ProjectID,
			OrganizationID: cfg.Backend.OrganizationID, RateLimit: cfg.Backend.RateLimit,
			Timeout: cfg.Backend.Timeout, Logger: log,
			OnRequest: func(method, route string, status int, retry bool) {
				metrics.APIRequests.WithLabelValues(method, route, fmt.Sprint(status)).Inc()
				if retry {
					metrics.APIRetries.Inc()
				}
			},
		})
		if err != nil {
			return nil, err
		}
		b := &backend{Backend: c, close: func() error { return nil }}
		if cfg.Backend.API != config.APIV1 {
			b.v2 = c
		}
		return b, nil
	case config.BackendLocal:
		stateDir := filepath.Dir(cfg.State)
		cl, closeCl, err := newLocalClassifier(ctx, cfg, stateDir, log)
		if err != nil {
			return nil, err
		}
		// The daemon bounds the jobs in flight far below the buffer; were
		// it full, a finished job would only wait for its next poll.
		done := make(chan string, 1024)
		b := &backend{jobsDone: done}
		lb, err := local.New(local.Options{Classifier: cl, Logger: log, OnJobDone: func(j api.ClassifyJob) {
			select {
			case done <- j.ID:
			default:
			}
		}})
		if err != nil {
			closeCl()
			return nil, err
		}
		b.Backend, b.run, b.close = lb, lb.Run, func() error { return errors.Join(lb.Close(), closeCl()) }
		if l, ok := cl.(daemon.Learner); ok {
			b.learner = l
		}
		return b, nil
	}
	return nil, fmt.Errorf("backend %q: want local or llamacloud", cfg.Backend.Kind)
}

// credential reads a systemd credential (LoadCredential=name:...).
func credential(name string) string {
	dir := os.Getenv("CREDENTIALS_DIRECTORY")
	if dir == "" {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// parseFlags parses fs and turns -h into a clean exit.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return errExit{2}
	}
	return nil
}

// loopbackURL reports whether base (or $LLAMA_CLOUD_BASE_URL when empty) is
// a server on this machine.
func loopbackURL(base string) bool {
	if base == "" {
		base = os.Getenv("LLAMA_CLOUD_BASE_URL")
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Unmap().IsLoopback()
}

var (
	_ api.FailureReporter = (*backend)(nil)
	_ api.JobReleaser     = (*backend)(nil)
)
