package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local/backendtest"
)

// start returns a running backend; it is closed at the end of the test.
func start(t *testing.T, opts Options) *Backend {
	t.Helper()
	if opts.Classifier == nil {
		opts.Classifier = KeywordClassifier{}
	}
	b, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- b.Run(context.Background()) }()
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-runErr; err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Run: %v", err)
		}
	})
	return b
}

func TestBehaviourMemory(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) api.Backend { return start(t, Options{Workers: 2}) })
}

func TestBehaviourBolt(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) api.Backend { return start(t, Options{DataDir: t.TempDir(), Workers: 2}) })
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func textFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCreateJobValidation(t *testing.T) {
	b := start(t, Options{})
	c := ctx(t)
	f, err := b.Upload(c, textFile(t, "a.txt", "hello"), api.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rules := []api.Rule{{Type: "a", Description: "first"}}
	ok := api.CreateJobRequest{FileIDs: []string{f.ID}, Rules: rules}
	with := func(fn func(r *api.CreateJobRequest)) api.CreateJobRequest {
		r := ok
		r.Rules = append([]api.Rule(nil), ok.Rules...)
		fn(&r)
		return r
	}
	tests := []struct {
		name string
		req  api.CreateJobRequest
		loc  []any
	}{
		{"no files", with(func(r *api.CreateJobRequest) { r.FileIDs = nil }), []any{"body", "file_ids"}},
		{"unknown file", with(func(r *api.CreateJobRequest) { r.FileIDs = []string{f.ID, newID()} }), []any{"body", "file_ids", 1}},
		{"malformed file id", with(func(r *api.CreateJobRequest) { r.FileIDs = []string{"../../etc/passwd"} }), []any{"body", "file_ids", 0}},
		{"no rules", with(func(r *api.CreateJobRequest) { r.Rules = nil }), []any{"body", "rules"}},
		{"empty type", with(func(r *api.CreateJobRequest) { r.Rules[0].Type = " " }), []any{"body", "rules", 0, "type"}},
		{"empty description", with(func(r *api.CreateJobRequest) { r.Rules[0].Description = "" }), []any{"body", "rules", 0, "description"}},
		{"duplicate type", with(func(r *api.CreateJobRequest) { r.Rules = append(r.Rules, api.Rule{Type: "a", Description: "again"}) }), []any{"body", "rules", 1, "type"}},
		{"bad mode", with(func(r *api.CreateJobRequest) { r.Mode = api.Ptr(api.Mode("SLOW")) }), []any{"body", "mode"}},
		{"max_pages 0", with(func(r *api.CreateJobRequest) {
			r.ParsingConfiguration = &api.ParsingConfiguration{MaxPages: api.Ptr(0)}
		}), []any{"body", "parsing_configuration", "max_pages"}},
		{"negative target page", with(func(r *api.CreateJobRequest) {
			r.ParsingConfiguration = &api.ParsingConfiguration{TargetPages: []int{0, -2}}
		}), []any{"body", "parsing_configuration", "target_pages", 1}},
		{"bad lang", with(func(r *api.CreateJobRequest) {
			r.ParsingConfiguration = &api.ParsingConfiguration{Lang: api.Ptr("klingon")}
		}), []any{"body", "parsing_configuration", "lang"}},
		{"webhook scheme", with(func(r *api.CreateJobRequest) {
			r.WebhookConfigurations = []api.WebhookConfiguration{{WebhookURL: api.Ptr("ftp://example.com/x")}}
		}), []any{"body", "webhook_configurations", 0, "webhook_url"}},
		{"webhook header name", with(func(r *api.CreateJobRequest) {
			r.WebhookConfigurations = []api.WebhookConfiguration{{WebhookURL: api.Ptr("https://example.com/x"), WebhookHeaders: map[string]any{"Bad Name": "x"}}}
		}), []any{"body", "webhook_configurations", 0, "webhook_headers", "Bad Name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.CreateJob(c, tt.req)
			var ve *api.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *api.ValidationError", err)
			}
			if !backendtest.HasLoc(ve.Issues, tt.loc...) {
				t.Errorf("issues %+v, want one at %v", ve.Issues, tt.loc)
			}
		})
	}
	t.Run("valid", func(t *testing.T) {
		req := with(func(r *api.CreateJobRequest) {
			r.Mode = api.Ptr(api.ModeMultimodal)
			r.ParsingConfiguration = &api.ParsingConfiguration{Lang: api.Ptr("rs_latin"), MaxPages: api.Ptr(1), TargetPages: []int{0}}
			r.WebhookConfigurations = []api.WebhookConfiguration{{WebhookURL: api.Ptr("https://example.com/hook")}}
		})
		if _, err := b.CreateJob(c, req); err != nil {
			t.Fatal(err)
		}
	})
}

