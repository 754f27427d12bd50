// Package config loads classifyd's configuration: built-in defaults, then a
// YAML file (strict: unknown keys are errors), then Validate. Errors name the
// file, the line and the field: `rules.yaml:14: rules[2].type: duplicate type "invoice"`.
//
// The package owns parsing and validation only; it opens no files but the
// config file itself.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/classifyd/classifyd"
	"github.com/classifyd/classifyd/internal/api"
	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration. The yaml tags are the documented keys
// (rules.yaml at the repository root documents every one).
type Config struct {
	Inbox         string   `yaml:"inbox"`
	Output        string   `yaml:"output"`
	State         string   `yaml:"state"`
	Backend       Backend  `yaml:"backend"`
	Mode          api.Mode `yaml:"mode"`
	Parsing       Parsing  `yaml:"parsing"`
	Batch         Batch    `yaml:"batch"`
	Poll          Poll     `yaml:"poll"`
	Watch         Watch    `yaml:"watch"`
	MinConfidence float64  `yaml:"min_confidence"`
	MinEvidence   float64  `yaml:"min_evidence"`
	Folders       Folders  `yaml:"folders"`
	OnConflict    string   `yaml:"on_conflict"`
	Duplicates    string   `yaml:"duplicates"`
	Learn         bool     `yaml:"learn"`
	Escalate      Escalate `yaml:"escalate"`
	// TemplateDate is the time {year}, {month} and {day} of a rule's folder
	// and name templates come from: modified (the file's mtime) or filed.
	TemplateDate string `yaml:"template_date"`
	// Permissions are the modes and group of the folders and files the
	// daemon creates in the output (permissions.go).
	Permissions Permissions `yaml:"permissions"`
	// OnFiled are the actions after every file reaches its folder
	// (actions.go); a rule has its own for the files filed as its type.
	OnFiled []*Action `yaml:"on_filed"`
	Rules   []Rule    `yaml:"rules"`

	// Path is the file the configuration was read from ("" for built-in defaults).
	Path string `yaml:"-"`
	// lines maps a field path (rules[2].type) to its line in the file.
	lines map[string]int
	// flags maps a field path to the command-line flag that set it, so an
	// error names the flag, not the file.
	flags map[string]string
}

// Backend selects and configures the classify service.
type Backend struct {
	Kind string `yaml:"kind"` // local | llamacloud
	// API is the classify API spoken to a llamacloud backend: v2 (Classify
	// v2, one job per file; the default) or v1 (the classifier jobs API of
	// servers that only have it, such as an older classifyd serve).
	API            string        `yaml:"api"`
	BaseURL        string        `yaml:"base_url"`
	APIKeyEnv      string        `yaml:"api_key_env"`
	ProjectID      string        `yaml:"project_id"`
	OrganizationID string        `yaml:"organization_id"`
	RateLimit      float64       `yaml:"rate_limit"`
	Timeout        time.Duration `yaml:"timeout"`
}

// Parsing is the parsing configuration sent with every job.
type Parsing struct {
	Lang        string `yaml:"lang"`
	MaxPages    int    `yaml:"max_pages"`
	TargetPages []int  `yaml:"target_pages"`
}

// Batch configures batching and submission.
type Batch struct {
	Size        int           `yaml:"size"`
	Window      time.Duration `yaml:"window"`
	Concurrency int           `yaml:"concurrency"`
}

// Poll configures job polling.
type Poll struct {
	MinInterval time.Duration `yaml:"min_interval"`
	MaxInterval time.Duration `yaml:"max_interval"`
	JobRetries  int           `yaml:"job_retries"`
}

// Watch configures the inbox watcher.
type Watch struct {
	Recursive      bool          `yaml:"recursive"`
	Settle         time.Duration `yaml:"settle"`
	RescanInterval time.Duration `yaml:"rescan_interval"`
	Ignore         []string      `yaml:"ignore"`
}

// Folders names the folders under output for files not filed by type.
type Folders struct {
	Unmatched  string `yaml:"unmatched"`
	Review     string `yaml:"review"`
	Failed     string `yaml:"failed"`
	Duplicates string `yaml:"duplicates"`
}

