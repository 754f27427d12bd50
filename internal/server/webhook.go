package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/backoff"
	"github.com/classifyd/classifyd/internal/metrics"
)

// ErrPrivateAddress is a webhook host that resolves to a loopback,
// link-local, private or otherwise non-public address while private webhooks
// are not allowed.
var ErrPrivateAddress = errors.New("webhook address is not public")

// WebhookDelivery is the final outcome of one webhook of one job.
type WebhookDelivery struct {
	JobID    string
	URL      string
	Event    string
	Attempts int
	Status   int // HTTP status of the last answer, 0 if none
	Err      error
}

// maxWebhookConcurrency bounds deliveries in flight.
const maxWebhookConcurrency = 16

// webhooks sends job notifications: the job's JSON, POSTed to each
// configured URL whose event filter matches, with the configured headers,
// a bounded number of retries with exponential backoff, a timeout per
// attempt, no redirects, and (unless allowed) no private addresses, checked
// on the socket about to connect so that DNS rebinding cannot get round it.
// A failing webhook is logged and reported to OnWebhook; it never changes
// the job. Deliveries are not persisted: a restart loses those in flight.
type webhooks struct {
	client  *http.Client
	retries int
	backoff backoff.Policy
	log     *slog.Logger
	onDone  func(WebhookDelivery)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sem    chan struct{}

	// The deliveries of one job go out in the order they were sent
	// (classify.pending before classify.running): each waits for the
	// one before it. last is the done channel of a job's latest delivery.
	mu   sync.Mutex
	last map[string]chan struct{}
}

func newWebhooks(opts Options, log *slog.Logger) *webhooks {
	if opts.WebhookRetries == 0 {
		opts.WebhookRetries = 4
	}
	if opts.WebhookRetries < 0 {
		opts.WebhookRetries = 0
	}
	if opts.WebhookBackoff <= 0 {
		opts.WebhookBackoff = time.Second
	}
	if opts.WebhookTimeout <= 0 {
		opts.WebhookTimeout = 10 * time.Second
	}
	dialer := &net.Dialer{Timeout: opts.WebhookTimeout}
	dial := dialer.DialContext
	if !opts.AllowPrivateWebhooks {
		dialer.Control = refusePrivate
		res := opts.WebhookResolver
		if res == nil {
			res = net.DefaultResolver
		}
		dial = (&publicDialer{dialer: dialer, resolver: res}).DialContext
	}
	tr := &http.Transport{
		Proxy:                  nil, // a proxy would hide the address we must check
		DialContext:            dial,
		TLSHandshakeTimeout:    opts.WebhookTimeout,
		ResponseHeaderTimeout:  opts.WebhookTimeout,
		MaxIdleConns:           8,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &webhooks{
		client: &http.Client{
			Transport: tr,
			Timeout:   opts.WebhookTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		retries: opts.WebhookRetries,
		backoff: backoff.Policy{Base: opts.WebhookBackoff, Max: 5 * time.Minute, Jitter: backoff.Under(0.25)},
		log:     log.With("part", "webhook"),
		onDone:  opts.OnWebhook,
		ctx:     ctx,
		cancel:  cancel,
		sem:     make(chan struct{}, maxWebhookConcurrency),
		last:    map[string]chan struct{}{},
	}
}

// refusePrivate is a net.Dialer Control: it runs for the resolved address
// about to be connected.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, host)
	}
	if !publicAddr(ip) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ip)
	}
	return nil
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (::127.0.0.1), ::, ::1
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated (::ffff:0:127.0.0.1)
	netip.MustParsePrefix("2001::/32"),       // Teredo: an IPv4 address inside
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 may reach private IPv4
	netip.MustParsePrefix("2002::/16"),    // 6to4 likewise
}

func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// Resolver resolves webhook host names (net.DefaultResolver; tests stub it).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// publicDialer connects webhooks to public addresses only. An address in the
// URL is checked as it is; a name that a rule refuses (localhost, .local,
// .internal, a numeric form some resolvers read as an address) is refused
// without being resolved; any other name is resolved and refused if any of
// its addresses is not public, in any form (mapped, compatible, translated
// IPv6); then the checked address itself is dialled, and the dialer's
// Control checks the socket once more.
type publicDialer struct {
	dialer   *net.Dialer
	resolver Resolver
}