// gate is a classifier that blocks until released, counting calls.
type gate struct {
	entered chan string
	release chan struct{}
	calls   atomic.Int32
}

func (g *gate) Classify(ctx context.Context, path string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration) (api.ItemResult, error) {
	g.calls.Add(1)
	select {
	case g.entered <- path:
	default:
	}
	select {
	case <-g.release:
		return KeywordClassifier{}.Classify(ctx, path, rules, mode, pc)
	case <-ctx.Done():
		return api.ItemResult{}, ctx.Err()
	}
}

func TestRestartFinishesPendingJobs(t *testing.T) {
	for _, stopWhen := range []string{"before Run", "mid-way"} {
		t.Run(stopWhen, func(t *testing.T) {
			dir := t.TempDir()
			c := ctx(t)
			g := &gate{entered: make(chan string, 1), release: make(chan struct{})}
			b, err := New(Options{DataDir: dir, Classifier: g, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for i, d := range backendtest.Docs {
				f, err := b.Upload(c, textFile(t, d.Name, d.Text), api.UploadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					// One uploaded file too, whose bytes live in DataDir.
					f, err = b.AddUpload(c, d.Name, strings.NewReader(d.Text), api.UploadOptions{})
					if err != nil {
						t.Fatal(err)
					}
				}
				ids = append(ids, f.ID)
			}
			job, err := b.CreateJob(c, api.CreateJobRequest{FileIDs: ids, Rules: backendtest.Rules})
			if err != nil {
				t.Fatal(err)
			}
			if stopWhen == "mid-way" {
				go b.Run(context.Background())
				<-g.entered // a worker is inside the classifier
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}

			doneJobs := make(chan api.ClassifyJob, 10)
			b2 := start(t, Options{DataDir: dir, Workers: 2, OnJobDone: func(j api.ClassifyJob) { doneJobs <- j }})
			done := backendtest.WaitTerminal(c, t, b2, job.ID)
			if done.Status != api.StatusSuccess {
				t.Fatalf("status %s (%s)", done.Status, api.Deref(done.ErrorMessage))
			}
			var got []string
			err = b2.Results(c, job.ID, func(it api.ResultItem) error {
				got = append(got, *it.FileID+"="+api.Deref(it.Result.Type))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{ids[0] + "=invoice", ids[1] + "=resume", ids[2] + "="}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("results %v, want %v", got, want)
			}
			select {
			case j := <-doneJobs:
				if j.ID != job.ID || j.Status != api.StatusSuccess {
					t.Errorf("OnJobDone(%s %s), want %s SUCCESS", j.ID, j.Status, job.ID)
				}
			case <-c.Done():
				t.Fatal("OnJobDone not called")
			}
			if len(doneJobs) != 0 {
				t.Errorf("OnJobDone called more than once")
			}
		})
	}
}

func TestSecondProcessGetsLockError(t *testing.T) {
	old := OpenTimeout
	OpenTimeout = 100 * time.Millisecond
	t.Cleanup(func() { OpenTimeout = old })
	dir := t.TempDir()
	start(t, Options{DataDir: dir})
	_, err := New(Options{DataDir: dir, Classifier: KeywordClassifier{}})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second New = %v, want ErrLocked", err)
	}
}

func TestAddUpload(t *testing.T) {
	dir := t.TempDir()
	b := start(t, Options{DataDir: dir, MaxUploadBytes: 64})
	c := ctx(t)
	t.Run("name is not a path", func(t *testing.T) {
		f, err := b.AddUpload(c, "../../escape.txt", strings.NewReader("invoice"), api.UploadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if f.Name != "escape.txt" || api.Deref(f.FileType) != "txt" || api.Deref(f.FileSize) != 7 {
			t.Errorf("file %+v", f)
		}
		if _, err := os.Stat(filepath.Join(dir, "..", "escape.txt")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a file was written outside the data directory")
		}
		if _, err := os.Stat(filepath.Join(dir, "files", f.ID+".txt")); err != nil {
			t.Errorf("stored bytes: %v", err)
		}
		if err := b.DeleteFile(c, f.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "files", f.ID+".txt")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("DeleteFile left the bytes: %v", err)
		}
		if _, err := b.GetFile(c, f.ID); !errors.Is(err, api.ErrNotFound) {
			t.Errorf("GetFile after delete = %v", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		_, err := b.AddUpload(c, "big.txt", strings.NewReader(strings.Repeat("x", 65)), api.UploadOptions{})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
		entries, _ := os.ReadDir(filepath.Join(dir, "files"))
		if len(entries) != 0 {
			t.Errorf("files left behind: %v", entries)
		}
	})
	t.Run("exactly the limit", func(t *testing.T) {
		if _, err := b.AddUpload(c, "ok", strings.NewReader(strings.Repeat("x", 64)), api.UploadOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("odd names", func(t *testing.T) {
		for _, name := range []string{"", "..", "a\x00b.txt", `C:\Users\x\evil.pdf`, "x." + strings.Repeat("y", 40)} {
			f, err := b.AddUpload(c, name, strings.NewReader("x"), api.UploadOptions{})
			if err != nil {
				t.Fatalf("%q: %v", name, err)
			}
			if strings.ContainsAny(f.Name, "/\\\x00") || f.Name == "" || f.Name == ".." {
				t.Errorf("%q stored as name %q", name, f.Name)
			}
		}
	})
}

func TestChangedFileFails(t *testing.T) {
	b := start(t, Options{})
	c := ctx(t)
	p := textFile(t, "inv.txt", backendtest.Docs[0].Text)
	f, err := b.Upload(c, p, api.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("something else entirely"), 0o644); err != nil {
		t.Fatal(err)
	}
	job, err := b.CreateJob(c, api.CreateJobRequest{FileIDs: []string{f.ID}, Rules: backendtest.Rules})
	if err != nil {
		t.Fatal(err)
	}
	done := backendtest.WaitTerminal(c, t, b, job.ID)
	if done.Status != api.StatusError || !strings.Contains(api.Deref(done.ErrorMessage), "changed") {
		t.Errorf("job %s %q, want ERROR naming the change", done.Status, api.Deref(done.ErrorMessage))
	}
	if strings.Contains(api.Deref(done.ErrorMessage), filepath.Dir(p)) {
		t.Errorf("error_message shows the path: %q", api.Deref(done.ErrorMessage))
	}
}

func TestPagination(t *testing.T) {
	for _, mode := range []string{"memory", "bolt"} {
		t.Run(mode, func(t *testing.T) {
			opts := Options{}
			if mode == "bolt" {
				opts.DataDir = t.TempDir()
			}
			b := start(t, opts)
			c := ctx(t)
			p := textFile(t, "a.txt", "an invoice")
			var files, jobs []string
			for range 7 {
				f, err := b.Upload(c, p, api.UploadOptions{ExternalFileID: "same"})
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, f.ID)
				j, err := b.CreateJob(c, api.CreateJobRequest{FileIDs: []string{f.ID}, Rules: backendtest.Rules})
				if err != nil {
					t.Fatal(err)
				}
				jobs = append(jobs, j.ID)
			}
			var gotJobs []string
			pr := api.PageRequest{PageSize: 3}
			for pages := 0; ; pages++ {
				page, err := b.ListJobsPage(c, pr)
				if err != nil {
					t.Fatal(err)
				}
				if api.Deref(page.TotalSize) != 7 {
					t.Errorf("total_size %v", page.TotalSize)
				}
				for _, j := range page.Items {
					gotJobs = append(gotJobs, j.ID)
				}
				if page.NextPageToken == nil {
					if pages != 2 {
						t.Errorf("%d pages, want 3", pages+1)
					}
					break
				}
				pr.PageToken = *page.NextPageToken
			}
			for i := range jobs { // newest first
				if gotJobs[i] != jobs[len(jobs)-1-i] {
					t.Fatalf("jobs %v, want newest first of %v", gotJobs, jobs)
				}
			}

			page, err := b.ListFilesPage(c, FileQuery{FileIDs: []string{files[1], files[5]}}, api.PageRequest{PageSize: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 1 || page.Items[0].ID != files[5] || page.NextPageToken == nil || api.Deref(page.TotalSize) != 2 {
				t.Errorf("filtered page 1: %+v", page)
			}
			page, err = b.ListFilesPage(c, FileQuery{FileIDs: []string{files[1], files[5]}}, api.PageRequest{PageSize: 1, PageToken: *page.NextPageToken})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 1 || page.Items[0].ID != files[1] || page.NextPageToken != nil {
				t.Errorf("filtered page 2: %+v", page)
			}
			page, err = b.ListFilesPage(c, FileQuery{ExternalFileID: "other"}, api.PageRequest{})
			if err != nil || len(page.Items) != 0 || page.Items == nil {
				t.Errorf("no match: %+v %v (want an empty, non-null list)", page, err)
			}

			for _, tok := range []string{"garbage", "eA", *makeToken('f', files[0])} {
				if _, err := b.ListJobsPage(c, api.PageRequest{PageToken: tok}); !errors.Is(err, ErrBadPageToken) {
					t.Errorf("token %q: %v, want ErrBadPageToken", tok, err)
				}
			}
			if _, err := b.ResultsPage(c, jobs[0], api.PageRequest{PageToken: "zz"}); !errors.Is(err, ErrBadPageToken) {
				t.Errorf("results token: %v", err)
			}
		})
	}
}

// TestLargeJob: a 10,000-file job runs on the worker pool without a
// goroutine per file, and its results page through completely.
func TestLargeJob(t *testing.T) {
	const n = 10_000
	var maxG atomic.Int64
	cl := classifierFunc(func(ctx context.Context, path string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration) (api.ItemResult, error) {
		g := int64(runtime.NumGoroutine())
		for {
			old := maxG.Load()
			if g <= old || maxG.CompareAndSwap(old, g) {
				break
			}
		}
		return api.ItemResult{Type: api.Ptr("invoice"), Confidence: 1, Reasoning: "test"}, nil
	})
	before := runtime.NumGoroutine()
	b := start(t, Options{Classifier: cl, Workers: 4})
	c := ctx(t)
	p := textFile(t, "a.txt", "x")
	ids := make([]string, n)
	for i := range ids {
		f, err := b.Upload(c, p, api.UploadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = f.ID
	}
	job, err := b.CreateJob(c, api.CreateJobRequest{FileIDs: ids, Rules: backendtest.Rules})
	if err != nil {
		t.Fatal(err)
	}
	done := backendtest.WaitTerminal(c, t, b, job.ID)
	if done.Status != api.StatusSuccess {
		t.Fatalf("status %s", done.Status)
	}
	if g := maxG.Load(); g > int64(before)+20 {
		t.Errorf("%d goroutines while classifying (%d before): not a bounded pool", g, before)
	}
	count, last := 0, -1
	err = b.Results(c, job.ID, func(it api.ResultItem) error {
		i := indexOf(ids, *it.FileID)
		if i <= last {
			t.Fatalf("result for file index %d after %d", i, last)
		}
		last = i
		count++
		return nil
	})
	if err != nil || count != n {
		t.Fatalf("Results: %d items, %v", count, err)
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

type classifierFunc func(ctx context.Context, path string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration) (api.ItemResult, error)

func (f classifierFunc) Classify(ctx context.Context, path string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration) (api.ItemResult, error) {
	return f(ctx, path, rules, mode, pc)
}

func TestClassifierAnswerChecked(t *testing.T) {
	cl := classifierFunc(func(ctx context.Context, path string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration) (api.ItemResult, error) {
		if strings.HasSuffix(path, "hostile.txt") {
			return api.ItemResult{Type: api.Ptr("../../etc")}, nil
		}
		return api.ItemResult{Type: api.Ptr("invoice"), Confidence: 7}, nil
	})
	b := start(t, Options{Classifier: cl})
	c := ctx(t)
	f1, _ := b.Upload(c, textFile(t, "hostile.txt", "x"), api.UploadOptions{})
	f2, _ := b.Upload(c, textFile(t, "fine.txt", "x"), api.UploadOptions{})
	job, err := b.CreateJob(c, api.CreateJobRequest{FileIDs: []string{f1.ID, f2.ID}, Rules: backendtest.Rules})
	if err != nil {
		t.Fatal(err)
	}
	done := backendtest.WaitTerminal(c, t, b, job.ID)
	if done.Status != api.StatusPartialSuccess || !strings.Contains(api.Deref(done.ErrorMessage), "not a rule") {
		t.Errorf("job %s %q", done.Status, api.Deref(done.ErrorMessage))
	}
	page, _ := b.ResultsPage(c, job.ID, api.PageRequest{})
	if len(page.Items) != 1 || page.Items[0].Result.Confidence != 1 {
		t.Errorf("results %+v: want one, confidence clamped to 1", page.Items)
	}
}

// TestReleaseJob checks that a released job and its files are gone (the
// uploaded bytes too), that a running job cannot be released, and that the
// other jobs are untouched.
func TestReleaseJob(t *testing.T) {
	for _, kind := range []string{"memory", "bolt"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			g := &gate{entered: make(chan string, 4), release: make(chan struct{})}
			opts := Options{Classifier: g, Workers: 1}
			if kind == "bolt" {
				opts.DataDir = dir
			}
			b := start(t, opts)
			c := ctx(t)
			rules := []api.Rule{{Type: "invoice", Description: "an invoice with a total amount due"}}
			reg, err := b.Upload(c, textFile(t, "a.txt", "invoice total amount due"), api.UploadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			job, err := b.CreateJob(c, api.CreateJobRequest{FileIDs: []string{reg.ID}, Rules: rules})
			if err != nil {
				t.Fatal(err)
			}
			<-g.entered
			if err := b.ReleaseJob(c, job.ID); err == nil || errors.Is(err, api.ErrNotFound) {
				t.Fatalf("releasing a running job: err = %v, want a refusal", err)
			}
			close(g.release)
			waitTerminal(t, b, job.ID)

			other, err := b.Upload(c, textFile(t, "b.txt", "invoice"), api.UploadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			otherJob, err := b.CreateJob(c, api.CreateJobRequest{FileIDs: []string{other.ID}, Rules: rules})
			if err != nil {
				t.Fatal(err)
			}
			waitTerminal(t, b, otherJob.ID)

			if err := b.ReleaseJob(c, job.ID); err != nil {
				t.Fatalf("ReleaseJob: %v", err)
			}
			if _, err := b.GetJob(c, job.ID); !errors.Is(err, api.ErrNotFound) {
				t.Errorf("GetJob after release = %v, want not found", err)
			}
			if err := b.Results(c, job.ID, func(api.ResultItem) error { return nil }); !errors.Is(err, api.ErrNotFound) {
				t.Errorf("Results after release = %v, want not found", err)
			}
			if _, err := b.GetFile(c, reg.ID); !errors.Is(err, api.ErrNotFound) {
				t.Errorf("GetFile after release = %v, want not found", err)
			}
			if err := b.ReleaseJob(c, job.ID); !errors.Is(err, api.ErrNotFound) {
				t.Errorf("second release = %v, want not found", err)
			}
			// The other job is untouched.
			n := 0
			if err := b.Results(c, otherJob.ID, func(it api.ResultItem) error { n++; return nil }); err != nil || n != 1 {
				t.Errorf("other job's results: %d, %v", n, err)
			}
			if _, err := b.GetFile(c, other.ID); err != nil {
				t.Errorf("other job's file: %v", err)
			}
		})
	}
	t.Run("uploaded bytes are removed", func(t *testing.T) {
		dir := t.TempDir()
		b := start(t, Options{DataDir: dir, Workers: 1})
		c := ctx(t)
		f, err := b.AddUpload(c, "inv.txt", strings.NewReader("invoice total"), api.UploadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		job, err := b.CreateJob(c, api.CreateJobRequest{FileIDs: []string{f.ID}, Rules: []api.Rule{{Type: "invoice", Description: "an invoice"}}})
		if err != nil {
			t.Fatal(err)
		}
		waitTerminal(t, b, job.ID)
		if err := b.ReleaseJob(c, job.ID); err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(filepath.Join(dir, "files"))
		if err != nil || len(entries) != 0 {
			t.Errorf("files left after release: %v (%v)", entries, err)
		}
	})
}

func waitTerminal(t *testing.T, b *Backend, id string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j, err := b.GetJob(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status.Terminal() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s", id, j.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readAhead records the read-ahead hints it gets.
type readAhead struct {
	KeywordClassifier
	hints atomic.Int32
}

func (r *readAhead) Prefetch(path string, mode api.Mode, pc api.ParsingConfiguration) { r.hints.Add(1) }

// The backend passes read-ahead hints on only while no file waits for a
// worker (and never after Close): reading ahead must not delay a job.
func TestPrefetchOnlyWhenIdle(t *testing.T) {
	cl := &readAhead{}
	b, err := New(Options{Classifier: cl, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := ctx(t)
	path := textFile(t, "a.txt", "Invoice number 7, total amount due 12.00")
	b.Prefetch(path, api.ModeFast, api.ParsingConfiguration{})
	if got := cl.hints.Load(); got != 1 {
		t.Fatalf("idle backend passed %d hints on, want 1", got)
	}
	// Not running yet: the job's file waits in the queue.
	f, err := b.Upload(c, path, api.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rules := []api.Rule{{Type: "invoice", Description: "an invoice"}, {Type: "letter", Description: "a letter"}}
	if _, err := b.CreateJob(c, api.CreateJobRequest{FileIDs: []string{f.ID}, Rules: rules}); err != nil {
		t.Fatal(err)
	}
	b.Prefetch(path, api.ModeFast, api.ParsingConfiguration{})
	if got := cl.hints.Load(); got != 1 {
		t.Fatalf("with a file waiting for a worker the backend passed a hint on (%d hints)", got)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b.Prefetch(path, api.ModeFast, api.ParsingConfiguration{})
	if got := cl.hints.Load(); got != 1 {
		t.Fatalf("a closed backend passed a hint on (%d hints)", got)
	}
}

// FileFailures gives each failed file's own reason and whether it is
// permanent, in memory and in the bbolt store; the path is never shown.
func TestFileFailures(t *testing.T) {
	cl := classifierFunc(func(ctx context.Context, path string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration) (api.ItemResult, error) {
		switch filepath.Base(path) {
		case "scan.pdf":
			return api.ItemResult{}, api.Permanent(fmt.Errorf("extract %s: no text", path))
		case "slow.txt":
			return api.ItemResult{}, errors.New("timed out")
		}
		return api.ItemResult{Type: api.Ptr("invoice"), Confidence: 0.9}, nil
	})
	for _, dataDir := range []string{"", t.TempDir()} {
		b := start(t, Options{Classifier: cl, DataDir: dataDir})
		c := ctx(t)
		var ids []string
		for _, name := range []string{"ok.txt", "scan.pdf", "slow.txt"} {
			f, err := b.Upload(c, textFile(t, name, "x"), api.UploadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, f.ID)
		}
		job, err := b.CreateJob(c, api.CreateJobRequest{FileIDs: ids, Rules: backendtest.Rules})
		if err != nil {
			t.Fatal(err)
		}
		backendtest.WaitTerminal(c, t, b, job.ID)
		got, err := b.FileFailures(c, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []api.FileFailure{{FileID: ids[1], Reason: "extract scan.pdf: no text", Permanent: true}, {FileID: ids[2], Reason: "timed out"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("data dir %q: failures %+v, want %+v", dataDir, got, want)
		}
	}
}
