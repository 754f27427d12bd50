package local

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/classifyd/classifyd/internal/api"
)

// Classify v2. A v2 job is a job of one file whose record carries a V2Side:
// what v2 adds (the file_input as sent, the inline configuration, the
// transaction_id, the v2 webhooks, the RUNNING and CANCELLED overlays). It
// is stored in the job's record, so it lives (and expires, and is found or
// not found) with the job and belongs to the job's tenant; a transaction_id
// is indexed per tenant and project (see bolt.go, v2tx/).

// V2Side is what Classify v2 adds to a job.
type V2Side struct {
	FileInput string `json:"file_input"`
	InputType string `json:"input_type"`
	// Configuration as sent; its rules are the job's (stored once).
	Configuration api.V2Configuration          `json:"configuration"`
	TransactionID *string                      `json:"transaction_id,omitempty"`
	Webhooks      []api.V2WebhookConfiguration `json:"webhooks,omitempty"`
	// Running: a worker started reading the file.
	Running     bool       `json:"running,omitempty"`
	CancelledAt *time.Time `json:"cancelled_at,omitempty"`
}

// V2Job is a v2 job as a client sees it.
type V2Job struct {
	Job api.ClassifyJob
	V2Side
	Status api.V2Status
	// Result of a COMPLETED job.
	Result *api.ItemResult
}

// ErrV2State is a cancel or delete of a v2 job in the wrong state.
var ErrV2State = errors.New("wrong state")

// V2StateError names the job and the state that refused a cancel or delete.
type V2StateError struct {
	ID     string
	Status api.V2Status
	What   string
}

func (e *V2StateError) Error() string {
	return fmt.Sprintf("Classify job %s is %s: %s", e.ID, e.Status, e.What)
}

func (e *V2StateError) Unwrap() error { return ErrV2State }

// v2Status is the v2 status of a v2 job record. A COMPLETED job whose file
// gave no result is made FAILED by Backend.v2Job.
func (r *jobRec) v2Status() api.V2Status {
	if r.V2.CancelledAt != nil {
		return api.V2Cancelled
	}
	switch r.Job.Status {
	case api.StatusPending:
		if r.V2.Running {
			return api.V2Running
		}
		return api.V2Pending
	case api.StatusSuccess, api.StatusPartialSuccess:
		return api.V2Completed
	case api.StatusCancelled:
		return api.V2Cancelled
	default:
		return api.V2Failed
	}
}

// txKey is the index key of a transaction_id: tenant, project, id.
func txKey(tenant, project, txID string) string {
	return tenant + "\x00" + project + "\x00" + txID
}

func (r *jobRec) txKey() string {
	if r.V2 == nil || r.V2.TransactionID == nil {
		return ""
	}
	return txKey(r.Tenant, r.Job.ProjectID, *r.V2.TransactionID)
}

// v2Job is the client's view of a v2 job record.
func (b *Backend) v2Job(rec jobRec) V2Job {
	j := V2Job{Job: rec.Job, V2Side: *rec.V2, Status: rec.v2Status()}
	j.Configuration.Rules = rec.Job.Rules
	if j.Status == api.V2Completed {
		items, _, _, _, err := b.store.results(rec.Job.ID, -1, 1, b.opts.MaxPageBytes)
		if err == nil && len(items) > 0 {
			j.Result = items[0].Result
		}
		if j.Result == nil {
			j.Status = api.V2Failed
		}
	}
	return j
}

// v2Lookup is the tenant's v2 job id: a job that is not a v2 job is not
// found.
func (s *Scoped) v2Lookup(id string) (jobRec, error) {
	if err := s.b.checkOpen(); err != nil {
		return jobRec{}, err
	}
	rec, err := s.lookup.job(id)
	if err == nil && rec.V2 == nil {
		err = fmt.Errorf("job %s: %w", id, api.ErrNotFound)
	}
	return rec, err
}

// CreateV2Job creates a v2 job of req (one file; its webhooks are the
// side's) unless side.TransactionID names a job of this tenant and project
// already: then it returns that job and created is false. Two creates with
// one transaction_id at once make one job. stored, if not nil, is called
// with a new job once it is stored and before its file is queued (so that
// the server's classify.pending goes out before classify.running).
func (s *Scoped) CreateV2Job(ctx context.Context, req api.CreateJobRequest, side V2Side, stored func(V2Job)) (j V2Job, created bool, err error) {
	if err := s.b.checkOpen(); err != nil {
		return V2Job{}, false, err
	}
	project, err := s.Project(api.Deref(req.ProjectID))
	if err != nil {
		return V2Job{}, false, err
	}
	req.ProjectID = &project
	key := ""
	if side.TransactionID != nil {
		key = txKey(s.t.ID, project, *side.TransactionID)
		if j, ok, err := s.byTx(key); err != nil || ok {
			return j, false, err
		}
	}
	// The v2 webhooks are validated as v1 ones (same loc, same checks) and
	// kept in the side only.
	req.WebhookConfigurations = nil
	for _, wc := range side.Webhooks {
		h := make(map[string]any, len(wc.WebhookHeaders))
		for k, v := range wc.WebhookHeaders {
			h[k] = v
		}
		req.WebhookConfigurations = append(req.WebhookConfigurations, api.WebhookConfiguration{WebhookURL: wc.WebhookURL, WebhookHeaders: h})
	}
	rec, fileIDs, err := s.b.newJob(s, req)
	if err != nil {
		return V2Job{}, false, err
	}
	rec.Webhooks = nil
	side.Running, side.CancelledAt = false, nil
	side.Configuration.Rules = nil // the job's
	rec.V2 = &side
	existing, err := s.b.store.createV2Job(rec, fileIDs, key)
	if err != nil {
		return V2Job{}, false, fmt.Errorf("create job: %w", err)
	}
	if existing != "" {
		j, _, err := s.byTx(key)
		return j, false, err
	}
	j = s.b.v2Job(rec)
	if stored != nil {
		stored(j)
	}
	s.b.queueJob(rec, fileIDs)
	return j, true, nil
}

