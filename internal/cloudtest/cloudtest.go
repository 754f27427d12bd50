// Package cloudtest is a stand-in for LlamaCloud's file upload and Classify
// v2 routes, for tests and benchmarks of escalation: it answers each job
// from a label function (the document's known type), takes its time (a job
// is RUNNING for Latency), answers 429 with Retry-After now and then, fails
// jobs the label function says to fail, goes down on request (503 on every
// route), and honours transaction_id like LlamaCloud (a create with a known
// id returns the job first created with it; the new body is ignored). It
// counts what a bill would: jobs created.
//
// It owns nothing but its memory: it is an http.Handler for httptest.
package cloudtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/classifyd/classifyd/internal/api"
)

// Answer is what the service answers for a document. Fail makes its job
// end FAILED with this message.
type Answer struct {
	Type       string // "" = no rule matched
	Confidence float64
	Reasoning  string
	Fail       string
}

// Options configure a Server.
type Options struct {
	// Label answers for an uploaded document (its name and bytes); required.
	Label func(name string, data []byte) Answer
	// Latency is how long a job stays PENDING/RUNNING.
	Latency time.Duration
	// Every429: every n-th request answers 429 with Retry-After (0: never).
	Every429 int
	// RetryAfter is the Retry-After header of a 429 (seconds); default "1".
	RetryAfter string
	// CreateDelay is how long a create takes to answer once the job exists
	// (a client that dies meanwhile never learns the job's id).
	CreateDelay time.Duration
}

type job struct {
	api.V2Job
	done time.Time
	ans  Answer
}

// Server is the stand-in service. Safe for concurrent use.
type Server struct {
	o Options

	mu    sync.Mutex
	files map[string]upload // id → upload
	jobs  map[string]*job
	order []string
	byTx  map[string]string // transaction_id → job id
	url   string

	requests atomic.Int64
	down     atomic.Bool
	creates  atomic.Int64 // create calls answered 200 (new or idempotent)
	throttle atomic.Int64 // 429s answered
}

type upload struct {
	name string
	data []byte
}

// New returns a Server.
func New(o Options) *Server {
	if o.RetryAfter == "" {
		o.RetryAfter = "1"
	}
	return &Server{o: o, files: map[string]upload{}, jobs: map[string]*job{}, byTx: map[string]string{}}
}

// SetURL records where the server listens (for URL).
func (s *Server) SetURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.url = u
}

// URL is the address SetURL recorded.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// SetDown makes every route answer 503 (an outage) or serve again.
func (s *Server) SetDown(down bool) { s.down.Store(down) }

// Jobs is the number of jobs created: what LlamaCloud bills.
func (s *Server) Jobs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs)
}

// Creates is the number of create calls answered (idempotent repeats too).
func (s *Server) Creates() int { return int(s.creates.Load()) }

// Throttled is the number of 429s answered.
func (s *Server) Throttled() int { return int(s.throttle.Load()) }

// JobList returns every job created, in order.
func (s *Server) JobList() []api.V2Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]api.V2Job, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.view(s.jobs[id], time.Now()))
	}
	return out
}

// FileName is the name a remote file id was uploaded under.
func (s *Server) FileName(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.files[id].name
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code int, detail string) {
	writeJSON(w, code, map[string]string{"detail": detail})
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.requests.Add(1)
	if s.down.Load() {
		fail(w, http.StatusServiceUnavailable, "service unavailable")
		return
	}
	if s.o.Every429 > 0 && n%int64(s.o.Every429) == 0 {
		s.throttle.Add(1)
		w.Header().Set("Retry-After", s.o.RetryAfter)
		fail(w, http.StatusTooManyRequests, "rate limited")
		return
	}
	switch p := r.URL.Path; {
	case r.Method == "POST" && p == "/api/v1/beta/files":
		s.upload(w, r)
	case r.Method == "POST" && p == "/api/v2/classify":
		s.create(w, r)
	case r.Method == "GET" && p == "/api/v2/classify":
		s.list(w, r)
	case r.Method == "GET" && strings.HasPrefix(p, "/api/v2/classify/"):
		s.mu.Lock()
		j, ok := s.jobs[strings.TrimPrefix(p, "/api/v2/classify/")]
		var v api.V2Job
		if ok {
			v = s.view(j, time.Now())
		}
		s.mu.Unlock()
		if !ok {
			fail(w, http.StatusNotFound, "job not found")
			return
		}
		writeJSON(w, http.StatusOK, v)
	default:
		fail(w, http.StatusNotFound, "not found")
	}
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	f, h, err := r.FormFile("file")
	if err != nil {
		fail(w, http.StatusBadRequest, "file: "+err.Error())
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	id := fmt.Sprintf("dfl-%08d", len(s.files)+1)
	s.files[id] = upload{name: h.Filename, data: data}
	s.mu.Unlock()
	now := time.Now()
	writeJSON(w, http.StatusOK, api.File{ID: id, Name: h.Filename, ProjectID: "p", CreatedAt: &now})
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var req api.V2CreateRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		fail(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if req.FileInput == nil || req.Configuration == nil || len(req.Configuration.Rules) == 0 {
		fail(w, http.StatusUnprocessableEntity, "file_input and configuration.rules are required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if req.TransactionID != nil {
		if id, ok := s.byTx[*req.TransactionID]; ok {
			s.creates.Add(1)
			writeJSON(w, http.StatusOK, s.view(s.jobs[id], now))
			return
		}
	}
	up, ok := s.files[*req.FileInput]
	if !ok {
		fail(w, http.StatusNotFound, "file not found")
		return
	}
	ans := s.o.Label(up.name, up.data)
	id := fmt.Sprintf("clj-%08d", len(s.jobs)+1)
	j := &job{V2Job: api.V2Job{ID: id, Configuration: *req.Configuration, DocumentInputType: "file_id", FileInput: *req.FileInput,
		ProjectID: "p", UserID: "u", Status: api.V2Pending, CreatedAt: &now, TransactionID: req.TransactionID},
		done: now.Add(s.o.Latency), ans: ans}
	s.jobs[id] = j
	s.order = append(s.order, id)
	if req.TransactionID != nil {
		s.byTx[*req.TransactionID] = id
	}
	s.creates.Add(1)
	v := s.view(j, now)
	if s.o.CreateDelay > 0 {
		s.mu.Unlock()
		time.Sleep(s.o.CreateDelay)
		s.mu.Lock()
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size := 50
	if v, err := strconv.Atoi(q.Get("page_size")); err == nil && v > 0 && v <= 100 {
		size = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	var items []api.V2Job
	for _, id := range q["job_ids"] {
		if j, ok := s.jobs[id]; ok && len(items) < size {
			items = append(items, s.view(j, now))
		}
	}
	empty := ""
	writeJSON(w, http.StatusOK, api.V2Page{Items: items, NextPageToken: &empty})
}

// view is the job as the API shows it at now.
func (s *Server) view(j *job, now time.Time) api.V2Job {
	v := j.V2Job
	switch {
	case now.Before(j.done.Add(-s.o.Latency / 2)):
		v.Status = api.V2Pending
	case now.Before(j.done):
		v.Status = api.V2Running
	case j.ans.Fail != "":
		v.Status = api.V2Failed
		msg := j.ans.Fail
		v.ErrorMessage = &msg
	default:
		v.Status = api.V2Completed
		res := api.ItemResult{Confidence: j.ans.Confidence, Reasoning: j.ans.Reasoning}
		if j.ans.Type != "" {
			t := j.ans.Type
			res.Type = &t
		}
		v.Result = &res
	}
	v.UpdatedAt = &now
	return v
}
