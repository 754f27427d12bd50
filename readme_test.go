package classifyd_test

// The README's promises, checked: the two commands at its top work on a
// fresh clone, and its configuration reference, metrics list and command
// list match the code, so they never drift.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/classifyd/classifyd"
	"github.com/classifyd/classifyd/internal/config"
	"go.yaml.in/yaml/v3"
)

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// firstBlock returns the non-empty lines of the README's first fenced code block.
func firstBlock(t *testing.T, text string) []string {
	t.Helper()
	var lines []string
	in := false
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "```") {
			if in {
				return lines
			}
			in = true
			continue
		}
		if in && strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	t.Fatal("README has no fenced code block")
	return nil
}

// section returns the text of the "## name" section.
func section(t *testing.T, text, name string) string {
	t.Helper()
	i := strings.Index(text, "\n## "+name+"\n")
	if i < 0 {
		t.Fatalf("README has no section %q", name)
	}
	rest := text[i+len(name)+5:]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// buildBinary builds cmd/classifyd once for the package's tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "classifyd-readme-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "classifyd")
		if out, err := exec.Command("go", "build", "-o", binPath, "./cmd/classifyd").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

const demoDir = "/tmp/classifyd-demo"

func TestReadmeFirstCommands(t *testing.T) {
	lines := firstBlock(t, readme(t))
	if len(lines) != 2 {
		t.Fatalf("the first code block has %d commands, want 2 (run it, test it): %q", len(lines), lines)
	}
	if lines[1] != "go test ./..." {
		t.Fatalf("second command %q, want the test command", lines[1])
	}
	run := lines[0]
	const goRun = "go run ./cmd/classifyd "
	i := strings.Index(run, goRun)
	if i < 0 {
		t.Fatalf("first command %q does not go run ./cmd/classifyd", run)
	}
	args := strings.Fields(run[i+len(goRun):])
	sub := args[0]

	// The subcommand and every flag it uses exist.
	bin := buildBinary(t)
	help, err := exec.Command(bin, sub, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("classifyd %s --help: %v\n%s", sub, err, help)
	}
	for _, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name := strings.TrimLeft(strings.SplitN(a, "=", 2)[0], "-")
		if !regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(name) + `\b`).Match(help) {
			t.Errorf("classifyd %s has no flag -%s:\n%s", sub, name, help)
		}
	}
	if !strings.Contains(run, demoDir) {
		t.Fatalf("first command does not work in %s", demoDir)
	}
	if testing.Short() {
		t.Skip("-short: not running the first command")
	}

	// Run it, as written, in a temporary folder instead of /tmp/classifyd-demo.
	dir := t.TempDir()
	examples, err := os.ReadDir(filepath.Join("examples", "inbox"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", strings.ReplaceAll(run, demoDir, dir))
	cmd.Env = append(os.Environ(), "LOG_LEVEL=warn")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", run, err, out)
	}
	want := ": filed " + strconv.Itoa(len(examples)) + ", failed 0, duplicate 0"
	if !strings.Contains(string(out), want) {
		t.Fatalf("output lacks %q:\n%s", want, out)
	}
	filed := 0
	filepath.WalkDir(filepath.Join(dir, "sorted"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && d.Name() != "_journal.jsonl" {
			filed++
		}
		return nil
	})
	left, _ := os.ReadDir(filepath.Join(dir, "inbox"))
	if filed != len(examples) || len(left) != 0 {
		t.Fatalf("%d files filed, %d left in the inbox; want %d and 0\n%s", filed, len(left), len(examples), out)
	}
	// The examples themselves are untouched.
	if again, _ := os.ReadDir(filepath.Join("examples", "inbox")); len(again) != len(examples) {
		t.Fatal("the first command changed examples/inbox")
	}
}

// configKeys lists the leaf keys of config.Config by its yaml tags:
// "backend.kind", "rules[].type", ...
func configKeys(t reflect.Type, prefix string, out map[string]bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		key := prefix + tag
		ft := f.Type
		switch {
		case ft.Kind() == reflect.Struct:
			configKeys(ft, key+".", out)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			configKeys(ft.Elem(), key+"[].", out)
		default:
			out[key] = true
		}
	}
}

// yamlKeys lists the leaf keys of a YAML document with their value nodes.
func yamlKeys(n *yaml.Node, prefix string, out map[string]*yaml.Node) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			yamlKeys(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			switch {
			case v.Kind == yaml.MappingNode:
				yamlKeys(v, key, out)
			case v.Kind == yaml.SequenceNode && len(v.Content) > 0 && v.Content[0].Kind == yaml.MappingNode:
				for _, item := range v.Content {
					yamlKeys(item, key+"[]", out)
				}
			default:
				out[key] = v
			}
		}
	}
}

var rowRE = regexp.MustCompile("(?m)^\\| `([a-z_.\\[\\]]+)` \\| *([^|]*?) *\\|")