func (s *Scoped) byTx(key string) (V2Job, bool, error) {
	id, err := s.b.store.txJob(key)
	if err != nil || id == "" {
		return V2Job{}, false, err
	}
	rec, err := s.v2Lookup(id)
	if errors.Is(err, api.ErrNotFound) {
		return V2Job{}, false, nil // deleted under us
	}
	if err != nil {
		return V2Job{}, false, err
	}
	return s.b.v2Job(rec), true, nil
}

// GetV2Job returns a v2 job of the tenant; api.ErrNotFound for another
// tenant's, a v1 job or an unknown id.
func (s *Scoped) GetV2Job(ctx context.Context, id string) (V2Job, error) {
	rec, err := s.v2Lookup(id)
	if err != nil {
		return V2Job{}, err
	}
	return s.b.v2Job(rec), nil
}

// V2Query filters a v2 job list; zero fields match everything.
type V2Query struct {
	ProjectID   string
	JobIDs      []string
	Status      api.V2Status
	CreatedFrom time.Time // on or after
	CreatedTo   time.Time // on or before
}

// ListV2JobsPage returns one page of the tenant's v2 jobs, newest first:
// at most pageSize (1-MaxListPageSize) and MaxPageBytes of them.
func (s *Scoped) ListV2JobsPage(ctx context.Context, q V2Query, pageSize int, pageToken string) ([]V2Job, *string, error) {
	if err := s.b.checkOpen(); err != nil {
		return nil, nil, err
	}
	after, err := parseIDToken('v', pageToken)
	if err != nil {
		return nil, nil, err
	}
	jq := JobQuery{ProjectID: q.ProjectID, v2: &q}
	recs, more, _, err := s.lookup.listJobs(jq, after, min(max(pageSize, 1), MaxListPageSize), s.b.opts.MaxPageBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("list jobs: %w", err)
	}
	out := make([]V2Job, 0, len(recs))
	for _, r := range recs {
		out = append(out, s.b.v2Job(r))
	}
	var next *string
	if more {
		next = makeToken('v', recs[len(recs)-1].Job.ID)
	}
	return out, next, nil
}

func (q *V2Query) match(rec *jobRec) bool {
	return rec.V2 != nil &&
		(len(q.JobIDs) == 0 || slices.Contains(q.JobIDs, rec.Job.ID)) &&
		(q.Status == "" || rec.v2Status() == q.Status) &&
		(q.CreatedFrom.IsZero() || rec.Job.CreatedAt != nil && !rec.Job.CreatedAt.Before(q.CreatedFrom)) &&
		(q.CreatedTo.IsZero() || rec.Job.CreatedAt != nil && !rec.Job.CreatedAt.After(q.CreatedTo))
}

// CancelV2Job marks a PENDING or RUNNING v2 job CANCELLED (its file may
// still be classified; the job stays CANCELLED). A finished job is a
// *V2StateError.
func (s *Scoped) CancelV2Job(ctx context.Context, id string) (V2Job, error) {
	if _, err := s.v2Lookup(id); err != nil {
		return V2Job{}, err
	}
	rec, err := s.b.store.updateJob(id, func(rec *jobRec) error {
		if st := rec.v2Status(); st.Terminal() {
			return &V2StateError{ID: id, Status: st, What: "only a PENDING or RUNNING job can be cancelled"}
		}
		now := time.Now().UTC()
		rec.V2.CancelledAt = &now
		rec.Job.UpdatedAt = &now
		return nil
	})
	if err != nil {
		return V2Job{}, err
	}
	return s.b.v2Job(rec), nil
}

// DeleteV2Job deletes a finished v2 job with its result and transaction
// id (not its file). A job still running is a *V2StateError.
func (s *Scoped) DeleteV2Job(ctx context.Context, id string) (V2Job, error) {
	rec, err := s.v2Lookup(id)
	if err != nil {
		return V2Job{}, err
	}
	j := s.b.v2Job(rec)
	if !j.Status.Terminal() {
		return V2Job{}, &V2StateError{ID: id, Status: j.Status, What: "cancel a job that is still running before deleting it"}
	}
	if _, err := s.b.store.deleteJob(id); err != nil {
		return V2Job{}, err
	}
	return j, nil
}

// V2Started marks a v2 job RUNNING as a worker starts on its file and
// reports whether it changed (false for v1 jobs, finished or cancelled
// ones, and ones already running). For the server's OnFileStart.
func (b *Backend) V2Started(jobID string) (V2Job, bool) {
	changed := false
	rec, err := b.store.updateJob(jobID, func(rec *jobRec) error {
		if rec.V2 == nil || rec.V2.Running || rec.v2Status().Terminal() {
			return errUnchanged
		}
		rec.V2.Running, changed = true, true
		return nil
	})
	if err != nil || !changed {
		return V2Job{}, false
	}
	return b.v2Job(rec), true
}

// V2Done returns the v2 view of a job that reached a terminal state, and
// false for a v1 job. For the server's OnJobDone.
func (b *Backend) V2Done(job api.ClassifyJob) (V2Job, bool) {
	rec, err := b.store.getJob(job.ID)
	if err != nil || rec.V2 == nil {
		return V2Job{}, false
	}
	return b.v2Job(rec), true
}

// errUnchanged aborts an updateJob without an error for the caller.
var errUnchanged = errors.New("unchanged")
