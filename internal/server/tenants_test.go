package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
)

const (
	keyA  = "key-of-tenant-a"
	keyB  = "key-of-tenant-b"
	keyB2 = "second-key-of-tenant-b"
)

// tenantFixture serves two tenants over bbolt: A (keyA, a tenant of its
// own) and B (keyB and keyB2, tenant "b" with projects projB and projB2).
func tenantFixture(t *testing.T) *fixture {
	return newFixtureAt(t, Options{APIKeys: []string{keyA}, Keys: []Key{
		{Key: keyB, Tenant: "b", Projects: []string{"projB"}},
		{Key: keyB2, Tenant: "b", Projects: []string{"projB2"}},
	}}, filepath.Join(t.TempDir(), "data"), true)
}

func (f *fixture) uploadAs(t *testing.T, key, query, name, text string) api.File {
	t.Helper()
	body, ct := multipartBody(t, []part{{"purpose", "", "classify"}, {"file", name, text}})
	a := f.do(t, "POST", "/api/v1/beta/files"+query, ct, body, key)
	if a.status != 200 {
		t.Fatalf("upload as %s: %d %s", key, a.status, a.body)
	}
	var file api.File
	a.json(t, &file)
	return file
}

func (f *fixture) jobAs(t *testing.T, key string, fileIDs ...string) api.ClassifyJob {
	t.Helper()
	body := `{"file_ids":["` + strings.Join(fileIDs, `","`) + `"],"rules":[{"type":"invoice","description":"invoice total amount due"}]}`
	a := f.do(t, "POST", "/api/v1/classifier/jobs", "application/json", strings.NewReader(body), key)
	if a.status != 200 {
		t.Fatalf("create job as %s: %d %s", key, a.status, a.body)
	}
	var job api.ClassifyJob
	a.json(t, &job)
	for {
		a := f.do(t, "GET", "/api/v1/classifier/jobs/"+job.ID, "", nil, key)
		a.json(t, &job)
		if job.Status.Terminal() {
			return job
		}
	}
}

