package config

import (
	"strings"
	"testing"
	"time"
)

func TestActionsConfig(t *testing.T) {
	rules := "rules:\n  - type: a\n    description: x\n"
	c, err := Parse([]byte("on_filed:\n  - run: [/bin/true, x]\n  - webhook: https://chat.example.com/h\n    secret_env: HOOK_SECRET\n    timeout: 5s\n    retries: 0\n    on: [review, failed]\n"+rules+"    on_filed:\n      - webhook: http://10.0.0.1/h\n"), "c.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := c.OnFiled[0]
	if a.Timeout != DefaultActionTimeout || a.Retries != DefaultActionRetries || !a.Triggers(EventUnmatched, false) {
		t.Fatalf("defaults: %+v", a)
	}
	if w := c.OnFiled[1]; w.Timeout != 5*time.Second || w.Retries != 0 || w.Triggers(EventFiled, false) || !w.Triggers(EventFailed, false) {
		t.Fatalf("webhook: %+v", w)
	}
	if r := c.Rules[0].OnFiled[0]; !r.Triggers(EventFiled, true) || r.Triggers(EventReview, true) {
		t.Fatalf("a rule's action runs on filed only: %+v", r)
	}
	for y, want := range map[string]string{
		"on_filed:\n  - timeout: 1s\n":                                 "c.yaml:2: on_filed[0]: an action needs run",
		"on_filed:\n  - run: [a]\n    webhook: http://x/\n":            "on_filed[0]: an action is run or webhook, not both",
		"on_filed:\n  - run: \"/bin/notify --x\"\n":                    "c.yaml:2:",
		"on_filed:\n  - webhook: ftp://x/\n":                           "c.yaml:2: on_filed[0].webhook",
		"on_filed:\n  - webhook: http://x/\n    on: [filled]\n":        "on_filed[0].on[0]: \"filled\" is not one of",
		"on_filed:\n  - webhook: http://x/\n    secret_env: \"A-B\"\n": "on_filed[0].secret_env",
		"on_filed:\n  - run: [a]\n    secret_env: S\n":                 "secret_env and secret_credential sign webhooks",
		"on_filed:\n  - webhook: http://x/\n    retries: -1\n":         "on_filed[0].retries",
		"on_filed:\n  - webhook: http://x/\n    wat: 1\n":              "c.yaml:3: on_filed[0].wat: unknown key",
		rules + "    on_filed:\n      - run: []\n":                     "rules[0].on_filed[0]",
	} {
		_, err := Parse([]byte(y+func() string {
			if strings.HasPrefix(y, "rules:") {
				return ""
			}
			return rules
		}()), "c.yaml", t.TempDir())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", y, err, want)
		}
	}
}