func TestReadmeConfigReference(t *testing.T) {
	rows := map[string]string{}
	for _, m := range rowRE.FindAllStringSubmatch(section(t, readme(t), "Configuration"), -1) {
		if _, dup := rows[m[1]]; dup {
			t.Errorf("README documents %s twice", m[1])
		}
		rows[m[1]] = strings.TrimSpace(m[2])
	}
	code := map[string]bool{}
	configKeys(reflect.TypeOf(config.Config{}), "", code)
	for k := range code {
		if _, ok := rows[k]; !ok {
			t.Errorf("config key %s is not in the README's configuration reference", k)
		}
	}
	for k := range rows {
		if !code[k] {
			t.Errorf("the README documents %s, which the loader does not know", k)
		}
	}

	// rules.yaml (the embedded example) uses only documented keys, with the
	// documented defaults.
	var doc yaml.Node
	if err := yaml.Unmarshal(classifyd.ExampleConfig, &doc); err != nil {
		t.Fatal(err)
	}
	inYAML := map[string]*yaml.Node{}
	yamlKeys(&doc, "", inYAML)
	for k, v := range inYAML {
		def, ok := rows[k]
		if !ok {
			t.Errorf("rules.yaml key %s is not in the README", k)
			continue
		}
		if strings.HasPrefix(k, "rules[]") {
			continue // examples, not defaults
		}
		var want, got any
		if err := v.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal([]byte(strings.Trim(def, "`")), &got); err != nil {
			t.Errorf("%s: README default %s: %v", k, def, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: README says default %s, rules.yaml has %v", k, def, want)
		}
	}
	// Every top-level key of the loader's defaults that rules.yaml omits
	// would be undocumented there: rules.yaml documents every key too.
	for k := range code {
		if _, ok := inYAML[k]; !ok && !strings.HasPrefix(k, "rules[]") {
			t.Errorf("rules.yaml does not show the default of %s", k)
		}
	}
}

func TestReadmeMetrics(t *testing.T) {
	src, err := filepath.Glob(filepath.Join("internal", "metrics", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	nameRE := regexp.MustCompile(`Name:\s*"(classifyd_[a-z_]+)"`)
	code := map[string]bool{}
	for _, f := range src {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range nameRE.FindAllStringSubmatch(string(b), -1) {
			code[m[1]] = true
		}
	}
	if len(code) == 0 {
		t.Fatal("no metric names found in internal/metrics")
	}
	doc := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(classifyd_[a-z_]+)` \\|").FindAllStringSubmatch(readme(t), -1) {
		doc[m[1]] = true
	}
	diff(t, "metric", code, doc)
}

func TestReadmeCommands(t *testing.T) {
	bin := buildBinary(t)
	out, err := exec.Command(bin, "help").CombinedOutput()
	if err != nil {
		t.Fatalf("classifyd help: %v\n%s", err, out)
	}
	code := map[string]bool{}
	inCommands := false
	for _, l := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(l, "Commands:"):
			inCommands = true
		case inCommands && strings.HasPrefix(l, "  ") && len(strings.Fields(l)) > 1:
			code[strings.Fields(l)[0]] = true
		case inCommands && strings.TrimSpace(l) == "":
			inCommands = false
		}
	}
	if len(code) < 5 {
		t.Fatalf("found only %v in classifyd help:\n%s", code, out)
	}
	doc := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `classifyd ([a-z]+)` \\|").FindAllStringSubmatch(section(t, readme(t), "Commands"), -1) {
		doc[m[1]] = true
	}
	diff(t, "command", code, doc)
}

func diff(t *testing.T, what string, code, doc map[string]bool) {
	t.Helper()
	var missing, extra []string
	for k := range code {
		if !doc[k] {
			missing = append(missing, k)
		}
	}
	for k := range doc {
		if !code[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("%ss not in the README: %v", what, missing)
	}
	if len(extra) > 0 {
		t.Errorf("the README lists %ss the code does not have: %v", what, extra)
	}
}

// TestReadmeActionKeys holds the README's table of action keys (on_filed
// items, which rules.yaml shows empty) against config.Action.
func TestReadmeActionKeys(t *testing.T) {
	text := section(t, readme(t), "Templates and actions")
	i := strings.Index(text, "| action key |")
	if i < 0 {
		t.Fatal("README has no table of action keys")
	}
	doc := map[string]bool{}
	for _, l := range strings.Split(text[i:], "\n")[2:] {
		if !strings.HasPrefix(l, "| `") {
			break
		}
		doc[strings.Trim(strings.Fields(l)[1], "`")] = true
	}
	code := map[string]bool{}
	at := reflect.TypeOf(config.Action{})
	for i := range at.NumField() {
		if tag := strings.Split(at.Field(i).Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
			code[tag] = true
		}
	}
	diff(t, "action key", code, doc)
}
