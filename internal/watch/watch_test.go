package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"empty root", Options{}, "root is empty"},
		{"negative settle", Options{Root: "/x", Settle: -1}, "settle"},
		{"negative rescan", Options{Root: "/x", RescanInterval: -1}, "rescan"},
		{"bad pattern", Options{Root: "/x", Ignore: []string{"[a-"}}, "ignore pattern"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	w, err := New(Options{Root: "inbox"})
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(w.opt.Root) || w.opt.Settle != DefaultSettle || w.opt.MaxPending != DefaultMaxPending ||
		w.opt.MaxWait != DefaultMaxWait || w.opt.RescanInterval != 0 {
		t.Fatalf("defaults not applied: %+v", w.opt)
	}
	if !w.m.ignored("a.pdf.crdownload") || !w.m.ignored(".hidden") || !w.m.ignored("~$report.docx") || w.m.ignored("a.pdf") {
		t.Fatal("DefaultIgnore not applied")
	}
	w, _ = New(Options{Root: "inbox", Ignore: []string{}})
	if w.m.ignored(".hidden") {
		t.Fatal("empty non-nil Ignore must ignore nothing")
	}
}

func TestRunErrors(t *testing.T) {
	t.Run("missing root", func(t *testing.T) {
		w, _ := New(Options{Root: filepath.Join(t.TempDir(), "nope")})
		if err := w.Run(t.Context()); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Run: %v", err)
		}
		if _, ok := <-w.Files(); ok {
			t.Fatal("Files() not closed")
		}
	})
	t.Run("root is a file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "f")
		os.WriteFile(f, nil, 0o644)
		w, _ := New(Options{Root: f})
		if err := w.Run(t.Context()); !errors.Is(err, ErrNotDir) {
			t.Fatalf("Run: %v", err)
		}
	})
	t.Run("twice", func(t *testing.T) {
		h := start(t, Options{}, nil)
		h.waitRescans(1)
		if err := h.w.Run(t.Context()); !errors.Is(err, ErrRunning) {
			t.Fatalf("second Run: %v", err)
		}
	})
}

func TestBacklogAtStart(t *testing.T) {
	h := setup(t, Options{Recursive: true}, nil)
	h.write("a.pdf", "a")
	h.write("sub/b.pdf", "bb")
	h.write("sub/deeper/c.txt", "ccc")
	h.write("sub/x.part", "partial")
	h.write(".hidden/d.pdf", "in a dot folder")
	h.write("~$lock.docx", "lock")
	h.run()
	got := h.expect("a.pdf", "sub/b.pdf", "sub/deeper/c.txt")
	if ev := got[h.path("sub/deeper/c.txt")]; ev.Size != 3 || ev.ModTime.IsZero() {
		t.Errorf("event %+v", ev)
	}
	h.sentinel("s.pdf")
	// Counters are updated by Run just after the consumer received.
	h.waitFor("stats", func() bool { s := h.w.Stats(); return s.Emitted == 4 && s.Pending == 0 })
}

func TestNonRecursive(t *testing.T) {
	h := setup(t, Options{Recursive: false}, nil)
	h.write("sub/old.pdf", "x")
	h.write("old.pdf", "x")
	h.run()
	h.expect("old.pdf")
	h.write("sub/new.pdf", "x")
	h.sentinel("new.pdf")
}

