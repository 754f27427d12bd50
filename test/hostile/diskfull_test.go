package hostile_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/classifyd/classifyd/test/harness"
)

// TestDiskFullOutput: the output is a small tmpfs (another filesystem than
// the inbox, so moves are copy + fsync + rename + remove). Once it is full,
// new files cannot be filed: they stay in the inbox, whole, the daemon keeps
// running and retrying, and as soon as there is space again every one of
// them is filed, once, with its journal line, and no partial copy is left.
// Where tmpfs cannot be mounted, a read-only type folder stands in for the
// full disk (skipped when the test runs as root, who writes anyway).
func TestDiskFullOutput(t *testing.T) {
	r := newRig(t, nil)
	full, partly, release := fillOutput(t, r)
	r.start(harness.ProcOptions{})

	warm := r.docs("warm", 4, "")
	r.waitFiled(wantOf(warm), 30*time.Second)

	full()
	blocked := r.docs("blocked", 10, "")
	time.Sleep(2 * time.Second) // a move attempt or two (the daemon backs off from 2 s)
	r.alive()
	got := r.outputContents()
	for _, d := range blocked {
		if len(got[d.SHA]) > 0 {
			t.Errorf("%s filed while the output was full: %v", d.Name, got[d.SHA])
		}
		if b, err := os.ReadFile(filepath.Join(r.cfg.Inbox, d.Name)); err != nil || !bytes.Equal(b, d.Body) {
			t.Errorf("%s is not whole in the inbox while the output is full: %v", d.Name, err)
		}
	}
	if len(harness.Grep(r.log, "no space left")) == 0 && len(harness.Grep(r.log, "permission denied")) == 0 {
		t.Errorf("nothing logged about the full output:\n%s", harness.Tail(r.log, 20))
	}

	release()
	all := wantOf(warm, blocked)
	r.waitFiled(all, 90*time.Second)
	r.settleRounds()
	r.check(all, nil)
	t.Logf("move failures logged: %d", len(harness.Grep(r.log, "move failed"))+len(harness.Grep(r.log, "cannot file yet")))

	// Room for a few copies but not for their journal lines: the files that
	// fit are filed, the daemon lives on, and the lines come when there is
	// room again.
	if partly == nil {
		return
	}
	partly(8)
	more := r.docs("partly", 20, "")
	time.Sleep(2 * time.Second)
	r.alive()
	t.Logf("journal failures logged: %d", len(harness.Grep(r.log, "cannot write the journal")))
	release()
	all = wantOf(warm, blocked, more)
	r.waitFiled(all, 90*time.Second)
	r.settleRounds()
	r.check(all, nil)
}

// fillOutput prepares r's output to be made full: it returns full, which
// fills it, partly, which fills it but for n pages (nil without tmpfs), and
// release, which gives the space back.
func fillOutput(t *testing.T, r *rig) (full func(), partly func(pages int), release func()) {
	out := r.cfg.Output
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=512k,mode=0777", "tmpfs", out).Run(); err == nil {
		t.Cleanup(func() {
			if r.p != nil {
				r.p.Stop(20 * time.Second)
			}
			if b, err := exec.Command("umount", out).CombinedOutput(); err != nil {
				t.Errorf("umount %s: %v %s", out, err, b)
			}
		})
		filler := filepath.Join(out, "zz-filler.bin")
		full = func() {
			f, err := os.Create(filler)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			chunk := make([]byte, 4096)
			for {
				if _, err := f.Write(chunk); err != nil {
					if !errors.Is(err, syscall.ENOSPC) {
						t.Fatal(err)
					}
					return
				}
			}
		}
		release = func() {
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
		}
		partly = func(pages int) {
			full()
			fi, err := os.Stat(filler)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(filler, fi.Size()-int64(pages)*4096); err != nil {
				t.Fatal(err)
			}
		}
		return full, partly, release
	}
	// No tmpfs: read-only type folders stand in for a full disk.
	probe := filepath.Join(out, "probe")
	os.MkdirAll(probe, 0o755)
	os.Chmod(probe, 0o555)
	err := os.WriteFile(filepath.Join(probe, "x"), nil, 0o644)
	os.Chmod(probe, 0o755)
	os.RemoveAll(probe)
	if err == nil {
		t.Skip("cannot mount a tmpfs, and read-only folders do not stop this user")
	}
	t.Log("no tmpfs: the output's folders are made read-only instead of full")
	full = func() {
		for _, k := range harness.Kinds {
			os.MkdirAll(filepath.Join(out, k), 0o755)
			os.Chmod(filepath.Join(out, k), 0o555)
		}
	}
	release = func() {
		for _, k := range harness.Kinds {
			os.Chmod(filepath.Join(out, k), 0o755)
		}
	}
	return full, nil, release
}
