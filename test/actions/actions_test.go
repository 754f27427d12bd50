// Package actions_test kill -9's the real classifyd binary while an action
// after filing (on_filed) runs, and checks that the action is done after
// the restart, with the same id, and never done twice.
package actions_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/classifyd/classifyd/test/harness"
)

var bin string

func TestMain(m *testing.M) { os.Exit(harness.Main(m, &bin)) }

// The action script records "start ID" the first time it sees an id, and
// hangs while the file "hang" exists (the daemon is killed under it);
// otherwise it records "done ID". A "done" twice for one id is a double
// action.
const script = `#!/bin/sh
dir=$1
if [ ! -e "$dir/seen-$CLASSIFYD_ACTION_ID" ]; then
  echo $$ > "$dir/seen-$CLASSIFYD_ACTION_ID"
  echo "start $CLASSIFYD_ACTION_ID" >> "$dir/log"
  if [ -e "$dir/hang" ]; then exec sleep 60; fi
fi
echo "done $CLASSIFYD_ACTION_ID $(basename "$CLASSIFYD_DEST")" >> "$dir/log"
`

func TestActionAfterKill9(t *testing.T) {
	dir := harness.WorkDir(t)
	cfg := harness.NewConfig(dir)
	adir := filepath.Join(dir, "action")
	os.MkdirAll(adir, 0o755)
	sh := filepath.Join(dir, "action.sh")
	if err := os.WriteFile(sh, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "classifyd.yaml")
	y := cfg.YAML() + fmt.Sprintf("on_filed:\n  - run: [%q, %q]\n    timeout: 2m\n", sh, adir)
	if err := os.WriteFile(conf, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	docs := harness.NewDocs(rng, "act", 3)
	for _, d := range docs {
		if err := d.Write(cfg.Inbox); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { // the hung scripts of the killed daemon
		ms, _ := filepath.Glob(filepath.Join(adir, "seen-*"))
		for _, m := range ms {
			b, _ := os.ReadFile(m)
			var pid int
			if fmt.Sscan(strings.TrimSpace(string(b)), &pid); pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	start := func(n int) *harness.Proc {
		p, err := harness.Start(bin, []string{"run", "--config", conf, "--log-format", "json"}, filepath.Join(dir, fmt.Sprintf("run%d.log", n)), harness.ProcOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	log := func() []string {
		b, _ := os.ReadFile(filepath.Join(adir, "log"))
		return strings.Fields(strings.ReplaceAll(string(b), "\n", " | "))
	}
	count := func(word string) int {
		n := 0
		for _, w := range log() {
			if w == word {
				n++
			}
		}
		return n
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		end := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(end) {
				t.Fatalf("timed out waiting for %s; action log: %q", what, log())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	os.WriteFile(filepath.Join(adir, "hang"), nil, 0o644)
	p := start(1)
	// Two actions run at once: both hang, the third waits.
	wait("the actions started", func() bool { return count("start") >= 2 })
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if count("done") != 0 {
		t.Fatalf("done before the kill: %q", log())
	}
	os.Remove(filepath.Join(adir, "hang"))
	p = start(2)
	wait("every action done after the restart", func() bool { return count("done") == len(docs) })
	// Once more: nothing is done again.
	if err := p.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	p = start(3)
	time.Sleep(2 * time.Second)
	if err := p.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	starts, dones := map[string]int{}, map[string]int{}
	l := log()
	for i := 0; i+1 < len(l); i++ {
		switch l[i] {
		case "start":
			starts[l[i+1]]++
		case "done":
			dones[l[i+1]]++
		}
	}
	if len(starts) != len(docs) || len(dones) != len(docs) {
		t.Fatalf("ids: %d started, %d done, want %d: %q", len(starts), len(dones), len(docs), l)
	}
	for id, n := range dones {
		if n != 1 || starts[id] != 1 {
			t.Errorf("id %s: started %d, done %d times", id, starts[id], n)
		}
	}
	if got, _ := filepath.Glob(filepath.Join(adir, "seen-*")); len(got) != len(docs) {
		t.Errorf("%d ids seen, want %d (one per file)", len(got), len(docs))
	}
	// Every file filed once.
	filed := 0
	filepath.WalkDir(cfg.Output, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !strings.HasPrefix(d.Name(), "_") {
			filed++
		}
		return nil
	})
	if filed != len(docs) {
		t.Fatalf("%d files filed, want %d", filed, len(docs))
	}
}