// A writer that pauses longer than an event takes, but shorter than settle:
// the file is emitted once, with its final size.
func TestSlowWriter(t *testing.T) {
	const chunks, chunk = 8, 4096
	h := start(t, Options{Settle: 400 * time.Millisecond}, nil)
	h.waitRescans(1)
	f, err := os.Create(h.path("scan.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < chunks; i++ {
		if _, err := f.Write(make([]byte, chunk)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(60 * time.Millisecond) // the writer's pause, well under settle
	}
	f.Close()
	ev := h.expect("scan.pdf")[h.path("scan.pdf")]
	if ev.Size != chunks*chunk {
		t.Fatalf("emitted with size %d, want %d", ev.Size, chunks*chunk)
	}
	h.sentinel("after.pdf")
}

// A file that keeps changing past MaxWait is not emitted until it stops; the
// watcher warns once.
func TestStillChangingNotEmitted(t *testing.T) {
	h := start(t, Options{Settle: 300 * time.Millisecond, MaxWait: 100 * time.Millisecond}, nil)
	h.waitRescans(1)
	f, err := os.Create(h.path("growing.log"))
	if err != nil {
		t.Fatal(err)
	}
	h.write("early.pdf", "x") // settles while growing.log is still written
	stop := time.Now().Add(time.Second)
	size := 0
	for time.Now().Before(stop) {
		f.Write([]byte("line\n"))
		size += 5
		time.Sleep(20 * time.Millisecond)
	}
	f.Close()
	h.expect("early.pdf")
	ev := h.expect("growing.log")[h.path("growing.log")]
	if ev.Size != int64(size) {
		t.Fatalf("emitted while changing: size %d, final %d", ev.Size, size)
	}
	mustContain(t, h.logs.String(), "file still changing")
	if n := strings.Count(h.logs.String(), "file still changing"); n != 1 {
		t.Errorf("warned %d times, want once", n)
	}
}

func TestRenameIntoInbox(t *testing.T) {
	h := start(t, Options{Recursive: true}, nil)
	h.waitRescans(1)
	outside := t.TempDir()
	src := filepath.Join(outside, "moved.pdf")
	os.WriteFile(src, []byte("moved in"), 0o644)
	if err := os.Rename(src, h.path("moved.pdf")); err != nil {
		t.Fatal(err)
	}
	h.expect("moved.pdf")
	// A whole folder moved in: its files were never seen by a watch.
	os.MkdirAll(filepath.Join(outside, "batch", "inner"), 0o755)
	os.WriteFile(filepath.Join(outside, "batch", "1.pdf"), []byte("1"), 0o644)
	os.WriteFile(filepath.Join(outside, "batch", "inner", "2.pdf"), []byte("2"), 0o644)
	if err := os.Rename(filepath.Join(outside, "batch"), h.path("batch")); err != nil {
		t.Fatal(err)
	}
	h.expect("batch/1.pdf", "batch/inner/2.pdf")
	h.sentinel("s.pdf")
}

// Temporary names are ignored until renamed; the final name is emitted once.
func TestTempNameThenRename(t *testing.T) {
	for _, tc := range []struct{ tmp, final string }{
		{"foo.part", "foo.pdf"},
		{"foo.pdf.crdownload", "foo.pdf"},
		{"foo.tmp", "foo.docx"},
		{".foo.pdf.XXXXXX", "foo.pdf"}, // rsync
	} {
		t.Run(tc.tmp, func(t *testing.T) {
			h := start(t, Options{}, nil)
			h.waitRescans(1)
			h.write(tc.tmp, "complete content")
			h.sentinel("first.pdf") // tc.tmp, older, would have come first
			if err := os.Rename(h.path(tc.tmp), h.path(tc.final)); err != nil {
				t.Fatal(err)
			}
			if ev := h.expect(tc.final)[h.path(tc.final)]; ev.Size != int64(len("complete content")) {
				t.Fatalf("size %d", ev.Size)
			}
			h.sentinel("second.pdf")
		})
	}
}

func TestNewSubfolder(t *testing.T) {
	h := start(t, Options{Recursive: true}, nil)
	h.waitRescans(1)
	// Files land in folders right after they are made, before any watch.
	h.write("sub/a.pdf", "a")
	h.write("x/y/z/deep.pdf", "deep")
	h.expect("sub/a.pdf", "x/y/z/deep.pdf")
	// Later files in those folders come through their watches.
	h.write("x/y/later.pdf", "later")
	h.expect("x/y/later.pdf")
	h.sentinel("x/y/z/s.pdf")
}

func TestSpecialFilesNeverEmitted(t *testing.T) {
	outside := t.TempDir()
	target := filepath.Join(outside, "target.pdf")
	os.WriteFile(target, []byte("target"), 0o644)
	os.MkdirAll(filepath.Join(outside, "dir"), 0o755)
	os.WriteFile(filepath.Join(outside, "dir", "in-linked-dir.pdf"), []byte("x"), 0o644)

	h := setup(t, Options{Recursive: true}, nil)
	mk := func(when string) {
		if err := os.Symlink(target, h.path(when+"-link.pdf")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(outside, "dir"), h.path(when+"-linkdir")); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(h.path(when+"-fifo.pdf"), 0o644); err != nil {
			t.Fatal(err)
		}
		h.write(".dot-"+when+".pdf", "dot")
		h.write("~$"+when+".docx", "lock")
	}
	mk("backlog") // seen by the first walk
	h.run()
	h.sentinel("s1.pdf")
	mk("live") // seen by events
	h.sentinel("s2.pdf")
}

func TestExclude(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "sorted")
	h := setup(t, Options{Root: root, Recursive: true, Exclude: []string{out}}, nil)
	h.write("sorted/invoice/old.pdf", "filed before start")
	h.run()
	h.sentinel("s1.pdf")
	h.write("sorted/invoice/new.pdf", "filed now")
	h.write("sorted/contract/new.pdf", "filed now")
	if err := os.Rename(h.path("s1.pdf"), h.path("sorted/invoice/s1.pdf")); err != nil { // the daemon's move
		t.Fatal(err)
	}
	h.sentinel("s2.pdf")
	// An excluded folder made after start is not entered either.
	root2 := t.TempDir()
	late := start(t, Options{Root: root2, Recursive: true, Exclude: []string{filepath.Join(root2, "later")}}, nil)
	late.waitRescans(1)
	late.write("later/x.pdf", "x")
	late.sentinel("s.pdf")
	h.onLoop(func(l *loop) {
		if _, ok := l.emitted[h.path("s1.pdf")]; ok {
			t.Error("memory of a file moved out was kept")
		}
		for d := range l.dirs {
			if strings.HasPrefix(d, out) {
				t.Errorf("excluded dir %s is known", d)
			}
		}
	})
}

// An emitted file is emitted again only when it changes or comes back.
func TestEmittedOnceUnlessChanged(t *testing.T) {
	h := start(t, Options{}, nil)
	h.waitRescans(1)
	h.write("a.pdf", "v1")
	h.expect("a.pdf")
	os.Chmod(h.path("a.pdf"), 0o600) // an event, but no change
	h.onLoop(func(l *loop) { l.requestFull("test") })
	h.waitRescans(2)
	h.sentinel("s1.pdf")

	f, _ := os.OpenFile(h.path("a.pdf"), os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte(" and more"))
	f.Close()
	if ev := h.expect("a.pdf")[h.path("a.pdf")]; ev.Size != int64(len("v1 and more")) {
		t.Fatalf("size %d", ev.Size)
	}
	// Gone and back, unchanged: emitted again.
	tmp := filepath.Join(t.TempDir(), "a.pdf")
	os.Rename(h.path("a.pdf"), tmp)
	h.sentinel("s2.pdf")
	os.Rename(tmp, h.path("a.pdf"))
	h.expect("a.pdf")
	h.sentinel("s3.pdf")
}

// A stable file that changes before the consumer takes it settles again.
func TestChangedWhileWaitingForConsumer(t *testing.T) {
	h := start(t, Options{}, nil)
	h.waitRescans(1)
	h.write("a.pdf", "v1")
	ready := func(l *loop) bool { e := l.front(); return e != nil && e.path == h.path("a.pdf") }
	h.waitFor("a.pdf stable", func() bool { ok := false; h.onLoop(func(l *loop) { ok = ready(l) }); return ok })
	f, _ := os.OpenFile(h.path("a.pdf"), os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte(" v2"))
	f.Close()
	h.waitFor("a.pdf settling again", func() bool {
		ok := false
		h.onLoop(func(l *loop) { e := l.pending[h.path("a.pdf")]; ok = e != nil && e.index >= 0 && !ready(l) })
		return ok
	})
	if ev := h.expect("a.pdf")[h.path("a.pdf")]; ev.Size != int64(len("v1 v2")) {
		t.Fatalf("size %d", ev.Size)
	}
	h.sentinel("s.pdf")
}

// A pending file replaced by a symlink or fifo is dropped, never emitted.
func TestReplacedBySpecialFile(t *testing.T) {
	h := start(t, Options{Settle: 300 * time.Millisecond}, nil)
	h.waitRescans(1)
	h.write("a.pdf", "a")
	h.write("b.pdf", "b")
	h.waitFor("both pending", func() bool { return h.w.Stats().Pending == 2 })
	must(t, os.Symlink("/etc/hostname", h.path("tmp-link")))
	must(t, os.Rename(h.path("tmp-link"), h.path("a.pdf")))
	must(t, syscall.Mkfifo(h.path("tmp-fifo"), 0o644))
	must(t, os.Rename(h.path("tmp-fifo"), h.path("b.pdf")))
	h.sentinel("s.pdf")
	// Not merely late: the watcher holds nothing more.
	h.waitFor("nothing pending", func() bool { return h.w.Stats().Pending == 0 })
}

func TestForget(t *testing.T) {
	t.Run("moved out then a new file of the same name", func(t *testing.T) {
		h := start(t, Options{}, nil)
		h.waitRescans(1)
		h.write("a.pdf", "first")
		h.expect("a.pdf")
		if err := os.Rename(h.path("a.pdf"), filepath.Join(t.TempDir(), "a.pdf")); err != nil {
			t.Fatal(err)
		}
		h.w.Forget(h.path("a.pdf"))
		h.sentinel("s1.pdf") // the move out produced no emit
		h.write("a.pdf", "second")
		h.expect("a.pdf")
	})
	for _, forget := range []bool{false, true} {
		t.Run(fmt.Sprintf("still there, forget=%v", forget), func(t *testing.T) {
			h := start(t, Options{}, nil)
			h.waitRescans(1)
			h.write("a.pdf", "x")
			h.expect("a.pdf")
			if forget {
				h.w.Forget(h.path("a.pdf"))
			}
			h.onLoop(func(l *loop) { l.requestFull("test") })
			h.waitRescans(2)
			if forget {
				h.expect("a.pdf") // memory dropped: the rescan finds it anew
			}
			h.sentinel("s.pdf")
		})
	}
	t.Run("pending", func(t *testing.T) {
		h := setup(t, Options{Settle: time.Hour}, func(w *Watcher) { w.noNotify = true })
		h.write("a.pdf", "x")
		h.run()
		h.waitFor("pending", func() bool { return h.w.Stats().Pending == 1 })
		h.w.Forget(h.path("a.pdf"))
		h.waitFor("forgotten", func() bool { return h.w.Stats().Pending == 0 })
	})
	t.Run("after Run returned", func(t *testing.T) {
		w, _ := New(Options{Root: t.TempDir()})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		w.Run(ctx)
		for i := 0; i < 2*forgetBuffer; i++ {
			w.Forget("/x") // must not block
		}
	})
}

// Removing a folder drops the memory of everything in it.
func TestRemovedFolderForgotten(t *testing.T) {
	h := start(t, Options{Recursive: true}, nil)
	h.waitRescans(1)
	h.write("sub/in/a.pdf", "a")
	h.write("sub/b.pdf", "b")
	h.expect("sub/in/a.pdf", "sub/b.pdf")
	if err := os.RemoveAll(h.path("sub")); err != nil {
		t.Fatal(err)
	}
	h.waitFor("memory dropped", func() bool {
		n := -1
		h.onLoop(func(l *loop) { n = len(l.emitted) + len(l.dirs) })
		return n == 0
	})
	h.write("sub/in/a.pdf", "a")
	h.expect("sub/in/a.pdf")
}

// Without fsnotify, only the periodic rescan can find a file.
func TestPeriodicRescan(t *testing.T) {
	h := start(t, Options{RescanInterval: 100 * time.Millisecond}, func(w *Watcher) { w.noNotify = true })
	h.waitRescans(1)
	h.write("a.pdf", "written while nobody watched")
	h.expect("a.pdf")
	if s := h.w.Stats(); s.Rescans < 2 || s.Events != 0 {
		t.Fatalf("stats %+v", s)
	}
	// Moved out between rescans: the next complete rescan drops its memory.
	os.Remove(h.path("a.pdf"))
	n := h.w.Stats().Rescans
	h.waitRescans(n + 2)
	h.onLoop(func(l *loop) {
		if len(l.emitted) != 0 {
			t.Errorf("memory not swept: %v", sortedKeys(l.emitted))
		}
	})
}

// Watcher errors and overflow make the watcher rescan.
func TestErrorsTriggerRescan(t *testing.T) {
	for _, tc := range []struct {
		name          string
		err           error
		overflows, es uint64
	}{
		{"overflow", fsnotify.ErrEventOverflow, 1, 0},
		{"other error", errors.New("inotify read: EIO"), 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, Options{}, func(w *Watcher) { w.noNotify = true })
			h.waitRescans(1)
			h.write("missed.pdf", "an event that was lost")
			h.onLoop(func(l *loop) { l.onError(tc.err) })
			h.expect("missed.pdf")
			if s := h.w.Stats(); s.Overflows != tc.overflows || s.Errors != tc.es || s.Rescans < 2 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

// A burst of files is emitted completely, each once.
func TestBurst(t *testing.T) {
	const n = 5000
	h := start(t, Options{Settle: 100 * time.Millisecond}, nil)
	h.waitRescans(1)
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("f%05d.pdf", i))
		h.write(names[i], "x")
	}
	h.expect(names...)
	h.sentinel("s.pdf")
}

// A real inotify overflow: Run is held while more files are created than the
// kernel queues, then all of them must still be emitted once.
func TestRealOverflow(t *testing.T) {
	if testing.Short() {
		t.Skip("creates ~20000 files")
	}
	max := 16384
	if b, err := os.ReadFile("/proc/sys/fs/inotify/max_queued_events"); err == nil {
		fmt.Sscan(string(b), &max)
	}
	if max > 60000 {
		t.Skipf("max_queued_events is %d; too many files to overflow it", max)
	}
	n := max + 4000
	h := start(t, Options{Settle: 100 * time.Millisecond}, nil)
	h.waitRescans(1)
	held, release := make(chan struct{}), make(chan struct{})
	go func() { h.w.exec <- func(*loop) { close(held); <-release } }()
	<-held
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("f%05d", i))
		f, err := os.Create(h.path(names[i]))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	close(release)
	h.expect(names...)
	if s := h.w.Stats(); s.Overflows == 0 {
		t.Errorf("no overflow seen: %+v", s)
	}
}

