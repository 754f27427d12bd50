package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/classifyd/classifyd/internal/metrics"
)

// rateLimited passes at most burst error records a minute per message, so a
// dead API does not flood the journal; it reports how many it dropped.
type rateLimited struct {
	slog.Handler
	st *rlState
}

type rlState struct {
	mu      sync.Mutex
	window  time.Time
	counts  map[string]int
	dropped int
}

const rlBurst = 5

func newRateLimited(h slog.Handler) slog.Handler {
	return &rateLimited{Handler: h, st: &rlState{counts: map[string]int{}}}
}

func (r *rateLimited) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level < slog.LevelWarn || securityRecord(rec) {
		return r.Handler.Handle(ctx, rec)
	}
	s := r.st
	s.mu.Lock()
	now := time.Now()
	var dropped int
	if now.Sub(s.window) > time.Minute {
		dropped = s.dropped
		s.window, s.dropped = now, 0
		clear(s.counts)
	}
	s.counts[rec.Message]++
	pass := s.counts[rec.Message] <= rlBurst
	if !pass {
		s.dropped++
	}
	s.mu.Unlock()
	if dropped > 0 {
		note := slog.NewRecord(now, slog.LevelWarn, "repeated warnings and errors were suppressed", 0)
		note.AddAttrs(slog.Int("dropped", dropped))
		r.Handler.Handle(ctx, note)
	}
	if !pass {
		return nil
	}
	return r.Handler.Handle(ctx, rec)
}

// securityRecord reports a record marked security=true (a refused webhook
// target, a bad key): those are never dropped, so repeated attempts cannot
// hide one that matters.
func securityRecord(rec slog.Record) bool {
	found := false
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == metrics.SecurityAttr && a.Value.Kind() == slog.KindBool && a.Value.Bool() {
			found = true
			return false
		}
		return true
	})
	return found
}

func (r *rateLimited) WithAttrs(as []slog.Attr) slog.Handler {
	return &rateLimited{Handler: r.Handler.WithAttrs(as), st: r.st}
}

func (r *rateLimited) WithGroup(name string) slog.Handler {
	return &rateLimited{Handler: r.Handler.WithGroup(name), st: r.st}
}
