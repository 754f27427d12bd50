package local

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/classifyd/classifyd/internal/api"
)

// fileRec is a file the backend knows.
type fileRec struct {
	File api.File `json:"file"`
	// Path is the absolute path the classifier reads.
	Path string `json:"path"`
	// Stored is true when the bytes are ours (AddUpload): they live under the
	// files directory and are removed with the record. A registered path
	// (Upload) belongs to the caller and is never touched.
	Stored bool `json:"stored,omitempty"`
	// ModUnixNano is the modification time of a registered path at upload;
	// a file that changed since is not classified.
	ModUnixNano int64 `json:"mod_unix_nano,omitempty"`
	// Tenant owns the file (DefaultTenant: "").
	Tenant string `json:"tenant,omitempty"`
}

// jobRec is a job without its file list and results (those are stored apart
// so that a poll reads a small record).
type jobRec struct {
	Job      api.ClassifyJob            `json:"job"`
	Webhooks []api.WebhookConfiguration `json:"webhooks,omitempty"`
	NFiles   int                        `json:"n_files"`
	// Tenant owns the job (DefaultTenant: "").
	Tenant string `json:"tenant,omitempty"`
	// V2 is the Classify v2 side of a v2 job (v2.go); nil for v1 jobs.
	V2 *V2Side `json:"v2,omitempty"`
}

// progress counts the outcomes recorded for a job.
type progress struct {
	Done   int `json:"done"`
	Failed int `json:"failed"`
}

// outcome is what happened to file Index of a job: a result item, or the
// reason it failed (Err != "").
type outcome struct {
	Index     int
	FileID    string
	Item      *api.ResultItem
	Err       string
	Permanent bool // the failure would repeat (api.FileFailure.Permanent)
}

// permanentMark starts the stored text of a permanent failure; a failure
// stored without it (as every one was before) is transient.
const permanentMark = "\x01"

// encodeFailure is the stored text of a failed outcome.
func encodeFailure(o outcome) string {
	if o.Permanent {
		return permanentMark + o.Err
	}
	return o.Err
}

// decodeFailure is the outcome of file index i from its stored text.
func decodeFailure(i int, fileIDs []string, v string) outcome {
	o := outcome{Index: i}
	if i < len(fileIDs) {
		o.FileID = fileIDs[i]
	}
	o.Err, o.Permanent = strings.CutPrefix(v, permanentMark)
	return o
}

// pendingJob is an unfinished job with the file indexes that have no outcome.
type pendingJob struct {
	Rec     jobRec
	FileIDs []string
	Todo    []int
}

// finishFunc turns a job whose every file has an outcome into its terminal
// form; failures are in file order.
type finishFunc func(rec *jobRec, failures []outcome)

// store keeps files, jobs and results. The memory store and the bbolt store
// implement it; both are safe for concurrent use.
type store interface {
	putFile(rec fileRec) error
	getFile(id string) (fileRec, error)
	// deleteFile removes a file record and returns it.
	deleteFile(id string) (fileRec, error)
	// updateFile applies fn to a file record in one step.
	updateFile(id string, fn func(*fileRec)) (fileRec, error)
	// listFiles returns up to n files matching q, newest first, older than
	// the file ID after ("" = from the newest); more reports a next page.
	// A page holds at least one record and stops before its records pass
	// maxBytes.
	listFiles(q FileQuery, after string, n, maxBytes int) (recs []fileRec, more bool, total int, err error)
	// hasFile reports whether a record exists (for the orphan sweep).
	hasFile(id string) (bool, error)

	createJob(rec jobRec, fileIDs []string) error
	// createV2Job stores a job like createJob, unless txKey is not "" and
	// indexes a job already: then it stores nothing and returns that
	// job's ID. The check and the store are one step.
	createV2Job(rec jobRec, fileIDs []string, txKey string) (existing string, err error)
	// txJob returns the job ID a transaction key indexes ("" for none).
	txJob(txKey string) (string, error)
	// updateJob applies fn to a job record in one step; when fn returns
	// an error nothing is written and updateJob returns it.
	updateJob(id string, fn func(*jobRec) error) (jobRec, error)
	getJob(id string) (jobRec, error)
	// listJobs pages like listFiles.
	listJobs(q JobQuery, after string, n, maxBytes int) (recs []jobRec, more bool, total int, err error)
	// record stores the outcome of one file of a job. When it is the last
	// one, finish makes the job terminal in the same step and done is true.
	// An outcome already recorded for that index is ignored.
	record(jobID string, o outcome, finish finishFunc) (rec jobRec, done bool, err error)
	// results returns up to n result items of a job in file order, after
	// file index after (-1 = from the start), at most maxBytes of them (at
	// least one).
	results(jobID string, after, n, maxBytes int) (items []api.ResultItem, last int, more bool, total int, err error)
	// failures returns the failed outcomes of a job in file order.
	failures(jobID string) ([]outcome, error)
	// deleteJob removes a job with its results and its transaction key
	// and returns its file IDs.
	deleteJob(id string) ([]string, error)
	// unfinished returns every job that is not terminal, oldest first.
	unfinished() ([]pendingJob, error)
	// usage is what the stored (uploaded) files of a tenant hold.
	usage(tenant string) (Usage, error)
	// expired returns the uploaded files whose expiry is before now and the
	// terminal jobs last updated before jobsBefore (zero: none), at most n
	// of each.
	expired(now, jobsBefore time.Time, n int) (fileIDs, jobIDs []string, err error)
	close() error
}

