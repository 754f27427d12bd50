package harness

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault is one way the proxy misbehaves on a request.
type Fault string

// Faults the proxy injects.
const (
	FaultRateLimit    Fault = "429"           // 429 with Retry-After 0 or 1
	Fault500          Fault = "500"           // internal error
	Fault502          Fault = "502"           // bad gateway
	Fault503          Fault = "503"           // unavailable
	FaultReset        Fault = "reset"         // connection closed before the server sees the request
	FaultResetAfter   Fault = "reset-after"   // the server did the request; the answer is lost in a reset
	FaultStall        Fault = "stall"         // no answer until past the client's timeout (not forwarded)
	FaultStallAfter   Fault = "stall-after"   // the server did the request; the answer never comes in time
	FaultTruncate     Fault = "truncate"      // answer cut short: Content-Length promised more, then a close
	FaultTruncateJSON Fault = "truncate-json" // a 2xx whose JSON body is cut in half (well framed, malformed)
	FaultShuffle      Fault = "shuffle"       // a list page with its items shuffled (still a valid answer)
)

// AllFaults is every fault.
var AllFaults = []Fault{FaultRateLimit, Fault500, Fault502, Fault503, FaultReset, FaultResetAfter,
	FaultStall, FaultStallAfter, FaultTruncate, FaultTruncateJSON, FaultShuffle}

// Proxy is a reverse proxy in front of an API server that counts and
// records every request and, at Rate, injects one of Faults.
type Proxy struct {
	latency time.Duration
	URL     string

	target string
	rate   float64
	faults []Fault
	stall  time.Duration
	shufl  bool
	fwd    *http.Client
	srv    *httptest.Server
	hold   atomic.Bool

	mu       sync.Mutex
	rng      *rand.Rand
	requests int
	byRoute  map[string]int
	byFault  map[Fault]int
	attempts map[string]int // upload attempts per content (sha256), forwarded or not
	received map[string]int // uploads per content the server received
	polled   map[string]bool
}

// ProxyOptions configure NewProxy.
type ProxyOptions struct {
	Rate   float64       // share of requests that get a fault, 0..1
	Faults []Fault       // which faults (default AllFaults)
	Stall  time.Duration // how long a stall lasts at most (default 10s; the client's timeout ends it sooner)
	Seed   int64
	// ShuffleLists shuffles the items of every list page answered 200, on
	// top of the faults.
	ShuffleLists bool
	// Latency is added to every request before it is forwarded (a slow
	// server, as LlamaCloud is from far away).
	Latency time.Duration
}

// NewProxy starts a proxy to target; it is closed when the test ends.
func NewProxy(t testing.TB, target string, o ProxyOptions) *Proxy {
	if o.Faults == nil {
		o.Faults = AllFaults
	}
	if o.Stall == 0 {
		o.Stall = 10 * time.Second
	}
	p := &Proxy{
		latency: o.Latency,
		target:  strings.TrimRight(target, "/"), rate: o.Rate, faults: o.Faults, stall: o.Stall, shufl: o.ShuffleLists,
		fwd:      &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
		rng:      rand.New(rand.NewPCG(uint64(o.Seed), 0x9e3779b9)),
		byRoute:  map[string]int{},
		byFault:  map[Fault]int{},
		attempts: map[string]int{},
		received: map[string]int{},
		polled:   map[string]bool{},
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	t.Cleanup(func() {
		p.srv.CloseClientConnections()
		p.srv.Close()
	})
	return p
}

// Hold, while on, makes every job status answer say PENDING: the daemon's
// files stay in flight until it is turned off.
func (p *Proxy) Hold(on bool) { p.hold.Store(on) }

// SetRate changes the fault rate.
func (p *Proxy) SetRate(r float64) {
	p.mu.Lock()
	p.rate = r
	p.mu.Unlock()
}

// ProxyStats are the proxy's counters.
type ProxyStats struct {
	Requests int
	ByRoute  map[string]int
	ByFault  map[Fault]int
	Attempts map[string]int  // upload attempts per content
	Received map[string]int  // uploads per content that reached the server
	Polled   map[string]bool // jobs whose status the client asked for
}

// Stats returns a copy of the counters.
func (p *Proxy) Stats() ProxyStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := ProxyStats{Requests: p.requests, ByRoute: map[string]int{}, ByFault: map[Fault]int{},
		Attempts: map[string]int{}, Received: map[string]int{}, Polled: map[string]bool{}}
	for k, v := range p.byRoute {
		s.ByRoute[k] = v
	}
	for k, v := range p.byFault {
		s.ByFault[k] = v
	}
	for k, v := range p.attempts {
		s.Attempts[k] = v
	}
	for k, v := range p.received {
		s.Received[k] = v
	}
	for k, v := range p.polled {
		s.Polled[k] = v
	}
	return s
}