func (p *publicDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		if refusedName(host) {
			return nil, fmt.Errorf("%w: %s", ErrPrivateAddress, host)
		}
		if addrs, err = p.resolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("webhook host %s: no address", host)
		}
	}
	for _, ip := range addrs {
		if !publicAddr(ip) {
			return nil, fmt.Errorf("%w: %s is %s", ErrPrivateAddress, host, ip)
		}
	}
	var firstErr error
	for _, ip := range addrs {
		c, err := p.dialer.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// refusedNames are names (and, with a leading dot, suffixes) that never
// name a public host.
var refusedNames = []string{"localhost", ".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".lan", ".intranet", ".corp", ".private"}

// refusedName reports a host name refused without resolving it: a
// special-use or private name, or a numeric one ("2130706433", "0x7f.1",
// "127.1") that a resolver may read as an address.
func refusedName(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	for _, n := range refusedNames {
		if h == strings.TrimPrefix(n, ".") || strings.HasPrefix(n, ".") && strings.HasSuffix(h, n) {
			return true
		}
	}
	last := h[strings.LastIndex(h, ".")+1:]
	if last == "" || strings.HasPrefix(last, "0x") {
		return true
	}
	return strings.Trim(last, "0123456789") == ""
}

// JobDone sends the webhooks of a job that reached a terminal state. Wire it
// to local.Options.OnJobDone. It does not block.
func (s *Server) JobDone(job api.ClassifyJob) {
	if s.v2JobDone(job) {
		return
	}
	cfgs, err := s.b.JobWebhooks(context.Background(), job.ID)
	if err != nil {
		s.log.Error("webhooks of job", "job", job.ID, "err", err)
		return
	}
	event := api.EventFor(job.Status)
	for _, c := range cfgs {
		if api.Deref(c.WebhookURL) == "" {
			continue
		}
		if len(c.WebhookEvents) > 0 && !slices.Contains(c.WebhookEvents, event) {
			continue
		}
		s.webhooks.send(job, c, event)
	}
}

func (wh *webhooks) send(job api.ClassifyJob, c api.WebhookConfiguration, event string) {
	body, err := json.Marshal(job)
	if err != nil {
		wh.log.Error("encode job", "job", job.ID, "err", err)
		return
	}
	// v1 deliveries are a JSON object unless "string" is asked for.
	wh.sendBody(job.ID, api.Deref(c.WebhookURL), event, c.WebhookHeaders, body, api.Deref(c.WebhookOutputFormat) == "string", api.Deref(c.WebhookSigningSecret))
}

// sendBody delivers body (as a JSON string holding it when asString), signed
// with secret when one is given: LC-Signature: sha256=<hex HMAC-SHA256 of
// the raw request body>.
func (wh *webhooks) sendBody(jobID, url, event string, headers map[string]any, body []byte, asString bool, secret string) {
	if asString {
		body, _ = json.Marshal(string(body))
	}
	done := make(chan struct{})
	wh.mu.Lock()
	prev := wh.last[jobID]
	wh.last[jobID] = done
	wh.mu.Unlock()
	wh.wg.Add(1)
	go func() {
		defer wh.wg.Done()
		defer func() {
			close(done)
			wh.mu.Lock()
			if wh.last[jobID] == done {
				delete(wh.last, jobID)
			}
			wh.mu.Unlock()
		}()
		if prev != nil {
			select {
			case <-prev:
			case <-wh.ctx.Done():
				return
			}
		}
		select {
		case wh.sem <- struct{}{}:
		case <-wh.ctx.Done():
			return
		}
		defer func() { <-wh.sem }()
		d := wh.deliver(jobID, url, event, headers, body, secret)
		if errors.Is(d.Err, ErrPrivateAddress) {
			metrics.SecurityRefusals.WithLabelValues("webhook_target").Inc()
			wh.log.Warn("webhook target refused", metrics.SecurityAttr, true, "job", d.JobID, "url", d.URL, "err", d.Err)
		} else if d.Err != nil {
			wh.log.Warn("webhook failed", "job", d.JobID, "url", d.URL, "event", d.Event, "attempts", d.Attempts, "err", d.Err)
		} else {
			wh.log.Info("webhook sent", "job", d.JobID, "url", d.URL, "event", d.Event, "attempts", d.Attempts)
		}
		if wh.onDone != nil {
			wh.onDone(d)
		}
	}()
}

// reservedHeaders are set by the sender and not taken from webhook_headers.
var reservedHeaders = []string{"Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Connection", "Te", "Upgrade", "Trailer"}

func (wh *webhooks) deliver(jobID, url, event string, headers map[string]any, body []byte, secret string) WebhookDelivery {
	d := WebhookDelivery{JobID: jobID, URL: url, Event: event}
	deliveryID := fmt.Sprintf("%s.%s", jobID, event)
	for attempt := 0; ; attempt++ {
		d.Attempts = attempt + 1
		status, err := wh.post(url, event, deliveryID, headers, body, secret)
		d.Status, d.Err = status, err
		if err == nil || attempt >= wh.retries || !retryableWebhook(status, err) {
			return d
		}
		t := time.NewTimer(wh.backoff.Delay(attempt))
		select {
		case <-wh.ctx.Done():
			t.Stop()
			d.Err = fmt.Errorf("%w (after %v)", wh.ctx.Err(), err)
			return d
		case <-t.C:
		}
	}
}

func (wh *webhooks) post(url, event, deliveryID string, headers map[string]any, body []byte, secret string) (int, error) {
	req, err := http.NewRequestWithContext(wh.ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range headers {
		if slices.ContainsFunc(reservedHeaders, func(h string) bool { return http.CanonicalHeaderKey(k) == h }) {
			continue
		}
		s, ok := v.(string)
		if !ok {
			b, _ := json.Marshal(v)
			s = string(b)
		}
		req.Header.Set(k, s)
	}
	req.Header.Set("Content-Type", "application/json")
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "classifyd-webhook/1")
	}
	req.Header.Set("X-Classifyd-Event", event)
	req.Header.Set("X-Classifyd-Delivery", deliveryID)
	if secret != "" {
		req.Header.Set("LC-Signature", Signature(secret, body))
	}
	resp, err := wh.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("webhook answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// retryableWebhook: connection errors, 408, 429 and 5xx are tried again;
// refused addresses, redirects and other 4xx are final.
func retryableWebhook(status int, err error) bool {
	if errors.Is(err, ErrPrivateAddress) {
		return false
	}
	if status == 0 {
		return true
	}
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

func (wh *webhooks) shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		wh.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		wh.cancel()
		return nil
	case <-ctx.Done():
		wh.cancel()
		<-done
		return ctx.Err()
	}
}
