// Package local is the in-process classify backend: a file registry, a job
// store and a bounded pool of workers that run a Classifier over each file of
// a job. It implements api.Backend without HTTP and without copying file
// bytes (Upload registers a path), and it is what `classifyd serve` puts
// behind the HTTP API (AddUpload stores uploaded bytes under its data
// directory).
//
// Life cycle: New opens the store (bbolt at DataDir/local.db, or memory when
// DataDir is empty) and queues every job left unfinished by a previous
// process; nothing runs yet. Run(ctx) runs the workers until ctx is done or
// Close is called. Calls (Upload, CreateJob, GetJob, ...) work before, during
// and after Run; jobs created while Run is not running wait in the queue.
// Close stops Run, cancels the classifications in flight (their files are
// classified again on the next start), waits for the workers and closes the
// store.
//
// Results: a file that was classified has one result item (result.type is
// null when no rule matches). A file that failed has no result item; the
// job's error_message names it and says why, and the job ends PARTIAL_SUCCESS
// (some files failed) or ERROR (all failed). So a caller treats a file
// without a result item as failed. FileFailures gives each failed file's
// reason, and whether it is permanent (the Classifier returned an
// api.PermanentError: another attempt would fail the same way).
//
// The package owns DataDir/local.db and DataDir/files/; it does not know
// about HTTP, webhooks (OnJobDone reports terminal jobs to whoever sends
// them) or document formats (the Classifier does).
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/classifyd/classifyd/internal/api"
)

// Classifier classifies the file at path against rules. It is called from
// several workers at once. An error fails that file only.
type Classifier interface {
	Classify(ctx context.Context, path string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration) (api.ItemResult, error)
}

// BatchClassifier is a Classifier that classifies several files of a job
// together (the embedded engine weighs the documents of a batch against
// each other). Each file gets its own result or error; each file's reading
// is bounded by fileTimeout.
type BatchClassifier interface {
	Classifier
	ClassifyBatch(ctx context.Context, paths []string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration,
		fileTimeout time.Duration) ([]api.ItemResult, []error)
}

// MaxBatch is how many files of one job a worker classifies together.
const MaxBatch = 64

// Defaults.
const (
	DefaultProjectID      = "00000000-0000-0000-0000-000000000000"
	DefaultUserID         = "local"
	DefaultMaxUploadBytes = 100 << 20
	DefaultFileTimeout    = 10 * time.Minute
	DefaultPageSize       = 50
	// MaxPageSize bounds a page of results (whose items are small).
	MaxPageSize = 1000
	// MaxListPageSize bounds a page of files or jobs, as Classify v2 does
	// (page_size 1-100); a larger page_size is served as this.
	MaxListPageSize = 100
	// DefaultMaxPageBytes bounds the stored bytes of one page: a page ends
	// early (with a next_page_token) rather than pass it, and always holds
	// at least one item.
	DefaultMaxPageBytes = 4 << 20
)

// OpenTimeout is how long New waits for the store's lock before it gives up
// with ErrLocked; a variable so tests can shrink it.
var OpenTimeout = 2 * time.Second

// Sentinel errors.
var (
	ErrClosed       = errors.New("backend is closed")
	ErrTooLarge     = errors.New("file too large")
	ErrBadPageToken = errors.New("invalid page token")
	ErrFileChanged  = errors.New("file changed since it was uploaded")
	ErrNotRegular   = errors.New("not a regular file")
	// ErrProjectNotFound is a project_id that is not one of the tenant's.
	ErrProjectNotFound = errors.New("project not found")
	// ErrQuotaExceeded is an upload past the tenant's quota.
	ErrQuotaExceeded = errors.New("upload quota exceeded")
	// ErrDiskFull is an upload refused because the data folder's
	// filesystem is (nearly) full.
	ErrDiskFull = errors.New("not enough free space for uploads")
)

