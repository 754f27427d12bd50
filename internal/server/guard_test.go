package server

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/httpguard"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/metrics"
)

// raw sends a request with the given Host and Origin and no key.
func (f *fixture) raw(t *testing.T, method, path, host, origin, contentType string, body io.Reader) answer {
	t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

// TestBrowserAttacksOnKeylessServe: keyless serve (loopback clients only)
// refuses a DNS-rebinding Host, a cross-site multipart upload and a job
// request that is not JSON, and counts the refusals; the same requests by
// address, from its own origin or a trusted one, or by a configured name
// are served.
func TestBrowserAttacksOnKeylessServe(t *testing.T) {
	guard, err := httpguard.New([]string{"classify.internal.example"}, []string{"https://app.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, Options{APIKeys: []string{}, Guard: guard})
	_, port, _ := net.SplitHostPort(f.ts.Listener.Addr().String())
	self := "127.0.0.1:" + port
	upload := func() (io.Reader, string) {
		return multipartBody(t, []part{{"purpose", "", "classify"}, {"file", "a.txt", "invoice total"}})
	}
	refusals := func() float64 {
		return refusalCount(t, httpguard.BadHost) +
			refusalCount(t, httpguard.CrossOrigin)
	}
	before := refusals()

	for _, c := range []struct {
		name, method, path, host, origin string
		multipart                        bool
		want                             int
	}{
		{"rebinding lists jobs", "GET", "/api/v1/classifier/jobs", "rebind.attacker.example:" + port, "", false, 403},
		{"rebinding uploads", "POST", "/api/v1/beta/files", "rebind.attacker.example", "", true, 403},
		{"cross-site upload", "POST", "/api/v1/beta/files", self, "http://evil.example", true, 403},
		{"cross-site upload to localhost", "POST", "/api/v1/beta/files", "localhost:" + port, "http://evil.example", true, 403},
		{"list by address", "GET", "/api/v1/classifier/jobs", self, "", false, 200},
		{"upload from its own origin", "POST", "/api/v1/beta/files", self, "http://" + self, true, 200},
		{"upload from a trusted origin", "POST", "/api/v1/beta/files", self, "https://app.example.com", true, 200},
		{"list by a configured name", "GET", "/api/v1/classifier/jobs", "classify.internal.example:" + port, "", false, 200},
	} {
		var body io.Reader
		ct := ""
		if c.multipart {
			body, ct = upload()
		}
		if a := f.raw(t, c.method, c.path, c.host, c.origin, ct, body); a.status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, a.status, a.body, c.want)
		}
	}
	if got := refusals() - before; got != 4 {
		t.Errorf("%v refusals counted, want 4", got)
	}
	page, err := f.b.ListFilesPage(t.Context(), local.FileQuery{}, api.PageRequest{})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("%d files stored (%v), want the 2 allowed uploads", len(page.Items), err)
	}

	// A job request must say it is JSON: a form or a text/plain body can be
	// sent across sites without asking first.
	job := `{"file_ids":["` + page.Items[0].ID + `"],"rules":[{"type":"invoice","description":"invoice total"}]}`
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded"} {
		if a := f.raw(t, "POST", "/api/v1/classifier/jobs", self, "", ct, strings.NewReader(job)); a.status != 422 {
			t.Errorf("job with Content-Type %q: %d %s, want 422", ct, a.status, a.body)
		}
	}
	if jobs, _ := f.b.ListJobsPage(t.Context(), api.PageRequest{}); len(jobs.Items) != 0 {
		t.Errorf("%d jobs created from non-JSON requests", len(jobs.Items))
	}
	if a := f.raw(t, "POST", "/api/v1/classifier/jobs", self, "", "application/json", strings.NewReader(job)); a.status != 200 {
		t.Errorf("JSON job: %d %s", a.status, a.body)
	}
}

// TestBadKeyCounted: a wrong key is 401 and counted.
func TestBadKeyCounted(t *testing.T) {
	f := newFixture(t, Options{})
	before := refusalCount(t, "bad_key")
	if a := f.do(t, "GET", "/api/v1/classifier/jobs", "", nil, "not-the-key"); a.status != 401 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if got := refusalCount(t, "bad_key") - before; got != 1 {
		t.Errorf("%v bad keys counted, want 1", got)
	}
}

// refusalCount is the value of classifyd_security_refusals_total{reason}.
func refusalCount(t *testing.T, reason string) float64 {
	t.Helper()
	var m dto.Metric
	if err := metrics.SecurityRefusals.WithLabelValues(reason).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestBlankKeysAcceptNobody: keys that are all blank do not turn auth off.
func TestBlankKeysAcceptNobody(t *testing.T) {
	f := newFixture(t, Options{APIKeys: []string{" ", ""}})
	for _, key := range []string{"", " "} {
		if a := f.do(t, "GET", "/api/v1/classifier/jobs", "", nil, key); a.status != 401 {
			t.Errorf("key %q: %d %s, want 401", key, a.status, a.body)
		}
	}
}
