package admin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/daemon"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

var _ Daemon = (*daemon.Daemon)(nil)

const testRules = `
rules:
  - type: fruit
    description: "apple banana orchard fruit harvest"
  - type: vehicle
    description: "car engine wheels vehicle garage"
`

// env is a real inbox, output and state file, filed by the real daemon with
// the keyword classifier.
type env struct {
	t                   *testing.T
	dir, in, out, state string
	cfg                 *config.Config
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, in: filepath.Join(dir, "inbox"), out: filepath.Join(dir, "sorted"), state: filepath.Join(dir, "state.db")}
	if err := os.MkdirAll(e.in, 0o755); err != nil {
		t.Fatal(err)
	}
	y := fmt.Sprintf("inbox: %s\noutput: %s\nstate: %s\nmin_confidence: 0\nlearn: false\nbatch: {size: 3, window: 10ms, concurrency: 2}\npoll: {min_interval: 5ms, max_interval: 20ms, job_retries: 0}\nwatch: {settle: 20ms, rescan_interval: 0s}\n%s",
		e.in, e.out, e.state, testRules)
	cfg, err := config.Parse([]byte(y), "test.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	e.cfg = cfg
	return e
}

func (e *env) write(rel, text string) string {
	e.t.Helper()
	p := filepath.Join(e.in, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// sample writes a mixed inbox: typed files, an unmatched one, a duplicate,
// a file in a subfolder and a binary file the keyword classifier fails on.
func (e *env) sample() {
	e.write("apple.txt", "the apple harvest in the orchard, banana too")
	e.write("sub/car.txt", "my car engine needs new wheels from the garage")
	e.write("nothing.txt", "nothing to see here at all")
	e.write("copy.txt", "the apple harvest in the orchard, banana too")
	e.write("blob.bin", "\x00\x01binary\x00")
}

func (e *env) open() *state.Store {
	e.t.Helper()
	st, err := state.Open(e.state, state.Options{NoSync: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// once files the inbox with the real daemon in once mode.
func (e *env) once() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lb, err := local.New(local.Options{Classifier: local.KeywordClassifier{PDFToText: "-"}, Workers: 2})
	if err != nil {
		e.t.Fatal(err)
	}
	defer lb.Close()
	go lb.Run(ctx)
	st := e.open()
	defer st.Close()
	d, err := daemon.New(daemon.Options{Config: e.cfg, Backend: lb, Store: st, Once: true,
		RetryBase: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := d.Run(ctx); err != nil {
		e.t.Fatal(err)
	}
}

// tree maps every regular file under dir (relative path) to its content,
// without the journal.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && d.Name() != sorter.JournalName {
			rel, _ := filepath.Rel(dir, p)
			b, _ := os.ReadFile(p)
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

func journal(t *testing.T, out string) []sorter.Entry {
	t.Helper()
	var es []sorter.Entry
	if err := sorter.ReadJournal(filepath.Join(out, sorter.JournalName), func(e sorter.Entry) error { es = append(es, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return es
}

func sameTree(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d files %v, want %d %v", len(got), keys(got), len(want), keys(want))
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Fatalf("%s: got %q (present %v), want %q", k, g, ok, v)
		}
	}
}

func keys(m map[string]string) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return strings.Join(ks, ", ")
}
