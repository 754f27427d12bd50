package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
)

const v2Rules = `"configuration":{"rules":[{"type":"invoice","description":"invoice total amount due"}]}`

// v2CreateAs creates a v2 job of fileID as key (with transaction_id tx
// unless it is "") and answers the job.
func (f *fixture) v2CreateAs(t *testing.T, key, fileID, tx string) api.V2Job {
	t.Helper()
	return f.v2CreateIn(t, key, "", fileID, tx)
}

// v2CreateIn is v2CreateAs in project ("" = the tenant's default).
func (f *fixture) v2CreateIn(t *testing.T, key, project, fileID, tx string) api.V2Job {
	t.Helper()
	body := `{"file_input":"` + fileID + `",` + v2Rules
	if tx != "" {
		body += `,"transaction_id":"` + tx + `"`
	}
	path := "/api/v2/classify"
	if project != "" {
		path += "?project_id=" + project
	}
	a := f.do(t, "POST", path, "application/json", strings.NewReader(body+"}"), key)
	if a.status != 200 {
		t.Fatalf("v2 create as %s: %d %s", key, a.status, a.body)
	}
	var job api.V2Job
	a.json(t, &job)
	return job
}

// v2WaitAs polls a v2 job until it is terminal.
func (f *fixture) v2WaitAs(t *testing.T, key, id string) api.V2Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var job api.V2Job
		a := f.do(t, "GET", "/api/v2/classify/"+id, "", nil, key)
		if a.status != 200 {
			t.Fatalf("v2 get %s as %s: %d %s", id, key, a.status, a.body)
		}
		a.json(t, &job)
		if job.Status.Terminal() {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("v2 job %s still %s after 30 s", id, job.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestV2TenantsSeeOnlyTheirOwn: with key A, no v2 route reaches tenant
// B's jobs: ids in the path answer what an unknown id answers (404), list
// filters match none of B's jobs, B's file cannot be classified, and B's
// transaction_id is a new job for A. B's jobs are untouched afterwards.
// A's jobs are in B's project (projB: A names no projects, so any project
// is A's), so that only the tenant keeps them apart.
func TestV2TenantsSeeOnlyTheirOwn(t *testing.T) {
	f := tenantFixture(t)
	fileB := f.uploadAs(t, keyB, "", "b-invoice.txt", "invoice total amount due of tenant B")
	jobB := f.v2WaitAs(t, keyB, f.v2CreateAs(t, keyB, fileB.ID, "tx-1").ID)
	fileA := f.uploadAs(t, keyA, "?project_id=projB", "a-invoice.txt", "invoice total amount due of tenant A")
	jobA := f.v2WaitAs(t, keyA, f.v2CreateIn(t, keyA, "projB", fileA.ID, "").ID)
	if jobB.Status != api.V2Completed || jobA.Status != api.V2Completed {
		t.Fatalf("jobs %s, %s; want COMPLETED", jobB.Status, jobA.Status)
	}
	const unknown = "01900000-0000-7000-8000-000000000000"

	routes := []struct {
		name, method, path, body string
	}{
		{"get", "GET", "/api/v2/classify/{job}", ""},
		{"cancel", "POST", "/api/v2/classify/{job}/cancel", ""},
		{"create with B's file", "POST", "/api/v2/classify?project_id=projB", `{"file_input":"{file}",` + v2Rules + `}`},
		{"list by job_ids", "GET", "/api/v2/classify?project_id=projB&job_ids={job}", ""},
		{"list by job_ids, comma form", "GET", "/api/v2/classify?project_id=projB&job_ids={job},{job}", ""},
		{"list by job_ids and status", "GET", "/api/v2/classify?project_id=projB&job_ids={job}&status=COMPLETED", ""},
		{"v1 get", "GET", "/api/v1/classifier/jobs/{job}", ""},
		{"v1 results", "GET", "/api/v1/classifier/jobs/{job}/results", ""},
		{"delete", "DELETE", "/api/v2/classify/{job}", ""}, // last: unscoped, it would remove B's job
	}
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			ask := func(file, job string) answer {
				fill := strings.NewReplacer("{file}", file, "{job}", job).Replace
				ct := ""
				if r.body != "" {
					ct = "application/json"
				}
				return f.do(t, r.method, fill(r.path), ct, strings.NewReader(fill(r.body)), keyA)
			}
			other := ask(fileB.ID, jobB.ID)
			none := ask(unknown, unknown)
			got := strings.NewReplacer(fileB.ID, "ID", jobB.ID, "ID").Replace(string(other.body))
			want := strings.ReplaceAll(string(none.body), unknown, "ID")
			if other.status != none.status || got != want {
				t.Errorf("B's job: %d %s; an unknown one: %d %s", other.status, other.body, none.status, none.body)
			}
			if strings.Contains(string(other.body), "b-invoice") || strings.Contains(string(other.body), `"items":[{`) {
				t.Errorf("the answer shows B's job: %s", other.body)
			}
		})
	}

	t.Run("unfiltered and status lists", func(t *testing.T) {
		for _, path := range []string{"/api/v2/classify?project_id=projB", "/api/v2/classify?project_id=projB&status=COMPLETED", "/api/v2/classify?project_id=projB&page_size=1"} {
			a := f.do(t, "GET", path, "", nil, keyA)
			var page api.V2Page
			a.json(t, &page)
			if a.status != 200 || len(page.Items) != 1 || page.Items[0].ID != jobA.ID || page.NextPageToken != nil {
				t.Errorf("%s as A: %d %s; want A's job only", path, a.status, a.body)
			}
		}
	})

	t.Run("transaction_id is per tenant", func(t *testing.T) {
		again := f.v2CreateIn(t, keyA, "projB", fileA.ID, "tx-1")
		if again.ID == jobB.ID || again.FileInput != fileA.ID {
			t.Errorf("A's tx-1 gave %s (file %s); B's tx-1 is %s", again.ID, again.FileInput, jobB.ID)
		}
		if f.v2CreateIn(t, keyA, "projB", fileA.ID, "tx-1").ID != again.ID {
			t.Error("A's tx-1 again is another job")
		}
		if f.v2CreateAs(t, keyB2, fileB.ID, "tx-1").ID != jobB.ID {
			t.Error("B's second key with tx-1 is not B's job")
		}
	})

	t.Run("B's job is untouched", func(t *testing.T) {
		var got api.V2Job
		a := f.do(t, "GET", "/api/v2/classify/"+jobB.ID, "", nil, keyB)
		a.json(t, &got)
		if a.status != 200 || got.Status != api.V2Completed || got.Result == nil {
			t.Errorf("B's job after A's requests: %d %s", a.status, a.body)
		}
	})
}

