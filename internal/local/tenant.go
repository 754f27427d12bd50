package local

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/classifyd/classifyd/internal/api"
)

// Tenants. Every file and job belongs to one tenant (the ID stored in its
// record); a client acting for a tenant sees and changes only that tenant's
// objects. The tenant-scoped lookup layer is scope below: every lookup made
// for a client (by any route of any API version) goes through it, so an
// object of another tenant is api.ErrNotFound exactly like one that does not
// exist, and a list filter naming one matches nothing.
//
// The Backend's own methods (the daemon's in-process use, keyless serve) act
// for DefaultTenant.

// DefaultTenant is the tenant of the Backend's own methods and of keyless
// clients. Records written before tenants existed belong to it.
const DefaultTenant = ""

// Tenant is who a client acts for.
type Tenant struct {
	ID string
	// Projects are the tenant's project IDs. When set, a project_id must be
	// one of them (another is not found) and the first is the default; when
	// empty, any project_id is taken as given (default DefaultProjectID).
	Projects []string
}

// project resolves a client's project_id: "" is the tenant's default.
func (t Tenant) project(p string) (string, error) {
	switch {
	case p == "" && len(t.Projects) > 0:
		return t.Projects[0], nil
	case p == "":
		return DefaultProjectID, nil
	case len(t.Projects) > 0 && !slices.Contains(t.Projects, p):
		return "", fmt.Errorf("project %s: %w", p, ErrProjectNotFound)
	}
	return p, nil
}

// scope is the tenant-scoped lookup layer over the store.
type scope struct {
	st     store
	tenant string
}

func (s scope) file(id string) (fileRec, error) {
	if !validID(id) {
		return fileRec{}, fmt.Errorf("file %s: %w", id, api.ErrNotFound)
	}
	rec, err := s.st.getFile(id)
	if err == nil && rec.Tenant != s.tenant {
		return fileRec{}, fmt.Errorf("file %s: %w", id, api.ErrNotFound)
	}
	return rec, err
}

func (s scope) hasFile(id string) bool {
	_, err := s.file(id)
	return err == nil
}

func (s scope) job(id string) (jobRec, error) {
	if !validID(id) {
		return jobRec{}, fmt.Errorf("job %s: %w", id, api.ErrNotFound)
	}
	rec, err := s.st.getJob(id)
	if err == nil && rec.Tenant != s.tenant {
		return jobRec{}, fmt.Errorf("job %s: %w", id, api.ErrNotFound)
	}
	return rec, err
}

func (s scope) deleteFile(id string) (fileRec, error) {
	if _, err := s.file(id); err != nil {
		return fileRec{}, err
	}
	return s.st.deleteFile(id)
}

func (s scope) updateFile(id string, fn func(*fileRec)) (fileRec, error) {
	if _, err := s.file(id); err != nil {
		return fileRec{}, err
	}
	return s.st.updateFile(id, fn)
}

func (s scope) listFiles(q FileQuery, after string, n, maxBytes int) ([]fileRec, bool, int, error) {
	q.tenant = s.tenant
	return s.st.listFiles(q, after, n, maxBytes)
}

func (s scope) listJobs(q JobQuery, after string, n, maxBytes int) ([]jobRec, bool, int, error) {
	q.tenant = s.tenant
	return s.st.listJobs(q, after, n, maxBytes)
}

func (s scope) results(jobID string, after, n, maxBytes int) ([]api.ResultItem, int, bool, int, error) {
	if _, err := s.job(jobID); err != nil {
		return nil, 0, false, 0, err
	}
	return s.st.results(jobID, after, n, maxBytes)
}

// Scoped is the Backend as one tenant sees it: the API server hands each
// request the Scoped of the tenant its key belongs to.
type Scoped struct {
	b      *Backend
	t      Tenant
	lookup scope
}

// Scoped returns the backend as tenant t sees it.
func (b *Backend) Scoped(t Tenant) *Scoped {
	return &Scoped{b: b, t: t, lookup: scope{st: b.store, tenant: t.ID}}
}

func (b *Backend) def() *Scoped { return b.Scoped(Tenant{ID: DefaultTenant}) }

// Tenant is the tenant of s.
func (s *Scoped) Tenant() Tenant { return s.t }

// Project resolves a client's project_id for this tenant ("" = its
// default); ErrProjectNotFound for a project that is not the tenant's.
func (s *Scoped) Project(p string) (string, error) { return s.t.project(p) }

// AddUpload stores an upload of this tenant; see Backend.AddUpload.
func (s *Scoped) AddUpload(ctx context.Context, name string, r io.Reader, opts api.UploadOptions) (api.File, error) {
	return s.b.addUpload(ctx, s, name, r, opts)
}

// UpdateFile: see Backend.UpdateFile.
func (s *Scoped) UpdateFile(ctx context.Context, id string, u FileUpdate) (api.File, error) {
	return s.b.updateFile(s, id, u)
}

// GetFile: see Backend.GetFile.
func (s *Scoped) GetFile(ctx context.Context, id string) (api.File, error) {
	if err := s.b.checkOpen(); err != nil {
		return api.File{}, err
	}
	rec, err := s.lookup.file(id)
	return rec.File, err
}

// OpenFile: see Backend.OpenFile.
func (s *Scoped) OpenFile(ctx context.Context, id string) (*os.File, api.File, error) {
	return s.b.openFile(s, id)
}

// DeleteFile: see Backend.DeleteFile.
func (s *Scoped) DeleteFile(ctx context.Context, id string) error { return s.b.deleteFile(s, id) }

// ListFilesPage: see Backend.ListFilesPage.
func (s *Scoped) ListFilesPage(ctx context.Context, q FileQuery, pr api.PageRequest) (api.Page[api.File], error) {
	return s.b.listFilesPage(s, q, pr)
}

// CreateJob: see Backend.CreateJob.
func (s *Scoped) CreateJob(ctx context.Context, req api.CreateJobRequest) (api.ClassifyJob, error) {
	return s.b.createJob(s, req)
}

// GetJob: see Backend.GetJob.
func (s *Scoped) GetJob(ctx context.Context, id string) (api.ClassifyJob, error) {
	if err := s.b.checkOpen(); err != nil {
		return api.ClassifyJob{}, err
	}
	rec, err := s.lookup.job(id)
	return rec.Job, err
}

// ListJobsPage: see Backend.ListJobsPage.
func (s *Scoped) ListJobsPage(ctx context.Context, q JobQuery, pr api.PageRequest) (api.Page[api.ClassifyJob], error) {
	return s.b.listJobsPage(s, q, pr)
}

// ResultsPage: see Backend.ResultsPage.
func (s *Scoped) ResultsPage(ctx context.Context, jobID string, pr api.PageRequest) (api.Page[api.ResultItem], error) {
	return s.b.resultsPage(s, jobID, pr)
}

// Usage is what the tenant's uploads hold now.
func (s *Scoped) Usage() (Usage, error) { return s.b.store.usage(s.t.ID) }
