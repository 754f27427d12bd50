package main

import "log/slog"

// durationAsText logs durations as Go writes them ("2s", "1m30s"), not as
// the nanoseconds slog's JSON handler writes.
func durationAsText(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}
