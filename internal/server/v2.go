package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
)

// Classify v2 (/api/v2/classify) beside v1. A v2 job is a v1 job of the
// local backend with one file (same id, so v1 lists show it too); what v2
// adds (file_input, the inline configuration, transaction_id, webhooks, the
// RUNNING and CANCELLED overlays) is kept here, in memory: a restart of
// serve forgets the v2 side of its jobs (their v1 side stays).

// Limits of v2 requests (../shared/reference/classify-api-v2.md §1.1, §1.4).
const (
	v2TypeMin, v2TypeMax = 1, 50
	v2DescMin, v2DescMax = 10, 500
	v2MaxPageSize        = 100
	v2DefaultPageSize    = 50
	v2MaxTransactionID   = 255
)

// v2Job is the v2 side of a job.
type v2Job struct {
	seq       uint64 // creation order, for listing and page tokens
	id        string
	project   string
	fileInput string
	inputType string
	cfg       api.V2Configuration
	txID      *string
	webhooks  []api.V2WebhookConfiguration
	created   time.Time
	running   bool
	cancelled *time.Time
}

// v2Jobs is the registry of v2 jobs. Its lock is held across a create so
// that two creates with one transaction_id make one job.
type v2Jobs struct {
	mu   sync.Mutex
	seq  uint64
	byID map[string]*v2Job
	byTx map[string]string // project \x00 transaction_id → job id
}

func newV2Jobs() *v2Jobs {
	return &v2Jobs{byID: map[string]*v2Job{}, byTx: map[string]string{}}
}

// routeV2 adds the v2 routes to mux.
func (s *Server) routeV2(mux *http.ServeMux) {
	s.v2 = newV2Jobs()
	mux.HandleFunc("POST /api/v2/classify", s.auth(s.v2Create))
	mux.HandleFunc("GET /api/v2/classify", s.auth(s.v2List))
	mux.HandleFunc("GET /api/v2/classify/{id}", s.auth(s.v2Get))
	mux.HandleFunc("POST /api/v2/classify/{id}/cancel", s.auth(s.v2Cancel))
	mux.HandleFunc("DELETE /api/v2/classify/{id}", s.auth(s.v2Delete))
}

func projectOf(r *http.Request) string {
	if p := r.URL.Query().Get("project_id"); p != "" {
		return p
	}
	return local.DefaultProjectID
}

func (s *Server) v2Create(w http.ResponseWriter, r *http.Request) {
	setReadDeadline(w, jsonReadTimeout)
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			writeIssues(w, issue("model_attributes_type", "Input should be a valid dictionary or object to extract fields from (send Content-Type: application/json)", "body"))
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxJSONBytes))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req api.V2CreateRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeIssues(w, jsonIssue(err))
		return
	}
	fileInput, inputType := "", "file_id"
	switch {
	case req.FileInput != nil:
		fileInput = *req.FileInput
	case req.FileID != nil:
		fileInput = *req.FileID
	case req.ParseJobID != nil:
		fileInput = *req.ParseJobID
	}
	issues := validateV2(req, fileInput)
	var pages []int
	if pc := req.Configuration; pc != nil && pc.ParsingConfiguration != nil && pc.ParsingConfiguration.TargetPages != nil {
		if pages, err = api.ParsePages(*pc.ParsingConfiguration.TargetPages); err != nil {
			issues = append(issues, issue("value_error", "Value error, target_pages: "+err.Error(), "body", "configuration", "parsing_configuration", "target_pages"))
		}
	}
	if len(issues) > 0 {
		writeIssues(w, issues...)
		return
	}
	if strings.HasPrefix(fileInput, "pjb-") {
		writeIssues(w, issue("value_error", "Value error, parse job ids are not supported by classifyd serve: upload the file and send its id", "body", "file_input"))
		return
	}
	project := projectOf(r)
	s.v2.mu.Lock()
	defer s.v2.mu.Unlock()
	if req.TransactionID != nil {
		if id, ok := s.v2.byTx[project+"\x00"+*req.TransactionID]; ok {
			if j, ok := s.v2.byID[id]; ok {
				// "Reusing a key returns the original job; the new request body is ignored."
				s.writeV2(w, r, j)
				return
			}
		}
	}
	if _, err := s.b.GetFile(r.Context(), fileInput); err != nil {
		writeIssues(w, issue("value_error", fmt.Sprintf("Value error, file %q not found", fileInput), "body", "file_input"))
		return
	}
	cfg := *req.Configuration
	cfg.Mode = api.Ptr(api.ModeFast)
	v1 := api.CreateJobRequest{FileIDs: []string{fileInput}, Rules: cfg.Rules, Mode: cfg.Mode, ProjectID: api.Ptr(project)}
	if pc := cfg.ParsingConfiguration; pc != nil {
		v1.ParsingConfiguration = &api.ParsingConfiguration{Lang: pc.Lang, MaxPages: pc.MaxPages, TargetPages: pages}
	}
	job, err := s.b.CreateJob(r.Context(), v1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.v2.seq++
	j := &v2Job{seq: s.v2.seq, id: job.ID, project: project, fileInput: fileInput, inputType: inputType,
		cfg: cfg, txID: req.TransactionID, webhooks: req.WebhookConfigurations, created: api.Deref(job.CreatedAt)}
	s.v2.byID[j.id] = j
	if j.txID != nil {
		s.v2.byTx[project+"\x00"+*j.txID] = j.id
	}
	out := s.v2Answer(r.Context(), j, job)
	s.v2Notify(j, out)
	writeJSON(w, http.StatusOK, out)
}

