package crash_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/test/harness"
)

// TestTornJournalTail: a kill -9 during a journal write of more than a page
// (the kernel stops a write between pages on a fatal signal), or a power
// cut, leaves the journal's last line without its end. The next daemon
// appends after it; its first line must not be glued to the torn one and
// lost: every file filed afterwards still has its own, readable journal line.
func TestTornJournalTail(t *testing.T) {
	seed := harness.Seed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	dir := harness.WorkDir(t)
	cfg := harness.NewConfig(dir)
	confPath := filepath.Join(dir, "classifyd.yaml")
	if err := cfg.Write(confPath); err != nil {
		t.Fatal(err)
	}
	docs := harness.NewDocs(rng, fmt.Sprintf("t%d", seed), 40)
	want := map[string]string{}
	for _, d := range docs {
		want[d.SHA] = d.Name
	}
	once := func(name string, batch []harness.Doc) {
		for _, d := range batch {
			if err := d.Write(cfg.Inbox); err != nil {
				t.Fatal(err)
			}
		}
		logPath := filepath.Join(dir, name+".log")
		p, err := harness.Start(bin, []string{"once", "--config", confPath, "--quiet"}, logPath, harness.ProcOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Wait(time.Minute); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, harness.Tail(logPath, 30))
		}
	}
	once("first", docs[:20])

	// Tear the tail: the start of a line, as a write cut short leaves it.
	jpath := filepath.Join(cfg.Output, sorter.JournalName)
	f, err := os.OpenFile(jpath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	torn := `{"time":"2024-05-01T10:00:00Z","id":999999,"source":"/inbox/torn.pdf","dest":"/out/inv`
	if _, err := f.WriteString(torn); err != nil {
		t.Fatal(err)
	}
	f.Close()

	once("second", docs[20:])

	c, err := harness.CheckOutput(cfg.Inbox, cfg.Output, want, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(c.Summary())
	if len(c.Lost)+len(c.Twice)+len(c.LeftInInbox) > 0 {
		t.Errorf("files: %s", strings.Join(c.Problems(5), "\n"))
	}
	if len(c.JournalMissing) > 0 {
		t.Errorf("%d files filed after the torn line have no readable journal line (glued to the torn line): %q\n%s",
			len(c.JournalMissing), c.JournalMissing, strings.Join(c.BadLines, "\n"))
	}
	for _, l := range c.BadLines {
		if strings.Count(l, `"time"`) > 1 {
			t.Errorf("a complete entry was glued to the torn line: %s", l)
		}
	}
}