// Options configure a Backend.
type Options struct {
	// Classifier classifies one file. Required.
	Classifier Classifier
	// DataDir holds local.db and uploaded files; "" keeps everything in
	// memory (uploaded bytes then go to a temporary directory removed by Close).
	DataDir string
	// Workers is the number of files classified at once; default GOMAXPROCS.
	Workers int
	// MaxUploadBytes bounds AddUpload; default DefaultMaxUploadBytes.
	MaxUploadBytes int64
	// FileTimeout bounds one classification; default DefaultFileTimeout.
	FileTimeout time.Duration
	Logger      *slog.Logger
	// OnJobDone is called (from a worker, after the terminal state is
	// stored) once for every job that reaches a terminal state. It must not
	// block for long.
	OnJobDone func(api.ClassifyJob)
	// MaxPageBytes bounds one page of a list; default DefaultMaxPageBytes.
	MaxPageBytes int
	// Limits of uploads (AddUpload); see quota.go. Zero: no limit.
	Quota Quota
	// FileTTL: uploaded files are deleted this long after their upload
	// (their expires_at). JobTTL: finished jobs and their results are
	// deleted this long after they ended. Zero: kept until deleted.
	FileTTL, JobTTL time.Duration
	// OnFileStart, if set, is called (from a worker) as a file of a job is
	// about to be read and classified, with the job's id. It must not block
	// for long. The server reports such a job RUNNING.
	OnFileStart func(jobID string)
}

// Backend is the in-process classify service. Safe for concurrent use.
type Backend struct {
	opts  Options
	log   *slog.Logger
	store store
	queue *queue

	filesMu  sync.Mutex
	filesDir string // "" until the first AddUpload in memory mode
	tempDir  bool   // filesDir is ours to remove

	quotaMu  sync.Mutex
	reserved map[string]Usage // of uploads in progress, by tenant

	mu        sync.Mutex
	closed    bool
	running   bool
	cancelRun context.CancelFunc
	runDone   chan struct{}
}

var (
	_ api.Backend         = (*Backend)(nil)
	_ api.FailureReporter = (*Backend)(nil)
)

