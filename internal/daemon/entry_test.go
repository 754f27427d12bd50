package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/classify"
	"github.com/classifyd/classifyd/internal/extract"
	"github.com/classifyd/classifyd/internal/state"
)

// The journal names the rule's folder as configured and the folder the file
// went to; Folder stays the type label (undo and retry read it).
func TestJournalFolders(t *testing.T) {
	e := newTemplateEnv(t, "")
	p := e.write("a.txt", "apple orchard harvest")
	old := time.Date(2022, 1, 1, 12, 0, 0, 0, time.Local)
	os.Chtimes(p, old, old)
	e.write("c.txt", "car engine wheels")
	e.write("n.txt", "nothing at all here")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.run(ctx, e.localBackend(ctx), nil); err != nil {
		t.Fatal(err)
	}
	want := map[string][3]string{
		"a.txt": {"fruit", "Food/{year}/{source_dir}", "Food/2022"},
		"c.txt": {"vehicle", "Garage/Cars", "Garage/Cars"},
		"n.txt": {"unmatched", "", "_unmatched"},
	}
	j := e.journal()
	if len(j) != 3 {
		t.Fatalf("%d lines", len(j))
	}
	for _, en := range j {
		w := want[filepath.Base(en.Source)]
		if en.Folder != w[0] || en.RuleFolder != w[1] || en.DestFolder != w[2] {
			t.Errorf("%s: folder %q rule_folder %q dest_folder %q, want %q", en.Source, en.Folder, en.RuleFolder, en.DestFolder, w)
		}
	}
}

// A person's correction is one log line at info, though both the daemon and
// the engine's pipeline see it.
func TestOneLogLinePerCorrection(t *testing.T) {
	e := newEnv(t, "")
	e.write("a.txt", "apple orchard harvest")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.run(ctx, e.localBackend(ctx), nil); err != nil {
		t.Fatal(err)
	}
	cars := filepath.Join(e.out, "Garage", "Cars")
	os.MkdirAll(cars, 0o755)
	if err := os.Rename(filepath.Join(e.out, "fruit", "a.txt"), filepath.Join(cars, "a.txt")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ext, err := extract.New(extract.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	pl := classify.New(classify.Options{Extractor: ext, Logger: log})
	st, err := state.Open(e.state, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := New(Options{Config: e.cfg, Backend: newRemote(), Store: st, Learner: pl, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.learnScan(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, "correction") && !strings.Contains(l, `"corrections"`) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d log lines about the correction, want 1:\n%s", n, buf.String())
	}
}