// TestV2PersistsAcrossRestart: the v2 side of jobs (transaction ids, a
// cancel, the v2 view) is in serve's store: after a restart on the same
// data folder the same jobs answer, a re-sent transaction_id is the same
// job, and a cancelled job stays CANCELLED though its file is classified.
func TestV2PersistsAcrossRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	opts := Options{APIKeys: []string{keyA, keyB}}
	f := newFixtureAt(t, opts, dir, false) // not running: jobs stay PENDING
	file := f.uploadAs(t, keyA, "", "a.txt", "invoice total amount due")
	fileB := f.uploadAs(t, keyB, "", "b.txt", "invoice total amount due")
	done := f.v2CreateAs(t, keyA, file.ID, "tx-done")
	cancelled := f.v2CreateAs(t, keyA, file.ID, "tx-cancel")
	if a := f.do(t, "POST", "/api/v2/classify/"+cancelled.ID+"/cancel", "", nil, keyA); a.status != 200 {
		t.Fatalf("cancel: %d %s", a.status, a.body)
	}
	ofB := f.v2CreateAs(t, keyB, fileB.ID, "tx-done")
	f.ts.Close()
	if err := f.b.Close(); err != nil {
		t.Fatal(err)
	}

	g := newFixtureAt(t, opts, dir, true)
	got := g.v2WaitAs(t, keyA, done.ID)
	if got.Status != api.V2Completed || got.Result == nil || api.Deref(got.TransactionID) != "tx-done" || got.FileInput != file.ID {
		t.Errorf("after a restart: %+v", got)
	}
	if again := g.v2CreateAs(t, keyA, file.ID, "tx-done"); again.ID != done.ID {
		t.Errorf("tx-done after a restart is job %s, want %s", again.ID, done.ID)
	}
	if again := g.v2CreateAs(t, keyB, fileB.ID, "tx-done"); again.ID != ofB.ID {
		t.Errorf("B's tx-done after a restart is job %s, want %s", again.ID, ofB.ID)
	}
	// The cancelled job's file was queued too and is classified on the
	// restart; the job stays CANCELLED.
	if c := g.v2WaitAs(t, keyA, cancelled.ID); c.Status != api.V2Cancelled {
		t.Errorf("cancelled job after a restart: %s", c.Status)
	}
	if again := g.v2CreateAs(t, keyA, file.ID, "tx-cancel"); again.ID != cancelled.ID || again.Status != api.V2Cancelled {
		t.Errorf("tx-cancel after a restart: %s %s", again.ID, again.Status)
	}
	var page api.V2Page
	g.do(t, "GET", "/api/v2/classify?status=CANCELLED", "", nil, keyA).json(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != cancelled.ID {
		t.Errorf("CANCELLED after a restart: %+v", page.Items)
	}
	// Deleting the job forgets its transaction_id.
	if a := g.do(t, "DELETE", "/api/v2/classify/"+done.ID, "", nil, keyA); a.status != 200 {
		t.Fatalf("delete: %d %s", a.status, a.body)
	}
	if again := g.v2CreateAs(t, keyA, file.ID, "tx-done"); again.ID == done.ID {
		t.Error("a deleted job's transaction_id still answers it")
	}
}

