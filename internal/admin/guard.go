package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/classifyd/classifyd/internal/httpguard"
	"github.com/classifyd/classifyd/internal/metrics"
)

// What the admin endpoint trusts. A browser must not be able to use it: a
// request whose Host is not an IP address, localhost or a configured name
// (DNS rebinding) and a state change from another origin are refused (403).
// With a token (Options.Token), /status and /retry need
// "Authorization: Bearer TOKEN" (401 without); /metrics, /healthz and
// /readyz stay open for monitoring. Without a token the endpoint must listen
// on loopback only (RequireToken).

// ErrNoToken: a non-loopback admin address needs a token.
var ErrNoToken = errors.New("the admin endpoint listens on a non-loopback address without a token")

// RequireToken refuses a listener on a non-loopback address when no token
// is set.
func RequireToken(ln net.Listener, token string) error {
	if token != "" {
		return nil
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && ta.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w (%s): set --admin-token-file, or listen on 127.0.0.1", ErrNoToken, ln.Addr())
}

// ReadToken reads a token file: its first line, trimmed; an empty one is an
// error.
func ReadToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	tok, _, _ := strings.Cut(string(b), "\n")
	if tok = strings.TrimSpace(tok); tok == "" {
		return "", fmt.Errorf("admin token file %s is empty", path)
	}
	return tok, nil
}

// tokenRoutes need the token when one is set.
var tokenRoutes = map[string]bool{"/status": true, "/retry": true}

// guarded wraps the endpoint's routes with the Host, Origin and token checks.
func (s *Server) guarded(next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(s.o.Token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reason, detail := s.guard.Check(r); reason != "" {
			s.refused(r, reason)
			http.Error(w, detail, http.StatusForbidden)
			return
		}
		if s.o.Token != "" && tokenRoutes[r.URL.Path] {
			scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
			got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
			if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				s.refused(r, "admin_token")
				w.Header().Set("WWW-Authenticate", `Bearer realm="classifyd admin"`)
				http.Error(w, "admin token required: send Authorization: Bearer TOKEN (classifyd status/retry --admin-token-file)", http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) refused(r *http.Request, reason string) {
	metrics.SecurityRefusals.WithLabelValues(reason).Inc()
	s.o.Logger.Warn("admin request refused", metrics.SecurityAttr, true, "reason", reason,
		"remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path, "host", r.Host, "origin", r.Header.Get("Origin"))
}

// newGuard is Options.Guard or the default.
func newGuard(g *httpguard.Guard) *httpguard.Guard {
	if g != nil {
		return g
	}
	g, _ = httpguard.New(nil, nil)
	return g
}
