package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/client"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/server"
	"github.com/classifyd/classifyd/internal/testutil"
)

// apiLog records the API calls a server answered.
type apiLog struct {
	mu      sync.Mutex
	creates []api.V2CreateRequest
	lists   [][]string // job_ids of each list call
	other   []string   // calls to job routes other than v2 create and list
}

func (l *apiLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		switch {
		case r.Method == "POST" && r.URL.Path == "/api/v2/classify":
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(strings.NewReader(string(body)))
			var req api.V2CreateRequest
			json.Unmarshal(body, &req)
			l.creates = append(l.creates, req)
		case r.Method == "GET" && r.URL.Path == "/api/v2/classify":
			var ids []string
			for _, v := range r.URL.Query()["job_ids"] {
				ids = append(ids, strings.Split(v, ",")...)
			}
			l.lists = append(l.lists, ids)
		case strings.HasPrefix(r.URL.Path, "/api/v2/") || strings.HasPrefix(r.URL.Path, "/api/v1/classifier/"):
			l.other = append(l.other, r.Method+" "+r.URL.Path)
		}
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// v2Serve starts classifyd's own server over a local backend behind wrap
// and returns a client of it.
func v2Serve(t *testing.T, ctx context.Context, wrap func(http.Handler) http.Handler) *client.Client {
	t.Helper()
	return v2ServeWith(t, ctx, wrap, local.KeywordClassifier{PDFToText: "-"}, 2)
}

// v2ServeWith is v2Serve with the engine's classifier and workers given.
func v2ServeWith(t *testing.T, ctx context.Context, wrap func(http.Handler) http.Handler, cls local.Classifier, workers int) *client.Client {
	t.Helper()
	var srv *server.Server
	lb, err := local.New(local.Options{Classifier: cls, Workers: workers,
		DataDir:   filepath.Join(t.TempDir(), "serve"),
		OnJobDone: func(j api.ClassifyJob) { srv.JobDone(j) }, OnFileStart: func(id string) { srv.FileStarted(id) }})
	if err != nil {
		t.Fatal(err)
	}
	go lb.Run(ctx)
	const key = "daemon-test-key"
	srv = server.New(server.Options{Backend: lb, APIKeys: []string{key}})
	ts := httptest.NewServer(wrap(srv))
	t.Cleanup(func() { ts.Close(); lb.Close(); srv.Shutdown(context.Background()) })
	c, err := client.New(client.Options{BaseURL: ts.URL, APIKey: key, RetryWaitMin: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestV2AgainstServe: the daemon with backend.api v2 against classifyd's
// own server (internal/server over a local backend, through httptest and
// the HTTP client) creates one job per file, each with its own
// transaction_id, polls with one list call per round naming every due job
// (the first round: all of the batch), never a job's own route nor v1, and
// files every document by its result.
func TestV2AgainstServe(t *testing.T) {
	e := newEnv(t, "")
	e.write("a.txt", "the apple harvest in the orchard, banana too")
	e.write("b.txt", "my car engine needs new wheels from the garage")
	e.write("c.txt", "more apple fruit from the orchard")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	log := &apiLog{}
	c := v2Serve(t, ctx, log.wrap)

	got, err := e.run(ctx, c, func(o *Options) { o.V2 = c })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("reported %d files, want 3: %+v", len(got), got)
	}
	want := map[string]string{"fruit/a.txt": "", "Garage/Cars/b.txt": "", "fruit/c.txt": ""}
	for rel := range testutil.Tree(t, e.out) {
		delete(want, rel)
	}
	if len(want) > 0 {
		t.Errorf("not filed: %v (sorted: %v)", want, testutil.Tree(t, e.out))
	}

	log.mu.Lock()
	defer log.mu.Unlock()
	inputs, txs := map[string]bool{}, map[string]bool{}
	for _, cr := range log.creates {
		inputs[api.Deref(cr.FileInput)] = true
		txs[api.Deref(cr.TransactionID)] = true
	}
	if len(log.creates) != 3 || len(inputs) != 3 || len(txs) != 3 || txs[""] {
		t.Errorf("%d creates (%d files, %d transaction ids), want one per file with its own transaction_id", len(log.creates), len(inputs), len(txs))
	}
	if len(log.other) > 0 {
		t.Errorf("calls besides v2 create and list: %v", log.other)
	}
	if len(log.lists) == 0 || len(log.lists[0]) != 3 {
		t.Fatalf("list calls %v; want the first to name all 3 jobs", log.lists)
	}
	for i, ids := range log.lists {
		if len(ids) == 0 || len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
			t.Errorf("list call %d names %v", i, ids)
		}
	}
}

// writeFruit writes n inbox files of one type (f00.txt, f01.txt, ...).
func (e *env) writeFruit(n int) {
	for i := range n {
		e.write(fmt.Sprintf("f%02d.txt", i), "the apple harvest in the orchard, banana too")
	}
}

// A Classify v2 job holds one file, so the bound on unfinished jobs counts
// batches of them: with MaxJobs 3 and batches of 5, fifteen jobs are created
// before any poll is answered (counted in jobs, it stopped after the two
// batches that started together, and waited for polls).
func TestV2InFlightCountsBatches(t *testing.T) {
	e := newEnv(t, "")
	e.writeFruit(20)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	log := &apiLog{}
	created := func() int {
		log.mu.Lock()
		defer log.mu.Unlock()
		return len(log.creates)
	}
	// Every list call is held until 15 jobs were created, or 3 s passed.
	var mu sync.Mutex
	atFirstAnswer := -1
	held := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "GET" && r.URL.Path == "/api/v2/classify" {
				for end := time.Now().Add(3 * time.Second); created() < 15 && time.Now().Before(end); {
					time.Sleep(5 * time.Millisecond)
				}
				mu.Lock()
				if atFirstAnswer < 0 {
					atFirstAnswer = created()
				}
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
	}
	c := v2Serve(t, ctx, func(h http.Handler) http.Handler { return log.wrap(held(h)) })
	got, err := e.run(ctx, c, func(o *Options) {
		o.V2, o.MaxJobs = c, 3
		o.Config.Batch.Size, o.Config.Batch.Concurrency = 5, 2
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 || created() != 20 {
		t.Fatalf("reported %d files, %d jobs created; want 20 and 20", len(got), created())
	}
	mu.Lock()
	defer mu.Unlock()
	if atFirstAnswer < 15 {
		t.Fatalf("%d jobs created before the first poll was answered, want 15 (three batches of five)", atFirstAnswer)
	}
}

// slowClassifier is the keyword engine taking a while over each file (a
// busy service: jobs stay PENDING or RUNNING through several polls).
type slowClassifier struct{ d time.Duration }

func (c slowClassifier) Classify(ctx context.Context, path string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration) (api.ItemResult, error) {
	select {
	case <-ctx.Done():
		return api.ItemResult{}, ctx.Err()
	case <-time.After(c.d):
	}
	return local.KeywordClassifier{PDFToText: "-"}.Classify(ctx, path, rules, mode, pc)
}

// Jobs created a few milliseconds apart share their list calls: a round of
// polls takes the jobs due within half a minimum interval, and the jobs of
// one round are rescheduled together (one jitter draw), so eight jobs of
// eight one-file batches, created one after the other, are asked for in one
// call per round, not one call each, whether they are done at the first
// poll or run through several.
func TestV2PollsShareListCalls(t *testing.T) {
	for _, tc := range []struct {
		name     string
		work     time.Duration // the engine's time per file
		minPoll  time.Duration
		maxLists int // with rounds of due jobs alone (before d43eac2): 8 and 36-39
	}{
		// The intervals are long beside the creates (5 ms each, more on a
		// loaded machine), so they fall due close together.
		// A round starts when the first job is due and takes those due
		// within 500 ms after it: all eight, or the first few and the rest.
		{"done at the first poll", 0, time.Second, 2},
		// Polls at about 400, 1,000, 1,900, 3,250 and 5,275 ms after the
		// creates, the engine taking 2.4 s a file: about six rounds.
		{"running through several polls", 2400 * time.Millisecond, 400 * time.Millisecond, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			e.writeFruit(8)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			log := &apiLog{}
			// Each create takes 5 ms, so no two jobs fall due at the same instant.
			slow := func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == "POST" && r.URL.Path == "/api/v2/classify" {
						time.Sleep(5 * time.Millisecond)
					}
					h.ServeHTTP(w, r)
				})
			}
			c := v2ServeWith(t, ctx, func(h http.Handler) http.Handler { return log.wrap(slow(h)) }, slowClassifier{tc.work}, 8)
			got, err := e.run(ctx, c, func(o *Options) {
				o.V2 = c
				o.Config.Batch.Size, o.Config.Batch.Concurrency = 1, 1
				o.Config.Poll.MinInterval, o.Config.Poll.MaxInterval = tc.minPoll, 5*time.Second
			})
			if err != nil {
				t.Fatal(err)
			}
			log.mu.Lock()
			defer log.mu.Unlock()
			if len(got) != 8 || len(log.creates) != 8 {
				t.Fatalf("reported %d files, %d jobs created; want 8 and 8", len(got), len(log.creates))
			}
			if len(log.lists) > tc.maxLists {
				sizes := make([]int, len(log.lists))
				for i, l := range log.lists {
					sizes[i] = len(l)
				}
				t.Errorf("%d list calls for 8 jobs created one after the other (jobs named: %v), want at most %d", len(log.lists), sizes, tc.maxLists)
			}
		})
	}
}
