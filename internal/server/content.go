package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/classifyd/classifyd/internal/local"
)

// Download links: GET /api/v1/beta/files/{id}/content answers the SDK's
// PresignedURL {url, expires_at}; the url is
// /api/v1/beta/files/{id}/download?expires=UNIX&signature=HMAC, which needs
// no Authorization header: the HMAC-SHA256 of id and expiry under a key made
// at start-up is the credential. Links die at their expiry or at a restart.

const (
	defaultLinkTTL = time.Hour
	maxLinkTTL     = 7 * 24 * time.Hour
)

func newLinkKey() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return k
}

func (s *Server) sign(id, tenant string, expires int64) string {
	m := hmac.New(sha256.New, s.linkKey)
	fmt.Fprintf(m, "%s\n%s\n%d", id, tenant, expires)
	return hex.EncodeToString(m.Sum(nil))
}

// PresignedURL is the answer of GET /api/v1/beta/files/{id}/content.
type PresignedURL struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) fileContent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ttl := defaultLinkTTL
	if v := r.URL.Query().Get("expires_at_seconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) || n < 1 {
			writeIssues(w, issue("greater_than_equal", "Input should be an integer greater than or equal to 1", "query", "expires_at_seconds"))
			return
		}
		// Capped before it becomes a Duration: n seconds near the integer
		// limit would wrap into a link that has already expired.
		ttl = time.Duration(min(n, int64(maxLinkTTL/time.Second))) * time.Second
	}
	sc := s.scoped(r)
	if _, err := sc.GetFile(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	tenant := sc.Tenant().ID
	exp := time.Now().Add(ttl).UTC().Truncate(time.Second)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{
		Scheme:   scheme,
		Host:     r.Host,
		Path:     "/api/v1/beta/files/" + id + "/download",
		RawQuery: url.Values{"expires": {strconv.FormatInt(exp.Unix(), 10)}, "tenant": {tenant}, "signature": {s.sign(id, tenant, exp.Unix())}}.Encode(),
	}
	writeJSON(w, http.StatusOK, PresignedURL{URL: u.String(), ExpiresAt: exp})
}

func (s *Server) fileDownload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	q := r.URL.Query()
	exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	tenant := q.Get("tenant")
	sig, herr := hex.DecodeString(q.Get("signature"))
	want, _ := hex.DecodeString(s.sign(id, tenant, exp))
	if err != nil || herr != nil || !hmac.Equal(sig, want) {
		writeDetail(w, http.StatusForbidden, "Invalid download link")
		return
	}
	if time.Now().Unix() > exp {
		writeDetail(w, http.StatusForbidden, "Download link expired")
		return
	}
	// The link names its tenant and the signature covers it: the file is
	// looked up as that tenant, like every other lookup.
	fh, f, err := s.b.Scoped(local.Tenant{ID: tenant}).OpenFile(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer fh.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": local.CleanName(f.Name)}))
	mod := time.Time{}
	if f.LastModifiedAt != nil {
		mod = *f.LastModifiedAt
	}
	http.ServeContent(w, r, "", mod, fh)
}
