package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
	"github.com/classifyd/classifyd/internal/testutil"
)

// remote behaves like a hosted service: jobs stay PENDING until released,
// survive the client's restarts, and results come page by page.
type remote struct {
	mu        sync.Mutex
	n         int
	files     map[string]string
	jobs      map[string][]string
	released  atomic.Bool
	creates   atomic.Int64
	submitted map[string]int // path → times in a created job
}

func newRemote() *remote {
	return &remote{files: map[string]string{}, jobs: map[string][]string{}, submitted: map[string]int{}}
}

func (r *remote) Upload(ctx context.Context, p string, o api.UploadOptions) (api.File, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	id := fmt.Sprintf("file-%d", r.n)
	r.files[id] = p
	return api.File{ID: id, Name: o.Name}, nil
}

func (r *remote) CreateJob(ctx context.Context, req api.CreateJobRequest) (api.ClassifyJob, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	id := fmt.Sprintf("job-%d", r.n)
	r.jobs[id] = req.FileIDs
	for _, f := range req.FileIDs {
		r.submitted[r.files[f]]++
	}
	r.creates.Add(1)
	return api.ClassifyJob{ID: id, Status: api.StatusPending}, nil
}

func (r *remote) GetJob(ctx context.Context, id string) (api.ClassifyJob, error) {
	r.mu.Lock()
	_, ok := r.jobs[id]
	r.mu.Unlock()
	if !ok {
		return api.ClassifyJob{}, &api.APIError{StatusCode: 404, Detail: "not found"}
	}
	if !r.released.Load() {
		return api.ClassifyJob{ID: id, Status: api.StatusPending}, nil
	}
	return api.ClassifyJob{ID: id, Status: api.StatusSuccess}, nil
}

func (r *remote) Results(ctx context.Context, id string, each func(api.ResultItem) error) error {
	r.mu.Lock()
	ids := r.jobs[id]
	r.mu.Unlock()
	for _, f := range ids {
		if err := each(api.ResultItem{ID: "r-" + f, ClassifyJobID: id, FileID: api.Ptr(f), Result: &api.ItemResult{Type: api.Ptr("fruit"), Confidence: 0.9, Reasoning: "test"}}); err != nil {
			return err
		}
	}
	return nil
}

func TestRestartPollsNeverResubmits(t *testing.T) {
	e := newEnv(t, "")
	const n = 10
	for i := range n {
		e.write(fmt.Sprintf("f%02d.txt", i), fmt.Sprintf("apple %d", i))
	}
	r := newRemote()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// First run: jobs are submitted but never finish; stop it like a crash would.
	ctx1, stop := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { _, err := e.run(ctx1, r, nil); errc <- err }()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		k := len(r.submitted)
		r.mu.Unlock()
		if k == n {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("only %d of %d files submitted", k, n)
		case <-time.After(5 * time.Millisecond):
		}
	}
	stop()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	creates := r.creates.Load()
	// Second run: the same jobs are polled and their results filed.
	r.released.Store(true)
	got, err := e.run(ctx, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("filed %d, want %d", len(got), n)
	}
	if r.creates.Load() != creates {
		t.Fatalf("jobs created after restart: %d → %d", creates, r.creates.Load())
	}
	for p, k := range r.submitted {
		if k != 1 {
			t.Errorf("%s submitted %d times", p, k)
		}
	}
	if j := e.journal(); len(j) != n {
		t.Fatalf("journal lines %d, want %d", len(j), n)
	}
}

