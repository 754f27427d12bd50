package config

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/classifyd/classifyd/internal/api"
	"go.yaml.in/yaml/v3"
)

var configType = reflect.TypeOf(Config{})

// checkKnown refuses keys that no field of t takes, naming the line.
func checkKnown(n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.MappingNode:
		if t.Kind() != reflect.Struct {
			return nil
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f.Type
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			ft, ok := fields[k.Value]
			if !ok {
				return fmt.Errorf("%d: %s: unknown key (known: %s)", k.Line, p, strings.Join(keys(fields), ", "))
			}
			if err := checkKnown(v, ft, p); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		if t.Kind() != reflect.Slice {
			return nil
		}
		for i, c := range n.Content {
			if err := checkKnown(c, t.Elem(), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	}
	return nil
}

func keys(m map[string]reflect.Type) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Validate checks the configuration; the first problem is returned, naming
// the field and, when read from a file, the line.
func (c *Config) Validate() error {
	if c.Inbox == "" {
		return c.errorf("inbox", "must be set")
	}
	if c.Output == "" {
		return c.errorf("output", "must be set")
	}
	if c.State == "" {
		return c.errorf("state", "must be set")
	}
	if in, out := filepath.Clean(c.Inbox), filepath.Clean(c.Output); in == out {
		return c.errorf("output", "must not be the inbox (%s)", in)
	} else if within(in, out) {
		return c.errorf("inbox", "must not be inside the output folder (%s)", out)
	}
	switch c.Backend.Kind {
	case BackendLocal, BackendLlamaCloud:
	default:
		return c.errorf("backend.kind", "%q is not local or llamacloud", c.Backend.Kind)
	}
	switch c.Backend.API {
	case "":
		c.Backend.API = APIV2
	case APIV1, APIV2:
	default:
		return c.errorf("backend.api", "%q is not v2 or v1", c.Backend.API)
	}
	if c.Backend.RateLimit < 0 {
		return c.errorf("backend.rate_limit", "must not be negative")
	}
	if c.Backend.Timeout <= 0 {
		return c.errorf("backend.timeout", "must be positive")
	}
	if c.Mode == "" {
		c.Mode = api.ModeFast
	}
	if !c.Mode.Valid() {
		return c.errorf("mode", "%q is not FAST or MULTIMODAL", c.Mode)
	}
	if c.Mode == api.ModeMultimodal && c.Backend.Kind == BackendLlamaCloud && c.Backend.API == APIV2 {
		return c.errorf("mode", "MULTIMODAL is not in LlamaCloud's Classify v2 (backend.api: v2 has only FAST): set mode: FAST, or backend.api: v1 for a server that still has the v1 classifier jobs")
	}
	if c.Parsing.Lang != "" && !api.ValidLangs(c.Parsing.Lang) {
		return c.errorf("parsing.lang", "%q is not a language code of the API, or several separated by commas (en, de, en,de, ch_sim, ...)", c.Parsing.Lang)
	}
	if c.Backend.Kind == BackendLlamaCloud && strings.Contains(c.Parsing.Lang, ",") {
		return c.errorf("parsing.lang", "%q: LlamaCloud takes one language (several are for the embedded engine)", c.Parsing.Lang)
	}
	if c.Parsing.MaxPages < 0 {
		return c.errorf("parsing.max_pages", "must be 0 (no limit) or more")
	}
	for i, p := range c.Parsing.TargetPages {
		if p < 0 {
			return c.errorf(fmt.Sprintf("parsing.target_pages[%d]", i), "page %d: pages are 0-indexed and not negative", p)
		}
	}
	if c.Batch.Size < 1 {
		return c.errorf("batch.size", "must be at least 1")
	}
	if c.Batch.Window <= 0 {
		return c.errorf("batch.window", "must be positive")
	}
	if c.Batch.Concurrency < 1 {
		return c.errorf("batch.concurrency", "must be at least 1")
	}
	if c.Poll.MinInterval <= 0 {
		return c.errorf("poll.min_interval", "must be positive")
	}
	if c.Poll.MaxInterval < c.Poll.MinInterval {
		return c.errorf("poll.max_interval", "must not be below min_interval")
	}
	if c.Poll.JobRetries < 0 {
		return c.errorf("poll.job_retries", "must not be negative")
	}
	if c.Watch.Settle < 0 {
		return c.errorf("watch.settle", "must not be negative")
	}
	if c.Watch.RescanInterval < 0 {
		return c.errorf("watch.rescan_interval", "must not be negative (0 = only at start)")
	}
	for i, pat := range c.Watch.Ignore {
		if _, err := filepath.Match(pat, ""); err != nil {
			return c.errorf(fmt.Sprintf("watch.ignore[%d]", i), "bad pattern %q: %v", pat, err)
		}
	}
	if c.MinConfidence < 0 || c.MinConfidence > 1 {
		return c.errorf("min_confidence", "%v is not between 0 and 1", c.MinConfidence)
	}
	switch c.OnConflict {
	case ConflictRename, ConflictSkip, ConflictOverwrite:
	default:
		return c.errorf("on_conflict", "%q is not rename, skip or overwrite", c.OnConflict)
	}
	switch c.Duplicates {
	case DuplicatesFile, DuplicatesSkip:
	default:
		return c.errorf("duplicates", "%q is not file or skip", c.Duplicates)
	}
	special := map[string]string{}
	for _, f := range []struct{ key, v string }{
		{"folders.unmatched", c.Folders.Unmatched}, {"folders.review", c.Folders.Review},
		{"folders.failed", c.Folders.Failed}, {"folders.duplicates", c.Folders.Duplicates},
	} {
		if err := checkFolder(f.v); err != nil {
			return c.errorf(f.key, "%v", err)
		}
		if prev, ok := special[f.v]; ok {
			return c.errorf(f.key, "folder %q is also %s", f.v, prev)
		}
		special[f.v] = f.key
	}
	if err := c.validateEscalate(); err != nil {
		return err
	}
	if len(c.Rules) == 0 {
		return c.errorf("rules", "at least one rule is needed (type and description)")
	}
	if c.MinEvidence < 0 || c.MinEvidence >= 1 {
		return c.errorf("min_evidence", "%v is not between 0 (the engine's default) and 1", c.MinEvidence)
	}
	types := map[string]int{}
	folders := map[string]string{}
	fallback := -1
	for i, r := range c.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		if r.Fallback {
			if fallback >= 0 {
				return c.errorf(p+".fallback", "only one rule can be the fallback (rules[%d] is)", fallback)
			}
			if len(c.Rules) == 1 {
				return c.errorf(p+".fallback", "a fallback takes what no other rule fits: it needs other rules beside it")
			}
			fallback = i
		}
		if strings.TrimSpace(r.Type) == "" {
			return c.errorf(p+".type", "must be set")
		}
		if r.Type != strings.TrimSpace(r.Type) || strings.ContainsAny(r.Type, "/\\\x00") || r.Type == "." || r.Type == ".." {
			return c.errorf(p+".type", "%q: a type is a name, without slashes or surrounding spaces", r.Type)
		}
		if j, dup := types[r.Type]; dup {
			return c.errorf(p+".type", "duplicate type %q (also rules[%d])", r.Type, j)
		}
		types[r.Type] = i
		if strings.TrimSpace(r.Description) == "" {
			return c.errorf(p+".description", "must say what a %s looks like", r.Type)
		}
		f, prefix, ferr := checkTemplates(r)
		if ferr != nil {
			return c.errorf(p+ferr.field, "%v", ferr.err)
		}
		if k, ok := special[f]; ok {
			return c.errorf(p+".folder", "folder %q is also %s", f, k)
		}
		if k, ok := special[prefix]; ok && prefix != f {
			return c.errorf(p+".folder", "folder %q is inside %s (%q)", r.FolderOf(), k, prefix)
		}
		if prev, ok := folders[f]; ok {
			return c.errorf(p+".folder", "folder %q is also the folder of type %q", f, prev)
		}
		folders[f] = r.Type
	}
	if err := c.Permissions.validate(c); err != nil {
		return err
	}
	if err := c.validateActions("on_filed", c.OnFiled); err != nil {
		return err
	}
	for i, r := range c.Rules {
		if err := c.validateActions(fmt.Sprintf("rules[%d].on_filed", i), r.OnFiled); err != nil {
			return err
		}
	}
	switch c.TemplateDate {
	case DateModified, DateFiled:
	default:
		return c.errorf("template_date", "%q is not modified or filed", c.TemplateDate)
	}
	return nil
}

// checkFolder accepts a relative path that stays under output.
func checkFolder(f string) error {
	if f == "" {
		return fmt.Errorf("must be set")
	}
	if filepath.IsAbs(f) || strings.ContainsRune(f, 0) {
		return fmt.Errorf("%q must be a relative path under output", f)
	}
	c := filepath.Clean(f)
	if c == "." || c == ".." || strings.HasPrefix(c, ".."+string(filepath.Separator)) {
		return fmt.Errorf("%q must stay under output", f)
	}
	return nil
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// OutputInsideInbox reports whether the output folder lies inside the inbox
// (allowed; the watcher must then exclude it).
func (c *Config) OutputInsideInbox() bool {
	return within(filepath.Clean(c.Output), filepath.Clean(c.Inbox))
}