// TestTenantsSeeOnlyTheirOwn: with key A, no route reaches tenant B's
// files, jobs, results or download links: each answers exactly what it
// answers for an id that does not exist (404 for ids in the path, nothing
// matched in list filters), and B's objects are untouched afterwards.
func TestTenantsSeeOnlyTheirOwn(t *testing.T) {
	f := tenantFixture(t)
	fileB := f.uploadAs(t, keyB, "?project_id=projB", "b-invoice.txt", "invoice total amount due of tenant B")
	jobB := f.jobAs(t, keyB, fileB.ID)
	fileA := f.uploadAs(t, keyA, "?project_id=projB", "a-invoice.txt", "invoice total amount due of tenant A")
	f.jobAs(t, keyA, fileA.ID)
	var linkB PresignedURL
	f.do(t, "GET", "/api/v1/beta/files/"+fileB.ID+"/content", "", nil, keyB).json(t, &linkB)
	const unknown = "01900000-0000-7000-8000-000000000000"

	routes := []struct {
		name, method, path, body string
	}{
		{"get file", "GET", "/api/v1/beta/files/{file}", ""},
		{"file download link", "GET", "/api/v1/beta/files/{file}/content", ""},
		{"delete file", "DELETE", "/api/v1/beta/files/{file}", ""},
		{"get job", "GET", "/api/v1/classifier/jobs/{job}", ""},
		{"job results", "GET", "/api/v1/classifier/jobs/{job}/results", ""},
		{"create job with the file", "POST", "/api/v1/classifier/jobs", `{"file_ids":["{file}"],"rules":[{"type":"x","description":"y"}]}`},
		{"list files by file_ids", "GET", "/api/v1/beta/files?file_ids={file}", ""},
		{"list files by file_name", "GET", "/api/v1/beta/files?file_name={name}", ""},
	}
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			fill := func(s, file, job, name string) string {
				return strings.NewReplacer("{file}", file, "{job}", job, "{name}", url.QueryEscape(name)).Replace(s)
			}
			ask := func(file, job, name string) answer {
				ct := ""
				if r.body != "" {
					ct = "application/json"
				}
				return f.do(t, r.method, fill(r.path, file, job, name), ct, strings.NewReader(fill(r.body, file, job, name)), keyA)
			}
			other := ask(fileB.ID, jobB.ID, fileB.Name)
			none := ask(unknown, unknown, "no-such-name.txt")
			// The same answer, but for the id asked about (echoed back).
			got := strings.NewReplacer(fileB.ID, "ID", jobB.ID, "ID").Replace(string(other.body))
			want := strings.ReplaceAll(string(none.body), unknown, "ID")
			if other.status != none.status || got != want {
				t.Errorf("B's object: %d %s; an unknown one: %d %s", other.status, other.body, none.status, none.body)
			}
			if strings.Contains(string(other.body), "tenant B") || strings.Contains(string(other.body), "b-invoice") {
				t.Errorf("the answer shows B's object: %s", other.body)
			}
			if other.status == 200 {
				var page struct{ Items []json.RawMessage }
				other.json(t, &page)
				if len(page.Items) != 0 {
					t.Errorf("listed %d of B's objects: %s", len(page.Items), other.body)
				}
			}
		})
	}

	t.Run("unfiltered lists", func(t *testing.T) {
		for _, path := range []string{"/api/v1/beta/files", "/api/v1/classifier/jobs", "/api/v1/beta/files?project_id=projB"} {
			a := f.do(t, "GET", path, "", nil, keyA)
			if a.status != 200 || strings.Contains(string(a.body), fileB.ID) || strings.Contains(string(a.body), jobB.ID) {
				t.Errorf("%s as A: %d %s", path, a.status, a.body)
			}
			var page struct {
				Items     []json.RawMessage
				TotalSize int `json:"total_size"`
			}
			a.json(t, &page)
			if len(page.Items) != 1 || page.TotalSize != 1 {
				t.Errorf("%s as A: %d items, total_size %d; want A's one", path, len(page.Items), page.TotalSize)
			}
		}
	})

	t.Run("download link", func(t *testing.T) {
		u, err := url.Parse(linkB.URL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("tenant", keyTenant(keyA))
		a := f.do(t, "GET", u.Path+"?"+q.Encode(), "", nil, "")
		if a.status != 403 || strings.Contains(string(a.body), "tenant B") {
			t.Errorf("B's link re-addressed to A: %d %s", a.status, a.body)
		}
		// A link of A's for B's file id cannot be had; one signed for A
		// does not open B's file.
		q = u.Query()
		q.Set("tenant", keyTenant(keyA))
		q.Set("signature", f.srv.sign(fileB.ID, keyTenant(keyA), mustAtoi(t, q.Get("expires"))))
		if a := f.do(t, "GET", u.Path+"?"+q.Encode(), "", nil, ""); a.status != 404 {
			t.Errorf("a link signed for A to B's file: %d %s, want 404", a.status, a.body)
		}
		if a := f.do(t, "GET", u.Path+"?"+u.RawQuery, "", nil, ""); a.status != 200 || !strings.Contains(string(a.body), "tenant B") {
			t.Errorf("B's own link: %d %s", a.status, a.body)
		}
	})

	t.Run("B's objects are untouched and shared by B's keys", func(t *testing.T) {
		for _, key := range []string{keyB, keyB2} {
			for _, path := range []string{"/api/v1/beta/files/" + fileB.ID, "/api/v1/classifier/jobs/" + jobB.ID, "/api/v1/classifier/jobs/" + jobB.ID + "/results"} {
				if a := f.do(t, "GET", path, "", nil, key); a.status != 200 {
					t.Errorf("%s as %s: %d %s", path, key, a.status, a.body)
				}
			}
		}
		var page api.Page[api.ResultItem]
		f.do(t, "GET", "/api/v1/classifier/jobs/"+jobB.ID+"/results", "", nil, keyB).json(t, &page)
		if len(page.Items) != 1 || api.Deref(page.Items[0].FileID) != fileB.ID {
			t.Errorf("B's results: %+v", page.Items)
		}
	})
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTenantProjects: a tenant that names its projects gets the first as
// the default, may use any of them (from any of its keys), and another
// project_id is 404; list filters by project_id select within the tenant.
func TestTenantProjects(t *testing.T) {
	f := tenantFixture(t)
	def := f.uploadAs(t, keyB, "", "a.txt", "invoice")
	if def.ProjectID != "projB" {
		t.Errorf("default project %q, want projB", def.ProjectID)
	}
	other := f.uploadAs(t, keyB, "?project_id=projB2", "b.txt", "invoice")
	for _, path := range []string{"/api/v1/beta/files?project_id=projA", "/api/v1/classifier/jobs?project_id=elsewhere"} {
		if a := f.do(t, "GET", path, "", nil, keyB); a.status != 404 {
			t.Errorf("%s: %d %s, want 404", path, a.status, a.body)
		}
	}
	body, ct := multipartBody(t, []part{{"purpose", "", "classify"}, {"file", "c.txt", "x"}})
	if a := f.do(t, "POST", "/api/v1/beta/files?project_id=projA", ct, body, keyB); a.status != 404 {
		t.Errorf("upload to another project: %d %s, want 404", a.status, a.body)
	}
	a := f.do(t, "POST", "/api/v1/classifier/jobs", "application/json",
		strings.NewReader(`{"file_ids":["`+def.ID+`"],"project_id":"projA","rules":[{"type":"x","description":"y"}]}`), keyB)
	if a.status != 404 {
		t.Errorf("job in another project: %d %s, want 404", a.status, a.body)
	}
	var page api.Page[api.File]
	f.do(t, "GET", "/api/v1/beta/files?project_id=projB2", "", nil, keyB2).json(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != other.ID {
		t.Errorf("projB2 lists %+v, want only %s", page.Items, other.ID)
	}
	// The backend's own tenant (the daemon, keyless serve) sees none of it.
	if p, err := f.b.ListFilesPage(context.Background(), local.FileQuery{}, api.PageRequest{}); err != nil || len(p.Items) != 0 {
		t.Errorf("default tenant lists %d files (%v)", len(p.Items), err)
	}
}
