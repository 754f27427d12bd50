// Package server serves the LlamaCloud classifier API over the local
// backend: file upload, list, get and delete under /api/v1/beta/files,
// classify jobs under /api/v1/classifier/jobs and Classify v2 under
// /api/v2/classify (v2.go), with FastAPI-style errors, bearer-key auth
// (each key a tenant; every handler reaches files and jobs through
// s.scoped(r)), AIP-132 pagination and webhooks. See
// ../../../shared/reference/ for the API it speaks.
//
// The package owns HTTP only: request parsing, validation of what is not the
// backend's business (content types, sizes, query parameters), error
// mapping, auth, and webhook delivery. Files, jobs and classification belong
// to internal/local.
package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/classifyd/classifyd/internal/httpguard"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/metrics"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes = 100 << 20
	DefaultMaxJSONBytes = 1 << 20
)

// Options configure a Server.
type Options struct {
	Backend *local.Backend
	// APIKeys are the accepted bearer keys, each a tenant of its own. With
	// none (and no Keys), only loopback clients are served (unless
	// AllowRemoteWithoutKey), all as local.DefaultTenant. Keys that are all
	// blank accept nobody.
	APIKeys []string
	// Keys are accepted keys with their tenants (besides APIKeys).
	Keys []Key
	// Guard checks Host and Origin of every request; default: IP
	// literals and localhost, no cross-origin state changes.
	Guard *httpguard.Guard
	// AllowRemoteWithoutKey serves clients on any address without a key
	// (`serve --insecure`).
	AllowRemoteWithoutKey bool
	// MaxBodyBytes bounds an upload request; default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxJSONBytes bounds a JSON request body; default DefaultMaxJSONBytes.
	MaxJSONBytes int64
	// AllowPrivateWebhooks lets webhooks reach loopback, link-local and
	// private addresses.
	AllowPrivateWebhooks bool
	// WebhookResolver resolves webhook host names; default
	// net.DefaultResolver.
	WebhookResolver Resolver
	// Webhook delivery knobs; zero means the default.
	WebhookRetries int           // retries after the first attempt; default 4
	WebhookBackoff time.Duration // first wait between attempts, doubled each time; default 1s
	WebhookTimeout time.Duration // per attempt; default 10s
	// OnWebhook, if set, is called once per webhook delivery with its final
	// outcome (nil error on a 2xx answer).
	OnWebhook func(d WebhookDelivery)
	Logger    *slog.Logger
}

// Server is the HTTP face of a local backend. It is an http.Handler; call
// JobDone from the backend's OnJobDone so that webhooks are sent, and
// Shutdown to wait for deliveries in flight.
type Server struct {
	opts     Options
	log      *slog.Logger
	b        *local.Backend
	mux      *http.ServeMux
	keys     []keyEntry
	keyed    bool // keys were configured (even if none was usable)
	guard    *httpguard.Guard
	linkKey  []byte // signs download links
	webhooks *webhooks
}

// New returns the server of opts.Backend.
func New(opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxJSONBytes <= 0 {
		opts.MaxJSONBytes = DefaultMaxJSONBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: opts.Logger.With("component", "server"), b: opts.Backend, linkKey: newLinkKey(), guard: opts.Guard}
	keys := opts.Keys
	for _, k := range opts.APIKeys {
		keys = append(keys, Key{Key: k})
	}
	s.keys, s.keyed = buildKeys(keys), len(keys) > 0
	if s.guard == nil {
		s.guard, _ = httpguard.New(nil, nil)
	}
	s.webhooks = newWebhooks(opts, s.log)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("POST /api/v1/beta/files", s.auth(s.uploadFile))
	mux.HandleFunc("GET /api/v1/beta/files", s.auth(s.listFiles))
	mux.HandleFunc("GET /api/v1/beta/files/{id}", s.auth(s.getFile))
	mux.HandleFunc("DELETE /api/v1/beta/files/{id}", s.auth(s.deleteFile))
	mux.HandleFunc("GET /api/v1/beta/files/{id}/content", s.auth(s.fileContent))
	mux.HandleFunc("GET /api/v1/beta/files/{id}/download", s.fileDownload) // the signature is the credential
	mux.HandleFunc("POST /api/v1/classifier/jobs", s.auth(s.createJob))
	mux.HandleFunc("GET /api/v1/classifier/jobs", s.auth(s.listJobs))
	mux.HandleFunc("GET /api/v1/classifier/jobs/{id}", s.auth(s.getJob))
	mux.HandleFunc("GET /api/v1/classifier/jobs/{id}/results", s.auth(s.jobResults))
	mux.Handle("GET /metrics", s.auth(promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}).ServeHTTP))
	s.routeV2(mux)
	s.mux = mux
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if reason, detail := s.guard.Check(r); reason != "" {
		s.refused(r, reason, "request refused", "host", r.Host, "origin", r.Header.Get("Origin"))
		writeDetail(w, http.StatusForbidden, detail)
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		// Unknown path or method: answer in the API's error shape.
		if _, ok := s.allowed(w, r); !ok {
			return
		}
		s.mux.ServeHTTP(&detailWriter{ResponseWriter: w}, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Shutdown waits for webhook deliveries in flight until ctx is done, then
// cancels them.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.webhooks.shutdown(ctx)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "queued": s.b.Queued()})
}

// auth checks the bearer key (or, with no keys configured, that the client
// is on loopback) and hands h the request with its tenant.
func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r, ok := s.allowed(w, r); ok {
			h(w, r)
		}
	}
}

func (s *Server) allowed(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	if !s.keyed {
		if s.opts.AllowRemoteWithoutKey || isLoopback(r.RemoteAddr) {
			return withTenant(r, local.Tenant{ID: local.DefaultTenant}), true
		}
		writeDetail(w, http.StatusForbidden, "no API key is configured, so only loopback clients are served")
		return r, false
	}
	token, ok := bearer(r.Header.Get("Authorization"))
	if ok {
		if t, found := s.lookupKey(token); found {
			return withTenant(r, t), true
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="classifyd"`)
	if !ok {
		writeDetail(w, http.StatusUnauthorized, "Missing API key: send Authorization: Bearer <key>")
	} else {
		s.refused(r, "bad_key", "invalid API key")
		writeDetail(w, http.StatusUnauthorized, "Invalid API key")
	}
	return r, false
}

func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// detailWriter turns the mux's plain-text 404 and 405 into {"detail": ...}.
type detailWriter struct {
	http.ResponseWriter
	wrote bool
}

func (d *detailWriter) WriteHeader(code int) {
	if d.wrote {
		return
	}
	d.wrote = true
	writeDetail(d.ResponseWriter, code, http.StatusText(code))
}

func (d *detailWriter) Write(p []byte) (int, error) {
	if !d.wrote {
		d.WriteHeader(http.StatusOK)
	}
	return len(p), nil
}
