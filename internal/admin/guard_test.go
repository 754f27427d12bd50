package admin

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifyd/classifyd/internal/testutil"
)

// adminRequest sends one request to the endpoint with the given Host,
// Origin and token (each optional) and returns the status.
func adminRequest(t *testing.T, hs *httptest.Server, method, path, host, origin, token, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAdminRefusesBrowsers: a DNS-rebinding page (its own name in Host) can
// neither read /status nor make /retry move filed files back; a page of
// another origin cannot POST /retry either. Requests by IP address or
// localhost, and by a configured name, are answered.
func TestAdminRefusesBrowsers(t *testing.T) {
	e := newEnv(t)
	e.sample()
	e.once()
	st := e.open()
	defer st.Close()
	srv := New(Options{Config: e.cfg})
	srv.SetDaemon(&fakeDaemon{st: st})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	before := testutil.Tree(t, e.out)
	_, port, _ := net.SplitHostPort(hs.Listener.Addr().String())

	for _, c := range []struct {
		name, method, path, host, origin string
		want                             int
	}{
		{"rebinding reads status", "GET", "/status", "rebind.attacker.example:" + port, "", 403},
		{"rebinding retries", "POST", "/retry", "rebind.attacker.example:" + port, "", 403},
		{"rebinding retries, no port", "POST", "/retry", "rebind.attacker.example", "", 403},
		{"cross-site retry", "POST", "/retry", "127.0.0.1:" + port, "http://evil.example", 403},
		{"status by address", "GET", "/status", "127.0.0.1:" + port, "", 200},
		{"status by localhost", "GET", "/status", "localhost:" + port, "", 200},
		{"metrics by address", "GET", "/metrics", "[::1]:" + port, "", 200},
	} {
		body := ""
		if c.method == "POST" {
			body = `{"files": [], "dry_run": false}`
		}
		if got := adminRequest(t, hs, c.method, c.path, c.host, c.origin, "", body); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	testutil.SameTree(t, testutil.Tree(t, e.out), before)
}

// TestAdminToken: with a token, /status and /retry need it (401 without or
// with a wrong one, and nothing moves); health and metrics stay open; the
// client sends it. A non-loopback address without a token is refused.
func TestAdminToken(t *testing.T) {
	e := newEnv(t)
	e.sample()
	e.once()
	st := e.open()
	defer st.Close()
	tokFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokFile, []byte("s3cret-admin-token\n"), 0o600)
	tok, err := ReadToken(tokFile)
	if err != nil || tok != "s3cret-admin-token" {
		t.Fatalf("ReadToken: %q %v", tok, err)
	}
	srv := New(Options{Config: e.cfg, Token: tok})
	srv.SetDaemon(&fakeDaemon{st: st})
	srv.SetReady()
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	before := testutil.Tree(t, e.out)
	retry := `{"files": [], "dry_run": false}`
	for _, c := range []struct {
		method, path, token, body string
		want                      int
	}{
		{"GET", "/status", "", "", 401},
		{"GET", "/status", "wrong", "", 401},
		{"POST", "/retry", "", retry, 401},
		{"POST", "/retry", "s3cret-admin-tokenX", retry, 401},
		{"GET", "/healthz", "", "", 200},
		{"GET", "/readyz", "", "", 200},
		{"GET", "/metrics", "", "", 200},
		{"GET", "/status", tok, "", 200},
	} {
		if got := adminRequest(t, hs, c.method, c.path, "", "", c.token, c.body); got != c.want {
			t.Errorf("%s %s token %q: %d, want %d", c.method, c.path, c.token, got, c.want)
		}
	}
	testutil.SameTree(t, testutil.Tree(t, e.out), before)
	base := strings.TrimPrefix(hs.URL, "http://")
	if _, err := NewClient(base).Status(context.Background()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("client without the token: %v, want 401", err)
	}
	if _, err := NewClient(base).WithToken(tok).Status(context.Background()); err != nil {
		t.Errorf("client with the token: %v", err)
	}

	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	if _, err := ReadToken(empty); err == nil {
		t.Error("an empty token file was accepted")
	}
	for _, c := range []struct {
		addr, token string
		ok          bool
	}{{"127.0.0.1:0", "", true}, {"0.0.0.0:0", "", false}, {"0.0.0.0:0", tok, true}} {
		ln, err := net.Listen("tcp", c.addr)
		if err != nil {
			t.Fatal(err)
		}
		err = RequireToken(ln, c.token)
		ln.Close()
		if (err == nil) != c.ok || err != nil && !errors.Is(err, ErrNoToken) {
			t.Errorf("RequireToken(%s, %q) = %v", c.addr, c.token, err)
		}
	}
}
