package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is the part of classifyd's configuration the harnesses vary.
// Zero values take small, fast test defaults (see Write).
type Config struct {
	Inbox, Output, State string

	Backend string // local (default) or llamacloud
	BaseURL string
	API     string        // backend.api: v2 or v1 (default: classifyd's, v2)
	Timeout time.Duration // backend.timeout (default 5s)

	BatchSize   int           // default 20
	Window      time.Duration // default 200ms
	Concurrency int           // default 4

	PollMin, PollMax time.Duration // default 50ms, 500ms
	JobRetries       int           // default 3

	Settle time.Duration // default 100ms
	Rescan time.Duration // default 0: only at start and on overflow
	// NonRecursive watches only the inbox itself.
	NonRecursive bool

	MinConfidence float64 // default 0 (every typed answer goes to its type folder)
}

// NewConfig returns a Config whose inbox, output and state are in dir (the
// inbox and output folders are created).
func NewConfig(dir string) Config {
	c := Config{
		Inbox:  filepath.Join(dir, "inbox"),
		Output: filepath.Join(dir, "out"),
		State:  filepath.Join(dir, "state", "classifyd.db"),
	}
	os.MkdirAll(c.Inbox, 0o777)
	os.MkdirAll(c.Output, 0o777)
	os.MkdirAll(filepath.Dir(c.State), 0o777)
	return c
}

// YAML renders the configuration with the rules of Kinds.
func (c Config) YAML() string {
	def := func(d, v time.Duration) time.Duration {
		if v == 0 {
			return d
		}
		return v
	}
	defi := func(d, v int) int {
		if v == 0 {
			return d
		}
		return v
	}
	backend := c.Backend
	if backend == "" {
		backend = "local"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "inbox: %q\noutput: %q\nstate: %q\n", c.Inbox, c.Output, c.State)
	fmt.Fprintf(&b, "backend:\n  kind: %s\n  base_url: %q\n  timeout: %s\n", backend, c.BaseURL, def(5*time.Second, c.Timeout))
	if c.API != "" {
		fmt.Fprintf(&b, "  api: %s\n", c.API)
	}
	fmt.Fprintf(&b, "batch:\n  size: %d\n  window: %s\n  concurrency: %d\n",
		defi(20, c.BatchSize), def(200*time.Millisecond, c.Window), defi(4, c.Concurrency))
	pmin := def(50*time.Millisecond, c.PollMin)
	fmt.Fprintf(&b, "poll:\n  min_interval: %s\n  max_interval: %s\n  job_retries: %d\n",
		pmin, max(pmin, def(500*time.Millisecond, c.PollMax)), defi(3, c.JobRetries))
	fmt.Fprintf(&b, "watch:\n  recursive: %v\n  settle: %s\n  rescan_interval: %s\n",
		!c.NonRecursive, def(100*time.Millisecond, c.Settle), c.Rescan)
	fmt.Fprintf(&b, "min_confidence: %v\n", c.MinConfidence)
	b.WriteString("rules:\n")
	for _, k := range Kinds {
		fmt.Fprintf(&b, "  - type: %s\n    description: %q\n", k, RuleDescriptions[k])
	}
	return b.String()
}

// Write writes the configuration to path.
func (c Config) Write(path string) error {
	return os.WriteFile(path, []byte(c.YAML()), 0o644)
}
