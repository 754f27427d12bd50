package hostile_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/classifyd/classifyd/test/harness"
)

// TestChangedWhileInFlight: files that are deleted, replaced by another
// document, replaced by a fifo, or rewritten in place after they were
// uploaded and their job submitted (the proxy holds every job at PENDING
// meanwhile). A deleted file is simply gone; a replaced or rewritten file is
// filed with its new content, by the answer for its new content (its new
// type), never by the stale one; the old contents are nowhere in the output.
func TestChangedWhileInFlight(t *testing.T) {
	r := newRig(t, func(c *harness.Config) { c.BatchSize = 50 })
	r.proxy.Hold(true)
	victims := map[string]harness.Doc{}
	for i, role := range []string{"deleted", "replaced", "fifo", "rewritten", "same-stat"} {
		victims[role] = harness.NewDoc(r.rng, harness.Kinds[i%len(harness.Kinds)], "victim-"+role, int(r.seed%1000))
		if err := victims[role].Write(r.cfg.Inbox); err != nil {
			t.Fatal(err)
		}
	}
	normal := r.docs("n", 12, "")
	r.start(harness.ProcOptions{})

	// Wait until every file was uploaded and a job is being polled.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := r.proxy.Stats()
		up := 0
		for _, v := range victims {
			if st.Received[v.SHA] > 0 {
				up++
			}
		}
		if up == len(victims) && len(st.Polled) > 0 {
			break
		}
		r.alive()
		if time.Now().After(deadline) {
			t.Fatalf("files not in flight after 30s (%d of %d victims uploaded, %d jobs polled):\n%s", up, len(victims), len(st.Polled), harness.Tail(r.log, 20))
		}
		time.Sleep(20 * time.Millisecond)
	}
	path := func(role string) string { return filepath.Join(r.cfg.Inbox, victims[role].Name) }

	if err := os.Remove(path("deleted")); err != nil {
		t.Fatal(err)
	}
	// Replaced: another document (of another type) renamed over the name.
	replacement := harness.NewDoc(r.rng, otherKind(victims["replaced"].Kind), "replacement", 1)
	tmp := filepath.Join(r.cfg.Inbox, ".replacement.tmp") // ignored name
	if err := os.WriteFile(tmp, replacement.Body, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path("replaced")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path("fifo")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path("fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Rewritten in place: same inode, new content of another type.
	rewrite := harness.NewDoc(r.rng, otherKind(victims["rewritten"].Kind), "rewrite", 2)
	if err := os.WriteFile(path("rewritten"), rewrite.Body, 0o644); err != nil {
		t.Fatal(err)
	}
	// Replaced by a document of another type with the same size and mtime
	// (cp -p, rsync -t, a restore): only the inode and ctime tell.
	sameStat := sameSize(harness.NewDoc(r.rng, otherKind(victims["same-stat"].Kind), "samestat", 3), len(victims["same-stat"].Body))
	fi, err := os.Stat(path("same-stat"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, sameStat.Body, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path("same-stat")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * r.cfg.Settle)
	r.proxy.Hold(false)

	want := wantOf(normal, []harness.Doc{replacement, rewrite, sameStat})
	r.waitFiled(want, 30*time.Second)
	r.settleRounds()
	c := r.check(want, func(p string) bool { return p == path("fifo") })
	for _, d := range []harness.Doc{replacement, rewrite, sameStat} {
		for _, p := range c.Filed[d.SHA] {
			if got := filepath.Base(filepath.Dir(p)); got != d.Kind {
				t.Errorf("%s was changed while in flight and filed in %s/ (the stale answer); its new content is a %s", filepath.Base(p), got, d.Kind)
			}
		}
	}
	for role, v := range victims {
		if n := len(c.Filed[v.SHA]); n > 0 {
			t.Errorf("the old content of the %s file %s is in the output: %v", role, v.Name, c.Filed[v.SHA])
		}
	}
	if fi, err := os.Lstat(path("fifo")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the fifo that replaced a file in flight is gone or changed: %v", err)
	}
}

// sameSize pads or cuts d's body to n bytes.
func sameSize(d harness.Doc, n int) harness.Doc {
	b := append([]byte(nil), d.Body...)
	for len(b) < n {
		b = append(b, ' ')
	}
	b = b[:n]
	d.Body, d.SHA = b, harness.SHA(b)
	return d
}

func otherKind(k string) string {
	for i, x := range harness.Kinds {
		if x == k {
			return harness.Kinds[(i+1)%len(harness.Kinds)]
		}
	}
	return harness.Kinds[0]
}
