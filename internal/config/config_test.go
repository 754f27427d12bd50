package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd"
	"github.com/classifyd/classifyd/internal/testutil/corpus"
)

func TestDefaultIsExample(t *testing.T) {
	c := Default()
	if len(c.Rules) != 8 {
		t.Fatalf("built-in rules: got %d, want 8", len(c.Rules))
	}
	if c.Batch.Size != 50 || c.Batch.Window != 2*time.Second || c.Watch.Settle != 2*time.Second || c.MinConfidence != 0.5 {
		t.Fatalf("defaults differ from rules.yaml: %+v %+v", c.Batch, c.Watch)
	}
	// The example file must state exactly the built-in defaults.
	d := Defaults()
	if c.Backend != d.Backend || c.Mode != d.Mode || c.Batch != d.Batch || c.Poll != d.Poll ||
		c.Folders != d.Folders || c.OnConflict != d.OnConflict || c.Duplicates != d.Duplicates ||
		c.Learn != d.Learn || c.MinConfidence != d.MinConfidence || c.Parsing.Lang != d.Parsing.Lang ||
		c.Parsing.MaxPages != d.Parsing.MaxPages || strings.Join(c.Watch.Ignore, ",") != strings.Join(d.Watch.Ignore, ",") ||
		c.Watch.RescanInterval != d.Watch.RescanInterval || c.Watch.Recursive != d.Watch.Recursive {
		t.Fatalf("rules.yaml and Defaults() drifted apart:\n%+v\n%+v", c, d)
	}
	if len(classifyd.ExampleConfig) == 0 {
		t.Fatal("example config not embedded")
	}
}

