package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Action is something done after a file is durable in its folder
// (on_filed, globally and per rule): a command (Run: an argv list, no
// shell) or a webhook (Webhook: a URL that gets a POST). The daemon runs it
// from its own queue in the state file, at least once, with an id the
// receiver can deduplicate on; see internal/daemon/actions.go.
type Action struct {
	Run     []string `yaml:"run"`
	Webhook string   `yaml:"webhook"`
	// SecretEnv names an environment variable, SecretCredential a systemd
	// credential (a file in $CREDENTIALS_DIRECTORY), holding the secret a
	// webhook's body is signed with: LC-Signature: sha256=<hex HMAC-SHA256>.
	SecretEnv        string        `yaml:"secret_env"`
	SecretCredential string        `yaml:"secret_credential"`
	Timeout          time.Duration `yaml:"timeout"` // one run or request; default 30s
	Retries          int           `yaml:"retries"` // tries after the first failed one; default 5
	// On lists the events that trigger it: filed (a type folder), review,
	// unmatched, failed, duplicate. Default: all of them globally, filed in
	// a rule.
	On []string `yaml:"on"`
}

// Events of actions, one per folder kind a file reaches.
const (
	EventFiled     = "filed"
	EventReview    = "review"
	EventUnmatched = "unmatched"
	EventFailed    = "failed"
	EventDuplicate = "duplicate"
)

// Events lists every event.
var Events = []string{EventFiled, EventReview, EventUnmatched, EventFailed, EventDuplicate}

// Action defaults.
const (
	DefaultActionTimeout = 30 * time.Second
	DefaultActionRetries = 5
)

// UnmarshalYAML decodes an action with its defaults.
func (a *Action) UnmarshalYAML(n *yaml.Node) error {
	type plain Action
	p := plain{Timeout: DefaultActionTimeout, Retries: DefaultActionRetries}
	if err := n.Decode(&p); err != nil {
		return err
	}
	*a = Action(p)
	return nil
}

// Triggers reports whether the action runs on event; rule tells a rule's
// action (default: filed) from a global one (default: every event).
func (a *Action) Triggers(event string, rule bool) bool {
	if len(a.On) == 0 {
		return !rule || event == EventFiled
	}
	for _, e := range a.On {
		if e == event {
			return true
		}
	}
	return false
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *Config) validateActions(path string, acts []*Action) error {
	for i, a := range acts {
		p := fmt.Sprintf("%s[%d]", path, i)
		if a == nil {
			return c.errorf(p, "an action needs run or webhook")
		}
		switch {
		case len(a.Run) > 0 && a.Webhook != "":
			return c.errorf(p, "an action is run or webhook, not both (make two)")
		case len(a.Run) > 0:
			if strings.TrimSpace(a.Run[0]) == "" {
				return c.errorf(p+".run", "the first word is the program (an argv list, no shell)")
			}
			for j, w := range a.Run {
				if strings.ContainsRune(w, 0) {
					return c.errorf(fmt.Sprintf("%s.run[%d]", p, j), "NUL in an argument")
				}
			}
			if a.SecretEnv != "" || a.SecretCredential != "" {
				return c.errorf(p, "secret_env and secret_credential sign webhooks; a command gets the decision on stdin")
			}
		case a.Webhook != "":
			u, err := url.Parse(a.Webhook)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return c.errorf(p+".webhook", "%q is not an http or https URL", a.Webhook)
			}
			if a.SecretEnv != "" && a.SecretCredential != "" {
				return c.errorf(p, "secret_env or secret_credential, not both")
			}
			if a.SecretEnv != "" && !envName.MatchString(a.SecretEnv) {
				return c.errorf(p+".secret_env", "%q is not an environment variable name", a.SecretEnv)
			}
			if strings.ContainsAny(a.SecretCredential, "/\x00") || a.SecretCredential == "." || a.SecretCredential == ".." {
				return c.errorf(p+".secret_credential", "%q is not a credential name", a.SecretCredential)
			}
		default:
			return c.errorf(p, "an action needs run (a command, as a list: [/usr/local/bin/notify, --flag]) or webhook (a URL)")
		}
		if a.Timeout < 0 {
			return c.errorf(p+".timeout", "must not be negative")
		}
		if a.Timeout == 0 {
			a.Timeout = DefaultActionTimeout
		}
		if a.Retries < 0 || a.Retries > 100 {
			return c.errorf(p+".retries", "%d is not between 0 and 100", a.Retries)
		}
		for j, e := range a.On {
			ok := false
			for _, k := range Events {
				ok = ok || e == k
			}
			if !ok {
				return c.errorf(fmt.Sprintf("%s.on[%d]", p, j), "%q is not one of %s", e, strings.Join(Events, ", "))
			}
		}
	}
	return nil
}
