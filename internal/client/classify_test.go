package client

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/server"
)

var v2Rules = []api.Rule{
	{Type: "invoice", Description: "an invoice: invoice number, amount due, total, payment terms"},
	{Type: "receipt", Description: "a receipt: paid, thank you for your purchase, change given"},
}

func v2Req(fileID, tx string) api.V2CreateRequest {
	r := api.V2CreateRequest{FileInput: api.Ptr(fileID), Configuration: &api.V2Configuration{Rules: v2Rules}}
	if tx != "" {
		r.TransactionID = api.Ptr(tx)
	}
	return r
}

func waitV2(t *testing.T, c *Client, id string) api.V2Job {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j, err := c.GetClassify(ctx(t), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status.Terminal() {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s", id, j.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestClassifyV2(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, nil)
	cx := ctx(t)
	f, err := c.Upload(cx, writeFile(t, "inv.txt", "INVOICE number 42. Amount due 100 EUR, total, payment terms 30 days."), api.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pc := &api.V2ParsingConfiguration{MaxPages: api.Ptr(3), TargetPages: api.PagesString([]int{0, 2, 3})}
	req := v2Req(f.ID, "tx-1")
	req.Configuration.ParsingConfiguration = pc
	job, err := c.Classify(cx, req)
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != api.V2Pending && job.Status != api.V2Running {
		t.Errorf("new job is %s", job.Status)
	}
	if job.FileInput != f.ID || api.Deref(job.TransactionID) != "tx-1" || job.DocumentInputType != "file_id" ||
		api.Deref(job.Configuration.ParsingConfiguration.TargetPages) != "1,3-4" {
		t.Errorf("job = %+v", job)
	}
	// The same transaction id, another body: the original job.
	again := v2Req("dfl-nonexistent", "tx-1")
	again.Configuration.Rules = v2Rules[:1]
	j2, err := c.Classify(cx, again)
	if err != nil || j2.ID != job.ID {
		t.Fatalf("re-create with the same transaction_id: %v, id %s, want %s", err, j2.ID, job.ID)
	}
	done := waitV2(t, c, job.ID)
	if done.Status != api.V2Completed || done.Result == nil || api.Deref(done.Result.Type) != "invoice" {
		t.Fatalf("done = %+v result %+v", done, done.Result)
	}
	// Another project: the transaction id is not shared.
	other := e.client(t, func(o *Options) { o.ProjectID = "p-2" })
	j3, err := other.Classify(cx, v2Req(f.ID, "tx-1"))
	if err != nil || j3.ID == job.ID {
		t.Fatalf("another project reused the job: %v %s", err, j3.ID)
	}

	// Cancel and delete of a finished job: 400 at once, not 409 (retried by every SDK).
	e.f.set(nil)
	_, err = c.CancelClassify(cx, job.ID)
	var ae *api.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 {
		t.Errorf("cancel of a finished job: %v, want 400", err)
	}
	if n := e.f.count("POST", "/api/v2/classify/"+job.ID+"/cancel"); n != 1 {
		t.Errorf("cancel was sent %d times", n)
	}
	if _, err := c.GetClassify(cx, "nope"); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("get unknown: %v", err)
	}
	del, err := c.DeleteClassify(cx, job.ID)
	if err != nil || del.ID != job.ID {
		t.Fatalf("delete: %v %+v", err, del)
	}
	if _, err := c.GetClassify(cx, job.ID); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("get after delete: %v", err)
	}

	// Validation as the reference's limits.
	bad := v2Req(f.ID, "")
	bad.Configuration.Rules = []api.Rule{{Type: strings.Repeat("x", 51), Description: "short"}}
	bad.Configuration.ParsingConfiguration = &api.V2ParsingConfiguration{MaxPages: api.Ptr(0)}
	_, err = c.Classify(cx, bad)
	if !errors.As(err, &ae) || ae.StatusCode != 422 || len(ae.Issues) != 3 {
		t.Errorf("invalid create: %v", err)
	}
}

func TestClassifyV2List(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, nil)
	cx := ctx(t)
	f, err := c.Upload(cx, writeFile(t, "r.txt", "RECEIPT. Paid, thank you for your purchase. Change given 2 EUR."), api.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	start := time.Now()
	for i := range 5 {
		j, err := c.Classify(cx, v2Req(f.ID, "l-"+string(rune('a'+i))))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	for _, id := range ids {
		waitV2(t, c, id)
	}
	e.f.set(nil)
	var got []string
	if err := c.ListClassify(cx, api.V2ListRequest{PageSize: 2}, func(j api.V2Job) error {
		got = append(got, j.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[0] != ids[4] || got[4] != ids[0] {
		t.Errorf("list = %v, want the 5 jobs newest first", got)
	}
	if n := e.f.count("GET", "/api/v2/classify"); n != 3 {
		t.Errorf("5 jobs at page_size 2 took %d pages", n)
	}
	jobs, err := c.V2Jobs(cx, []string{ids[1], ids[3], "unknown"})
	if err != nil || len(jobs) != 2 {
		t.Errorf("V2Jobs = %v, %v", jobs, err)
	}
	for _, tc := range []struct {
		name string
		lr   api.V2ListRequest
		want int
	}{
		{"completed", api.V2ListRequest{Status: api.V2Completed}, 5},
		{"pending", api.V2ListRequest{Status: api.V2Pending}, 0},
		{"job_ids", api.V2ListRequest{JobIDs: ids[:2]}, 2},
		{"created after", api.V2ListRequest{CreatedAtOnOrAfter: start.Add(-time.Second)}, 5},
		{"created before", api.V2ListRequest{CreatedAtOnOrBefore: start.Add(-time.Second)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := c.ListClassifyPage(cx, tc.lr)
			if err != nil || len(p.Items) != tc.want {
				t.Errorf("%d items, %v; want %d", len(p.Items), err, tc.want)
			}
		})
	}
	if _, err := c.ListClassifyPage(cx, api.V2ListRequest{PageSize: 101}); err == nil {
		t.Error("page_size 101 accepted")
	}
}

// gate is a classifier that waits until released.
type gate struct{ release chan struct{} }

func (g gate) Classify(ctx context.Context, path string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration) (api.ItemResult, error) {
	select {
	case <-g.release:
	case <-ctx.Done():
		return api.ItemResult{}, ctx.Err()
	}
	return api.ItemResult{Type: api.Ptr(rules[0].Type), Confidence: 0.9, Reasoning: "gate"}, nil
}

// hook is a webhook receiver that checks the LC-Signature of every delivery.
type hook struct {
	secret string
	mu     sync.Mutex
	events []string
	bad    []string
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m := hmac.New(sha256.New, []byte(h.secret))
	m.Write(body)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	h.mu.Lock()
	defer h.mu.Unlock()
	if !hmac.Equal([]byte(r.Header.Get("LC-Signature")), []byte(want)) {
		h.bad = append(h.bad, r.Header.Get("LC-Signature"))
	}
	// Default output format "string": a JSON string holding the job.
	var s string
	var job api.V2Job
	if json.Unmarshal(body, &s) != nil {
		s = string(body) // output format "json" (the v1 default)
	}
	if json.Unmarshal([]byte(s), &job) != nil || job.ID == "" {
		h.bad = append(h.bad, "body "+string(body))
	}
	h.events = append(h.events, r.Header.Get("X-Classifyd-Event")+" "+string(job.Status))
}

func (h *hook) wait(t *testing.T, n int) []string {
	t.Helper()
	for range 2000 {
		h.mu.Lock()
		ev := append([]string(nil), h.events...)
		h.mu.Unlock()
		if len(ev) >= n {
			return ev
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("webhooks: %v, want %d", h.events, n)
	return nil
}

func TestClassifyV2RunningCancelWebhooks(t *testing.T) {
	g := gate{release: make(chan struct{})}
	var srv *server.Server
	b, err := local.New(local.Options{Classifier: g, Workers: 1,
		OnJobDone: func(j api.ClassifyJob) { srv.JobDone(j) }, OnFileStart: func(id string) { srv.FileStarted(id) }})
	if err != nil {
		t.Fatal(err)
	}
	srv = server.New(server.Options{Backend: b, APIKeys: []string{testKey}, AllowPrivateWebhooks: true})
	ts := httptest.NewServer(srv)
	go b.Run(context.Background())
	h := &hook{secret: "s3cret"}
	hs := httptest.NewServer(h)
	t.Cleanup(func() { close(g.release); ts.Close(); hs.Close(); b.Close(); srv.Shutdown(context.Background()) })
	c, err := New(Options{BaseURL: ts.URL, APIKey: testKey, RetryWaitMin: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cx := ctx(t)
	f, err := c.Upload(cx, writeFile(t, "a.txt", "anything"), api.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	req := v2Req(f.ID, "")
	req.WebhookConfigurations = []api.V2WebhookConfiguration{{WebhookURL: api.Ptr(hs.URL), WebhookSigningSecret: api.Ptr(h.secret)}}
	job, err := c.Classify(cx, req)
	if err != nil {
		t.Fatal(err)
	}
	for range 2000 {
		if job, _ = c.GetClassify(cx, job.ID); job.Status == api.V2Running {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if job.Status != api.V2Running {
		t.Fatalf("a job whose file is being read is %s, want RUNNING", job.Status)
	}
	cj, err := c.CancelClassify(cx, job.ID)
	if err != nil || cj.Status != api.V2Cancelled {
		t.Fatalf("cancel: %v %s", err, cj.Status)
	}
	ev := h.wait(t, 3)
	want := []string{"classify.pending PENDING", "classify.running RUNNING", "classify.cancelled CANCELLED"}
	if strings.Join(ev, "|") != strings.Join(want, "|") {
		t.Errorf("webhooks %v, want %v", ev, want)
	}
	if len(h.bad) > 0 {
		t.Errorf("bad deliveries: %v", h.bad)
	}
	if p, err := c.ListClassifyPage(cx, api.V2ListRequest{Status: api.V2Cancelled}); err != nil || len(p.Items) != 1 {
		t.Errorf("list CANCELLED: %v %v", p.Items, err)
	}

	// v1 webhooks are signed the same way.
	g.release <- struct{}{} // the cancelled job's file
	v1, err := c.CreateJob(cx, api.CreateJobRequest{FileIDs: []string{f.ID}, Rules: v2Rules,
		WebhookConfigurations: []api.WebhookConfiguration{{WebhookURL: api.Ptr(hs.URL), WebhookSigningSecret: api.Ptr(h.secret)}}})
	if err != nil {
		t.Fatal(err)
	}
	g.release <- struct{}{}
	ev = h.wait(t, 4)
	if ev[3] != "classify.success SUCCESS" || len(h.bad) > 0 {
		t.Errorf("v1 job %s: webhooks %v, bad %v", v1.ID, ev, h.bad)
	}
}

// A server with only one of the APIs: the client says which to set.
func TestClassifyMissingAPI(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		hide string
		call func(c *Client) error
		want error
	}{
		{"/api/v2/", func(c *Client) error { _, err := c.Classify(context.Background(), v2Req("x", "")); return err }, api.ErrNoV2},
		{"/api/v2/", func(c *Client) error { _, err := c.V2Jobs(context.Background(), []string{"x"}); return err }, api.ErrNoV2},
		{"/api/v1/classifier/", func(c *Client) error {
			_, err := c.CreateJob(context.Background(), api.CreateJobRequest{FileIDs: []string{"x"}, Rules: v2Rules})
			return err
		}, api.ErrNoV1},
	} {
		e.f.set(func(w http.ResponseWriter, r *http.Request, seen int) bool {
			if strings.HasPrefix(r.URL.Path, tc.hide) {
				http.Error(w, `{"detail":"Not Found"}`, 404)
				return true
			}
			return false
		})
		if err := tc.call(e.client(t, nil)); !errors.Is(err, tc.want) {
			t.Errorf("without %s: %v, want %v", tc.hide, err, tc.want)
		}
	}
	e.f.set(nil)
}

func TestPages(t *testing.T) {
	if s := api.Deref(api.PagesString([]int{6, 0, 2, 4, 5})); s != "1,3,5-7" {
		t.Errorf("PagesString = %q", s)
	}
	p, err := api.ParsePages("1,3,5-7")
	if err != nil || len(p) != 5 || p[0] != 0 || p[4] != 6 {
		t.Errorf("ParsePages = %v %v", p, err)
	}
	for _, bad := range []string{"0", "3-1", "a", "1,,2", ""} {
		if _, err := api.ParsePages(bad); err == nil {
			t.Errorf("ParsePages(%q) accepted", bad)
		}
	}
}
