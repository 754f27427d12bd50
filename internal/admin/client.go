package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client talks to a running daemon's admin endpoint.
type Client struct {
	base  string
	hc    *http.Client
	token string
}

// WithToken makes c send the admin token.
func (c *Client) WithToken(token string) *Client {
	c.token = token
	return c
}

// NewClient returns a client of the endpoint at addr ("127.0.0.1:9090" or a URL).
func NewClient(addr string) *Client {
	base := strings.TrimRight(addr, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return &Client{base: base, hc: &http.Client{Timeout: 30 * time.Second}}
}

// Status fetches GET /status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var st Status
	if err := c.do(ctx, http.MethodGet, "/status", nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Retry asks the daemon to retry files (none: the failed folder).
func (c *Client) Retry(ctx context.Context, req RetryRequest) (*Report, error) {
	var rep Report
	if err := c.do(ctx, http.MethodPost, "/retry", req, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("admin %s: %w", path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin endpoint %s: %w (is classifyd running with --admin?)", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("admin %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("admin %s: %s: %s", path, resp.Status, strings.TrimSpace(string(data)))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("admin %s: decode: %w", path, err)
	}
	return nil
}
