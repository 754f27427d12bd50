package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/state"
)

type recLearner struct {
	mu    sync.Mutex
	calls []string
}

func (r *recLearner) Learn(ctx context.Context, typ, path string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "learn "+typ+" "+filepath.Base(path))
	return nil
}

func (r *recLearner) Correct(ctx context.Context, from, to, path string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "correct "+from+"->"+to+" "+filepath.Base(path))
	return nil
}

func TestLearnFromFoldersAndCorrections(t *testing.T) {
	e := newEnv(t, "")
	e.write("a.txt", "apple orchard harvest")
	e.write("b.txt", "banana fruit")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.run(ctx, e.localBackend(ctx), nil); err != nil {
		t.Fatal(err)
	}
	// A person corrects a.txt (fruit → vehicle) and adds an example of fruit.
	fruit, cars := filepath.Join(e.out, "fruit"), filepath.Join(e.out, "Garage", "Cars")
	if err := os.Rename(filepath.Join(fruit, "a.txt"), filepath.Join(cars, "a.txt")); err != nil {
		os.MkdirAll(cars, 0o755)
		if err := os.Rename(filepath.Join(fruit, "a.txt"), filepath.Join(cars, "a.txt")); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(fruit, "example.txt"), []byte("pears and plums"), 0o644)

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
	want := map[string]bool{"correct fruit->vehicle a.txt": true, "learn fruit example.txt": true}
	if len(l.calls) != len(want) {
		t.Fatalf("calls %v, want %v", l.calls, want)
	}
	for _, c := range l.calls {
		if !want[c] {
			t.Fatalf("unexpected call %q (all: %v)", c, l.calls)
		}
	}
	// b.txt, filed by the daemon and untouched, taught nothing; a second scan
	// learns nothing new.
	l.calls = nil
	if err := d.learnScan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(l.calls) != 0 {
		t.Fatalf("second scan: %v", l.calls)
	}
}

// A learn scan looks only at files changed since the last complete scan
// (less a slack), and at every file once a day.
func TestLearnScanCutoff(t *testing.T) {
	e := newEnv(t, "")
	e.write("b.txt", "banana fruit")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.run(ctx, e.localBackend(ctx), nil); err != nil {
		t.Fatal(err)
	}
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
	fruit := filepath.Join(e.out, "fruit")
	add := func(name string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(fruit, name), []byte("pears and plums "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setMeta := func(key string, at time.Time) {
		t.Helper()
		if err := st.SetMeta(key, []byte(strconv.FormatInt(at.UnixNano(), 10))); err != nil {
			t.Fatal(err)
		}
	}
	scan := func() []string {
		t.Helper()
		l.calls = nil
		if err := d.learnScan(ctx); err != nil {
			t.Fatal(err)
		}
		return l.calls
	}
	add("one.txt")
	if got := scan(); len(got) != 1 || got[0] != "learn fruit one.txt" {
		t.Fatalf("first scan: %v", got)
	}
	// A file arriving after a complete scan is learned by the next one.
	add("two.txt")
	if got := scan(); len(got) != 1 || got[0] != "learn fruit two.txt" {
		t.Fatalf("scan after a new file: %v", got)
	}
	// Files changed before the cutoff are not looked at, however new to the
	// learner: the cutoff is what makes a scan cost what changed.
	now := time.Now()
	add("three.txt")
	setMeta(metaLearnSince, now.Add(time.Hour))
	setMeta(metaLearnFull, now)
	if got := scan(); len(got) != 0 {
		t.Fatalf("files before the cutoff were looked at: %v", got)
	}
	// Once a day a scan looks at everything.
	setMeta(metaLearnSince, now.Add(time.Hour))
	setMeta(metaLearnFull, now.Add(-25*time.Hour))
	if got := scan(); len(got) != 1 || got[0] != "learn fruit three.txt" {
		t.Fatalf("daily full scan: %v", got)
	}
	if v, _ := st.Meta(metaLearnFull); string(v) == strconv.FormatInt(now.Add(-25*time.Hour).UnixNano(), 10) {
		t.Fatal("the full scan was not recorded")
	}
}

// A full learn scan drops the marks of example files that have left their
// path (they were kept forever as meta learned:<path> keys); the marks of
// files still there stay, so they are not learned twice.
func TestFullScanDropsMarksOfFilesGone(t *testing.T) {
	e := newEnv(t, "")
	e.write("b.txt", "banana fruit")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.run(ctx, e.localBackend(ctx), nil); err != nil {
		t.Fatal(err)
	}
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
	fruit := filepath.Join(e.out, "fruit")
	keep, gone := filepath.Join(fruit, "keep.txt"), filepath.Join(fruit, "gone.txt")
	for _, p := range []string{keep, gone} {
		if err := os.WriteFile(p, []byte("pears and plums "+p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.learnScan(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{keep, gone} {
		if m, err := st.Learned(p); err != nil || m == nil {
			t.Fatalf("no mark for %s after learning it (%v)", p, err)
		}
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	// The next full scan.
	if err := st.SetMeta(metaLearnFull, []byte("0")); err != nil {
		t.Fatal(err)
	}
	l.calls = nil
	if err := d.learnScan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(l.calls) != 0 {
		t.Errorf("the full scan learned again: %v", l.calls)
	}
	if m, _ := st.Learned(gone); m != nil {
		t.Errorf("the mark of %s outlived the file: %q", gone, m)
	}
	if m, _ := st.Learned(keep); m == nil {
		t.Errorf("the mark of %s, still there, was dropped", keep)
	}
}