func TestRepairInterruptedMoves(t *testing.T) {
	e := newEnv(t, "")
	st, err := state.Open(e.state, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string) state.File {
		p := e.write(name, "apple "+name)
		fi, _ := os.Stat(p)
		s, err := statAndHash(p)
		if err != nil {
			t.Fatal(err)
		}
		_ = fi
		res, err := st.Enqueue([]state.Stat{s})
		if err != nil {
			t.Fatal(err)
		}
		f := res[0].File
		st.Submit(state.Job{ID: "j-" + name, FileIDs: []uint64{f.ID}}, []string{"r"})
		st.Finish("j-"+name, []state.Outcome{{FileID: f.ID, Kind: state.KindType, Type: "fruit", Confidence: 0.9}})
		dest := filepath.Join(e.out, "fruit", name)
		if err := st.BeginMove([]state.Move{{FileID: f.ID, Dest: dest}}); err != nil {
			t.Fatal(err)
		}
		f.Dest = dest
		return f
	}
	renamed := mk("renamed.txt") // crash after the rename
	notYet := mk("not-yet.txt")  // crash before the rename
	copied := mk("copied.txt")   // crash after a cross-device copy, before removing the source
	os.MkdirAll(filepath.Join(e.out, "fruit"), 0o755)
	if err := os.Rename(renamed.Path, renamed.Dest); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(copied.Path)
	os.WriteFile(copied.Dest, b, 0o644)
	st.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := newRemote()
	r.released.Store(true)
	got, err := e.run(ctx, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || filepath.Base(got[0].Source) != "not-yet.txt" {
		t.Fatalf("after repair the run filed %+v, want only not-yet.txt", got)
	}
	out := testutil.Tree(t, e.out)
	if len(out) != 3 || out["fruit/renamed.txt"] == "" || out["fruit/not-yet.txt"] == "" || out["fruit/copied.txt"] == "" {
		t.Fatalf("output %v", keys(out))
	}
	if in := testutil.Tree(t, e.in); len(in) != 0 {
		t.Fatalf("inbox %v", keys(in))
	}
	lines := map[uint64]int{}
	for _, en := range e.journal() {
		lines[en.ID]++
	}
	for _, f := range []state.File{renamed, notYet, copied} {
		if lines[f.ID] != 1 {
			t.Errorf("%s: %d journal lines", f.Path, lines[f.ID])
		}
	}
	if r.creates.Load() != 0 {
		t.Errorf("repair submitted %d jobs", r.creates.Load())
	}
}

func TestRunWatchesInbox(t *testing.T) {
	e := newEnv(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	be := e.localBackend(ctx)
	filed := make(chan sorter.Entry, 16)
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		_, err := e.run(ctx, be, func(o *Options) {
			o.Once = false
			o.Ready = func() { close(ready) }
			o.Report = func(en sorter.Entry) { filed <- en }
		})
		errc <- err
	}()
	<-ready
	// A file written slowly, and one renamed from a temporary name.
	p := filepath.Join(e.in, "slow.txt")
	f, _ := os.Create(p)
	f.WriteString("apple ")
	time.Sleep(20 * time.Millisecond) // shorter than settle: must not be picked up yet
	f.WriteString("orchard harvest")
	f.Close()
	e.write("car.txt.part", "car engine wheels")
	os.Rename(filepath.Join(e.in, "car.txt.part"), filepath.Join(e.in, "car.txt"))
	got := map[string]sorter.Entry{}
	for len(got) < 2 {
		select {
		case en := <-filed:
			got[filepath.Base(en.Source)] = en
		case <-time.After(20 * time.Second):
			t.Fatalf("filed only %v", keys(got))
		}
	}
	if got["slow.txt"].Folder != "fruit" || got["car.txt"].Folder != "vehicle" {
		t.Fatalf("%+v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(e.out, "fruit", "slow.txt")); string(b) != "apple orchard harvest" {
		t.Fatalf("slow file filed incomplete: %q", b)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if _, ok := got["car.txt.part"]; ok {
		t.Fatal("temporary name filed")
	}
}

// A stop while jobs are due to be polled ends the daemon: a poll that
// cannot take a backend slot, or whose call ends with the context, leaves
// its jobs due, and the loop returns instead of turning again at once
// (with v1 and with v2).
func TestStopWithJobsDue(t *testing.T) {
	e := newEnv(t, "")
	const n = 4
	for i := range n {
		e.write(fmt.Sprintf("f%02d.txt", i), fmt.Sprintf("apple %d", i))
	}
	srvCtx, srvStop := context.WithCancel(context.Background())
	defer srvStop()
	log := &apiLog{}
	c := v2ServeWith(t, srvCtx, log.wrap, slowClassifier{time.Hour}, 2) // jobs never finish
	ctx1, stop := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := e.run(ctx1, c, func(o *Options) { o.Once, o.V2 = false, c })
		errc <- err
	}()
	waitFor(t, "every file submitted", 10*time.Second, func() bool {
		log.mu.Lock()
		defer log.mu.Unlock()
		return len(log.creates) == n
	})
	stop()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // past the jobs' next poll (max_interval 50ms)
	for _, v2 := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // stopped before the first turn: every job is due
		go func() {
			_, err := e.run(ctx, c, func(o *Options) {
				o.Once = false
				if v2 {
					o.V2 = c
				}
			})
			errc <- err
		}()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("v2 %v: the daemon did not end within 10 s of its stop, with jobs due", v2)
		}
	}
}
