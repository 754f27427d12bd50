package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/state"
	"github.com/classifyd/classifyd/internal/testutil"
)

const templateRules = `
rules:
  - type: fruit
    description: "apple banana orchard fruit harvest"
    folder: "Food/{year}/{source_dir}"
    name: "{year}-{month} {stem}.{ext}"
  - type: vehicle
    description: "car engine wheels vehicle garage"
    folder: Garage/Cars
`

func newTemplateEnv(t *testing.T, extra string) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, in: filepath.Join(dir, "inbox"), out: filepath.Join(dir, "sorted"), state: filepath.Join(dir, "state.db")}
	os.MkdirAll(e.in, 0o755)
	y := fmt.Sprintf("inbox: %s\noutput: %s\nstate: %s\nmin_confidence: 0\nbatch: {size: 3, window: 20ms, concurrency: 2}\npoll: {min_interval: 5ms, max_interval: 50ms, job_retries: 2}\nwatch: {settle: 50ms, rescan_interval: 0s}\n%s%s", e.in, e.out, e.state, extra, templateRules)
	cfg, err := config.Parse([]byte(y), "test.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	e.cfg = cfg
	return e
}

func TestTemplatesFileAndDryRun(t *testing.T) {
	e := newTemplateEnv(t, "")
	old := time.Date(2023, 5, 17, 12, 0, 0, 0, time.Local)
	for _, p := range []string{e.write("a.txt", "apple orchard harvest"), e.write("scanner/b.txt", "banana fruit"), e.write("c.txt", "car engine wheels")} {
		os.Chtimes(p, old, old)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A dry run reports the resolved paths and moves nothing.
	got, err := e.run(ctx, e.localBackend(ctx), func(o *Options) { o.DryRun = true })
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"a.txt":         filepath.Join(e.out, "Food/2023/2023-05 a.txt"),
		"scanner/b.txt": filepath.Join(e.out, "Food/2023/scanner/2023-05 b.txt"),
		"c.txt":         filepath.Join(e.out, "Garage/Cars/c.txt"),
	}
	check := func(what string, src, dst func(i int) string, n int) {
		t.Helper()
		if n != len(want) {
			t.Fatalf("%s: %d entries, want %d", what, n, len(want))
		}
		for i := range n {
			rel, _ := filepath.Rel(e.in, src(i))
			if dst(i) != want[rel] {
				t.Errorf("%s: %s -> %s, want %s", what, rel, dst(i), want[rel])
			}
		}
	}
	check("dry run", func(i int) string { return got[i].Source }, func(i int) string { return got[i].Dest }, len(got))
	if len(testutil.Tree(t, e.in)) != 3 {
		t.Fatal("dry run moved files")
	}
	os.Remove(e.state)
	if _, err := e.run(ctx, e.localBackend(ctx), nil); err != nil {
		t.Fatal(err)
	}
	j := e.journal()
	check("journal", func(i int) string { return j[i].Source }, func(i int) string { return j[i].Dest }, len(j))
	for _, p := range want {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}

	// A file a person puts anywhere the fruit template reaches is a fruit
	// example; a file in Food itself too (under its fixed prefix).
	os.MkdirAll(filepath.Join(e.out, "Food/2021/other"), 0o755)
	os.WriteFile(filepath.Join(e.out, "Food/2021/other/pear.txt"), []byte("pear"), 0o644)
	st, err := state.Open(e.state, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l := &recLearner{}
	d, err := New(Options{Config: e.cfg, Backend: newRemote(), Store: st, Learner: l})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.learnScan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(l.calls) != 1 || l.calls[0] != "learn fruit pear.txt" {
		t.Fatalf("learned %v, want the one pear", l.calls)
	}
}

func TestTemplateFiledDate(t *testing.T) {
	e := newTemplateEnv(t, "template_date: filed\n")
	p := e.write("a.txt", "apple orchard harvest")
	old := time.Date(2001, 1, 2, 12, 0, 0, 0, time.Local)
	os.Chtimes(p, old, old)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.run(ctx, e.localBackend(ctx), nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	want := filepath.Join(e.out, "Food", now.Format("2006"), now.Format("2006-01")+" a.txt")
	if _, err := os.Stat(want); err != nil {
		t.Fatalf("%v; output holds %v", err, keys(testutil.Tree(t, e.out)))
	}
}
