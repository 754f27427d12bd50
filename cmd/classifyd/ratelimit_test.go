package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func logLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// TestRateLimited: at most rlBurst warnings/errors per message a minute pass;
// info lines always pass; the next window reports how many were dropped.
func TestRateLimited(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(newRateLimited(slog.NewJSONHandler(&b, nil)))
	for range 20 {
		log.Error("upload failed", "err", "connection refused")
		log.Info("filed")
	}
	log.With("component", "poll").Warn("job lost") // another message: its own budget, shared state
	lines := logLines(t, &b)
	count := map[string]int{}
	for _, l := range lines {
		count[l["msg"].(string)]++
	}
	if count["upload failed"] != rlBurst || count["filed"] != 20 || count["job lost"] != 1 {
		t.Fatalf("counts %v", count)
	}

	// The window ends: the next error passes and the drop count is reported.
	b.Reset()
	h := log.Handler().(*rateLimited)
	h.st.mu.Lock()
	h.st.window = h.st.window.Add(-2 * time.Minute)
	h.st.mu.Unlock()
	log.Error("upload failed", "err", "connection refused")
	lines = logLines(t, &b)
	if len(lines) != 2 || lines[0]["msg"] != "repeated warnings and errors were suppressed" || lines[0]["dropped"] != float64(20-rlBurst) || lines[1]["msg"] != "upload failed" {
		t.Fatalf("after the window: %v", lines)
	}
}
