package hostile_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/test/harness"
)

// TestStickyInboxOtherFilesystem: the inbox is a sticky-bit (1777) folder on
// another filesystem than the output, the daemon runs as nobody and the
// files belong to root, so it can copy them but never remove them. No copy
// is ever placed in the output (run made 6 of each in 90 s): the files stay
// in the inbox, whole, the log says why, and once gives up on them at the
// first try, saying they were left in the inbox.
func TestStickyInboxOtherFilesystem(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mounts a tmpfs and runs the daemon as nobody")
	}
	r := newRig(t, nil)
	cred := r.unprivileged()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m,mode=1777", "tmpfs", r.cfg.Inbox).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", r.cfg.Inbox).Run() })
	docs := r.docs("sticky", 3, "") // written by root
	r.start(harness.ProcOptions{Cred: cred})
	// Three move attempts at least (the back-off starts at 2 s).
	time.Sleep(7 * time.Second)
	r.alive()
	got := r.outputContents()
	for _, d := range docs {
		if n := len(got[d.SHA]); n > 0 {
			t.Errorf("%s: %d copies in the output: %v", d.Name, n, got[d.SHA])
		}
		if _, err := os.Stat(filepath.Join(r.cfg.Inbox, d.Name)); err != nil {
			t.Errorf("%s not in the inbox: %v", d.Name, err)
		}
	}
	if len(harness.Grep(r.log, "cannot be removed from its folder")) == 0 {
		t.Errorf("the log does not say why:\n%s", harness.Tail(r.log, 20))
	}
	if err := r.p.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}

	onceLog := filepath.Join(r.dir, "once.log")
	p, err := harness.Start(bin, []string{"once", "--config", r.conf, "--quiet"}, onceLog, harness.ProcOptions{Cred: cred})
	if err != nil {
		t.Fatal(err)
	}
	p.Wait(60 * time.Second)
	out, _ := os.ReadFile(onceLog)
	if p.ExitCode() != 1 || !strings.Contains(string(out), "3 files left in the inbox") {
		t.Errorf("once: exit %d\n%s", p.ExitCode(), out)
	}
	if got := r.outputContents(); len(got) > 0 {
		t.Errorf("copies in the output after once: %v", got)
	}
}