// Page tokens are opaque to clients: base64url of a kind letter and a key.
func makeToken(kind byte, key string) *string {
	s := base64.RawURLEncoding.EncodeToString([]byte(string(kind) + key))
	return &s
}

func parseIDToken(kind byte, tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 2 || b[0] != kind || !validID(string(b[1:])) {
		return "", fmt.Errorf("%w %q", ErrBadPageToken, tok)
	}
	return string(b[1:]), nil
}

func parseIndexToken(tok string) (int, error) {
	if tok == "" {
		return -1, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 2 || b[0] != 'r' {
		return 0, fmt.Errorf("%w %q", ErrBadPageToken, tok)
	}
	i, err := strconv.Atoi(string(b[1:]))
	if err != nil || i < 0 {
		return 0, fmt.Errorf("%w %q", ErrBadPageToken, tok)
	}
	return i, nil
}

// FileQuery filters a file list; zero fields match everything. A list is
// always of one tenant's files (set by the Scoped that lists).
type FileQuery struct {
	FileIDs        []string
	FileName       string
	ExternalFileID string
	ProjectID      string

	tenant string
}

func (q FileQuery) match(rec *fileRec) bool {
	f := &rec.File
	if rec.Tenant != q.tenant {
		return false
	}
	if q.ProjectID != "" && f.ProjectID != q.ProjectID {
		return false
	}
	if len(q.FileIDs) > 0 && !slices.Contains(q.FileIDs, f.ID) {
		return false
	}
	if q.FileName != "" && f.Name != q.FileName {
		return false
	}
	if q.ExternalFileID != "" && api.Deref(f.ExternalFileID) != q.ExternalFileID {
		return false
	}
	return true
}

// JobQuery filters a job list; zero fields match everything. A list is
// always of one tenant's jobs (set by the Scoped that lists).
type JobQuery struct {
	ProjectID string

	tenant string
	v2     *V2Query // only v2 jobs, filtered (ListV2JobsPage)
}

func (q JobQuery) match(rec *jobRec) bool {
	return rec.Tenant == q.tenant && (q.ProjectID == "" || rec.Job.ProjectID == q.ProjectID) &&
		(q.v2 == nil || q.v2.match(rec))
}

// Usage is what a tenant's uploaded files hold.
type Usage struct {
	Bytes int64 `json:"bytes"`
	Files int64 `json:"files"`
}

func (u *Usage) add(rec *fileRec, sign int64) {
	if rec.Stored {
		u.Bytes += sign * api.Deref(rec.File.FileSize)
		u.Files += sign
	}
}

// jsonSize is the length of v in JSON (memory store; the bbolt store counts
// the stored bytes).
func jsonSize(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

// memStore is the store of a backend without a data directory.
type memStore struct {
	mu      sync.Mutex
	files   map[string]fileRec
	fileIDs []string // ascending
	jobs    map[string]*memJob
	jobIDs  []string // ascending
	used    map[string]Usage
	txs     map[string]string // transaction key -> job ID
}

type memJob struct {
	rec      jobRec
	fileIDs  []string
	items    []*api.ResultItem // by file index; nil = none
	failures []string          // by file index; "" = none
	prog     progress
}

func newMemStore() *memStore {
	return &memStore{files: map[string]fileRec{}, jobs: map[string]*memJob{}, used: map[string]Usage{}, txs: map[string]string{}}
}

func insertSorted(s []string, v string) []string {
	i := sort.SearchStrings(s, v)
	if i < len(s) && s[i] == v {
		return s
	}
	return slices.Insert(s, i, v)
}

func (m *memStore) putFile(rec fileRec) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.used[rec.Tenant]
	if old, ok := m.files[rec.File.ID]; ok {
		u.add(&old, -1)
	}
	u.add(&rec, 1)
	m.used[rec.Tenant] = u
	m.files[rec.File.ID] = rec
	m.fileIDs = insertSorted(m.fileIDs, rec.File.ID)
	return nil
}

func (m *memStore) getFile(id string) (fileRec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.files[id]
	if !ok {
		return fileRec{}, fmt.Errorf("file %s: %w", id, api.ErrNotFound)
	}
	return rec, nil
}

func (m *memStore) hasFile(id string) (bool, error) {
	_, err := m.getFile(id)
	return err == nil, nil
}

func (m *memStore) deleteFile(id string) (fileRec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.files[id]
	if !ok {
		return fileRec{}, fmt.Errorf("file %s: %w", id, api.ErrNotFound)
	}
	delete(m.files, id)
	u := m.used[rec.Tenant]
	u.add(&rec, -1)
	m.used[rec.Tenant] = u
	if i, found := slices.BinarySearch(m.fileIDs, id); found {
		m.fileIDs = slices.Delete(m.fileIDs, i, i+1)
	}
	return rec, nil
}

func (m *memStore) updateFile(id string, fn func(*fileRec)) (fileRec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.files[id]
	if !ok {
		return fileRec{}, fmt.Errorf("file %s: %w", id, api.ErrNotFound)
	}
	fn(&rec)
	m.files[id] = rec
	return rec, nil
}

// newestFirst walks ids (ascending) from the newest one older than after.
func newestFirst(ids []string, after string, each func(id string) bool) {
	end := len(ids)
	if after != "" {
		end = sort.SearchStrings(ids, after)
	}
	for i := end - 1; i >= 0; i-- {
		if !each(ids[i]) {
			return
		}
	}
}

func (m *memStore) listFiles(q FileQuery, after string, n, maxBytes int) ([]fileRec, bool, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	total := 0
	for _, id := range m.fileIDs {
		rec := m.files[id]
		if q.match(&rec) {
			total++
		}
	}
	var out []fileRec
	more, size := false, 0
	newestFirst(m.fileIDs, after, func(id string) bool {
		rec := m.files[id]
		if !q.match(&rec) {
			return true
		}
		size += jsonSize(rec.File)
		if len(out) == n || len(out) > 0 && size > maxBytes {
			more = true
			return false
		}
		out = append(out, rec)
		return true
	})
	return out, more, total, nil
}

func (m *memStore) createJob(rec jobRec, fileIDs []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putJob(rec, fileIDs)
	return nil
}

func (m *memStore) createV2Job(rec jobRec, fileIDs []string, txKey string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id, ok := m.txs[txKey]; ok && txKey != "" {
		return id, nil
	}
	if txKey != "" {
		m.txs[txKey] = rec.Job.ID
	}
	m.putJob(rec, fileIDs)
	return "", nil
}

func (m *memStore) txJob(txKey string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.txs[txKey], nil
}

func (m *memStore) updateJob(id string, fn func(*jobRec) error) (jobRec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return jobRec{}, fmt.Errorf("job %s: %w", id, api.ErrNotFound)
	}
	rec := j.rec
	if rec.V2 != nil {
		v2 := *rec.V2
		rec.V2 = &v2
	}
	if err := fn(&rec); err != nil {
		return jobRec{}, err
	}
	j.rec = rec
	return rec, nil
}

