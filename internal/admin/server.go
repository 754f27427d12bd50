package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/httpguard"
	"github.com/classifyd/classifyd/internal/metrics"
	"github.com/classifyd/classifyd/internal/state"
	"github.com/classifyd/classifyd/internal/watch"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Daemon is what the admin endpoint needs of the running daemon
// (*daemon.Daemon).
type Daemon interface {
	Store() *state.Store
	Stalled(maxAge time.Duration) []string
	WatcherStats() watch.Stats
	Progress() (done, seen int64)
	Failed() int64
}

// Options configure a Server.
type Options struct {
	Config *config.Config
	// StallAge: a loop that has not turned for this long makes /healthz fail
	// (default 1m).
	StallAge time.Duration
	// Registry is served on /metrics (default metrics.Registry).
	Registry *prometheus.Registry
	Logger   *slog.Logger
	// Token, when set, is needed for /status and /retry (see guard.go).
	Token string
	// Guard checks Host and Origin; default: IP addresses and localhost,
	// no cross-origin state changes.
	Guard *httpguard.Guard
}

// Server is the admin HTTP endpoint of a running classifyd:
//
//	GET  /metrics  Prometheus metrics
//	GET  /healthz  200 while the state is readable and every daemon loop turns
//	GET  /readyz   200 once the daemon is ready (backlog scan started, watcher running),
//	               503 while the inbox is gone or unreadable
//	GET  /status   Status as JSON
//	POST /retry    {"files": [...], "dry_run": false} → Report (files: empty = the failed folder)
type Server struct {
	o       Options
	d       atomic.Pointer[holder]
	ready   atomic.Bool
	started time.Time
	mux     *http.ServeMux
	guard   *httpguard.Guard
	handler http.Handler
}

type holder struct{ d Daemon }

// New returns a Server; hand it the daemon with SetDaemon once it exists.
func New(o Options) *Server {
	if o.StallAge <= 0 {
		o.StallAge = time.Minute
	}
	if o.Registry == nil {
		o.Registry = metrics.Registry
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{o: o, started: time.Now(), mux: http.NewServeMux(), guard: newGuard(o.Guard)}
	s.handler = s.guarded(s.mux)
	prom := promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn)})
	s.mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.UpdateGauges()
		prom.ServeHTTP(w, r)
	}))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /status", s.status)
	s.mux.HandleFunc("POST /retry", s.retry)
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "classifyd admin endpoint: /metrics /healthz /readyz /status, POST /retry\n")
	})
	return s
}

// SetDaemon hands the server the daemon (called once it is created).
func (s *Server) SetDaemon(d Daemon) { s.d.Store(&holder{d}) }

// SetReady marks the daemon ready (daemon.Options.Ready).
func (s *Server) SetReady() { s.ready.Store(true) }

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) daemon() Daemon {
	if h := s.d.Load(); h != nil {
		return h.d
	}
	return nil
}

// UpdateGauges sets the queue gauges from the state's counts.
func (s *Server) UpdateGauges() {
	d := s.daemon()
	if d == nil {
		return
	}
	counts, err := d.Store().Counts()
	if err != nil {
		return
	}
	q, f := QueueSizes(counts)
	metrics.FilesQueued.Set(float64(q))
	metrics.FilesInFlight.Set(float64(f))
}

// Health returns nil while the daemon is healthy: it exists, its state is
// readable and none of its loops has stalled.
func (s *Server) Health() error {
	d := s.daemon()
	if d == nil {
		return errors.New("starting")
	}
	if _, err := d.Store().Counts(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if st := d.Stalled(s.o.StallAge); len(st) > 0 {
		return fmt.Errorf("stalled loops: %s", strings.Join(st, ", "))
	}
	if t, ok := d.(interface{ Trouble() error }); ok {
		return t.Trouble()
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.Health(); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !s.ready.Load() {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	// Ready, then not: the inbox went away under the running daemon.
	if u, ok := s.daemon().(interface{ Unready() error }); ok {
		if err := u.Unready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	fmt.Fprintln(w, "ready")
}

// Status returns the snapshot of the running daemon.
func (s *Server) Status() (*Status, error) {
	d := s.daemon()
	if d == nil {
		return nil, errors.New("starting")
	}
	st, err := Snapshot(d.Store(), s.o.Config, time.Now())
	if err != nil {
		return nil, err
	}
	st.Running, st.Started = true, s.started.UTC()
	st.Ready = s.ready.Load()
	st.Stalled = d.Stalled(s.o.StallAge)
	if t, ok := d.(interface{ Trouble() error }); ok {
		if err := t.Trouble(); err != nil {
			st.Trouble = err.Error()
		}
	}
	done, seen := d.Progress()
	st.Run = &RunCounts{Seen: seen, Done: done, Failed: d.Failed()}
	if st.Ready { // the watcher exists once the daemon is ready
		ws := d.WatcherStats()
		st.Watcher = &WatcherStats{Events: ws.Events, Rescans: ws.Rescans, Overflows: ws.Overflows,
			Errors: ws.Errors, Emitted: ws.Emitted, Pending: ws.Pending}
	}
	return st, nil
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.Status()
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// RetryRequest is the body of POST /retry.
type RetryRequest struct {
	Files  []string `json:"files"`
	DryRun bool     `json:"dry_run"`
}

func (s *Server) retry(w http.ResponseWriter, r *http.Request) {
	// Only JSON: a browser page cannot send it across origins without asking,
	// so a web page cannot make a local daemon move files.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		http.Error(w, "want Content-Type: application/json", http.StatusUnsupportedMediaType)
		return
	}
	d := s.daemon()
	if d == nil {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	var req RetryRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	for i, p := range req.Files {
		if !filepath.IsAbs(p) {
			http.Error(w, fmt.Sprintf("files[%d]: %q is not an absolute path", i, p), http.StatusBadRequest)
			return
		}
		req.Files[i] = filepath.Clean(p)
	}
	rep, err := Retry(r.Context(), RetryOptions{Config: s.o.Config, Store: d.Store(), Files: req.Files, DryRun: req.DryRun})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if !req.DryRun {
		s.o.Logger.Info("retry", "moved", rep.Moved(), "failed", rep.Failed())
	}
	writeJSON(w, http.StatusOK, rep)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// Listen opens the admin address ("127.0.0.1:9090"; port 0 picks one).
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin endpoint %s: %w", addr, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(s.o.Logger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
