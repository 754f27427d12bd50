package hostile_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/classifyd/classifyd/test/harness"
)

// TestSymlinksAreNeverFollowed: symlinks in the inbox to a file and to a
// folder outside it (and a dangling one) are never read, uploaded or filed;
// their targets stay where they are, unchanged.
func TestSymlinksAreNeverFollowed(t *testing.T) {
	r := newRig(t, nil)
	outside := filepath.Join(r.dir, "outside")
	os.MkdirAll(filepath.Join(outside, "folder"), 0o755)
	secret := r.docs("secret", 1, outside)[0]
	secretInFolder := r.docs("secretdir", 1, filepath.Join(outside, "folder"))[0]
	links := map[string]string{
		filepath.Join(r.cfg.Inbox, "link-to-file.txt"): filepath.Join(outside, secret.Name),
		filepath.Join(r.cfg.Inbox, "link-to-folder"):   filepath.Join(outside, "folder"),
		filepath.Join(r.cfg.Inbox, "dangling.txt"):     filepath.Join(outside, "nothing-here.txt"),
	}
	for l, target := range links {
		if err := os.Symlink(target, l); err != nil {
			t.Fatal(err)
		}
	}
	normal := r.docs("n", 10, "")
	r.start(harness.ProcOptions{})
	r.waitFiled(wantOf(normal), 30*time.Second)
	// A symlink created while the daemon runs, too.
	late := filepath.Join(r.cfg.Inbox, "late-link.txt")
	if err := os.Symlink(filepath.Join(outside, secret.Name), late); err != nil {
		t.Fatal(err)
	}
	links[late] = filepath.Join(outside, secret.Name)
	more := r.docs("m", 3, "")
	r.waitFiled(wantOf(more), 30*time.Second)
	r.settleRounds()

	st := r.proxy.Stats()
	stored, err := harness.StoredSHAs(r.srvData)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []harness.Doc{secret, secretInFolder} {
		if st.Attempts[d.SHA] > 0 || stored[d.SHA] {
			t.Errorf("the content of %s, outside the inbox and only reachable through a symlink, was uploaded", d.Name)
		}
		p := filepath.Join(outside, d.Name)
		if d.Name == secretInFolder.Name {
			p = filepath.Join(outside, "folder", d.Name)
		}
		if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, d.Body) {
			t.Errorf("symlink target %s moved or changed: %v", p, err)
		}
	}
	for l, target := range links {
		got, err := os.Readlink(l)
		if err != nil || got != target {
			t.Errorf("symlink %s was touched: readlink = %q, %v", l, got, err)
		}
	}
	c := r.check(wantOf(normal, more), func(p string) bool { _, ok := links[p]; return ok })
	for sum := range c.Filed {
		if sum == secret.SHA || sum == secretInFolder.SHA {
			t.Errorf("a symlink target was filed: %v", c.Filed[sum])
		}
	}
}

// TestFifoNeverBlocks: a fifo in the inbox (with no writer, so any open for
// reading would block forever) is never opened; the daemon files the other
// files around it and the fifo stays.
func TestFifoNeverBlocks(t *testing.T) {
	r := newRig(t, nil)
	fifos := []string{filepath.Join(r.cfg.Inbox, "scan.pdf"), filepath.Join(r.cfg.Inbox, "pipe.txt")}
	if err := syscall.Mkfifo(fifos[0], 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	before := r.docs("a", 10, "")
	r.start(harness.ProcOptions{})
	// A fifo appearing while the daemon runs, then more files after it.
	if err := syscall.Mkfifo(fifos[1], 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * r.cfg.Settle)
	after := r.docs("b", 10, "")
	r.waitFiled(wantOf(before, after), 30*time.Second)
	r.settleRounds()
	for _, f := range fifos {
		fi, err := os.Lstat(f)
		if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("fifo %s gone or changed: %v", f, err)
		}
	}
	r.check(wantOf(before, after), func(p string) bool { return p == fifos[0] || p == fifos[1] })
}