// route names an API path with IDs replaced by {id}.
func route(method, path string) string {
	parts := strings.Split(path, "/")
	for i := 1; i < len(parts); i++ {
		if (parts[i-1] == "jobs" || parts[i-1] == "files" || parts[i-1] == "classify") && parts[i] != "" {
			parts[i] = "{id}"
		}
	}
	return method + " " + strings.Join(parts, "/")
}

func isList(method, path string) bool {
	return method == http.MethodGet && (strings.HasSuffix(path, "/files") || strings.HasSuffix(path, "/jobs") || strings.HasSuffix(path, "/results") || strings.HasSuffix(path, "/classify"))
}

func (p *Proxy) pick(method, path string) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rng.Float64() >= p.rate {
		return ""
	}
	var ok []Fault
	for _, f := range p.faults {
		if f == FaultShuffle && !isList(method, path) {
			continue
		}
		ok = append(ok, f)
	}
	if len(ok) == 0 {
		return ""
	}
	return ok[p.rng.IntN(len(ok))]
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if p.latency > 0 {
		time.Sleep(p.latency)
	}
	rt := route(r.Method, r.URL.Path)
	fault := p.pick(r.Method, r.URL.Path)
	var upload string
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/beta/files") {
		upload = uploadSHA(r.Header.Get("Content-Type"), body)
	}
	p.mu.Lock()
	p.requests++
	p.byRoute[rt]++
	if fault != "" {
		p.byFault[fault]++
	}
	if upload != "" {
		p.attempts[upload]++
	}
	if rt == "GET /api/v1/classifier/jobs/{id}" {
		p.polled[strings.TrimPrefix(r.URL.Path, "/api/v1/classifier/jobs/")] = true
	}
	if rt == "GET /api/v2/classify" {
		for _, id := range r.URL.Query()["job_ids"] {
			p.polled[id] = true // Classify v2 polls by listing
		}
	}
	p.mu.Unlock()

	switch fault {
	case FaultRateLimit:
		w.Header().Set("Retry-After", []string{"0", "1"}[p.randN(2)])
		writeErr(w, http.StatusTooManyRequests, "rate limited (injected)")
		return
	case Fault500, Fault502, Fault503:
		code := map[Fault]int{Fault500: 500, Fault502: 502, Fault503: 503}[fault]
		writeErr(w, code, "injected "+string(fault))
		return
	case FaultReset:
		reset(w)
		return
	case FaultStall:
		p.wait(r)
		writeErr(w, http.StatusGatewayTimeout, "stalled (injected)")
		return
	}

	status, hdr, out, err := p.forward(r, body)
	if err != nil {
		writeErr(w, http.StatusBadGateway, "proxy: "+err.Error())
		return
	}
	if upload != "" && status == http.StatusOK {
		p.mu.Lock()
		p.received[upload]++
		p.mu.Unlock()
	}
	if p.hold.Load() && status == http.StatusOK && rt == "GET /api/v1/classifier/jobs/{id}" {
		out = setPending(out)
	}
	switch fault {
	case FaultResetAfter:
		reset(w)
		return
	case FaultStallAfter:
		p.wait(r)
		writeErr(w, http.StatusGatewayTimeout, "stalled (injected)")
		return
	case FaultShuffle:
		if status == http.StatusOK {
			out = p.shuffle(out)
		}
	default:
		if p.shufl && status == http.StatusOK && isList(r.Method, r.URL.Path) {
			out = p.shuffle(out)
			p.mu.Lock()
			p.byFault[FaultShuffle+"-all"]++
			p.mu.Unlock()
		}
	}
	for k, vs := range hdr {
		switch k {
		case "Content-Length", "Connection", "Transfer-Encoding":
			continue
		}
		w.Header()[k] = vs
	}
	switch {
	case fault == FaultTruncate && len(out) >= 2:
		w.Header().Set("Content-Length", itoa(len(out)))
		w.WriteHeader(status)
		w.Write(out[:len(out)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		reset(w)
	case fault == FaultTruncateJSON && len(out) >= 2:
		out = out[:len(out)/2]
		w.Header().Set("Content-Length", itoa(len(out)))
		w.WriteHeader(status)
		w.Write(out)
	default:
		w.Header().Set("Content-Length", itoa(len(out)))
		w.WriteHeader(status)
		w.Write(out)
	}
}

func (p *Proxy) randN(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rng.IntN(n)
}

// wait stalls until the client gives up or the stall time is over.
func (p *Proxy) wait(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(p.stall):
	}
}

