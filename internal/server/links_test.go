package server

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
)

// TestLinkExpiryNearTheIntegerLimit: expires_at_seconds so large that it
// would overflow as a duration is capped at the longest link life, not
// wrapped into a link that has already expired.
func TestLinkExpiryNearTheIntegerLimit(t *testing.T) {
	f := newFixture(t, Options{})
	file := f.upload(t, "a.txt", "hello")
	for _, secs := range []string{"9223372036", "9223372036854775807", "99999999999999999999999", "604800"} {
		a := f.do(t, "GET", "/api/v1/beta/files/"+file.ID+"/content?expires_at_seconds="+secs, "", nil, testKey)
		var link PresignedURL
		a.json(t, &link)
		if a.status != 200 || link.ExpiresAt.Before(time.Now().Add(maxLinkTTL-time.Minute)) || link.ExpiresAt.After(time.Now().Add(maxLinkTTL+time.Minute)) {
			t.Errorf("expires_at_seconds=%s: %d expires %v, want about 7 days from now", secs, a.status, link.ExpiresAt)
			continue
		}
		u, _ := url.Parse(link.URL)
		if d := f.do(t, "GET", u.RequestURI(), "", nil, ""); d.status != 200 || string(d.body) != "hello" {
			t.Errorf("expires_at_seconds=%s: download %d %s", secs, d.status, d.body)
		}
	}
	for _, secs := range []string{"0", "-1", "-9223372036854775808", "x"} {
		if a := f.do(t, "GET", "/api/v1/beta/files/"+file.ID+"/content?expires_at_seconds="+secs, "", nil, testKey); a.status != 422 {
			t.Errorf("expires_at_seconds=%s: %d, want 422", secs, a.status)
		}
	}
}

// TestBidiControlsRemoved: U+202E and the other bidirectional formatting
// characters are removed from stored names and from Content-Disposition
// (also for a name that reached the store some other way).
func TestBidiControlsRemoved(t *testing.T) {
	f := newFixture(t, Options{APIKeys: []string{}})
	up := f.upload(t, "invoice\u202Efdp.exe", "hello")
	if up.Name != "invoicefdp.exe" {
		t.Errorf("stored name %q", up.Name)
	}
	p := filepath.Join(t.TempDir(), "x.txt")
	os.WriteFile(p, []byte("hi"), 0o600)
	reg, err := f.b.Upload(t.Context(), p, api.UploadOptions{Name: "scan\u2067\u202Egpj.exe\u2069"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{up.ID, reg.ID} {
		var link PresignedURL
		f.do(t, "GET", "/api/v1/beta/files/"+id+"/content", "", nil, "").json(t, &link)
		u, _ := url.Parse(link.URL)
		d := f.do(t, "GET", u.RequestURI(), "", nil, "")
		cd := d.header.Get("Content-Disposition")
		dec, _ := url.QueryUnescape(cd)
		if d.status != 200 || cd == "" || strings.ContainsAny(dec, "\u202E\u2067\u2069") || strings.Contains(strings.ToLower(cd), "%e2%80%ae") {
			t.Errorf("file %s: %d Content-Disposition %q", id, d.status, cd)
		}
	}
}