func TestErrors(t *testing.T) {
	rules := "rules:\n  - type: a\n    description: x\n"
	cases := []struct {
		name, yaml, want string
	}{
		{"duplicate type", "rules:\n  - type: a\n    description: x\n  - type: b\n    description: y\n  - type: a\n    description: z\n", `c.yaml:6: rules[2].type: duplicate type "a"`},
		{"unknown key", "inbox: x\nbatchh: 3\n" + rules, "c.yaml:2: batchh: unknown key"},
		{"unknown nested key", "batch:\n  sise: 3\n" + rules, "c.yaml:2: batch.sise: unknown key"},
		{"unknown rule key", "rules:\n  - type: a\n    descripton: x\n", "c.yaml:3: rules[0].descripton: unknown key"},
		{"bad type", "batch:\n  size: abc\n" + rules, "c.yaml:2: cannot unmarshal"},
		{"bad duration", "batch:\n  window: soon\n" + rules, "c.yaml:2:"},
		{"no rules", "inbox: x\n", "rules: at least one rule"},
		{"empty description", "rules:\n  - type: a\n    description: \"\"\n", "c.yaml:3: rules[0].description: must say"},
		{"slash in type", "rules:\n  - type: ../etc\n    description: x\n", "rules[0].type"},
		{"folder escapes", "rules:\n  - type: a\n    description: x\n    folder: ../../etc\n", "rules[0].folder"},
		{"absolute folder", "rules:\n  - type: a\n    description: x\n    folder: /etc\n", "rules[0].folder"},
		{"bad backend", "backend:\n  kind: cloud\n" + rules, "c.yaml:2: backend.kind"},
		{"bad mode", "mode: SLOW\n" + rules, "c.yaml:1: mode"},
		{"multimodal over v2", "mode: MULTIMODAL\nbackend:\n  kind: llamacloud\n" + rules, "c.yaml:1: mode: MULTIMODAL is not in LlamaCloud's Classify v2"},
		{"multimodal over v2 named", "mode: MULTIMODAL\nbackend:\n  kind: llamacloud\n  api: v2\n" + rules, "c.yaml:1: mode: MULTIMODAL"},
		{"bad api", "backend:\n  kind: llamacloud\n  api: v3\n" + rules, "c.yaml:3: backend.api"},
		{"bad lang", "parsing:\n  lang: xx\n" + rules, "c.yaml:2: parsing.lang"},
		{"bad lang in a list", "parsing:\n  lang: en,xx\n" + rules, "c.yaml:2: parsing.lang"},
		{"several langs for LlamaCloud", "backend:\n  kind: llamacloud\nparsing:\n  lang: en,de\n" + rules, "parsing.lang"},
		{"negative page", "parsing:\n  target_pages: [1, -2]\n" + rules, "parsing.target_pages[1]"},
		{"confidence range", "min_confidence: 1.5\n" + rules, "c.yaml:1: min_confidence"},
		{"conflict", "on_conflict: merge\n" + rules, "on_conflict"},
		{"same folder twice", "rules:\n  - type: a\n    description: x\n  - type: b\n    description: y\n    folder: a\n", "rules[1].folder"},
		{"rule folder is special", "rules:\n  - type: a\n    description: x\n    folder: _failed\n", "rules[0].folder"},
		{"inbox is output", "inbox: ./x\noutput: ./x\n" + rules, "output: must not be the inbox"},
		{"syntax", "rules: [\n", "c.yaml:"},
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

// TestMultimodalOutsideV2: MULTIMODAL stays valid with the local engine
// and with llamacloud over v1; v2 is the default API.
func TestMultimodalOutsideV2(t *testing.T) {
	rules := "rules:\n  - type: a\n    description: x\n"
	for _, y := range []string{"mode: MULTIMODAL\n", "mode: MULTIMODAL\nbackend:\n  kind: llamacloud\n  api: v1\n"} {
		if _, err := Parse([]byte(y+rules), "c.yaml", t.TempDir()); err != nil {
			t.Errorf("%q: %v", y, err)
		}
	}
	c, err := Parse([]byte("backend:\n  kind: llamacloud\n"+rules), "c.yaml", t.TempDir())
	if err != nil || c.Backend.API != APIV2 {
		t.Errorf("default api: %v %v, want v2", err, c)
	}
}

func TestEnvAndPaths(t *testing.T) {
	t.Setenv("CLASSIFYD_TEST_INBOX", "/srv/drop")
	dir := t.TempDir()
	y := "inbox: ${CLASSIFYD_TEST_INBOX}\noutput: out\nrules:\n  - type: a\n    description: costs $5 and $UNSET_VAR_X\n    examples: ex\n"
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Inbox != "/srv/drop" {
		t.Errorf("inbox %q, want env value", c.Inbox)
	}
	if c.Output != filepath.Join(dir, "out") {
		t.Errorf("output %q, want relative to config dir", c.Output)
	}
	if c.Rules[0].Examples != filepath.Join(dir, "ex") {
		t.Errorf("examples %q", c.Rules[0].Examples)
	}
	if c.Rules[0].Description != "costs $5 and $UNSET_VAR_X" {
		t.Errorf("description %q: unset variables and prices must stay", c.Rules[0].Description)
	}
	if err := c.SetPaths("", "", "rel.db"); err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(c.State) {
		t.Errorf("state %q not absolute", c.State)
	}
}

func TestStateDirectory(t *testing.T) {
	t.Setenv("STATE_DIRECTORY", "/var/lib/classifyd")
	if got := Defaults().State; got != "/var/lib/classifyd/classifyd.db" {
		t.Fatalf("state %q", got)
	}
}

func TestDevCorpusRules(t *testing.T) {
	p := corpus.File(t, "dev", "rules.yaml")
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 8 {
		t.Fatalf("rules: %d", len(c.Rules))
	}
}

func FuzzParse(f *testing.F) {
	f.Add(classifyd.ExampleConfig)
	f.Add([]byte("rules:\n  - type: a\n    description: x\n"))
	f.Add([]byte("batch: {size: -1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "f.yaml", "/tmp")
		if err == nil && c.Validate() != nil {
			t.Fatalf("Parse accepted a config Validate refuses")
		}
	})
}

func TestSeveralLangs(t *testing.T) {
	c, err := Parse([]byte("parsing:\n  lang: en,de\nrules:\n  - type: a\n    description: x\n"), "c.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if pc := c.ParsingConfiguration(); pc.Lang == nil || *pc.Lang != "en,de" {
		t.Fatalf("lang %v", pc.Lang)
	}
}
