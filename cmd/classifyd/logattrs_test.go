package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLogDurationsAsText(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		var buf bytes.Buffer
		log, err := newLogger(&buf, format, "info")
		if err != nil {
			t.Fatal(err)
		}
		log.Info("waited", "wait", 2*time.Second, "group", map[string]any{})
		log.With("backoff", 1500*time.Millisecond).Info("retry")
		out := buf.String()
		if !strings.Contains(out, "2s") || !strings.Contains(out, "1.5s") || strings.Contains(out, "2000000000") {
			t.Errorf("%s: durations not as Go durations: %s", format, out)
		}
	}
}
