// Package client is the HTTP client of the LlamaCloud classifier API (v1):
// LlamaCloud itself, or any server of the API such as `classifyd serve`. It
// implements api.Backend, plus the file and job listing calls.
//
// Retries live in one place (retry.go): go-retryablehttp's CheckRetry and
// Backoff, set to what the official SDK does. Every error answer comes back
// as *api.APIError with the server's detail; errors.Is(err, api.ErrNotFound)
// holds for a 404.
//
// The package owns the wire only; it keeps no state between calls.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"

	"github.com/classifyd/classifyd/internal/api"
)

// Defaults.
const (
	DefaultBaseURL      = "https://api.cloud.llamaindex.ai"
	DefaultMaxRetries   = 5
	DefaultRetryWaitMin = 500 * time.Millisecond
	DefaultRetryWaitMax = 8 * time.Second
	DefaultTimeout      = 60 * time.Second
	// MaxRetryAfter caps a server's Retry-After, so a confused or hostile
	// server cannot park the caller for hours.
	DefaultMaxRetryAfter = 60 * time.Second
)

// Options configure a Client. Zero values take the defaults.
type Options struct {
	// BaseURL of the API; default $LLAMA_CLOUD_BASE_URL, else DefaultBaseURL.
	BaseURL string
	// APIKey sent as a bearer token; default $LLAMA_CLOUD_API_KEY.
	APIKey string
	// ProjectID and OrganizationID are sent as query parameters when set.
	ProjectID      string
	OrganizationID string
	// RateLimit is the most requests per second (every attempt counts,
	// spaced evenly); 0 = no limit.
	RateLimit float64
	// MaxRetries after the first attempt; default DefaultMaxRetries, < 0 = none.
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff (the
	// SDK's 0.5 s and 8 s by default).
	RetryWaitMin, RetryWaitMax time.Duration
	// MaxRetryAfter caps a Retry-After the server asks for; default DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
	// Timeout of one attempt, body included; default DefaultTimeout.
	Timeout time.Duration
	// PageSize asked of paginated endpoints by the iterating calls; 0 = the server's default.
	PageSize int
	// HTTPClient to send with; default a pooled client. Its Timeout is set
	// to Timeout when zero.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// OnRequest, if set, is called after every attempt with the method, the
	// route (the URL path with IDs replaced by {id}, e.g.
	// /api/v1/classifier/jobs/{id}/results), the status (0 for a connection
	// error) and whether the request will be retried. For metrics.
	OnRequest func(method, path string, status int, retry bool)
}

// Client talks to a server of the API. Safe for concurrent use.
type Client struct {
	opts Options
	base *url.URL
	rc   *retryablehttp.Client
	log  *slog.Logger
}

var _ api.Backend = (*Client)(nil)

// New returns a client for opts.
func New(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = os.Getenv("LLAMA_CLOUD_BASE_URL")
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	if opts.APIKey == "" {
		opts.APIKey = os.Getenv("LLAMA_CLOUD_API_KEY")
	}
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("client: invalid base URL %q", opts.BaseURL)
	}
	switch {
	case opts.MaxRetries == 0:
		opts.MaxRetries = DefaultMaxRetries
	case opts.MaxRetries < 0:
		opts.MaxRetries = 0
	}
	if opts.RetryWaitMin <= 0 {
		opts.RetryWaitMin = DefaultRetryWaitMin
	}
	if opts.RetryWaitMax <= 0 {
		opts.RetryWaitMax = DefaultRetryWaitMax
	}
	opts.RetryWaitMax = max(opts.RetryWaitMax, opts.RetryWaitMin)
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	hc := cleanhttp.DefaultPooledClient()
	if opts.HTTPClient != nil {
		c := *opts.HTTPClient
		hc = &c
	}
	if hc.Timeout == 0 {
		hc.Timeout = opts.Timeout
	}
	if opts.RateLimit > 0 {
		rt := hc.Transport
		if rt == nil {
			rt = http.DefaultTransport
		}
		// Burst 1: requests are spaced evenly, never bunched.
		hc.Transport = &limitedTransport{rt: rt, lim: rate.NewLimiter(rate.Limit(opts.RateLimit), 1)}
	}
	c := &Client{opts: opts, base: base, log: opts.Logger.With("component", "client")}
	c.rc = &retryablehttp.Client{
		HTTPClient:   hc,
		Logger:       nil, // we log in CheckRetry, with slog
		RetryWaitMin: opts.RetryWaitMin,
		RetryWaitMax: opts.RetryWaitMax,
		RetryMax:     opts.MaxRetries,
		CheckRetry:   c.checkRetry,
		Backoff:      c.backoff,
		// Hand the last answer back (not a generic "giving up" error) so
		// that the caller sees the server's status and detail.
		ErrorHandler: func(resp *http.Response, err error, tries int) (*http.Response, error) {
			if resp != nil && err == nil {
				return resp, nil
			}
			if resp != nil {
				resp.Body.Close()
			}
			if tries > 1 {
				err = fmt.Errorf("giving up after %d attempts: %w", tries, err)
			}
			return nil, err
		},
	}
	return c, nil
}