// New opens the backend and queues the jobs a previous process left
// unfinished. Call Run to process jobs and Close when done.
func New(opts Options) (*Backend, error) {
	if opts.Classifier == nil {
		return nil, errors.New("local: no classifier")
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if opts.FileTimeout <= 0 {
		opts.FileTimeout = DefaultFileTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxPageBytes <= 0 {
		opts.MaxPageBytes = DefaultMaxPageBytes
	}
	if opts.Quota.FreeSpace == nil {
		opts.Quota.FreeSpace = FreeSpace
	}
	b := &Backend{opts: opts, log: opts.Logger.With("component", "local"), queue: newQueue(), reserved: map[string]Usage{}}
	if opts.DataDir == "" {
		b.store = newMemStore()
		return b, nil
	}
	if err := os.MkdirAll(filepath.Join(opts.DataDir, "files"), 0o700); err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	st, err := openBolt(filepath.Join(opts.DataDir, "local.db"), OpenTimeout)
	if err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	b.store = st
	b.filesDir = filepath.Join(opts.DataDir, "files")
	b.sweepFiles()
	pending, err := st.unfinished()
	if err != nil {
		st.close()
		return nil, fmt.Errorf("local: %w", err)
	}
	for _, p := range pending {
		b.queue.push(&queuedJob{rec: p.Rec, fileIDs: p.FileIDs, todo: p.Todo})
		b.log.Info("resuming job", "job", p.Rec.Job.ID, "files_left", len(p.Todo))
	}
	return b, nil
}

// Run runs the workers until ctx is done or Close is called, then waits for
// them. It returns nil on such a stop; calling it twice is an error.
func (b *Backend) Run(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrClosed
	}
	if b.running || b.runDone != nil {
		b.mu.Unlock()
		return errors.New("local: Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	b.running = true
	b.cancelRun = cancel
	b.runDone = make(chan struct{})
	b.mu.Unlock()
	defer close(b.runDone)

	var wg sync.WaitGroup
	for range b.opts.Workers {
		wg.Go(func() { b.worker(ctx) })
	}
	if b.opts.FileTTL > 0 || b.opts.JobTTL > 0 {
		wg.Go(func() { b.expireLoop(ctx) })
	}
	<-ctx.Done()
	b.queue.close()
	wg.Wait()
	cancel()
	return nil
}

// Close stops Run (in-flight classifications are cancelled and redone on the
// next start), waits for the workers and closes the store.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	cancel, done := b.cancelRun, b.runDone
	b.mu.Unlock()
	b.queue.close()
	if cancel != nil {
		cancel()
		<-done
	}
	err := b.store.close()
	b.filesMu.Lock()
	if b.tempDir && b.filesDir != "" {
		os.RemoveAll(b.filesDir)
	}
	b.filesMu.Unlock()
	return err
}

func (b *Backend) checkOpen() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	return nil
}

// Prefetch passes a hint that the file at path will soon be part of a job
// on to a Classifier that can read ahead (api.Prefetcher), but only while no
// file waits for a worker: reading ahead must never delay a job.
func (b *Backend) Prefetch(path string, mode api.Mode, pc api.ParsingConfiguration) {
	pf, ok := b.opts.Classifier.(api.Prefetcher)
	if !ok || b.queue.len() > 0 || b.checkOpen() != nil {
		return
	}
	pf.Prefetch(path, mode, pc)
}

// Queued is the number of files waiting for a worker.
func (b *Backend) Queued() int { return b.queue.len() }

func (b *Backend) worker(ctx context.Context) {
	bc, batching := b.opts.Classifier.(BatchClassifier)
	for {
		t, ok := b.queue.next()
		if !ok {
			return
		}
		if !batching {
			b.process(ctx, t)
			continue
		}
		tasks := append([]task{t}, b.queue.nextOfJob(t.job, MaxBatch-1)...)
		b.processBatch(ctx, bc, tasks)
	}
}

// processBatch classifies files of one job together and records each
// outcome as process does.
func (b *Backend) processBatch(ctx context.Context, bc BatchClassifier, tasks []task) {
	job := &tasks[0].job.rec.Job
	outs := make([]outcome, len(tasks))
	var paths []string
	var at []int // task index of each path
	var names []string
	for i, t := range tasks {
		outs[i] = outcome{Index: t.index, FileID: t.fileID}
		if b.opts.OnFileStart != nil {
			b.opts.OnFileStart(job.ID)
		}
		f, err := b.prepare(t.fileID)
		if err != nil {
			outs[i].Err = shortErr(err.Error())
			outs[i].Permanent = api.IsPermanent(err)
			continue
		}
		paths = append(paths, f.Path)
		names = append(names, f.File.Name)
		at = append(at, i)
	}
	if len(paths) > 0 {
		mode, pc := jobOptions(job)
		results, errs := bc.ClassifyBatch(ctx, paths, job.Rules, mode, pc, b.opts.FileTimeout)
		if ctx.Err() != nil {
			return
		}
		for k, i := range at {
			res, err := b.checkResult(results[k], errs[k], job, paths[k], names[k])
			if err != nil {
				outs[i].Err = shortErr(err.Error())
				outs[i].Permanent = api.IsPermanent(err)
				continue
			}
			now := time.Now().UTC()
			outs[i].Item = &api.ResultItem{ID: newID(), ClassifyJobID: job.ID, FileID: api.Ptr(tasks[i].fileID),
				Result: &res, CreatedAt: &now, UpdatedAt: &now}
		}
	}
	for i, o := range outs {
		if o.Err != "" {
			b.log.Warn("file failed", "job", job.ID, "file", tasks[i].fileID, "err", o.Err, "permanent", o.Permanent)
		}
		rec, done, err := b.store.record(job.ID, o, finish)
		if err != nil {
			b.log.Error("record outcome", "job", job.ID, "file", tasks[i].fileID, "err", err)
			return
		}
		if done {
			b.log.Info("job done", "job", rec.Job.ID, "status", rec.Job.Status)
			if b.opts.OnJobDone != nil {
				b.opts.OnJobDone(rec.Job)
			}
		}
	}
}

// process classifies one file of a job and records the outcome. Nothing is
// recorded when the backend is stopping: the file is done on the next start.
func (b *Backend) process(ctx context.Context, t task) {
	job := &t.job.rec.Job
	o := outcome{Index: t.index, FileID: t.fileID}
	if b.opts.OnFileStart != nil {
		b.opts.OnFileStart(job.ID)
	}
	res, err := b.classify(ctx, t.fileID, job)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		o.Err = shortErr(err.Error())
		o.Permanent = api.IsPermanent(err)
		b.log.Warn("file failed", "job", job.ID, "file", t.fileID, "err", err, "permanent", o.Permanent)
	} else {
		now := time.Now().UTC()
		o.Item = &api.ResultItem{
			ID:            newID(),
			ClassifyJobID: job.ID,
			FileID:        api.Ptr(t.fileID),
			Result:        &res,
			CreatedAt:     &now,
			UpdatedAt:     &now,
		}
	}
	rec, done, err := b.store.record(job.ID, o, finish)
	if err != nil {
		b.log.Error("record outcome", "job", job.ID, "file", t.fileID, "err", err)
		return
	}
	if done {
		b.log.Info("job done", "job", rec.Job.ID, "status", rec.Job.Status)
		if b.opts.OnJobDone != nil {
			b.opts.OnJobDone(rec.Job)
		}
	}
}

