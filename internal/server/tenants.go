package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/metrics"
)

// Key is an accepted API key and the tenant it acts for.
type Key struct {
	Key string
	// Tenant names the tenant; keys with the same Tenant share their files
	// and jobs. Empty: the key is a tenant of its own (named after a hash
	// of the key, so the key itself is never stored).
	Tenant string
	// Projects are the tenant's project IDs (see local.Tenant); the union
	// over the tenant's keys.
	Projects []string
}

// keyTenant is the tenant ID of a key without a named tenant.
func keyTenant(key string) string {
	sum := sha256.Sum256([]byte("classifyd tenant\n" + key))
	return "key-" + hex.EncodeToString(sum[:8])
}

// namedTenant keeps named tenants apart from key tenants and the default.
func namedTenant(name string) string { return "t-" + name }

type keyEntry struct {
	sum    [32]byte // SHA-256 of the key, compared in constant time
	tenant local.Tenant
}

// buildKeys turns the configured keys into entries; keys that share a
// tenant share its project list.
func buildKeys(keys []Key) []keyEntry {
	projects := map[string][]string{}
	var out []keyEntry
	for _, k := range keys {
		key := strings.TrimSpace(k.Key)
		if key == "" {
			continue
		}
		id := keyTenant(key)
		if k.Tenant != "" {
			id = namedTenant(k.Tenant)
		}
		for _, p := range k.Projects {
			if p = strings.TrimSpace(p); p != "" && !contains(projects[id], p) {
				projects[id] = append(projects[id], p)
			}
		}
		out = append(out, keyEntry{sum: sha256.Sum256([]byte(key)), tenant: local.Tenant{ID: id}})
	}
	for i := range out {
		out[i].tenant.Projects = projects[out[i].tenant.ID]
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// lookupKey finds the entry of token, comparing with every key in constant
// time.
func (s *Server) lookupKey(token string) (local.Tenant, bool) {
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i, k := range s.keys {
		eq := subtle.ConstantTimeCompare(sum[:], k.sum[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return local.Tenant{}, false
	}
	return s.keys[found].tenant, true
}

type tenantKey struct{}

// scoped is the backend as the tenant of the request sees it: the one way
// a handler reaches files and jobs. Requests that passed auth carry their
// tenant; keyless ones act for local.DefaultTenant.
func (s *Server) scoped(r *http.Request) *local.Scoped {
	t, _ := r.Context().Value(tenantKey{}).(local.Tenant)
	return s.b.Scoped(t)
}

func withTenant(r *http.Request, t local.Tenant) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), tenantKey{}, t))
}

// refused counts and logs a refusal for security reasons; the log record
// carries security=true, which log rate limiting never drops.
func (s *Server) refused(r *http.Request, reason, msg string, attrs ...any) {
	metrics.SecurityRefusals.WithLabelValues(reason).Inc()
	args := append([]any{metrics.SecurityAttr, true, "reason", reason, "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path}, attrs...)
	s.log.Warn(msg, args...)
}

// KeyTenant is the tenant of a key that names none (for tools and tests
// that reach the backend beside the server).
func KeyTenant(key string) local.Tenant { return local.Tenant{ID: keyTenant(key)} }
