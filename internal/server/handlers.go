package server

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
)

// Body read deadlines (slow-body defence beside the http.Server's header
// timeout); variables so tests can shrink them.
var (
	uploadReadTimeout = 30 * time.Minute
	jsonReadTimeout   = 30 * time.Second
)

// Purposes the files endpoint accepts (the SDK's list).
var purposes = []string{"user_data", "parse", "extract", "classify", "split", "sheet", "agent_app"}

const maxFieldBytes = 64 << 10

func setReadDeadline(w http.ResponseWriter, d time.Duration) {
	// Not every ResponseWriter supports deadlines (httptest's recorder does
	// not); the error is ignored on purpose.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
}

// uploadFile is POST /api/v1/beta/files: multipart/form-data with a "file"
// part (streamed to the backend, never held in memory), "purpose" and an
// optional "external_file_id", in any order.
func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request) {
	setReadDeadline(w, uploadReadTimeout)
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		writeIssues(w, issue("missing", "Field required (send multipart/form-data with a file part)", "body", "file"))
		return
	}
	opts := api.UploadOptions{
		ProjectID:      r.URL.Query().Get("project_id"),
		OrganizationID: r.URL.Query().Get("organization_id"),
	}
	sc := s.scoped(r)
	var (
		file              *api.File
		purpose, external *string
		upd               local.FileUpdate // fields that came after the file part
	)
	fail := func(err error) {
		if file != nil {
			sc.DeleteFile(r.Context(), file.ID)
		}
		s.writeError(w, r, err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if !errors.As(err, &mbe) {
				err = &api.ValidationError{Issues: []api.ValidationIssue{issue("value_error", "Value error, malformed multipart body: "+err.Error(), "body")}}
			}
			fail(err)
			return
		}
		switch name := part.FormName(); name {
		case "file":
			if file != nil {
				fail(&api.ValidationError{Issues: []api.ValidationIssue{issue("value_error", "Value error, only one file per upload", "body", "file")}})
				return
			}
			if purpose != nil && !slices.Contains(purposes, *purpose) {
				fail(purposeError())
				return
			}
			o := opts
			o.ExternalFileID = api.Deref(external)
			f, err := sc.AddUpload(r.Context(), part.FileName(), part, o)
			if err != nil {
				fail(err)
				return
			}
			file = &f
		case "purpose", "external_file_id":
			v, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err == nil && len(v) > maxFieldBytes {
				err = &api.ValidationError{Issues: []api.ValidationIssue{issue("string_too_long", "String too long", "body", name)}}
			}
			if err != nil {
				fail(err)
				return
			}
			val := string(v)
			if name == "purpose" {
				purpose = &val
				if file != nil {
					upd.Purpose = &val
				}
			} else {
				external = &val
				if file != nil {
					upd.ExternalFileID = &val
				}
			}
		default:
			if _, err := io.Copy(io.Discard, part); err != nil {
				fail(err)
				return
			}
		}
	}
	switch {
	case file == nil:
		fail(&api.ValidationError{Issues: []api.ValidationIssue{issue("missing", "Field required", "body", "file")}})
		return
	case purpose == nil:
		fail(&api.ValidationError{Issues: []api.ValidationIssue{issue("missing", "Field required", "body", "purpose")}})
		return
	case !slices.Contains(purposes, *purpose):
		fail(purposeError())
		return
	}
	if upd.Purpose != nil || upd.ExternalFileID != nil {
		f, err := sc.UpdateFile(r.Context(), file.ID, upd)
		if err != nil {
			fail(err)
			return
		}
		file = &f
	}
	s.log.Info("file uploaded", "file", file.ID, "size", api.Deref(file.FileSize))
	writeJSON(w, http.StatusOK, file)
}

func purposeError() error {
	return &api.ValidationError{Issues: []api.ValidationIssue{issue("enum",
		"Input should be one of "+strings.Join(purposes, ", "), "body", "purpose")}}
}

