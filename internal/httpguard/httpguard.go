// Package httpguard keeps browsers from being used against classifyd's HTTP
// endpoints (`serve` and the admin endpoint): a page on another site must
// not reach them through DNS rebinding (a name of the attacker's that
// resolves to 127.0.0.1, so the request carries the attacker's Host) or by
// sending a form across sites (the request carries the page's Origin).
//
// It owns the checks only; the servers decide what to answer.
package httpguard

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Guard checks the Host and Origin of requests.
type Guard struct {
	hosts map[string]bool
	cop   *http.CrossOriginProtection
}

// New returns a guard that accepts a Host that is an IP address literal
// (a rebinding page cannot make the browser send one: its origin is a
// name), "localhost", or one of hosts (names, without port, any case), and
// refuses state-changing requests from another origin unless it is one of
// origins ("https://app.example.com").
func New(hosts, origins []string) (*Guard, error) {
	g := &Guard{hosts: map[string]bool{"localhost": true}, cop: http.NewCrossOriginProtection()}
	for _, h := range hosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if strings.ContainsAny(h, ":/") {
			return nil, fmt.Errorf("allowed host %q: give a name without scheme or port", h)
		}
		g.hosts[strings.TrimSuffix(h, ".")] = true
	}
	for _, o := range origins {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if err := g.cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("trusted origin: %w", err)
		}
	}
	return g, nil
}

// Reasons of Check.
const (
	BadHost     = "bad_host"
	CrossOrigin = "cross_origin"
)

// Check returns "" for an acceptable request, else the reason (BadHost,
// CrossOrigin) and a message for the client.
func (g *Guard) Check(r *http.Request) (reason, detail string) {
	if !g.hostOK(r.Host) {
		return BadHost, "Host " + quote(r.Host) + " is not a name of this server (DNS rebinding?); add it to the allowed hosts if it is"
	}
	if err := g.cop.Check(r); err != nil {
		return CrossOrigin, "Cross-origin request refused (Origin " + quote(r.Header.Get("Origin")) + ")"
	}
	return "", ""
}

func (g *Guard) hostOK(host string) bool {
	if host == "" { // HTTP/1.0: no browser sends that
		return true
	}
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return g.hosts[h]
}

func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return fmt.Sprintf("%q", s)
}
