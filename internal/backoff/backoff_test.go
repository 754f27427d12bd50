package backoff

import (
	"math"
	"net/http"
	"testing"
	"time"
)

const ms = time.Millisecond

func TestDelayAt(t *testing.T) {
	sdk := Policy{Base: 500 * ms, Max: 8 * time.Second, Jitter: Under(0.25)}
	daemon := Policy{Base: 2 * time.Second, Max: 2 * time.Minute, Jitter: Around(0.25)}
	poll := Policy{Base: 500 * ms, Max: 30 * time.Second, Factor: 1.5, Jitter: Around(0.2)}
	for _, tt := range []struct {
		name string
		p    Policy
		n    int
		u    float64
		want time.Duration
	}{
		{"no jitter, first", Policy{Base: 100 * ms, Max: time.Second}, 0, 0.5, 100 * ms},
		{"no jitter, doubles", Policy{Base: 100 * ms, Max: time.Second}, 3, 0.5, 800 * ms},
		{"no jitter, capped", Policy{Base: 100 * ms, Max: time.Second}, 4, 0.5, time.Second},
		{"negative n is n=0", Policy{Base: 100 * ms}, -3, 0, 100 * ms},
		{"no cap", Policy{Base: time.Second}, 10, 0, 1024 * time.Second},
		{"no cap, absurd n saturates", Policy{Base: time.Second}, 5000, 0, math.MaxInt64},
		{"capped, absurd n", Policy{Base: time.Second, Max: time.Minute}, 5000, 0, time.Minute},
		{"sdk: lowest draw is 75 %", sdk, 0, 0, 375 * ms},
		{"sdk: highest draw is 100 %", sdk, 0, 1, 500 * ms},
		{"sdk: capped before jitter", sdk, 10, 0, 6 * time.Second},
		{"daemon: lowest draw", daemon, 1, 0, 3 * time.Second},
		{"daemon: middle draw", daemon, 1, 0.5, 4 * time.Second},
		{"daemon: highest draw", daemon, 1, 1, 5 * time.Second},
		{"daemon: cap, then jitter", daemon, 20, 1, 150 * time.Second},
		{"poll: factor 1.5", poll, 2, 0.5, 1125 * ms},
		{"poll: lowest draw", poll, 0, 0, 400 * ms},
		{"poll: capped", poll, 30, 0.5, 30 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.DelayAt(tt.n, tt.u); got != tt.want {
				t.Errorf("DelayAt(%d, %v) = %v, want %v", tt.n, tt.u, got, tt.want)
			}
		})
	}
}

func TestDelayStaysInItsBand(t *testing.T) {
	p := Policy{Base: 100 * ms, Max: time.Second, Jitter: Around(0.25)}
	for n, mid := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		mid *= ms
		for range 200 {
			if d := p.Delay(n); d < mid*3/4 || d > mid*5/4 {
				t.Fatalf("Delay(%d) = %v, want %v ±25%%", n, d, mid)
			}
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	for _, tt := range []struct {
		name string
		h    http.Header
		want time.Duration
		ok   bool
	}{
		{"none", h(), 0, false},
		{"nil", nil, 0, false},
		{"ms", h("Retry-After-Ms", "250"), 250 * ms, true},
		{"ms wins over seconds", h("Retry-After-Ms", "250", "Retry-After", "9"), 250 * ms, true},
		{"bad ms falls back to seconds", h("Retry-After-Ms", "x", "Retry-After", "9"), 9 * time.Second, true},
		{"negative ms ignored", h("Retry-After-Ms", "-5"), 0, false},
		{"seconds", h("Retry-After", "3"), 3 * time.Second, true},
		{"fractional seconds", h("Retry-After", "0.2"), 200 * ms, true},
		{"date", h("Retry-After", now.Add(7*time.Second).Format(http.TimeFormat)), 7 * time.Second, true},
		{"date in the past", h("Retry-After", now.Add(-7*time.Second).Format(http.TimeFormat)), -7 * time.Second, true},
		{"words", h("Retry-After", "soon"), 0, false},
		{"huge saturates", h("Retry-After", "1e300"), math.MaxInt64, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := RetryAfter(tt.h, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("RetryAfter = %v %v, want %v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestWait(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := Policy{Base: time.Second, Max: time.Second, MaxRetryAfter: 30 * time.Second}
	for _, tt := range []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"no answer: the policy", nil, time.Second},
		{"no header: the policy", http.Header{}, time.Second},
		{"the server's wait", http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{"the server's wait, capped", http.Header{"Retry-After": {"3600"}}, 30 * time.Second},
		{"a huge wait, capped", http.Header{"Retry-After": {"1e300"}}, 30 * time.Second},
		{"a date in the past: at once", http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Wait(4, tt.h, now); got != tt.want {
				t.Errorf("Wait = %v, want %v", got, tt.want)
			}
		})
	}
}
