package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
)

// Classify v2 (/api/v2/classify) beside v1. A v2 job is a job of the local
// backend with one file and a v2 side (local.V2Side: file_input, the inline
// configuration, transaction_id, webhooks, the RUNNING and CANCELLED
// overlays), stored with the job: it belongs to the job's tenant, outlives a
// restart, and every route reaches it through s.scoped(r) like v1 does. v1
// lists show v2 jobs too (same id).

// Limits of v2 requests (../shared/reference/classify-api-v2.md §1.1, §1.4).
const (
	v2TypeMin, v2TypeMax = 1, 50
	v2DescMin, v2DescMax = 10, 500
	v2MaxPageSize        = local.MaxListPageSize
	v2DefaultPageSize    = 50
	v2MaxTransactionID   = 255
)

// routeV2 adds the v2 routes to mux.
func (s *Server) routeV2(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v2/classify", s.auth(s.v2Create))
	mux.HandleFunc("GET /api/v2/classify", s.auth(s.v2List))
	mux.HandleFunc("GET /api/v2/classify/{id}", s.auth(s.v2Get))
	mux.HandleFunc("POST /api/v2/classify/{id}/cancel", s.auth(s.v2Cancel))
	mux.HandleFunc("DELETE /api/v2/classify/{id}", s.auth(s.v2Delete))
}

func (s *Server) v2Create(w http.ResponseWriter, r *http.Request) {
	setReadDeadline(w, jsonReadTimeout)
	// JSON only, named as such, as v1 (a cross-site form cannot send it).
	if !isJSON(r) {
		writeIssues(w, issue("model_attributes_type", "Input should be a valid dictionary or object to extract fields from (send Content-Type: application/json)", "body"))
		return
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
	sc := s.scoped(r)
	cfg := *req.Configuration
	cfg.Mode = api.Ptr(api.ModeFast)
	v1 := api.CreateJobRequest{FileIDs: []string{fileInput}, Rules: cfg.Rules, Mode: cfg.Mode, ProjectID: api.Ptr(r.URL.Query().Get("project_id"))}
	if pc := cfg.ParsingConfiguration; pc != nil {
		v1.ParsingConfiguration = &api.ParsingConfiguration{Lang: pc.Lang, MaxPages: pc.MaxPages, TargetPages: pages}
	}
	side := local.V2Side{FileInput: fileInput, InputType: inputType, Configuration: cfg, TransactionID: req.TransactionID, Webhooks: req.WebhookConfigurations}
	j, _, err := sc.CreateV2Job(r.Context(), v1, side, func(j local.V2Job) { s.v2Notify(j, v2Answer(j)) })
	var ve *api.ValidationError
	if errors.As(err, &ve) {
		// The local job's locations are v1's: name v2's fields.
		for i := range ve.Issues {
			if len(ve.Issues[i].Loc) >= 2 && ve.Issues[i].Loc[1] == "file_ids" {
				ve.Issues[i].Loc = []any{"body", "file_input"}
			}
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v2Answer(j))
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

// v2Answer is the v2 job object of j.
func v2Answer(j local.V2Job) api.V2Job {
	out := api.V2Job{
		ID: j.Job.ID, Configuration: j.Configuration, DocumentInputType: j.InputType, FileInput: j.FileInput,
		ProjectID: j.Job.ProjectID, Status: j.Status, UserID: j.Job.UserID, TransactionID: j.TransactionID,
		CreatedAt: j.Job.CreatedAt, UpdatedAt: j.Job.UpdatedAt, Result: j.Result,
	}
	if j.CancelledAt != nil {
		out.UpdatedAt = j.CancelledAt
	}
	if out.Status == api.V2Failed {
		out.ErrorMessage = j.Job.ErrorMessage
		if out.ErrorMessage == nil {
			out.ErrorMessage = api.Ptr("the file gave no result")
		}
	}
	return out
}

func (s *Server) v2Get(w http.ResponseWriter, r *http.Request) {
	j, err := s.scoped(r).GetV2Job(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v2Answer(j))
}

// v2NoBody refuses a body that is not JSON on a route that takes none (a
// cross-site form post carries one).
func v2NoBody(w http.ResponseWriter, r *http.Request) bool {
	if r.ContentLength != 0 && r.Header.Get("Content-Type") != "" && !isJSON(r) {
		writeIssues(w, issue("model_attributes_type", "Input should be a valid dictionary or object to extract fields from (send no body or Content-Type: application/json)", "body"))
		return false
	}
	return true
}

func (s *Server) v2Cancel(w http.ResponseWriter, r *http.Request) {
	if !v2NoBody(w, r) {
		return
	}
	j, err := s.scoped(r).CancelV2Job(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := v2Answer(j)
	s.v2Notify(j, out)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) v2Delete(w http.ResponseWriter, r *http.Request) {
	if !v2NoBody(w, r) {
		return
	}
	j, err := s.scoped(r).DeleteV2Job(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.V2Deleted{ID: j.Job.ID, ProjectID: api.Ptr(j.Job.ProjectID)})
}

// v2List is GET /api/v2/classify: the tenant's v2 jobs newest first,
// filters status, job_ids, configuration_id and the created_at range;
// page_size 1-100, pages stop before the byte cap (local.MaxPageBytes).
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
	vq := local.V2Query{Status: api.V2Status(q.Get("status"))}
	if vq.Status != "" && !vq.Status.Valid() {
		writeIssues(w, issue("enum", "Input should be 'PENDING', 'RUNNING', 'COMPLETED', 'FAILED' or 'CANCELLED'", "query", "status"))
		return
	}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"created_at_on_or_after", &vq.CreatedFrom}, {"created_at_on_or_before", &vq.CreatedTo}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				writeIssues(w, issue("datetime_from_date_parsing", "Input should be a valid datetime", "query", p.name))
				return
			}
			*p.t = t
		}
	}
	for _, v := range q["job_ids"] {
		for id := range strings.SplitSeq(v, ",") { // also the comma form
			if id = strings.TrimSpace(id); id != "" {
				vq.JobIDs = append(vq.JobIDs, id)
			}
		}
	}
	sc := s.scoped(r)
	project, err := sc.Project(q.Get("project_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	vq.ProjectID = project
	page := api.V2Page{Items: []api.V2Job{}}
	if q.Get("configuration_id") != "" || len(q["job_ids"]) > 0 && len(vq.JobIDs) == 0 {
		writeJSON(w, http.StatusOK, page) // no job here was created from a saved configuration
		return
	}
	jobs, next, err := sc.ListV2JobsPage(r.Context(), vq, size, q.Get("page_token"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, j := range jobs {
		page.Items = append(page.Items, v2Answer(j))
	}
	page.NextPageToken = next
	writeJSON(w, http.StatusOK, page)
}