// Rule is one document type.
type Rule struct {
	Type        string `yaml:"type"`
	Description string `yaml:"description"`
	Folder      string `yaml:"folder"`   // under output; default Type; may hold placeholders ({year})
	Name        string `yaml:"name"`     // name of the filed file, a template ({stem}.{ext}); default: its own name
	Examples    string `yaml:"examples"` // folder of example documents; optional
	// Fallback marks the rule that takes files no other rule fits (at most
	// one rule); Knowledge false keeps the engine's built-in knowledge of
	// document kinds out of the rule (embedded engine only).
	Fallback  bool  `yaml:"fallback"`
	Knowledge *bool `yaml:"knowledge"`
	// OnFiled are the actions after a file is filed as this type.
	OnFiled []*Action `yaml:"on_filed"`
}

// Classify APIs of a llamacloud backend.
const (
	APIV1 = "v1"
	APIV2 = "v2"
)

// Backend kinds.
const (
	BackendLocal      = "local"
	BackendLlamaCloud = "llamacloud"
)

// Conflict policies and duplicate policies.
const (
	ConflictRename    = "rename"
	ConflictSkip      = "skip"
	ConflictOverwrite = "overwrite"
	DuplicatesFile    = "file"
	DuplicatesSkip    = "skip"
)

// Sources of the date of templates.
const (
	DateModified = "modified"
	DateFiled    = "filed"
)

// Defaults returns the built-in defaults with no rules.
func Defaults() *Config {
	c := &Config{
		Inbox:  "./inbox",
		Output: "./sorted",
		State:  "./classifyd.db",
		Backend: Backend{
			Kind:      BackendLocal,
			API:       APIV2,
			APIKeyEnv: "LLAMA_CLOUD_API_KEY",
			Timeout:   60 * time.Second,
		},
		Mode:    api.ModeFast,
		Parsing: Parsing{Lang: "en", MaxPages: 10},
		Batch:   Batch{Size: 50, Window: 2 * time.Second, Concurrency: 4},
		Poll:    Poll{MinInterval: 500 * time.Millisecond, MaxInterval: 30 * time.Second, JobRetries: 3},
		Watch: Watch{
			Recursive:      true,
			Settle:         2 * time.Second,
			RescanInterval: 5 * time.Minute,
			Ignore:         []string{"*.part", "*.tmp", "*.crdownload", ".*", "~$*"},
		},
		MinConfidence: 0.5,
		Folders:       Folders{Unmatched: "_unmatched", Review: "_review", Failed: "_failed", Duplicates: "_duplicates"},
		OnConflict:    ConflictRename,
		Duplicates:    DuplicatesSkip,
		Learn:         true,
		Escalate:      defaultEscalate(),
		TemplateDate:  DateModified,
		Permissions:   Permissions{FolderMode: "2775", FileMode: "0664"},
	}
	if dir := os.Getenv("STATE_DIRECTORY"); dir != "" {
		// systemd may pass several directories separated by colons.
		c.State = filepath.Join(strings.Split(dir, ":")[0], "classifyd.db")
	}
	return c
}

// Default returns the configuration used when no file is given: the defaults
// plus the example rules of rules.yaml, with paths relative to the working
// directory.
func Default() *Config {
	c, err := parse(classifyd.ExampleConfig, "rules.yaml (built-in)", "")
	if err != nil {
		panic("built-in example configuration: " + err.Error())
	}
	c.Path = ""
	return c
}

// Load reads the configuration file at path. Relative paths in it are
// resolved against the file's directory.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return parse(data, path, dir)
}

// Parse reads a configuration from data; name is used in error messages and
// relative paths are resolved against baseDir ("" = the working directory).
func Parse(data []byte, name, baseDir string) (*Config, error) {
	return parse(data, name, baseDir)
}

func parse(data []byte, name, baseDir string) (*Config, error) {
	c := Defaults()
	c.Path = name
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, cleanYAMLError(err))
	}
	if len(root.Content) > 0 {
		expandEnv(&root)
		c.lines = map[string]int{}
		indexLines(root.Content[0], "", c.lines)
		if err := decodeStrict(&root, c); err != nil {
			sep := ": "
			if m := err.Error(); m != "" && m[0] >= '0' && m[0] <= '9' {
				sep = ":"
			}
			return nil, fmt.Errorf("%s%s%w", name, sep, err)
		}
	}
	if err := c.resolve(baseDir); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeStrict decodes node into c, refusing unknown keys, with line numbers.
func decodeStrict(root *yaml.Node, c *Config) error {
	if err := checkKnown(root.Content[0], configType, ""); err != nil {
		return err
	}
	if err := root.Decode(c); err != nil {
		return cleanYAMLError(err)
	}
	return nil
}

