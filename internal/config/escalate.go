package config

import (
	"fmt"
	"time"
)

// Escalate configures "local first, LlamaCloud when unsure": the embedded
// engine classifies every file, and the files it is not sure of are sent to
// a remote Classify v2 service within a daily budget. The remote's answer
// decides, and a confident one teaches the embedded engine.
type Escalate struct {
	// Enabled turns escalation on (it needs backend.kind: local).
	Enabled bool `yaml:"enabled"`
	// Backend is the remote service: as the top-level backend, of kind
	// llamacloud and Classify v2.
	Backend Backend `yaml:"backend"`
	// Below: a file the engine gives a confidence below this is escalated.
	Below float64 `yaml:"below"`
	// Unmatched: a file the engine gives no type at all is escalated too.
	Unmatched bool `yaml:"unmatched"`
	// FilesPerDay is the budget: remote jobs created per day (local time),
	// counted in the state file when a job is intended, before it is sent.
	FilesPerDay int `yaml:"files_per_day"`
	// PagesPerFile is the most pages of a file sent (the remote's max_pages).
	PagesPerFile int `yaml:"pages_per_file"`
	// Fallback is where an escalated file goes when the budget is spent or
	// the remote fails: local (the engine's own answer) or review.
	Fallback string `yaml:"fallback"`
	// Tries: a remote call that fails for a passing reason (a 5xx, a
	// timeout, an outage) is tried this many times before the fallback; a
	// refusal or a FAILED job takes the fallback at once.
	Tries int `yaml:"tries"`
	// Wait is the longest an escalated file waits for the remote's answer
	// before it takes the fallback.
	Wait time.Duration `yaml:"wait"`
	// LearnAbove: a remote answer with at least this confidence teaches the
	// embedded engine the file as an example (weaker than a correction).
	LearnAbove float64 `yaml:"learn_above"`
}

// Escalation fallbacks.
const (
	FallbackLocal  = "local"
	FallbackReview = "review"
)

// defaultEscalate is the escalate section's defaults (off).
func defaultEscalate() Escalate {
	return Escalate{
		Backend: Backend{
			Kind:      BackendLlamaCloud,
			API:       APIV2,
			APIKeyEnv: "LLAMA_CLOUD_API_KEY",
			Timeout:   60 * time.Second,
		},
		Below:        0.6,
		Unmatched:    true,
		FilesPerDay:  100,
		PagesPerFile: 3,
		Fallback:     FallbackLocal,
		Tries:        3,
		Wait:         30 * time.Minute,
		LearnAbove:   0.8,
	}
}

// validateEscalate checks the escalate section (also when it is off, so a
// mistake shows before it is switched on).
func (c *Config) validateEscalate() error {
	e := &c.Escalate
	if e.Enabled && c.Backend.Kind != BackendLocal {
		return c.errorf("escalate.enabled", "escalation sends what the embedded engine is unsure of to LlamaCloud: it needs backend.kind: local (is %s)", c.Backend.Kind)
	}
	if e.Backend.Kind == "" {
		e.Backend.Kind = BackendLlamaCloud
	}
	if e.Backend.Kind != BackendLlamaCloud {
		return c.errorf("escalate.backend.kind", "%q: escalation goes to llamacloud (LlamaCloud or a server of its API)", e.Backend.Kind)
	}
	switch e.Backend.API {
	case "":
		e.Backend.API = APIV2
	case APIV2:
	default:
		return c.errorf("escalate.backend.api", "%q: escalation speaks Classify v2 only (one job per file with an idempotent transaction_id, so a crash never pays twice)", e.Backend.API)
	}
	if e.Backend.APIKeyEnv == "" {
		e.Backend.APIKeyEnv = "LLAMA_CLOUD_API_KEY"
	}
	if e.Backend.RateLimit < 0 {
		return c.errorf("escalate.backend.rate_limit", "must not be negative")
	}
	if e.Backend.Timeout <= 0 {
		return c.errorf("escalate.backend.timeout", "must be positive")
	}
	if e.Below <= 0 || e.Below > 1 {
		return c.errorf("escalate.below", "%v is not above 0 and at most 1", e.Below)
	}
	if e.FilesPerDay < 1 {
		return c.errorf("escalate.files_per_day", "must be at least 1 (set enabled: false to escalate nothing)")
	}
	if e.PagesPerFile < 1 {
		return c.errorf("escalate.pages_per_file", "must be at least 1")
	}
	switch e.Fallback {
	case FallbackLocal, FallbackReview:
	default:
		return c.errorf("escalate.fallback", "%q is not local or review", e.Fallback)
	}
	if e.Tries < 1 {
		return c.errorf("escalate.tries", "must be at least 1")
	}
	if e.Wait <= 0 {
		return c.errorf("escalate.wait", "must be positive")
	}
	if e.LearnAbove < 0 || e.LearnAbove > 1 {
		return c.errorf("escalate.learn_above", "%v is not between 0 and 1", e.LearnAbove)
	}
	return nil
}

// EscalationBackendConfig returns a copy of the configuration whose backend
// is the escalation's remote (to open it as the top-level backend is opened).
func (c *Config) EscalationBackendConfig() *Config {
	cc := *c
	cc.Backend = c.Escalate.Backend
	cc.Escalate = Escalate{}
	return &cc
}

// EscalatePages is the max_pages of a remote job: pages_per_file, or fewer
// when parsing.max_pages reads fewer.
func (c *Config) EscalatePages() int {
	n := c.Escalate.PagesPerFile
	if c.Parsing.MaxPages > 0 && c.Parsing.MaxPages < n {
		n = c.Parsing.MaxPages
	}
	return n
}

// String describes the escalation for logs and dry runs.
func (e Escalate) String() string {
	if !e.Enabled {
		return "off"
	}
	return fmt.Sprintf("below %.2f (unmatched: %v), %d files a day, %d pages a file, fallback %s", e.Below, e.Unmatched, e.FilesPerDay, e.PagesPerFile, e.Fallback)
}