func (s *Server) listFiles(w http.ResponseWriter, r *http.Request) {
	pr, ok := pageRequest(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	sc := s.scoped(r)
	fq := local.FileQuery{FileName: q.Get("file_name"), ExternalFileID: q.Get("external_file_id")}
	if p := q.Get("project_id"); p != "" {
		if _, err := sc.Project(p); err != nil {
			s.writeError(w, r, err)
			return
		}
		fq.ProjectID = p
	}
	for _, v := range q["file_ids"] {
		for id := range strings.SplitSeq(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				fq.FileIDs = append(fq.FileIDs, id)
			}
		}
	}
	page, err := sc.ListFilesPage(r.Context(), fq, pr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) getFile(w http.ResponseWriter, r *http.Request) {
	f, err := s.scoped(r).GetFile(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) deleteFile(w http.ResponseWriter, r *http.Request) {
	if err := s.scoped(r).DeleteFile(r.Context(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// createJob is POST /api/v1/classifier/jobs.
func (s *Server) createJob(w http.ResponseWriter, r *http.Request) {
	req, ok := s.decodeCreateJob(w, r)
	if !ok {
		return
	}
	job, err := s.scoped(r).CreateJob(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, job)
}

// decodeCreateJob reads a job request the way FastAPI would judge it: JSON
// content type, well-formed JSON object, required fields present, fields of
// the right JSON types. The backend validates the values.
func (s *Server) decodeCreateJob(w http.ResponseWriter, r *http.Request) (api.CreateJobRequest, bool) {
	var req api.CreateJobRequest
	setReadDeadline(w, jsonReadTimeout)
	// JSON only, named as such: a browser page cannot send that to another
	// site without asking first (a body without a Content-Type, like a
	// form's, can be).
	if !isJSON(r) {
		writeIssues(w, issue("model_attributes_type", "Input should be a valid dictionary or object to extract fields from (send Content-Type: application/json)", "body"))
		return req, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxJSONBytes))
	if err != nil {
		s.writeError(w, r, err)
		return req, false
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		writeIssues(w, jsonIssue(err))
		return req, false
	}
	var issues []api.ValidationIssue
	for _, name := range []string{"file_ids", "rules"} {
		raw, present := fields[name]
		switch {
		case !present:
			issues = append(issues, issue("missing", "Field required", "body", name))
		case string(raw) == "null":
			issues = append(issues, issue("list_type", "Input should be a valid list", "body", name))
		}
	}
	if len(issues) > 0 {
		writeIssues(w, issues...)
		return req, false
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeIssues(w, jsonIssue(err))
		return req, false
	}
	q := r.URL.Query()
	if req.ProjectID == nil && q.Get("project_id") != "" {
		req.ProjectID = api.Ptr(q.Get("project_id"))
	}
	if req.OrganizationID == nil && q.Get("organization_id") != "" {
		req.OrganizationID = api.Ptr(q.Get("organization_id"))
	}
	return req, true
}

// isJSON reports a request whose Content-Type is JSON.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// jsonIssue describes a JSON decoding error FastAPI-style.
func jsonIssue(err error) api.ValidationIssue {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return issue("json_invalid", "JSON decode error: "+se.Error(), "body", se.Offset)
	case errors.As(err, &te) && te.Field == "":
		return issue("model_attributes_type", "Input should be a valid dictionary or object to extract fields from", "body")
	case errors.As(err, &te):
		loc := []any{"body"}
		for p := range strings.SplitSeq(te.Field, ".") {
			if n, err := strconv.Atoi(p); err == nil {
				loc = append(loc, n)
			} else {
				loc = append(loc, p)
			}
		}
		typ, what := "value_error", te.Type.String()
		switch te.Type.Kind().String() {
		case "string":
			typ, what = "string_type", "a valid string"
		case "int", "int64":
			typ, what = "int_type", "a valid integer"
		case "slice":
			typ, what = "list_type", "a valid list"
		case "map", "struct":
			typ, what = "dict_type", "a valid dictionary"
		}
		return api.ValidationIssue{Loc: loc, Msg: "Input should be " + what + ", not JSON " + te.Value, Type: typ}
	default:
		return issue("json_invalid", "JSON decode error: "+err.Error(), "body")
	}
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) {
	pr, ok := pageRequest(w, r)
	if !ok {
		return
	}
	sc := s.scoped(r)
	var jq local.JobQuery
	if p := r.URL.Query().Get("project_id"); p != "" {
		if _, err := sc.Project(p); err != nil {
			s.writeError(w, r, err)
			return
		}
		jq.ProjectID = p
	}
	page, err := sc.ListJobsPage(r.Context(), jq, pr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	job, err := s.scoped(r).GetJob(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, job)
}

func (s *Server) jobResults(w http.ResponseWriter, r *http.Request) {
	pr, ok := pageRequest(w, r)
	if !ok {
		return
	}
	page, err := s.scoped(r).ResultsPage(r.Context(), r.PathValue("id"), pr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// pageRequest reads page_size (0 or absent = the endpoint's default; more
// than the endpoint's most, local.MaxListPageSize for files and jobs,
// local.MaxPageSize for results, is served as that most) and page_token.
func pageRequest(w http.ResponseWriter, r *http.Request) (api.PageRequest, bool) {
	q := r.URL.Query()
	pr := api.PageRequest{PageToken: q.Get("page_token")}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			writeIssues(w, issue("int_parsing", "Input should be a valid integer, unable to parse string as an integer", "query", "page_size"))
			return pr, false
		case n < 0:
			writeIssues(w, issue("greater_than_equal", "Input should be greater than or equal to 0", "query", "page_size"))
			return pr, false
		}
		pr.PageSize = min(n, local.MaxPageSize)
	}
	return pr, true
}
