// Package backoff is classifyd's one retry policy: how long to wait before
// the next attempt of anything that failed and may succeed later (an HTTP
// request of the client, a job poll, a move, an action, a webhook).
//
//	delay(n) = min(Base·Factorⁿ, Max) · u,   u uniform in [Jitter.Lo, Jitter.Hi]
//
// n counts from 0 (the wait before the second attempt). A server's
// Retry-After, when there is one, replaces the computed delay (Wait).
//
// The package owns only arithmetic: it sleeps for nobody, holds no state
// and reads the clock only where the caller passes it in.
package backoff

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Jitter scales a delay by a uniformly random factor in [Lo, Hi]. The zero
// value is no jitter.
type Jitter struct{ Lo, Hi float64 }

// Around spreads a delay by ±f (Around(0.25): 75 % to 125 %).
func Around(f float64) Jitter { return Jitter{1 - f, 1 + f} }

// Under shortens a delay by up to f, never lengthens it (Under(0.25): 75 %
// to 100 %, as the official LlamaCloud SDK does).
func Under(f float64) Jitter { return Jitter{1 - f, 1} }

// Policy is capped exponential backoff with jitter.
type Policy struct {
	Base   time.Duration // delay before the second attempt (n = 0)
	Max    time.Duration // cap of the delay before jitter; 0: no cap
	Factor float64       // growth per attempt; 0: 2
	Jitter Jitter
	// MaxRetryAfter caps a server's Retry-After (Wait), so a confused or
	// hostile server cannot park a caller for hours; 0: no cap.
	MaxRetryAfter time.Duration
}

// Delay is the wait before attempt n+1 (n from 0), with random jitter.
func (p Policy) Delay(n int) time.Duration { return p.DelayAt(n, rand.Float64()) }

// DelayAt is Delay with the random draw u in [0, 1) given: pure, for tests.
func (p Policy) DelayAt(n int, u float64) time.Duration {
	f := p.Factor
	if f == 0 {
		f = 2
	}
	n = max(n, 0)
	d := float64(p.Base) * math.Pow(f, float64(n))
	if p.Max > 0 && d > float64(p.Max) {
		d = float64(p.Max)
	}
	if p.Jitter != (Jitter{}) {
		d *= p.Jitter.Lo + (p.Jitter.Hi-p.Jitter.Lo)*u
	}
	return fromFloat(d)
}

// fromFloat converts nanoseconds to a Duration, saturating instead of
// overflowing (no cap and an absurd n, a Retry-After of 1e300).
func fromFloat(ns float64) time.Duration {
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

// Wait is the wait before attempt n+1 of an HTTP request whose answer had
// header h (nil: no answer): the server's Retry-After when it sent one
// (capped at MaxRetryAfter), else Delay(n).
func (p Policy) Wait(n int, h http.Header, now time.Time) time.Duration {
	if d, ok := RetryAfter(h, now); ok {
		d = max(d, 0)
		if p.MaxRetryAfter > 0 {
			d = min(d, p.MaxRetryAfter)
		}
		return d
	}
	return p.Delay(n)
}

// RetryAfter reads how long a server asked the caller to wait:
// Retry-After-Ms (milliseconds, as LlamaCloud sends), else Retry-After in
// seconds or as an HTTP date (relative to now, so possibly negative). ok is
// false when neither header holds a usable value.
func RetryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	if h == nil {
		return 0, false
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return fromFloat(ms * float64(time.Millisecond)), true
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return fromFloat(s * float64(time.Second)), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return t.Sub(now), true
		}
	}
	return 0, false
}
