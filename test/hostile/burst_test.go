package hostile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/test/harness"
)

// TestBurst drops thousands of files at once (10,000 with CLASSIFYD_LONG=1,
// 5,000 by default, enough to overflow the kernel's default queue; 2,000
// with -short) into the inbox of a running daemon that only rescans at start
// and on overflow: the kernel's event queue overflows, the rescan finds what
// the events missed, and every file is filed exactly once.
func TestBurst(t *testing.T) {
	n := 5000
	switch {
	case harness.Long():
		n = 10000
	case testing.Short():
		n = 2000
	}
	r := newRigServer(t, func(c *harness.Config) {
		c.Rescan = 0 // only at start and on overflow: the events and the overflow rescan must do it all
		c.BatchSize = 100
		c.Concurrency = 4
	}, false)
	r.start(harness.ProcOptions{})
	probe := r.docs("probe", 1, "")
	r.waitFiled(wantOf(probe), 30*time.Second)

	// The daemon is stopped (SIGSTOP) while the burst lands, so the
	// kernel's event queue (fs.inotify.max_queued_events, 16384 by default)
	// overflows for certain, as it does under a real burst on a busy host.
	start := time.Now()
	if err := syscall.Kill(r.p.Cmd.Process.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// Each file is written under a temporary (ignored) name and renamed,
	// as downloads and copy tools do: create, modify, moved_from, moved_to.
	docs := harness.NewDocs(r.rng, fmt.Sprintf("burst%d", r.seed), n)
	for _, d := range docs {
		tmp := filepath.Join(r.cfg.Inbox, "."+d.Name+".part")
		if err := os.WriteFile(tmp, d.Body, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(r.cfg.Inbox, d.Name)); err != nil {
			t.Fatal(err)
		}
	}
	wrote := time.Since(start)
	if err := syscall.Kill(r.p.Cmd.Process.Pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	want := wantOf(probe, docs)

	deadline := time.Now().Add(4 * time.Minute)
	for {
		filed := countFiled(r.cfg.Output)
		left, _ := os.ReadDir(r.cfg.Inbox)
		if filed >= len(want) && len(left) == 0 {
			break
		}
		r.alive()
		if time.Now().After(deadline) {
			t.Fatalf("after 4 min: %d of %d filed, %d left in the inbox\n%s", filed, len(want), len(left), harness.Tail(r.log, 20))
		}
		time.Sleep(200 * time.Millisecond)
	}
	took := time.Since(start)
	overflows := len(harness.Grep(r.log, "overflow")) + len(harness.Grep(r.log, "too many pending"))
	t.Logf("%d files written in %s, all filed %s after the burst began; watcher overflow/cap warnings: %d", n, wrote.Round(time.Millisecond), took.Round(time.Millisecond), overflows)
	// Each new file makes four inotify events: beyond the queue's size an
	// overflow must have happened.
	if q := maxQueuedEvents(); q > 0 && 4*n > q+q/10 && overflows == 0 {
		t.Errorf("%d files (%d events) landed while the daemon was stopped, beyond the kernel's queue of %d, but no overflow was logged", n, 4*n, q)
	}
	r.check(want, nil)
}

func maxQueuedEvents() int {
	b, err := os.ReadFile("/proc/sys/fs/inotify/max_queued_events")
	if err != nil {
		return 0
	}
	q, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return q
}

// countFiled counts the files under the output (journal and notes aside).
func countFiled(out string) int {
	n := 0
	journal := filepath.Join(out, sorter.JournalName)
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && p != journal && !strings.HasSuffix(p, ".error.txt") {
			n++
		}
		return nil
	})
	return n
}
