package daemon

import (
	"context"
	"os"
	"path/filepath"
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