// With a tiny MaxPending and a slow consumer, nothing is lost or repeated.
func TestMaxPendingAndSlowConsumer(t *testing.T) {
	h := setup(t, Options{Recursive: true, MaxPending: 8}, nil)
	var backlog, live []string
	for i := range 40 {
		backlog = append(backlog, h.relWrite(fmt.Sprintf("backlog/%02d.pdf", i)))
	}
	h.run()
	// Nobody reads yet: the first rescan pauses at the cap, it drops nothing.
	h.waitFor("pending at the cap", func() bool { return h.w.Stats().Pending == 8 })
	h.receiveSlowly(backlog)
	if s := h.w.Stats(); s.Overflows != 0 || s.Rescans != 1 {
		t.Fatalf("the backlog walk overflowed instead of pausing: %+v", s)
	}
	// Events beyond the cap are dropped and a rescan finds their files.
	for i := range 40 {
		live = append(live, h.relWrite(fmt.Sprintf("live-%02d.pdf", i)))
	}
	h.waitFor("overflow", func() bool { return h.w.Stats().Overflows > 0 })
	if p := h.w.Stats().Pending; p > 8 {
		t.Fatalf("pending %d over the cap", p)
	}
	h.receiveSlowly(live)
	h.sentinel("s.pdf")
}

// receiveSlowly receives exactly rels, each once, like a slow consumer.
func (h *harness) receiveSlowly(rels []string) {
	h.t.Helper()
	want := map[string]bool{}
	for _, r := range rels {
		want[h.path(r)] = true
	}
	got := map[string]bool{}
	for len(got) < len(want) {
		ev := h.next()
		if got[ev.Path] || !want[ev.Path] {
			h.t.Fatalf("unexpected or repeated emit %s", ev.Path)
		}
		got[ev.Path] = true
		time.Sleep(time.Millisecond) // a slow consumer
	}
}

func (h *harness) relWrite(rel string) string {
	h.write(rel, rel)
	return rel
}

// The inbox may be a symlink to the real folder: paths stay under Root.
func TestRootIsSymlink(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "inbox")
	must(t, os.Symlink(real, link))
	os.WriteFile(filepath.Join(real, "old.pdf"), []byte("old"), 0o644)
	h := start(t, Options{Root: link, Recursive: true}, nil)
	h.expect("old.pdf")
	h.write("sub/new.pdf", "new")
	h.expect("sub/new.pdf")
}