func validateV2(req api.V2CreateRequest, fileInput string) []api.ValidationIssue {
	var out []api.ValidationIssue
	add := func(typ, msg string, loc ...any) {
		out = append(out, issue(typ, msg, append([]any{"body"}, loc...)...))
	}
	if fileInput == "" {
		add("missing", "Field required: file_input (a file id)", "file_input")
	}
	switch {
	case req.ConfigurationID != nil && req.Configuration != nil:
		add("value_error", "Value error, configuration and configuration_id are mutually exclusive", "configuration_id")
	case req.ConfigurationID != nil:
		add("value_error", "Value error, saved configurations (configuration_id) are not supported by classifyd serve: send configuration", "configuration_id")
	case req.Configuration == nil:
		add("missing", "Field required: configuration (or configuration_id)", "configuration")
	}
	if c := req.Configuration; c != nil {
		if len(c.Rules) == 0 {
			add("too_short", "List should have at least 1 item after validation, not 0", "configuration", "rules")
		}
		if len(c.Rules) > local.MaxRules {
			add("too_long", fmt.Sprintf("List should have at most %d items after validation, not %d", local.MaxRules, len(c.Rules)), "configuration", "rules")
		}
		seen := map[string]bool{}
		for i, rule := range c.Rules {
			switch n := utf8.RuneCountInString(rule.Type); {
			case strings.TrimSpace(rule.Type) == "":
				add("string_too_short", fmt.Sprintf("String should have at least %d character", v2TypeMin), "configuration", "rules", i, "type")
			case n > v2TypeMax:
				add("string_too_long", fmt.Sprintf("String should have at most %d characters", v2TypeMax), "configuration", "rules", i, "type")
			case seen[rule.Type]:
				add("value_error", fmt.Sprintf("Value error, duplicate rule type %q", rule.Type), "configuration", "rules", i, "type")
			}
			seen[rule.Type] = true
			switch n := utf8.RuneCountInString(rule.Description); {
			case n < v2DescMin:
				add("string_too_short", fmt.Sprintf("String should have at least %d characters", v2DescMin), "configuration", "rules", i, "description")
			case n > v2DescMax:
				add("string_too_long", fmt.Sprintf("String should have at most %d characters", v2DescMax), "configuration", "rules", i, "description")
			}
		}
		if c.Mode != nil && *c.Mode != api.ModeFast {
			add("literal_error", "Input should be 'FAST'", "configuration", "mode")
		}
		if pc := c.ParsingConfiguration; pc != nil {
			if pc.MaxPages != nil && *pc.MaxPages < 1 {
				add("greater_than_equal", "Input should be greater than or equal to 1", "configuration", "parsing_configuration", "max_pages")
			}
			if pc.Lang != nil && !api.ValidLang(*pc.Lang) {
				add("value_error", fmt.Sprintf("Value error, unknown language code %q", *pc.Lang), "configuration", "parsing_configuration", "lang")
			}
		}
	}
	if t := req.TransactionID; t != nil && (*t == "" || len(*t) > v2MaxTransactionID) {
		add("string_too_long", fmt.Sprintf("transaction_id should have 1 to %d characters", v2MaxTransactionID), "transaction_id")
	}
	if len(req.WebhookConfigurationIDs) > 0 {
		add("value_error", "Value error, saved webhook configurations are not supported by classifyd serve: send webhook_configurations", "webhook_configuration_ids")
	}
	for i, wc := range req.WebhookConfigurations {
		u, err := url.Parse(api.Deref(wc.WebhookURL))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("url_parsing", "Input should be a valid http or https URL", "webhook_configurations", i, "webhook_url")
		}
		for k, ev := range wc.WebhookEvents {
			if !slices.Contains(v2Events, ev) {
				add("enum", "Input should be one of "+strings.Join(v2Events, ", "), "webhook_configurations", i, "webhook_events", k)
			}
		}
		if f := api.Deref(wc.WebhookOutputFormat); f != "" && f != "string" && f != "json" {
			add("literal_error", "Input should be 'string' or 'json'", "webhook_configurations", i, "webhook_output_format")
		}
	}
	return out
}

