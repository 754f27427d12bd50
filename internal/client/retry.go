package client

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/backoff"
)

// checkRetry is the one place that decides whether an attempt is tried
// again. It follows the official SDK: an explicit x-should-retry: true|false
// wins; otherwise 408, 409, 429 and 5xx are retried, and so are connection
// errors; other answers are final. Nothing is retried once ctx is done.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	cl, _ := ctx.Value(callKey{}).(call)
	route := routeOf(cl.path)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	retry, final := c.shouldRetry(ctx, resp, err)
	if c.opts.OnRequest != nil {
		c.opts.OnRequest(cl.method, route, status, retry)
	}
	if retry {
		c.log.Debug("retrying", "method", cl.method, "path", cl.path, "status", status, "err", err)
	}
	return retry, final
}

func (c *Client) shouldRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return retryableConnError(err), nil
	}
	switch resp.Header.Get("X-Should-Retry") {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return api.RetryableStatus(resp.StatusCode), nil
}

// routeOf replaces the IDs in an API path by {id}, so that the paths of
// OnRequest make labels of bounded cardinality.
func routeOf(path string) string {
	parts := strings.Split(path, "/")
	for i := 1; i < len(parts); i++ {
		if (parts[i-1] == "jobs" || parts[i-1] == "files" || parts[i-1] == "classify") && parts[i] != "" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// retryableConnError: a failed connection or exchange is retried, except
// when trying again cannot help (a malformed URL, a certificate the system
// does not trust, a request the client refused to send).
func retryableConnError(err error) bool {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return true
	}
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	switch {
	case errors.As(err, &uae), errors.As(err, &hne), errors.As(err, &cie):
		return false
	case errors.Is(err, http.ErrSchemeMismatch):
		return false
	}
	return true
}

// backoff is how long to wait before attempt n+1, as the SDK does: what the
// server asked for (retry-after-ms, else retry-after in seconds or as an
// HTTP date, capped at MaxRetryAfter), else min(RetryWaitMin·2ⁿ,
// RetryWaitMax) less up to 25 % jitter. The arithmetic is internal/backoff's.
func (c *Client) backoff(lo, hi time.Duration, n int, resp *http.Response) time.Duration {
	var h http.Header
	if resp != nil {
		h = resp.Header
	}
	p := backoff.Policy{Base: lo, Max: hi, Jitter: backoff.Under(0.25), MaxRetryAfter: c.opts.MaxRetryAfter}
	return p.Wait(n, h, time.Now())
}

// retryAfter is how long the answer resp asks the caller to wait.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	return backoff.RetryAfter(resp.Header, now)
}