// prepare finds a job's file and checks that a file referenced in place
// has not changed since it was registered.
func (b *Backend) prepare(fileID string) (fileRec, error) {
	f, err := b.store.getFile(fileID)
	if err != nil {
		return fileRec{}, fmt.Errorf("file %s is no longer known", fileID)
	}
	if !f.Stored {
		fi, err := os.Stat(f.Path)
		if err != nil {
			return fileRec{}, fmt.Errorf("%s: %w", f.File.Name, errors.Unwrap(err))
		}
		if fi.Size() != api.Deref(f.File.FileSize) || fi.ModTime().UnixNano() != f.ModUnixNano {
			return fileRec{}, fmt.Errorf("%s: %w", f.File.Name, ErrFileChanged)
		}
	}
	return f, nil
}

// jobOptions are the extraction options of a job.
func jobOptions(job *api.ClassifyJob) (api.Mode, api.ParsingConfiguration) {
	var pc api.ParsingConfiguration
	if job.ParsingConfiguration != nil {
		pc = *job.ParsingConfiguration
	}
	mode := api.Deref(job.Mode)
	if mode == "" {
		mode = api.ModeFast
	}
	return mode, pc
}

func (b *Backend) classify(ctx context.Context, fileID string, job *api.ClassifyJob) (api.ItemResult, error) {
	f, err := b.prepare(fileID)
	if err != nil {
		return api.ItemResult{}, err
	}
	mode, pc := jobOptions(job)
	cctx, cancel := context.WithTimeout(ctx, b.opts.FileTimeout)
	defer cancel()
	res, err := b.opts.Classifier.Classify(cctx, f.Path, job.Rules, mode, pc)
	if err != nil && cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		return api.ItemResult{}, fmt.Errorf("%s: classification timed out after %s", f.File.Name, b.opts.FileTimeout)
	}
	return b.checkResult(res, err, job, f.Path, f.File.Name)
}

// checkResult hides our paths in an error and checks a result against the
// job's rules.
func (b *Backend) checkResult(res api.ItemResult, err error, job *api.ClassifyJob, path, name string) (api.ItemResult, error) {
	if err != nil {
		// Never show our paths to a remote client.
		msg := errors.New(strings.ReplaceAll(err.Error(), path, name))
		if api.IsPermanent(err) {
			return api.ItemResult{}, api.Permanent(msg)
		}
		return api.ItemResult{}, msg
	}
	if res.Type != nil && !slices.ContainsFunc(job.Rules, func(r api.Rule) bool { return r.Type == *res.Type }) {
		return api.ItemResult{}, fmt.Errorf("classifier answered type %q, which is not a rule of the job", *res.Type)
	}
	if math.IsNaN(res.Confidence) {
		res.Confidence = 0
	}
	res.Confidence = min(max(res.Confidence, 0), 1)
	return res, nil
}