func (p *Proxy) forward(r *http.Request, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequest(r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	for _, k := range []string{"Content-Type", "Authorization", "Accept", "User-Agent"} {
		if v := r.Header.Get(k); v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := p.fwd.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, out, nil
}

func (p *Proxy) shuffle(out []byte) []byte {
	var page map[string]json.RawMessage
	if json.Unmarshal(out, &page) != nil {
		return out
	}
	var items []json.RawMessage
	if json.Unmarshal(page["items"], &items) != nil || len(items) < 2 {
		return out
	}
	p.mu.Lock()
	p.rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	p.mu.Unlock()
	b, _ := json.Marshal(items)
	page["items"] = b
	b, err := json.Marshal(page)
	if err != nil {
		return out
	}
	return b
}

func setPending(out []byte) []byte {
	var job map[string]json.RawMessage
	if json.Unmarshal(out, &job) != nil {
		return out
	}
	job["status"] = json.RawMessage(`"PENDING"`)
	b, err := json.Marshal(job)
	if err != nil {
		return out
	}
	return b
}

func writeErr(w http.ResponseWriter, code int, detail string) {
	b, _ := json.Marshal(map[string]string{"detail": detail})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
}

// reset closes the client's connection abruptly (RST, no answer).
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

func itoa(n int) string { return strconv.Itoa(n) }

// uploadSHA returns the sha256 of the "file" part of a multipart upload
// ("" when the body is not one).
func uploadSHA(contentType string, body []byte) string {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil || params["boundary"] == "" {
		return ""
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return ""
		}
		if part.FormName() == "file" {
			h := sha256.New()
			if _, err := io.Copy(h, part); err != nil {
				return ""
			}
			return hex.EncodeToString(h.Sum(nil))
		}
	}
}

// Top lists a count map's entries, largest first, as "key=n".
func Top[K comparable](m map[K]int, n int) string {
	type kv struct {
		k string
		v int
	}
	var l []kv
	for k, v := range m {
		l = append(l, kv{strings.TrimSpace(strings.ReplaceAll(toString(k), "\n", " ")), v})
	}
	sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v || (l[i].v == l[j].v && l[i].k < l[j].k) })
	var out []string
	for i, e := range l {
		if i == n {
			break
		}
		out = append(out, e.k+"="+itoa(e.v))
	}
	return strings.Join(out, " ")
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case Fault:
		return string(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
