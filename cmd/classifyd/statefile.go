package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/classifyd/classifyd/internal/state"
)

// ErrDaemonRunning: the state file is held by a running classifyd.
var errDaemonRunning = errors.New("classifyd is running")

// openState opens the state file for a command run beside the daemon:
// read-only for a look, for writing to change it. A file held by a running
// daemon is errDaemonRunning; a missing one is never created.
func openState(path string, write bool) (*state.Store, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no state file at %s: classifyd has not run with this configuration (give --config or --state)", path)
		}
		return nil, err
	}
	st, err := state.Open(path, state.Options{ReadOnly: !write, Timeout: stateLockWait})
	if errors.Is(err, state.ErrLocked) {
		return nil, fmt.Errorf("%w with state %s", errDaemonRunning, path)
	}
	return st, err
}

// stateLockWait is how long a command waits for the daemon's lock.
var stateLockWait = 500 * time.Millisecond

// parseSince reads a point in time: RFC 3339, a date, a date and time (local),
// or a duration back from now ("2h", "30m").
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			d = -d
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want a time (2024-05-01, 2024-05-01 14:30, RFC 3339) or a duration back from now (2h)", s)
}

// absPaths makes command-line paths absolute and clean.
func absPaths(args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for _, a := range args {
		p, err := filepath.Abs(a)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// ago formats a duration for people: 4s, 3m12s, 2h05m, 3d4h.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// oneLine shortens a reason to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// parseInterleaved parses flags that may come after positional arguments
// ("undo FILE --dry-run"), returning the positional ones. After "--"
// everything is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