var lineRE = regexp.MustCompile(`^yaml: (?:unmarshal errors:\n\s*)?line (\d+): `)

// cleanYAMLError turns "yaml: line 3: msg" into "3: msg".
func cleanYAMLError(err error) error {
	msg := err.Error()
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		return errors.New(m[1] + ": " + msg[len(m[0]):])
	}
	return errors.New(strings.TrimPrefix(msg, "yaml: "))
}

var envRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// expandEnv replaces ${VAR} and $VAR in scalar values by the variable's value
// when it is set; anything else (a price like "$5", an unset name) stays.
func expandEnv(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "$") {
		n.Value = envRE.ReplaceAllStringFunc(n.Value, func(m string) string {
			name := strings.Trim(m, "${}")
			if v, ok := os.LookupEnv(name); ok {
				return v
			}
			return m
		})
	}
	for _, c := range n.Content {
		expandEnv(c)
	}
}

// indexLines records the line of every field path.
func indexLines(n *yaml.Node, path string, lines map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			lines[p] = k.Line
			indexLines(v, p, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			lines[p] = c.Line
			indexLines(c, p, lines)
		}
	}
}

// line returns the line of the field path, or of its nearest known parent.
func (c *Config) line(path string) int {
	for p := path; p != ""; {
		if l, ok := c.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

// errorf formats a validation error for the field path.
func (c *Config) errorf(path, format string, args ...any) error {
	if f, ok := c.flags[path]; ok {
		return fmt.Errorf("flag %s: %s", f, fmt.Sprintf(format, args...))
	}
	where := c.Path
	if where == "" {
		where = "config"
	}
	if l := c.line(path); l > 0 {
		where += ":" + strconv.Itoa(l)
	}
	return fmt.Errorf("%s: %s: %s", where, path, fmt.Sprintf(format, args...))
}

func (c *Config) resolve(baseDir string) error {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		if baseDir == "" {
			if a, err := filepath.Abs(p); err == nil {
				return a
			}
			return p
		}
		return filepath.Join(baseDir, p)
	}
	c.Inbox = abs(c.Inbox)
	c.Output = abs(c.Output)
	c.State = abs(c.State)
	for i := range c.Rules {
		c.Rules[i].Examples = abs(c.Rules[i].Examples)
	}
	return nil
}

// SetPaths overrides inbox, output and state (command-line flags; relative to
// the working directory) and validates again.
func (c *Config) SetPaths(inbox, output, state string) error {
	for _, s := range []struct {
		v, path, flag string
		dst           *string
	}{{inbox, "inbox", "--inbox", &c.Inbox}, {output, "output", "--out", &c.Output}, {state, "state", "--state", &c.State}} {
		if s.v == "" {
			continue
		}
		c.SetByFlag(s.path, s.flag)
		a, err := filepath.Abs(s.v)
		if err != nil {
			return err
		}
		*s.dst = a
	}
	return c.Validate()
}

// APIRules returns the rules as the API takes them.
func (c *Config) APIRules() []api.Rule {
	out := make([]api.Rule, len(c.Rules))
	for i, r := range c.Rules {
		out[i] = api.Rule{Type: r.Type, Description: r.Description, Fallback: r.Fallback, Knowledge: r.Knowledge}
	}
	return out
}

// ParsingConfiguration returns the parsing configuration sent with jobs.
func (c *Config) ParsingConfiguration() api.ParsingConfiguration {
	pc := api.ParsingConfiguration{TargetPages: c.Parsing.TargetPages}
	if c.Parsing.Lang != "" {
		pc.Lang = api.Ptr(c.Parsing.Lang)
	}
	if c.Parsing.MaxPages > 0 {
		pc.MaxPages = api.Ptr(c.Parsing.MaxPages)
	}
	return pc
}

// RuleFor returns the rule of the type, if configured.
func (c *Config) RuleFor(typ string) (Rule, bool) {
	for _, r := range c.Rules {
		if r.Type == typ {
			return r, true
		}
	}
	return Rule{}, false
}

// FolderOf is the folder (relative to output) of a type's rule.
func (r Rule) FolderOf() string {
	if r.Folder != "" {
		return r.Folder
	}
	return r.Type
}

// SetByFlag records that the field at path was set by a command-line flag:
// its errors name the flag.
func (c *Config) SetByFlag(path, flag string) {
	if c.flags == nil {
		c.flags = map[string]string{}
	}
	c.flags[path] = flag
}
