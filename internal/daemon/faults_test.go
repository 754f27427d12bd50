package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifyd/classifyd/internal/state"
)

// TestOutputIsInboxThroughSymlink: an output that is the inbox under
// another name (ln -s inbox outlink; --out outlink) is refused at start,
// where it used to file every file again every few seconds.
func TestOutputIsInboxThroughSymlink(t *testing.T) {
	e := newEnv(t, "")
	link := filepath.Join(e.dir, "outlink")
	if err := os.Symlink(e.in, link); err != nil {
		t.Fatal(err)
	}
	e.cfg.Output = link
	st, err := state.Open(e.state, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = New(Options{Config: e.cfg, Backend: &remote{}, Store: st})
	if err == nil || !strings.Contains(err.Error(), "is the inbox") {
		t.Fatalf("New = %v, want an error saying the output is the inbox", err)
	}
}