func (m *memStore) putJob(rec jobRec, fileIDs []string) {
	m.jobs[rec.Job.ID] = &memJob{
		rec:      rec,
		fileIDs:  slices.Clone(fileIDs),
		items:    make([]*api.ResultItem, len(fileIDs)),
		failures: make([]string, len(fileIDs)),
	}
	m.jobIDs = insertSorted(m.jobIDs, rec.Job.ID)
}

func (m *memStore) deleteJob(id string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return nil, fmt.Errorf("job %s: %w", id, api.ErrNotFound)
	}
	delete(m.jobs, id)
	if k := j.rec.txKey(); k != "" && m.txs[k] == id {
		delete(m.txs, k)
	}
	if i, found := slices.BinarySearch(m.jobIDs, id); found {
		m.jobIDs = slices.Delete(m.jobIDs, i, i+1)
	}
	return j.fileIDs, nil
}

func (m *memStore) getJob(id string) (jobRec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return jobRec{}, fmt.Errorf("job %s: %w", id, api.ErrNotFound)
	}
	return j.rec, nil
}

func (m *memStore) listJobs(q JobQuery, after string, n, maxBytes int) ([]jobRec, bool, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	total := 0
	for _, id := range m.jobIDs {
		if q.match(&m.jobs[id].rec) {
			total++
		}
	}
	var out []jobRec
	more, size := false, 0
	newestFirst(m.jobIDs, after, func(id string) bool {
		rec := m.jobs[id].rec
		if !q.match(&rec) {
			return true
		}
		size += jsonSize(rec.Job)
		if len(out) == n || len(out) > 0 && size > maxBytes {
			more = true
			return false
		}
		out = append(out, rec)
		return true
	})
	return out, more, total, nil
}