// TestUnreadableFileWaitsForPermission: a file the daemon cannot read is not
// filed and is logged; once it is made readable, a rescan files it. As root
// the daemon runs as nobody, since root reads through chmod 000.
func TestUnreadableFileWaitsForPermission(t *testing.T) {
	r := newRig(t, nil)
	cred := r.unprivileged()
	locked := r.docs("locked", 1, "")[0]
	lockedPath := filepath.Join(r.cfg.Inbox, locked.Name)
	if err := os.Chmod(lockedPath, 0); err != nil {
		t.Fatal(err)
	}
	if cred == nil {
		if f, err := os.Open(lockedPath); err == nil {
			f.Close()
			t.Skip("chmod 000 does not stop this user from reading (a capability such as CAP_DAC_OVERRIDE?)")
		}
	}
	normal := r.docs("n", 10, "")
	if cred != nil {
		r.unprivileged() // the new files too
	}
	r.start(harness.ProcOptions{Cred: cred})
	r.waitFiled(wantOf(normal), 30*time.Second)
	r.settleRounds()
	if b, err := os.ReadFile(lockedPath); err != nil || !bytes.Equal(b, locked.Body) {
		t.Fatalf("the unreadable file left the inbox or changed before it was readable: %v", err)
	}
	if r.proxy.Stats().Attempts[locked.SHA] > 0 {
		t.Errorf("the unreadable file's content reached the server")
	}
	if lines := harness.Grep(r.log, locked.Name); len(lines) == 0 {
		t.Errorf("nothing logged about the unreadable file %s", locked.Name)
	} else {
		t.Logf("logged: %.300s", lines[0])
	}
	if err := os.Chmod(lockedPath, 0o644); err != nil {
		t.Fatal(err)
	}
	r.waitFiled(wantOf([]harness.Doc{locked}), 30*time.Second)
	r.check(wantOf(normal, []harness.Doc{locked}), nil)
}

// hostileNames are base names a file server sees sooner or later.
var hostileNames = []string{
	"new\nline.txt",
	"invalid-utf8-\xff\xfe.txt",
	"latin1-caf\xe9.txt",
	"tab\there.txt",
	" leading and trailing space .txt",
	"-rf.txt",
	"back\\slash.txt",
	`quote"and'apostrophe.txt`,
	"emoji-\U0001F4C4.txt",
	"nfc-\u00e9t\u00e9.txt",
	"nfd-e\u0301te\u0301.txt",
	"colon:star*question?.txt",
	"$HOME.txt",
	"CON.txt",
	"carriage\rreturn.txt",
	"esc-\x1b[31mred.txt",
	"no-extension",
	strings.Repeat("long", 62) + ".txt", // 252 bytes
}

// TestHostileNames: files named with newlines, invalid UTF-8, control
// characters and other oddities are filed like any other, under a name that
// is theirs, and the journal names the file that is really there.
func TestHostileNames(t *testing.T) {
	r := newRig(t, nil)
	var docs []harness.Doc
	for i, name := range hostileNames {
		d := harness.NewDoc(r.rng, harness.Kinds[i%len(harness.Kinds)], fmt.Sprintf("name%d", r.seed), i)
		d.Name = name
		if err := d.Write(r.cfg.Inbox); err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		docs = append(docs, d)
	}
	r.start(harness.ProcOptions{})
	want := wantOf(docs)
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := r.outputContents()
		n := 0
		for sum := range want {
			if len(got[sum]) > 0 {
				n++
			}
		}
		if n == len(want) || time.Now().After(deadline) {
			break
		}
		r.alive()
		time.Sleep(100 * time.Millisecond)
	}
	c := r.settledCheck(want, nil)
	t.Log(c.Summary())
	for _, d := range docs {
		paths := c.Filed[d.SHA]
		switch {
		case len(paths) == 0:
			_, inInbox := os.Lstat(filepath.Join(r.cfg.Inbox, d.Name))
			t.Errorf("%q not filed (still in the inbox: %v); log: %s", d.Name, inInbox == nil, firstLine(harness.Grep(r.log, "err")))
		case len(paths) > 1:
			t.Errorf("%q filed %d times: %q", d.Name, len(paths), paths)
		}
	}
	for _, pr := range c.Problems(20) {
		t.Error(pr)
	}
	// Each file is classified (not failed for its name), in its type's
	// folder, under its own name, bytes and all (no clash here).
	for _, d := range docs {
		for _, p := range c.Filed[d.SHA] {
			if folder := filepath.Base(filepath.Dir(p)); folder != d.Kind {
				t.Errorf("%q went to %s/, want %s/ (%s)", d.Name, folder, d.Kind, firstLine(harness.Grep(r.log, "refused")))
			}
			if filepath.Base(p) != d.Name {
				t.Errorf("%q filed as %q", d.Name, filepath.Base(p))
			}
		}
	}
}

func firstLine(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return fmt.Sprintf("%.400s", l[0])
}