// finish makes a job whose every file has an outcome terminal.
func finish(rec *jobRec, failures []outcome) {
	now := time.Now().UTC()
	j := &rec.Job
	j.UpdatedAt = &now
	switch {
	case len(failures) == 0:
		j.Status = api.StatusSuccess
		j.ErrorMessage = nil
		return
	case len(failures) == rec.NFiles:
		j.Status = api.StatusError
	default:
		j.Status = api.StatusPartialSuccess
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d of %d files failed: ", len(failures), rec.NFiles)
	const show = 10
	for i, f := range failures {
		if i == show {
			fmt.Fprintf(&sb, "; and %d more", len(failures)-show)
			break
		}
		if i > 0 {
			sb.WriteString("; ")
		}
		fmt.Fprintf(&sb, "file %s (index %d): %s", f.FileID, f.Index, f.Err)
	}
	j.ErrorMessage = api.Ptr(sb.String())
}

// FileFailures says why each failed file of a job failed, and whether
// another attempt would fail the same way (api.FailureReporter).
func (b *Backend) FileFailures(ctx context.Context, jobID string) ([]api.FileFailure, error) {
	if err := b.checkOpen(); err != nil {
		return nil, err
	}
	if !validID(jobID) {
		return nil, fmt.Errorf("job %s: %w", jobID, api.ErrNotFound)
	}
	outs, err := b.store.failures(jobID)
	if err != nil {
		return nil, err
	}
	list := make([]api.FileFailure, 0, len(outs))
	for _, o := range outs {
		list = append(list, api.FileFailure{FileID: o.FileID, Reason: o.Err, Permanent: o.Permanent})
	}
	return list, nil
}

// CreateJob validates req, stores the job PENDING and queues its files.
func (b *Backend) CreateJob(ctx context.Context, req api.CreateJobRequest) (api.ClassifyJob, error) {
	return b.def().CreateJob(ctx, req)
}

func (b *Backend) createJob(sc *Scoped, req api.CreateJobRequest) (api.ClassifyJob, error) {
	if err := b.checkOpen(); err != nil {
		return api.ClassifyJob{}, err
	}
	rec, fileIDs, err := b.newJob(sc, req)
	if err != nil {
		return api.ClassifyJob{}, err
	}
	if err := b.store.createJob(rec, fileIDs); err != nil {
		return api.ClassifyJob{}, fmt.Errorf("create job: %w", err)
	}
	b.queueJob(rec, fileIDs)
	return rec.Job, nil
}

// newJob validates req and returns the PENDING job record of sc's tenant
// and its file IDs, not yet stored.
func (b *Backend) newJob(sc *Scoped, req api.CreateJobRequest) (jobRec, []string, error) {
	if err := b.validate(sc.lookup, req); err != nil {
		return jobRec{}, nil, err
	}
	project, err := sc.Project(api.Deref(req.ProjectID))
	if err != nil {
		return jobRec{}, nil, err
	}
	now := time.Now().UTC()
	mode := api.ModeFast
	if req.Mode != nil && *req.Mode != "" {
		mode = *req.Mode
	}
	job := api.ClassifyJob{
		ID:                   newID(),
		ProjectID:            project,
		Rules:                slices.Clone(req.Rules),
		Status:               api.StatusPending,
		UserID:               DefaultUserID,
		CreatedAt:            &now,
		EffectiveAt:          &now,
		UpdatedAt:            &now,
		Mode:                 &mode,
		ParsingConfiguration: req.ParsingConfiguration,
	}
	rec := jobRec{Job: job, Webhooks: req.WebhookConfigurations, NFiles: len(req.FileIDs), Tenant: sc.t.ID}
	return rec, slices.Clone(req.FileIDs), nil
}

// queueJob queues every file of a stored job.
func (b *Backend) queueJob(rec jobRec, fileIDs []string) {
	todo := make([]int, len(fileIDs))
	for i := range todo {
		todo[i] = i
	}
	b.queue.push(&queuedJob{rec: rec, fileIDs: fileIDs, todo: todo})
	b.log.Info("job created", "job", rec.Job.ID, "files", len(fileIDs), "rules", len(rec.Job.Rules))
}

// GetJob returns a job; api.ErrNotFound when it is unknown.
func (b *Backend) GetJob(ctx context.Context, id string) (api.ClassifyJob, error) {
	return b.def().GetJob(ctx, id)
}

// ReleaseJob forgets a terminal job, its results and the files it named
// (removing the bytes of uploaded ones). The daemon calls it once it has
// recorded a job's outcome, so that memory does not grow with every job a
// long-running daemon has ever submitted. A job still running is refused.
func (b *Backend) ReleaseJob(ctx context.Context, id string) error {
	if err := b.checkOpen(); err != nil {
		return err
	}
	rec, err := b.def().lookup.job(id)
	if err != nil {
		return err
	}
	if !rec.Job.Status.Terminal() {
		return fmt.Errorf("job %s is %s: only a finished job can be released", id, rec.Job.Status)
	}
	fileIDs, err := b.store.deleteJob(id)
	if err != nil {
		return err
	}
	var errs []error
	for _, fid := range fileIDs {
		if err := b.DeleteFile(ctx, fid); err != nil && !errors.Is(err, api.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// JobWebhooks returns the webhook configurations a job was created with.
func (b *Backend) JobWebhooks(ctx context.Context, id string) ([]api.WebhookConfiguration, error) {
	if err := b.checkOpen(); err != nil {
		return nil, err
	}
	rec, err := b.store.getJob(id)
	return rec.Webhooks, err
}

// ListJobsPage returns one page of jobs, newest first.
func (b *Backend) ListJobsPage(ctx context.Context, pr api.PageRequest) (api.Page[api.ClassifyJob], error) {
	return b.def().ListJobsPage(ctx, JobQuery{}, pr)
}

func (b *Backend) listJobsPage(sc *Scoped, q JobQuery, pr api.PageRequest) (api.Page[api.ClassifyJob], error) {
	var page api.Page[api.ClassifyJob]
	if err := b.checkOpen(); err != nil {
		return page, err
	}
	after, err := parseIDToken('j', pr.PageToken)
	if err != nil {
		return page, err
	}
	recs, more, total, err := sc.lookup.listJobs(q, after, pageSize(pr.PageSize, DefaultPageSize, MaxListPageSize), b.opts.MaxPageBytes)
	if err != nil {
		return page, fmt.Errorf("list jobs: %w", err)
	}
	page.Items = make([]api.ClassifyJob, 0, len(recs))
	for _, r := range recs {
		page.Items = append(page.Items, r.Job)
	}
	if more {
		page.NextPageToken = makeToken('j', recs[len(recs)-1].Job.ID)
	}
	page.TotalSize = &total
	return page, nil
}

// ResultsPage returns one page of a job's results in the order of the job's
// file_ids. The default page size is MaxPageSize, so that a client that does
// not page (the official SDK's getResults) sees whole jobs of up to that size
// (or MaxPageBytes of them).
func (b *Backend) ResultsPage(ctx context.Context, jobID string, pr api.PageRequest) (api.Page[api.ResultItem], error) {
	return b.def().ResultsPage(ctx, jobID, pr)
}

func (b *Backend) resultsPage(sc *Scoped, jobID string, pr api.PageRequest) (api.Page[api.ResultItem], error) {
	var page api.Page[api.ResultItem]
	if err := b.checkOpen(); err != nil {
		return page, err
	}
	after, err := parseIndexToken(pr.PageToken)
	if err != nil {
		return page, err
	}
	items, last, more, total, err := sc.lookup.results(jobID, after, pageSize(pr.PageSize, MaxPageSize, MaxPageSize), b.opts.MaxPageBytes)
	if err != nil {
		return page, err
	}
	if items == nil {
		items = []api.ResultItem{}
	}
	page.Items = items
	if more {
		page.NextPageToken = makeToken('r', fmt.Sprint(last))
	}
	page.TotalSize = &total
	return page, nil
}

// Results calls each for every result of a job, page by page.
func (b *Backend) Results(ctx context.Context, jobID string, each func(api.ResultItem) error) error {
	pr := api.PageRequest{PageSize: MaxPageSize}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := b.ResultsPage(ctx, jobID, pr)
		if err != nil {
			return fmt.Errorf("results of job %s: %w", jobID, err)
		}
		for _, it := range page.Items {
			if err := each(it); err != nil {
				return err
			}
		}
		if page.NextPageToken == nil {
			return nil
		}
		pr.PageToken = *page.NextPageToken
	}
}

func pageSize(n, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(n, most)
}