func (m *memStore) record(jobID string, o outcome, finish finishFunc) (jobRec, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[jobID]
	if !ok {
		return jobRec{}, false, fmt.Errorf("job %s: %w", jobID, api.ErrNotFound)
	}
	if o.Index < 0 || o.Index >= len(j.fileIDs) {
		return jobRec{}, false, fmt.Errorf("job %s: file index %d out of range", jobID, o.Index)
	}
	if j.rec.Job.Status.Terminal() || j.items[o.Index] != nil || j.failures[o.Index] != "" {
		return j.rec, false, nil
	}
	if o.Err != "" {
		j.failures[o.Index] = encodeFailure(o)
		j.prog.Failed++
	} else {
		item := *o.Item
		j.items[o.Index] = &item
		j.prog.Done++
	}
	if j.prog.Done+j.prog.Failed < len(j.fileIDs) {
		return j.rec, false, nil
	}
	finish(&j.rec, j.failed())
	return j.rec, true, nil
}

// failed lists the failed outcomes; the caller holds the lock.
func (j *memJob) failed() []outcome {
	var out []outcome
	for i, v := range j.failures {
		if v != "" {
			out = append(out, decodeFailure(i, j.fileIDs, v))
		}
	}
	return out
}

func (m *memStore) failures(jobID string) ([]outcome, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[jobID]
	if !ok {
		return nil, fmt.Errorf("job %s: %w", jobID, api.ErrNotFound)
	}
	return j.failed(), nil
}

func (m *memStore) results(jobID string, after, n, maxBytes int) ([]api.ResultItem, int, bool, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[jobID]
	if !ok {
		return nil, 0, false, 0, fmt.Errorf("job %s: %w", jobID, api.ErrNotFound)
	}
	var out []api.ResultItem
	last, size := after, 0
	for i := after + 1; i < len(j.items); i++ {
		if j.items[i] == nil {
			continue
		}
		size += jsonSize(j.items[i])
		if len(out) == n || len(out) > 0 && size > maxBytes {
			return out, last, true, j.prog.Done, nil
		}
		out = append(out, *j.items[i])
		last = i
	}
	return out, last, false, j.prog.Done, nil
}

func (m *memStore) unfinished() ([]pendingJob, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []pendingJob
	for _, id := range m.jobIDs {
		j := m.jobs[id]
		if j.rec.Job.Status.Terminal() {
			continue
		}
		p := pendingJob{Rec: j.rec, FileIDs: slices.Clone(j.fileIDs)}
		for i := range j.fileIDs {
			if j.items[i] == nil && j.failures[i] == "" {
				p.Todo = append(p.Todo, i)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func (m *memStore) usage(tenant string) (Usage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used[tenant], nil
}

func (m *memStore) expired(now, jobsBefore time.Time, n int) (fileIDs, jobIDs []string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range m.fileIDs {
		if f := m.files[id].File; f.ExpiresAt != nil && f.ExpiresAt.Before(now) && len(fileIDs) < n {
			fileIDs = append(fileIDs, id)
		}
	}
	for _, id := range m.jobIDs {
		if j := m.jobs[id].rec.Job; jobExpired(&j, jobsBefore) && len(jobIDs) < n {
			jobIDs = append(jobIDs, id)
		}
	}
	return fileIDs, jobIDs, nil
}

func jobExpired(j *api.ClassifyJob, before time.Time) bool {
	return !before.IsZero() && j.Status.Terminal() && j.UpdatedAt != nil && j.UpdatedAt.Before(before)
}

func (m *memStore) close() error { return nil }

// shortErr keeps an error text readable in a job's error_message.
func shortErr(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
