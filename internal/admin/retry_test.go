package admin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/classifyd/classifyd/internal/state"
)

// TestRetryFailedFolder: the failed file goes back to where it came from,
// without its note or its record; filed again once fixed, it is filed by type.
func TestRetryFailedFolder(t *testing.T) {
	e := newEnv(t)
	e.sample()
	e.once()
	failed := filepath.Join(e.out, "_failed", "blob.bin")
	ctx := context.Background()

	// Dry run: nothing moves.
	rep, err := Retry(ctx, RetryOptions{Config: e.cfg, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Actions) != 1 || rep.Actions[0].From != failed || rep.Actions[0].To != filepath.Join(e.in, "blob.bin") || rep.Actions[0].Done {
		t.Fatalf("%+v", rep.Actions)
	}
	if _, err := os.Stat(failed); err != nil {
		t.Fatal("dry run moved the file")
	}

	st := e.open()
	rep, err = Retry(ctx, RetryOptions{Config: e.cfg, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Moved() != 1 || !rep.Actions[0].Done {
		t.Fatalf("%+v", rep.Actions)
	}
	if b, err := os.ReadFile(filepath.Join(e.in, "blob.bin")); err != nil || string(b) != "\x00\x01binary\x00" {
		t.Fatalf("not back in the inbox: %q %v", b, err)
	}
	for _, p := range []string{failed, failed + ".error.txt"} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s still there", p)
		}
	}
	if c, _ := st.Counts(); c[state.Failed] != 0 {
		t.Fatalf("failed record not forgotten: %v", c)
	}
	// Nothing left to retry.
	if rep, _ := Retry(ctx, RetryOptions{Config: e.cfg, Store: st}); len(rep.Actions) != 0 {
		t.Fatalf("%+v", rep.Actions)
	}
	st.Close()

	// Undo must not try to move the retried file back from the failed folder.
	st = e.open()
	rep, err = Undo(ctx, UndoOptions{Config: e.cfg, Store: st, Files: []string{failed}, DryRun: true})
	st.Close()
	if err != nil || len(rep.Actions) != 0 {
		t.Fatalf("undo after retry: %+v %v", rep, err)
	}

	// Fixed, it is filed by type.
	e.write("blob.bin", "banana apple orchard")
	e.once()
	if _, err := os.Stat(filepath.Join(e.out, "fruit", "blob.bin")); err != nil {
		t.Fatal("retried file not filed by type:", err)
	}
}

func TestRetryNamedFiles(t *testing.T) {
	e := newEnv(t)
	e.sample()
	e.once()
	ctx := context.Background()
	st := e.open()
	defer st.Close()
	// The source is taken: the file comes back beside it.
	e.write("sub/car.txt", "another car")
	outside := filepath.Join(e.dir, "elsewhere.txt")
	os.WriteFile(outside, []byte("x"), 0o644)
	rep, err := Retry(ctx, RetryOptions{Config: e.cfg, Store: st, Files: []string{
		filepath.Join(e.out, "vehicle", "car.txt"),
		filepath.Join(e.out, "_unmatched"), // a folder: all of it
		outside,
		filepath.Join(e.out, "fruit", "missing.txt"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Action{}
	for _, a := range rep.Actions {
		got[filepath.Base(a.From)] = a
	}
	if a := got["car.txt"]; !a.Done || a.To != filepath.Join(e.in, "sub", "car (1).txt") {
		t.Fatalf("car: %+v", a)
	}
	if a := got["nothing.txt"]; !a.Done || a.To != filepath.Join(e.in, "nothing.txt") {
		t.Fatalf("nothing: %+v", a)
	}
	if a := got["elsewhere.txt"]; a.Done || a.Error != ErrNotInOutput.Error() {
		t.Fatalf("outside: %+v", a)
	}
	if a := got["missing.txt"]; a.Done || a.Error == "" {
		t.Fatalf("missing: %+v", a)
	}
	if b, _ := os.ReadFile(filepath.Join(e.in, "sub", "car.txt")); string(b) != "another car" {
		t.Fatal("the file at the source was overwritten")
	}
	// Filed records forgotten: car and nothing are no longer known.
	for _, p := range []string{filepath.Join(e.out, "vehicle", "car.txt"), filepath.Join(e.out, "_unmatched", "nothing.txt")} {
		if _, ok, _ := st.ByDest(p); ok {
			t.Fatalf("%s still has a record", p)
		}
	}
}