var v2Events = []string{"classify.pending", "classify.running", "classify.success", "classify.partial_success", "classify.error", "classify.cancelled"}

// v2Status is the v2 status of the local job behind j.
func v2Status(j *v2Job, job api.ClassifyJob) api.V2Status {
	if j.cancelled != nil {
		return api.V2Cancelled
	}
	switch job.Status {
	case api.StatusPending:
		if j.running {
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

// v2Answer is the v2 job object of j over its local job.
func (s *Server) v2Answer(ctx context.Context, j *v2Job, job api.ClassifyJob) api.V2Job {
	out := api.V2Job{
		ID: j.id, Configuration: j.cfg, DocumentInputType: j.inputType, FileInput: j.fileInput,
		ProjectID: j.project, Status: v2Status(j, job), UserID: job.UserID, TransactionID: j.txID,
		CreatedAt: job.CreatedAt, UpdatedAt: job.UpdatedAt,
	}
	if j.cancelled != nil {
		out.UpdatedAt = j.cancelled
	}
	switch out.Status {
	case api.V2Completed:
		err := s.b.Results(ctx, j.id, func(it api.ResultItem) error {
			if out.Result == nil && it.Result != nil {
				out.Result = it.Result
			}
			return nil
		})
		if err != nil || out.Result == nil {
			out.Status = api.V2Failed
			out.ErrorMessage = api.Ptr("the file gave no result")
		}
	case api.V2Failed:
		out.ErrorMessage = job.ErrorMessage
	}
	return out
}

// v2Lookup returns the v2 job of the request's id and its local job.
func (s *Server) v2Lookup(w http.ResponseWriter, r *http.Request) (*v2Job, api.ClassifyJob, bool) {
	id := r.PathValue("id")
	s.v2.mu.Lock()
	j, ok := s.v2.byID[id]
	s.v2.mu.Unlock()
	if !ok {
		writeDetail(w, http.StatusNotFound, fmt.Sprintf("Classify job %s not found", id))
		return nil, api.ClassifyJob{}, false
	}
	job, err := s.b.GetJob(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return nil, job, false
	}
	return j, job, true
}

func (s *Server) writeV2(w http.ResponseWriter, r *http.Request, j *v2Job) {
	job, err := s.b.GetJob(r.Context(), j.id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.v2Answer(r.Context(), j, job))
}

func (s *Server) v2Get(w http.ResponseWriter, r *http.Request) {
	j, job, ok := s.v2Lookup(w, r)
	if !ok {
		return
	}
	s.v2.mu.Lock()
	out := s.v2Answer(r.Context(), j, job)
	s.v2.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// refuseFinished answers a cancel or delete of a job in the wrong state:
// 400, never 409, which every SDK retries.
func refuseFinished(w http.ResponseWriter, id string, st api.V2Status, what string) {
	w.Header().Set("X-Should-Retry", "false")
	writeDetail(w, http.StatusBadRequest, fmt.Sprintf("Classify job %s is %s: %s", id, st, what))
}

func (s *Server) v2Cancel(w http.ResponseWriter, r *http.Request) {
	j, job, ok := s.v2Lookup(w, r)
	if !ok {
		return
	}
	s.v2.mu.Lock()
	st := v2Status(j, job)
	if st.Terminal() {
		s.v2.mu.Unlock()
		refuseFinished(w, j.id, st, "only a PENDING or RUNNING job can be cancelled")
		return
	}
	now := time.Now().UTC()
	j.cancelled = &now
	out := s.v2Answer(r.Context(), j, job)
	s.v2.mu.Unlock()
	s.v2Notify(j, out)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) v2Delete(w http.ResponseWriter, r *http.Request) {
	j, job, ok := s.v2Lookup(w, r)
	if !ok {
		return
	}
	s.v2.mu.Lock()
	defer s.v2.mu.Unlock()
	if st := v2Status(j, job); !st.Terminal() {
		refuseFinished(w, j.id, st, "cancel a job that is still running before deleting it")
		return
	}
	delete(s.v2.byID, j.id)
	if j.txID != nil && s.v2.byTx[j.project+"\x00"+*j.txID] == j.id {
		delete(s.v2.byTx, j.project+"\x00"+*j.txID)
	}
	writeJSON(w, http.StatusOK, api.V2Deleted{ID: j.id, ProjectID: api.Ptr(j.project)})
}

// v2List is GET /api/v2/classify: newest first, filters status, job_ids,
// configuration_id and the created_at range; the page token is the
// position after the last job answered.
func (s *Server) v2List(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size := v2DefaultPageSize
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			writeIssues(w, issue("int_parsing", "Input should be a valid integer, unable to parse string as an integer", "query", "page_size"))
			return
		case n < 1:
			writeIssues(w, issue("greater_than_equal", "Input should be greater than or equal to 1", "query", "page_size"))
			return
		case n > v2MaxPageSize:
			writeIssues(w, issue("less_than_equal", fmt.Sprintf("Input should be less than or equal to %d", v2MaxPageSize), "query", "page_size"))
			return
		}
		size = n
	}
	var before uint64 = 1<<64 - 1
	if t := q.Get("page_token"); t != "" {
		n, err := strconv.ParseUint(strings.TrimPrefix(t, "v2-"), 10, 64)
		if err != nil || !strings.HasPrefix(t, "v2-") {
			writeIssues(w, issue("value_error", "Value error, invalid page_token", "query", "page_token"))
			return
		}
		before = n
	}
	status := api.V2Status(q.Get("status"))
	if status != "" && !status.Valid() {
		writeIssues(w, issue("enum", "Input should be 'PENDING', 'RUNNING', 'COMPLETED', 'FAILED' or 'CANCELLED'", "query", "status"))
		return
	}
	var after, until time.Time
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"created_at_on_or_after", &after}, {"created_at_on_or_before", &until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				writeIssues(w, issue("datetime_from_date_parsing", "Input should be a valid datetime", "query", p.name))
				return
			}
			*p.t = t
		}
	}
	var ids map[string]bool
	if v := q["job_ids"]; len(v) > 0 {
		ids = map[string]bool{}
		for _, id := range v {
			for id := range strings.SplitSeq(id, ",") { // also the comma form
				ids[id] = true
			}
		}
	}
	project := projectOf(r)
	s.v2.mu.Lock()
	var cands []*v2Job
	for _, j := range s.v2.byID {
		if j.seq < before && j.project == project && (ids == nil || ids[j.id]) &&
			(after.IsZero() || !j.created.Before(after)) && (until.IsZero() || !j.created.After(until)) {
			cands = append(cands, j)
		}
	}
	slices.SortFunc(cands, func(a, b *v2Job) int { return int(b.seq) - int(a.seq) })
	page := api.V2Page{Items: []api.V2Job{}}
	if q.Get("configuration_id") != "" {
		cands = nil // no job here was created from a saved configuration
	}
	var last uint64
	for _, j := range cands {
		if len(page.Items) == size {
			page.NextPageToken = api.Ptr(fmt.Sprintf("v2-%d", last))
			break
		}
		job, err := s.b.GetJob(r.Context(), j.id)
		if err != nil {
			continue // released under us
		}
		out := s.v2Answer(r.Context(), j, job)
		if status != "" && out.Status != status {
			continue
		}
		page.Items = append(page.Items, out)
		last = j.seq
	}
	s.v2.mu.Unlock()
	writeJSON(w, http.StatusOK, page)
}
