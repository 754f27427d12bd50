package daemon

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/classifyd/classifyd/internal/admin"
	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/metrics"
	"github.com/classifyd/classifyd/internal/sorter"
	dto "github.com/prometheus/client_model/go"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/state"
	"github.com/classifyd/classifyd/internal/testutil"
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

// mountTmpfs mounts a tmpfs of size at dir (made), or skips the test.
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	os.MkdirAll(dir, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
}

// fill writes a file at p until its filesystem is full.
func fill(t *testing.T, p string) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			return
		}
	}
}

// runDaemon runs e's daemon in run mode until the test ends; it returns the
// daemon, a channel of filed entries and one of Run's error.
func runDaemon(t *testing.T, e *env, mod func(*Options)) (*Daemon, <-chan sorter.Entry, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	be := e.localBackend(ctx)
	filed := make(chan sorter.Entry, 1024)
	ready := make(chan struct{})
	errc := make(chan error, 1)
	d, done := e.build(be, func(o *Options) {
		o.Once = false
		o.Ready = func() { close(ready) }
		o.Report = func(en sorter.Entry) { filed <- en }
		if mod != nil {
			mod(o)
		}
	})
	go func() {
		err := d.Run(ctx)
		done()
		errc <- err
	}()
	select {
	case <-ready:
	case err := <-errc:
		t.Fatalf("Run: %v", err)
	}
	return d, filed, errc
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	end := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStateDiskFullDuringIntake: the state's filesystem fills while new
// files arrive. The failed write is reported at once (Trouble, so /healthz
// is 503 with the reason), the files stay in the inbox, and once there is
// room again every one of them is filed and the trouble is over.
func TestStateDiskFullDuringIntake(t *testing.T) {
	e := newEnv(t, "")
	stDir := filepath.Join(e.dir, "st")
	mountTmpfs(t, stDir, "1m")
	e.state = filepath.Join(stDir, "s.db")
	d, filed, errc := runDaemon(t, e, nil)
	e.write("warm.txt", "apple orchard")
	select {
	case <-filed:
	case <-time.After(20 * time.Second):
		t.Fatal("warm file not filed")
	}
	filler := filepath.Join(stDir, "filler")
	fill(t, filler)
	for i := range 40 {
		e.write(fmt.Sprintf("new-%02d-%s.txt", i, strings.Repeat("x", 150)), fmt.Sprintf("car engine %d", i))
	}
	waitFor(t, "the full state disk to be reported", 20*time.Second, func() bool {
		select {
		case err := <-errc:
			t.Fatalf("Run returned: %v", err)
		default:
		}
		return d.Trouble() != nil
	})
	if err := d.Trouble(); !strings.Contains(err.Error(), "cannot write the state file") {
		t.Errorf("Trouble = %v", err)
	}
	os.Remove(filler)
	got := 0
	for got < 40 {
		select {
		case <-filed:
			got++
		case err := <-errc:
			t.Fatalf("Run returned: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatalf("filed %d of 40 after the space came back; trouble %v", got, d.Trouble())
		}
	}
	if err := d.Trouble(); err != nil {
		t.Errorf("still in trouble after recovery: %v", err)
	}
}

// TestSlowWriterHoldingFileOpen: a writer that keeps the file open and
// pauses longer than the settle time between chunks: the file is filed once,
// whole, after the writer closed it (it was filed after the first pause, on
// a partial file whose hash then no longer matched the journal).
func TestSlowWriterHoldingFileOpen(t *testing.T) {
	e := newEnv(t, "")
	_, filed, _ := runDaemon(t, e, nil)
	p := filepath.Join(e.in, "slow.txt")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for i := range 7 {
		chunk := []byte(fmt.Sprintf("apple orchard harvest chunk %d\n", i))
		all = append(all, chunk...)
		f.Write(chunk)
		time.Sleep(150 * time.Millisecond) // three settle times
	}
	f.Close()
	want := fmt.Sprintf("%x", sha256.Sum256(all))
	var got []sorter.Entry
	timeout := time.After(20 * time.Second)
	for len(got) == 0 || got[len(got)-1].SHA256 != want {
		select {
		case en := <-filed:
			got = append(got, en)
		case <-timeout:
			t.Fatalf("the whole file was not filed; filed: %+v", got)
		}
	}
	if len(got) != 1 {
		t.Errorf("filed %d times: %+v", len(got), got)
	}
	if b, _ := os.ReadFile(got[0].Dest); string(b) != string(all) {
		t.Errorf("filed content %q", b)
	}
}

// TestStateFileDeletedWhileRunning: the state file deleted under the
// running daemon is noticed and reported (Trouble, so /healthz is 503).
func TestStateFileDeletedWhileRunning(t *testing.T) {
	e := newEnv(t, "")
	d, _, _ := runDaemon(t, e, nil)
	if err := d.Trouble(); err != nil {
		t.Fatalf("trouble before: %v", err)
	}
	if err := os.Remove(e.state); err != nil {
		t.Fatal(err)
	}
	err := d.Trouble()
	if !errors.Is(err, state.ErrGone) && (err == nil || !strings.Contains(err.Error(), "no longer exists")) {
		t.Fatalf("Trouble after the state file was deleted = %v", err)
	}
}

// TestStuckMoveIsReported: a file that cannot be moved into the output (its
// type folder cannot be made) is reported while it waits: Trouble (so
// /healthz is 503), the classifyd_files_stuck gauge and the status's stuck
// list; once the output is usable it is filed and the trouble is over.
func TestStuckMoveIsReported(t *testing.T) {
	e := newEnv(t, "")
	os.MkdirAll(e.out, 0o755)
	blocker := filepath.Join(e.out, "fruit")
	os.WriteFile(blocker, []byte("not a folder"), 0o644)
	d, filed, _ := runDaemon(t, e, nil)
	e.write("apple.txt", "apple banana orchard fruit harvest")
	waitFor(t, "the failed move to be reported", 20*time.Second, func() bool { return d.Trouble() != nil })
	if err := d.Trouble(); !strings.Contains(err.Error(), "1 files cannot be moved") {
		t.Errorf("Trouble = %v", err)
	}
	if v := gauge(metrics.FilesStuck); v != 1 {
		t.Errorf("classifyd_files_stuck = %v, want 1", v)
	}
	// the reason reaches the state in its own transaction, just after
	var snap *admin.Status
	waitFor(t, "the stuck file in the status", 5*time.Second, func() bool {
		s, err := admin.Snapshot(d.Store(), e.cfg, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		snap = s
		return len(s.Stuck) > 0
	})
	if len(snap.Stuck) != 1 || !strings.Contains(snap.Stuck[0].Reason, "not a directory") {
		t.Errorf("status stuck = %+v", snap.Stuck)
	}
	os.Remove(blocker)
	select {
	case <-filed:
	case <-time.After(20 * time.Second):
		t.Fatal("not filed after the output was usable again")
	}
	if err := d.Trouble(); err != nil {
		t.Errorf("Trouble after the move = %v", err)
	}
	if v := gauge(metrics.FilesStuck); v != 0 {
		t.Errorf("classifyd_files_stuck = %v after the move", v)
	}
}

func gauge(g interface{ Write(*dto.Metric) error }) float64 {
	var m dto.Metric
	g.Write(&m)
	return m.GetGauge().GetValue()
}

// TestResumedOnceLeftovers: what an earlier run left is cleaned up by the
// next once: a temporary file of a copy cut by a kill is removed; a file
// whose move was delayed by the earlier run's back-off is filed at once;
// progress counts the resumed files (done never passes seen); a job the
// embedded engine forgot with the restart is re-queued without a warning.
func TestResumedOnceLeftovers(t *testing.T) {
	e := newEnv(t, "")
	a := e.write("apple.txt", "apple banana orchard fruit harvest")
	b := e.write("car.txt", "car engine wheels vehicle garage")
	part := filepath.Join(e.out, "fruit", ".classifyd-1234.part")
	os.MkdirAll(filepath.Dir(part), 0o755)
	os.WriteFile(part, []byte("half a copy"), 0o644)
	keep := filepath.Join(e.out, "fruit", "kept.part")
	os.WriteFile(keep, []byte("not ours"), 0o644)

	st, err := state.Open(e.state, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sa, _ := statAndHash(a)
	sb, _ := statAndHash(b)
	res, err := st.Enqueue([]state.Stat{sa, sb})
	if err != nil {
		t.Fatal(err)
	}
	ida, idb := res[0].File.ID, res[1].File.ID
	past := time.Now().Add(-time.Hour)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.Submit(state.Job{ID: "old-a", FileIDs: []uint64{ida}, Submitted: past, NextPoll: past}, []string{"ra"}))
	must(st.Finish("old-a", []state.Outcome{{FileID: ida, Kind: state.KindType, Type: "fruit", Confidence: 0.9}}))
	must(st.DeferMove(ida, "move failed: no space left on device", time.Now().Add(time.Hour)))
	must(st.Submit(state.Job{ID: "old-b", FileIDs: []uint64{idb}, Submitted: past, NextPoll: past}, []string{"rb"}))
	st.Close()

	var logs testutil.SyncBuffer
	counters := &Counters{}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	start := time.Now()
	got, err := e.run(ctx, e.localBackend(ctx), func(o *Options) {
		o.RetryBase, o.RetryMax = time.Hour, time.Hour // an earlier run's delays are long
		o.Counters = counters
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	if err != nil || ctx.Err() != nil {
		t.Fatalf("once: %v (after %v)", err, time.Since(start))
	}
	if len(got) != 2 {
		t.Errorf("filed %d files, want 2: %+v", len(got), got)
	}
	if _, err := os.Stat(part); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file of a cut copy left: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("a file that is not ours was removed: %v", err)
	}
	if done, seen := counters.Progress(); done > seen || done != 2 {
		t.Errorf("progress %d/%d", done, seen)
	}
	if strings.Contains(logs.String(), "level=WARN msg=\"job unknown") {
		t.Errorf("a restart with the embedded engine warned:\n%s", logs.String())
	}
}

// slowJobs is a backend whose jobs stay PENDING for hold after they were
// created (a busy service), whatever the engine behind it has done.
type slowJobs struct {
	api.Backend
	hold    time.Duration
	mu      sync.Mutex
	created map[string]time.Time
}

func (s *slowJobs) CreateJob(ctx context.Context, r api.CreateJobRequest) (api.ClassifyJob, error) {
	j, err := s.Backend.CreateJob(ctx, r)
	if err == nil {
		s.mu.Lock()
		s.created[j.ID] = time.Now()
		s.mu.Unlock()
	}
	return j, err
}

func (s *slowJobs) GetJob(ctx context.Context, id string) (api.ClassifyJob, error) {
	j, err := s.Backend.GetJob(ctx, id)
	s.mu.Lock()
	at, ok := s.created[id]
	s.mu.Unlock()
	if err == nil && ok && time.Since(at) < s.hold {
		j.Status = api.StatusPending
	}
	return j, err
}

// TestSlowWriterReopeningByPath: a writer that re-opens the file by path for
// each chunk (echo chunk >> file) and pauses longer than the settle time,
// while the file waits for its batch or its job: each chunk makes a new
// version of the same record (the answer for an older version is dropped),
// and the file is filed once, whole, with the journal's hash of what was
// filed.
func TestSlowWriterReopeningByPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(e *env) func(*Options)
	}{
		{"queued", func(e *env) func(*Options) {
			e.cfg.Batch.Window = 2 * time.Second // still queued when the next chunk comes
			return nil
		}},
		{"submitted", func(e *env) func(*Options) {
			return func(o *Options) { // its job still running when the next chunk comes
				o.Backend = &slowJobs{Backend: o.Backend, hold: 400 * time.Millisecond, created: map[string]time.Time{}}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			_, filed, _ := runDaemon(t, e, tc.mod(e))
			slowWriterByPath(t, e, filed)
		})
	}
}

func slowWriterByPath(t *testing.T, e *env, filed <-chan sorter.Entry) {
	p := filepath.Join(e.in, "slow.txt")
	var all []byte
	for i := range 5 {
		chunk := []byte(fmt.Sprintf("apple orchard harvest chunk %d\n", i))
		all = append(all, chunk...)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(chunk)
		f.Close()
		time.Sleep(150 * time.Millisecond) // three settle times
	}
	want := fmt.Sprintf("%x", sha256.Sum256(all))
	var got []sorter.Entry
	timeout := time.After(20 * time.Second)
	for len(got) == 0 || got[len(got)-1].SHA256 != want {
		select {
		case en := <-filed:
			got = append(got, en)
		case <-timeout:
			t.Fatalf("the whole file was not filed; filed: %+v", got)
		}
	}
	select { // anything filed after the whole file is a duplicate too
	case en := <-filed:
		got = append(got, en)
	case <-time.After(300 * time.Millisecond):
	}
	if len(got) != 1 {
		t.Errorf("filed %d times: %+v", len(got), got)
	}
	if b, _ := os.ReadFile(got[0].Dest); string(b) != string(all) {
		t.Errorf("filed content %q", b)
	}
	if n := len(testutil.Tree(t, e.out)); n != 1 {
		t.Errorf("%d files in the output: %v", n, testutil.Tree(t, e.out))
	}
	var journaled []sorter.Entry
	for _, en := range e.journal() {
		if !en.Undo {
			journaled = append(journaled, en)
		}
	}
	if len(journaled) != 1 || journaled[0].SHA256 != want {
		t.Errorf("journal: %+v, want one line with sha256 %s", journaled, want)
	}
}

// TestSlowWriterReopeningAfterFiled: a writer that re-opens the file by path
// (>>) after its first part was already filed makes the file anew in the
// inbox: that rest goes to the review folder (never a type folder unread),
// and the journal says which file it continues (it was classified on its
// own, a tail in whatever folder its few words pointed to).
func TestSlowWriterReopeningAfterFiled(t *testing.T) {
	e := newEnv(t, "")
	_, filed, _ := runDaemon(t, e, nil)
	p := filepath.Join(e.in, "slow.txt")
	chunks := []string{"apple orchard harvest, part one\n", "and nothing more to say\n"}
	var got []sorter.Entry
	for _, c := range chunks {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(c)
		f.Close()
		select {
		case en := <-filed:
			got = append(got, en)
		case <-time.After(20 * time.Second):
			t.Fatalf("%q not filed", c)
		}
	}
	if filepath.Base(filepath.Dir(got[1].Dest)) != e.cfg.Folders.Review || got[1].Type != got[0].Type {
		t.Errorf("the rest went to %s (%s), want the review folder; the first part to %s (%s)", got[1].Dest, got[1].Type, got[0].Dest, got[0].Type)
	}
	if !strings.Contains(got[1].Reasoning, "continues "+got[0].Dest) {
		t.Errorf("reasoning %q does not name the first part", got[1].Reasoning)
	}
	for i, en := range got {
		b, _ := os.ReadFile(en.Dest)
		if string(b) != chunks[i] || en.SHA256 != fmt.Sprintf("%x", sha256.Sum256(b)) {
			t.Errorf("%s holds %q (journal sha256 %s)", en.Dest, b, en.SHA256)
		}
	}
	if n := len(e.journal()); n != 2 {
		t.Errorf("%d journal lines, want 2", n)
	}
	// Later than 2 × settle after the filing, the same name is a new file.
	time.Sleep(4 * e.cfg.Watch.Settle)
	e.write("slow.txt", "my car engine needs new wheels")
	select {
	case en := <-filed:
		if en.Type != "vehicle" || strings.Contains(en.Reasoning, "continues") {
			t.Errorf("a new file under the same name, later: %+v", en)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the later file was not filed")
	}
}

// failingUploads fails the uploads of the files fail names (by base name) as
// a busy service does (503), as many times as it says, and counts every
// upload.
type failingUploads struct {
	api.Backend
	mu    sync.Mutex
	fail  map[string]int // base name → failures left
	calls map[string]int
}

func (f *failingUploads) Upload(ctx context.Context, path string, o api.UploadOptions) (api.File, error) {
	f.mu.Lock()
	name := filepath.Base(path)
	f.calls[name]++
	left := f.fail[name]
	if left > 0 {
		f.fail[name] = left - 1
	}
	f.mu.Unlock()
	if left > 0 {
		return api.File{}, &api.APIError{StatusCode: 503, Detail: "busy"}
	}
	return f.Backend.Upload(ctx, path, o)
}

// A failed upload in a batch whose other files got through waits on its own
// back-off and the submissions go on; only a batch of which nothing got
// through pauses them (the backend looks down).
func TestFailedUploadWaitsAlone(t *testing.T) {
	for _, c := range []struct {
		name      string
		fail      map[string]int
		wantPause bool
		eitherWay bool // whether submissions pause depends on timing
	}{
		{"one file of a batch fails once", map[string]int{"a1.txt": 1}, false, false},
		// Its second try is a batch of its own (nothing of it got through:
		// a pause) or shares one with a file not yet sent (no pause).
		{"one file fails twice", map[string]int{"b2.txt": 2}, false, true},
		{"every upload fails once", map[string]int{"a1.txt": 1, "a2.txt": 1, "a3.txt": 1, "b1.txt": 1, "b2.txt": 1, "b3.txt": 1}, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, "")
			for _, n := range []string{"a1", "a2", "a3", "b1", "b2", "b3"} {
				e.write(n+".txt", "the apple harvest in the orchard, banana too")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			be := &failingUploads{Backend: e.localBackend(ctx), fail: maps.Clone(c.fail), calls: map[string]int{}}
			var logs testutil.SyncBuffer
			got, err := e.run(ctx, be, func(o *Options) {
				o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
				o.Config.Batch.Size, o.Config.Batch.Concurrency = 3, 1
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 6 {
				t.Fatalf("reported %d files, want 6\n%s", len(got), logs.String())
			}
			be.mu.Lock()
			defer be.mu.Unlock()
			for name, n := range c.fail {
				if be.calls[name] != n+1 {
					t.Errorf("%s uploaded %d times, want %d", name, be.calls[name], n+1)
				}
			}
			if paused := strings.Contains(logs.String(), "pausing submissions"); paused != c.wantPause && !c.eitherWay {
				t.Errorf("submissions paused: %v, want %v\n%s", paused, c.wantPause, logs.String())
			}
		})
	}
}
