package admin

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestRetryDoesNotFollowLinksOut: a link in the output folder that points
// elsewhere (sorted/lnk -> /elsewhere, or the failed folder itself) does not
// let /retry move files from there: every such path is refused as not in
// the output, and the files stay where they are.
func TestRetryDoesNotFollowLinksOut(t *testing.T) {
	e := newEnv(t)
	e.sample()
	e.once()
	elsewhere := t.TempDir()
	secret := filepath.Join(elsewhere, "secret.txt")
	if err := os.WriteFile(secret, []byte("not classifyd's"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(elsewhere, "sub"), 0o755)
	os.WriteFile(filepath.Join(elsewhere, "sub", "deep.txt"), []byte("deep"), 0o600)
	lnk := filepath.Join(e.out, "lnk")
	if err := os.Symlink(elsewhere, lnk); err != nil {
		t.Fatal(err)
	}
	st := e.open()
	defer st.Close()
	ctx := context.Background()
	for _, files := range [][]string{
		{filepath.Join(lnk, "secret.txt")},
		{filepath.Join(lnk, "sub")},
		{filepath.Join(lnk, "sub", "deep.txt")},
	} {
		rep, err := Retry(ctx, RetryOptions{Config: e.cfg, Store: st, Files: files})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Moved() != 0 || len(rep.Actions) == 0 || rep.Actions[0].Error == "" {
			t.Errorf("retry %v: %+v, want refused", files, rep.Actions)
		}
	}
	// The failed folder itself replaced by a link out.
	failed := filepath.Join(e.out, e.cfg.Folders.Failed)
	if err := os.RemoveAll(failed); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, failed); err != nil {
		t.Fatal(err)
	}
	rep, err := Retry(ctx, RetryOptions{Config: e.cfg, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Moved() != 0 {
		t.Errorf("retry of a linked failed folder moved %d: %+v", rep.Moved(), rep.Actions)
	}
	for _, p := range []string{secret, filepath.Join(elsewhere, "sub", "deep.txt")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was moved: %v", p, err)
		}
	}
}
