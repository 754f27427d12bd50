// Package testutil is what the tests of the daemon, the admin server and the
// command share, so that each exists once:
//
//   - Folders: a classifyd's inbox, output and state file in the test's
//     temporary directory, and a config for them (Fast settings, Rules);
//   - Write and Sample: files put into an inbox;
//   - KeywordBackend: the in-process local backend with the keyword
//     classifier instead of the embedded engine (fast, and the same answer
//     every run), the fake backend those tests file with;
//   - Tree, SameTree and Journal: what a run left in an output folder;
//   - SyncBuffer: a log buffer many goroutines may write.
//
// It is imported by tests only. It may import the packages those tests build
// on (api, config, local, sorter) and never the ones that use it (daemon,
// admin, the command), whose in-package tests could then not import it. The
// development corpora are found by the corpus subpackage, which imports
// nothing of classifyd so that any package's tests can use it.
package testutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/sorter"
)

// Rules are two keyword rules the Sample documents fit: fruit and vehicle.
const Rules = `rules:
  - type: fruit
    description: "apple banana orchard fruit harvest"
  - type: vehicle
    description: "car engine wheels vehicle garage"
`

// Fast is the settings of a test daemon: every answer files (min_confidence
// 0), no learning, small batches, and poll and settle times in milliseconds.
const Fast = `min_confidence: 0
learn: false
batch: {size: 3, window: 10ms, concurrency: 2}
poll: {min_interval: 5ms, max_interval: 20ms, job_retries: 0}
watch: {settle: 30ms, rescan_interval: 0s}
`

// Folders is a classifyd's folders in a test's temporary directory Dir: the
// inbox In (created), the output Out and the state file State (not).
type Folders struct {
	Dir, In, Out, State string
}

// NewFolders makes the folders of a test classifyd.
func NewFolders(t testing.TB) Folders {
	t.Helper()
	dir := t.TempDir()
	f := Folders{Dir: dir, In: filepath.Join(dir, "inbox"), Out: filepath.Join(dir, "sorted"), State: filepath.Join(dir, "state.db")}
	if err := os.MkdirAll(f.In, 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

// YAML is a config file naming the folders, followed by the sections given
// (settings, rules), each ending in a newline.
func (f Folders) YAML(sections ...string) string {
	return fmt.Sprintf("inbox: %s\noutput: %s\nstate: %s\n", f.In, f.Out, f.State) + strings.Join(sections, "")
}

// Config parses YAML(sections...) as the file test.yaml in Dir.
func (f Folders) Config(t testing.TB, sections ...string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(f.YAML(sections...)), "test.yaml", f.Dir)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Write writes text to rel under dir, making the folders between, and
// returns the file's path.
func Write(t testing.TB, dir, rel, text string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Sample writes a mixed inbox for the keyword classifier and Rules: a fruit
// (apple.txt), a vehicle in a subfolder (sub/car.txt), a file no rule fits
// (nothing.txt) and a binary file the classifier fails on (blob.bin).
func Sample(t testing.TB, inbox string) {
	t.Helper()
	Write(t, inbox, "apple.txt", "the apple harvest in the orchard, banana too")
	Write(t, inbox, "sub/car.txt", "my car engine needs new wheels from the garage")
	Write(t, inbox, "nothing.txt", "nothing to see here at all")
	Write(t, inbox, "blob.bin", "\x00\x01binary\x00")
}

// KeywordBackend is the in-process local backend with the keyword
// classifier (no PDF text: PDFToText "-"), running until ctx ends and
// closed when the test ends.
func KeywordBackend(t testing.TB, ctx context.Context) *local.Backend {
	t.Helper()
	lb, err := local.New(local.Options{Classifier: local.KeywordClassifier{PDFToText: "-"}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	go lb.Run(ctx)
	t.Cleanup(func() { lb.Close() })
	return lb
}

// Tree maps every regular file under dir, by its slash-separated relative
// path, to its content; the journal is left out. A missing dir is an empty
// tree, and a file that goes while the tree is read is left out; any other
// error fails the test.
func Tree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // no output yet, or moved away while we walk
		}
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || d.Name() == sorter.JournalName {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatalf("read tree %s: %v", dir, err)
	}
	return out
}

// SameTree fails the test unless got and want hold the same files with the
// same contents.
func SameTree(t testing.TB, got, want map[string]string) {
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
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ", ")
}

// Journal is the entries of the journal in the output folder out; a journal
// that cannot be read fails the test.
func Journal(t testing.TB, out string) []sorter.Entry {
	t.Helper()
	var es []sorter.Entry
	if err := sorter.ReadJournal(filepath.Join(out, sorter.JournalName), func(e sorter.Entry) error { es = append(es, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return es
}

// SyncBuffer is a bytes.Buffer that loggers on many goroutines may write.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// UpdateGolden is the environment variable that makes Golden rewrite its
// file: UPDATE_GOLDEN=1 go test ./... after a deliberate change.
const UpdateGolden = "UPDATE_GOLDEN"

// Golden compares got with the golden file (under the test package's
// testdata), naming the first line that differs. With UPDATE_GOLDEN set it
// writes got to the file first, so the comparison passes and git shows
// what changed.
func Golden(t testing.TB, file, got string) {
	t.Helper()
	if os.Getenv(UpdateGolden) != "" {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (write it with %s=1)", err, UpdateGolden)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) && i < len(wl); i++ {
		if gl[i] != wl[i] {
			t.Fatalf("differs from %s at line %d:\n got  %s\n want %s\n(after a deliberate change: %s=1 go test -run '%s' and review the diff)", file, i+1, gl[i], wl[i], UpdateGolden, t.Name())
		}
	}
	t.Fatalf("differs from %s: %d lines, want %d (after a deliberate change: %s=1 go test -run '%s' and review the diff)", file, len(gl), len(wl), UpdateGolden, t.Name())
}