// limitedTransport waits for the rate limiter before every attempt.
type limitedTransport struct {
	rt  http.RoundTripper
	lim *rate.Limiter
}

func (t *limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.lim.Wait(r.Context()); err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	return t.rt.RoundTrip(r)
}

type callKey struct{}

// call is what CheckRetry needs to know about the request it judges.
type call struct{ method, path string }

// url builds the URL of path with q and the project/organization parameters.
func (c *Client) url(path string, q url.Values) string {
	u := *c.base
	u.Path = c.base.Path + path
	if q == nil {
		q = url.Values{}
	}
	if c.opts.ProjectID != "" && q.Get("project_id") == "" {
		q.Set("project_id", c.opts.ProjectID)
	}
	if c.opts.OrganizationID != "" && q.Get("organization_id") == "" {
		q.Set("organization_id", c.opts.OrganizationID)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// do sends a request with retries and decodes a JSON answer into out (if
// non-nil). body is nil, []byte, or a retryablehttp.ReaderFunc.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, contentType string, body any, out any) error {
	// go-retryablehttp retries what fails before the answer's headers; an
	// answer whose body is cut short or is not JSON is retried here, for
	// reads only (a POST may have taken effect).
	wait := c.opts.RetryWaitMin
	for attempt := 0; ; attempt++ {
		err := c.doOnce(ctx, method, path, q, contentType, body, out)
		var be *bodyError
		if err == nil || method != http.MethodGet || !errors.As(err, &be) || attempt >= c.opts.MaxRetries || ctx.Err() != nil {
			return err
		}
		if c.opts.Logger != nil {
			c.opts.Logger.Debug("retrying a read whose answer was broken", "path", path, "err", err)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
		wait = min(2*wait, c.opts.RetryWaitMax)
	}
}

// bodyError is a 2xx answer whose body could not be read or decoded.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

func (c *Client) doOnce(ctx context.Context, method, path string, q url.Values, contentType string, body any, out any) error {
	ctx = context.WithValue(ctx, callKey{}, call{method, path})
	req, err := retryablehttp.NewRequestWithContext(ctx, method, c.url(path, q), body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "classifyd")
	if c.opts.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.APIKey)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.rc.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			return fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return api.ParseErrorBody(resp.StatusCode, raw)
	}
	if out == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	dec := json.NewDecoder(resp.Body)
	if err := dec.Decode(out); err != nil {
		return &bodyError{fmt.Errorf("decode answer of %s %s: %w", method, path, err)}
	}
	return nil
}

func (c *Client) doJSON(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body any
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ct = b, "application/json"
	}
	return c.do(ctx, method, path, q, ct, body, out)
}

func pageQuery(pr api.PageRequest) url.Values {
	q := url.Values{}
	if pr.PageSize > 0 {
		q.Set("page_size", fmt.Sprint(pr.PageSize))
	}
	if pr.PageToken != "" {
		q.Set("page_token", pr.PageToken)
	}
	return q
}

// each walks every page that fetch returns, following next_page_token.
func each[T any](ctx context.Context, pageSize int, fetch func(api.PageRequest) (api.Page[T], error), fn func(T) error) error {
	pr := api.PageRequest{PageSize: pageSize}
	seen := map[string]bool{}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := fetch(pr)
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			if err := fn(it); err != nil {
				return err
			}
		}
		tok := api.Deref(page.NextPageToken)
		if tok == "" {
			return nil
		}
		if seen[tok] {
			return fmt.Errorf("server repeated page token %q", tok)
		}
		seen[tok] = true
		pr.PageToken = tok
	}
}