// TestV2ListPages: page_size is 1-100 (422 outside), and a page of v2
// jobs with large configurations stops before the byte cap with a token;
// paging returns every job once.
func TestV2ListPages(t *testing.T) {
	f := newFixtureAt(t, Options{}, filepath.Join(t.TempDir(), "data"), false)
	for _, v := range []string{"0", "101", "-1", "x"} {
		if a := f.do(t, "GET", "/api/v2/classify?page_size="+v, "", nil, testKey); a.status != 422 {
			t.Errorf("page_size=%s: %d %s, want 422", v, a.status, a.body)
		}
	}
	file := f.upload(t, "a.txt", "invoice total amount due")
	rules := make([]api.Rule, local.MaxRules)
	for i := range rules {
		rules[i] = api.Rule{Type: fmt.Sprint("type", i), Description: strings.Repeat("d", 500)}
	}
	ctx := context.Background()
	const jobs = 90 // each about 60 KB: more than 4 MiB in all
	for range jobs {
		req := api.CreateJobRequest{FileIDs: []string{file.ID}, Rules: rules}
		if _, _, err := f.tenant().CreateV2Job(ctx, req, local.V2Side{FileInput: file.ID, InputType: "file_id", Configuration: api.V2Configuration{Rules: rules}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	token, pages := "", 0
	for {
		a := f.do(t, "GET", "/api/v2/classify?page_size=100&page_token="+token, "", nil, testKey)
		if a.status != 200 {
			t.Fatalf("list: %d %s", a.status, a.body)
		}
		var page api.V2Page
		a.json(t, &page)
		pages++
		if len(a.body) > local.DefaultMaxPageBytes+100_000 {
			t.Errorf("page %d is %d bytes", pages, len(a.body))
		}
		for _, j := range page.Items {
			if seen[j.ID] {
				t.Errorf("job %s listed twice", j.ID)
			}
			seen[j.ID] = true
		}
		if page.NextPageToken == nil {
			break
		}
		token = *page.NextPageToken
	}
	if len(seen) != jobs || pages < 2 {
		t.Errorf("%d jobs in %d pages; want %d in more than one", len(seen), pages, jobs)
	}
}

// TestV2StateChangesGuarded: v2's state-changing routes refuse what a
// browser page on another site could send: a cross-site Origin, a
// rebinding Host, a create that is not JSON.
func TestV2StateChangesGuarded(t *testing.T) {
	f := newFixtureAt(t, Options{}, filepath.Join(t.TempDir(), "data"), true)
	file := f.upload(t, "a.txt", "invoice total amount due")
	job := f.v2WaitAs(t, testKey, f.v2CreateAs(t, testKey, file.ID, "").ID)
	body := `{"file_input":"` + file.ID + `",` + v2Rules + `}`
	cases := []struct {
		name, method, path, ct, body string
		header                       map[string]string
		want                         int
	}{
		{"create as text/plain", "POST", "/api/v2/classify", "text/plain", body, nil, 422},
		{"create without a content type", "POST", "/api/v2/classify", "", body, nil, 422},
		{"create from another site", "POST", "/api/v2/classify", "application/json", body, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
		{"create through a rebinding name", "POST", "/api/v2/classify", "application/json", body, map[string]string{"Host": "evil.example"}, 403},
		{"cancel from another site", "POST", "/api/v2/classify/" + job.ID + "/cancel", "", "", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
		{"cancel with a form body", "POST", "/api/v2/classify/" + job.ID + "/cancel", "application/x-www-form-urlencoded", "a=b", nil, 422},
		{"delete from another site", "DELETE", "/api/v2/classify/" + job.ID, "", "", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := newRequest(f, c.method, c.path, c.ct, c.body, c.header)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := f.ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("%d, want %d", resp.StatusCode, c.want)
			}
		})
	}
	var got api.V2Job
	if a := f.do(t, "GET", "/api/v2/classify/"+job.ID, "", nil, testKey); a.status != 200 || json.Unmarshal(a.body, &got) != nil || got.Status != api.V2Completed {
		t.Errorf("the job after the refused requests: %d %s", a.status, a.body)
	}
}

func newRequest(f *fixture, method, path, ct, body string, header map[string]string) (*http.Request, error) {
	req, err := http.NewRequest(method, f.ts.URL+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	return req, nil
}

// TestV2WebhookTargetsChecked: a v2 job's webhooks go through v1's
// checks: a URL with credentials is refused at create (422), a loopback
// target is refused when dialled (ErrPrivateAddress, one attempt, never
// reaching the receiver) and counted as a webhook_target refusal.
func TestV2WebhookTargetsChecked(t *testing.T) {
	deliveries := make(chan WebhookDelivery, 8)
	f := newFixtureAt(t, Options{WebhookRetries: 2, WebhookBackoff: time.Millisecond,
		OnWebhook: func(d WebhookDelivery) { deliveries <- d }}, filepath.Join(t.TempDir(), "data"), true)
	var hits atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(recv.Close)
	file := f.upload(t, "a.txt", "invoice total amount due")
	create := func(hook string) answer {
		body := `{"file_input":"` + file.ID + `",` + v2Rules + `,"webhook_configurations":[{"webhook_url":"` + hook + `","webhook_events":["classify.success"]}]}`
		return f.do(t, "POST", "/api/v2/classify", "application/json", strings.NewReader(body), testKey)
	}
	if a := create("http://user:pw@example.com/hook"); a.status != 422 || !strings.Contains(string(a.body), "credentials") {
		t.Errorf("a webhook URL with credentials: %d %s, want 422", a.status, a.body)
	}
	before := refusalCount(t, "webhook_target")
	a := create(recv.URL)
	if a.status != 200 {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	select {
	case d := <-deliveries:
		if !errors.Is(d.Err, ErrPrivateAddress) || d.Attempts != 1 || d.Event != "classify.success" {
			t.Errorf("delivery %+v, want classify.success refused with ErrPrivateAddress after 1 attempt", d)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no delivery")
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the refused webhook reached the receiver %d times", n)
	}
	if got := refusalCount(t, "webhook_target"); got != before+1 {
		t.Errorf("webhook_target refusals %v, want %v", got, before+1)
	}
}
