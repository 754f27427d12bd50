package config

import (
	"strings"
	"testing"
	"time"
)

func TestEscalateErrors(t *testing.T) {
	rules := "rules:\n  - type: a\n    description: x\n"
	cases := []struct{ name, yaml, want string }{
		{"remote backend kind", "escalate:\n  enabled: true\n  backend:\n    kind: local\n" + rules, "c.yaml:4: escalate.backend.kind"},
		{"v1 refused", "escalate:\n  backend:\n    api: v1\n" + rules, "c.yaml:3: escalate.backend.api: \"v1\": escalation speaks Classify v2 only"},
		{"needs the local engine", "backend:\n  kind: llamacloud\nescalate:\n  enabled: true\n" + rules, "c.yaml:4: escalate.enabled: escalation sends"},
		{"threshold zero", "escalate:\n  below: 0\n" + rules, "c.yaml:2: escalate.below"},
		{"threshold above one", "escalate:\n  below: 1.2\n" + rules, "escalate.below"},
		{"no budget", "escalate:\n  enabled: true\n  files_per_day: 0\n" + rules, "c.yaml:3: escalate.files_per_day: must be at least 1"},
		{"no pages", "escalate:\n  pages_per_file: 0\n" + rules, "escalate.pages_per_file"},
		{"fallback", "escalate:\n  fallback: remote\n" + rules, `c.yaml:2: escalate.fallback: "remote" is not local or review`},
		{"tries", "escalate:\n  tries: 0\n" + rules, "escalate.tries"},
		{"wait", "escalate:\n  wait: 0s\n" + rules, "escalate.wait"},
		{"learn_above", "escalate:\n  learn_above: 2\n" + rules, "escalate.learn_above"},
		{"unknown key", "escalate:\n  threshold: 0.5\n" + rules, "c.yaml:2: escalate.threshold: unknown key"},
		{"bad timeout", "escalate:\n  backend:\n    timeout: 0s\n" + rules, "escalate.backend.timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "c.yaml", t.TempDir())
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestEscalateDefaults(t *testing.T) {
	c, err := Parse([]byte("parsing:\n  max_pages: 2\nescalate:\n  enabled: true\n  backend:\n    base_url: http://127.0.0.1:1\nrules:\n  - type: a\n    description: x\n"), "c.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := c.Escalate
	if !e.Enabled || e.Below != 0.6 || !e.Unmatched || e.FilesPerDay != 100 || e.PagesPerFile != 3 || e.Fallback != FallbackLocal ||
		e.Tries != 3 || e.Wait != 30*time.Minute || e.LearnAbove != 0.8 || e.Backend.API != APIV2 || e.Backend.Kind != BackendLlamaCloud ||
		e.Backend.APIKeyEnv != "LLAMA_CLOUD_API_KEY" || e.Backend.Timeout != time.Minute || e.Backend.BaseURL != "http://127.0.0.1:1" {
		t.Fatalf("defaults: %+v", e)
	}
	if got := c.EscalatePages(); got != 2 {
		t.Errorf("EscalatePages = %d, want parsing.max_pages 2 (below pages_per_file 3)", got)
	}
	rb := c.EscalationBackendConfig()
	if rb.Backend.Kind != BackendLlamaCloud || rb.Backend.BaseURL != "http://127.0.0.1:1" || c.Backend.Kind != BackendLocal {
		t.Errorf("remote config: %+v (own backend %+v)", rb.Backend, c.Backend)
	}
}
