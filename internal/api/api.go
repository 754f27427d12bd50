// Package api holds the wire types of the LlamaCloud classifier API (v1) as
// classifyd speaks and serves it, and the Backend interface that every
// classify service implements: the HTTP client (LlamaCloud or any server of
// the API), and the in-process local engine.
//
// Field names and optionality follow ../shared/reference/classifier-jobs-api-v1.md
// exactly: an Optional field is a pointer (or omitempty) so that it is null or
// absent on the wire, never a zero value pretending to be an answer.
//
// This package owns no I/O.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Status is the status of a classify job.
type Status string

const (
	StatusPending        Status = "PENDING"
	StatusSuccess        Status = "SUCCESS"
	StatusError          Status = "ERROR"
	StatusPartialSuccess Status = "PARTIAL_SUCCESS"
	StatusCancelled      Status = "CANCELLED"
)

// Terminal reports whether a job in this status will not change again.
func (s Status) Terminal() bool {
	switch s {
	case StatusSuccess, StatusError, StatusPartialSuccess, StatusCancelled:
		return true
	}
	return false
}

// Mode is the classification mode.
type Mode string

const (
	ModeFast       Mode = "FAST"
	ModeMultimodal Mode = "MULTIMODAL"
)

// Valid reports whether m is one of the modes of the API ("" means the default).
func (m Mode) Valid() bool { return m == "" || m == ModeFast || m == ModeMultimodal }

// Rule is a classifier rule: a type and a natural-language description.
type Rule struct {
	Type        string `json:"type"`
	Description string `json:"description"`
	// classifyd extensions, understood by the embedded engine (and by
	// classifyd serve); omitted when unset, so LlamaCloud never sees them.
	//
	// Fallback marks the rule that takes the files no other rule fits.
	Fallback bool `json:"fallback,omitempty"`
	// Knowledge false keeps the engine's built-in knowledge of document
	// kinds out of the rule: only its own words count.
	Knowledge *bool `json:"knowledge,omitempty"`
}

// ParsingConfiguration is the parsing configuration of a job.
type ParsingConfiguration struct {
	Lang        *string `json:"lang,omitempty"`
	MaxPages    *int    `json:"max_pages,omitempty"`
	TargetPages []int   `json:"target_pages,omitempty"`
}

// WebhookConfiguration is one webhook of a job.
type WebhookConfiguration struct {
	WebhookURL     *string        `json:"webhook_url,omitempty"`
	WebhookHeaders map[string]any `json:"webhook_headers,omitempty"`
	WebhookEvents  []string       `json:"webhook_events,omitempty"`
	// WebhookOutputFormat is "json" (the default for v1 jobs here) or
	// "string" (the body is a JSON string holding the JSON).
	WebhookOutputFormat *string `json:"webhook_output_format,omitempty"`
	// WebhookSigningSecret, when set, signs each delivery:
	// LC-Signature: sha256=<hex HMAC-SHA256 of the raw body>.
	WebhookSigningSecret *string `json:"webhook_signing_secret,omitempty"`
}

// Webhook event names for classify jobs.
const (
	EventSuccess        = "classify.success"
	EventPartialSuccess = "classify.partial_success"
	EventError          = "classify.error"
	EventCancelled      = "classify.cancelled"
)

// EventFor is the webhook event a job in terminal status s fires.
func EventFor(s Status) string {
	switch s {
	case StatusSuccess:
		return EventSuccess
	case StatusPartialSuccess:
		return EventPartialSuccess
	case StatusCancelled:
		return EventCancelled
	default:
		return EventError
	}
}

// CreateJobRequest is the body of POST /api/v1/classifier/jobs.
type CreateJobRequest struct {
	FileIDs               []string               `json:"file_ids"`
	Rules                 []Rule                 `json:"rules"`
	OrganizationID        *string                `json:"organization_id,omitempty"`
	ProjectID             *string                `json:"project_id,omitempty"`
	Mode                  *Mode                  `json:"mode,omitempty"`
	ParsingConfiguration  *ParsingConfiguration  `json:"parsing_configuration,omitempty"`
	WebhookConfigurations []WebhookConfiguration `json:"webhook_configurations,omitempty"`
}

// ClassifyJob is a classify job.
type ClassifyJob struct {
	ID                   string                `json:"id"`
	ProjectID            string                `json:"project_id"`
	Rules                []Rule                `json:"rules"`
	Status               Status                `json:"status"`
	UserID               string                `json:"user_id"`
	CreatedAt            *time.Time            `json:"created_at,omitempty"`
	EffectiveAt          *time.Time            `json:"effective_at,omitempty"`
	ErrorMessage         *string               `json:"error_message"`
	JobRecordID          *string               `json:"job_record_id"`
	Mode                 *Mode                 `json:"mode,omitempty"`
	ParsingConfiguration *ParsingConfiguration `json:"parsing_configuration,omitempty"`
	UpdatedAt            *time.Time            `json:"updated_at,omitempty"`
}

// ItemResult is the result of classifying one file. Type is nil when no rule matches.
type ItemResult struct {
	Confidence float64 `json:"confidence"`
	Reasoning  string  `json:"reasoning"`
	Type       *string `json:"type"`
}

// ResultItem is one item of a job's results.
type ResultItem struct {
	ID            string      `json:"id"`
	ClassifyJobID string      `json:"classify_job_id"`
	CreatedAt     *time.Time  `json:"created_at,omitempty"`
	FileID        *string     `json:"file_id"`
	Result        *ItemResult `json:"result"`
	UpdatedAt     *time.Time  `json:"updated_at,omitempty"`
}

// File is an uploaded file.
type File struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	ProjectID      string     `json:"project_id"`
	FileType       *string    `json:"file_type"`
	Purpose        *string    `json:"purpose"`
	ExternalFileID *string    `json:"external_file_id"`
	ExpiresAt      *time.Time `json:"expires_at"`
	LastModifiedAt *time.Time `json:"last_modified_at"`
	FileSize       *int64     `json:"file_size,omitempty"`
	CreatedAt      *time.Time `json:"created_at,omitempty"`
}

// Page is one page of a paginated list (AIP-132). NextPageToken is absent
// on the last page.
type Page[T any] struct {
	Items         []T     `json:"items"`
	NextPageToken *string `json:"next_page_token,omitempty"`
	TotalSize     *int    `json:"total_size,omitempty"`
}

// PageRequest is the query of a paginated list.
type PageRequest struct {
	PageSize  int
	PageToken string
}

// UploadOptions are the optional fields of a file upload.
type UploadOptions struct {
	Name           string // name the file is known by; default: the base of the path
	ExternalFileID string
	ProjectID      string
	OrganizationID string
}

// Backend is a classify service: LlamaCloud, any server of the API, or the
// in-process engine. Implementations must be safe for concurrent use.
type Backend interface {
	// Upload makes the file at path known to the service. The local engine
	// registers the path and copies nothing; it must stay readable until the
	// job that names it is done.
	Upload(ctx context.Context, path string, opts UploadOptions) (File, error)
	// CreateJob starts a classify job; the answer's status is PENDING.
	CreateJob(ctx context.Context, req CreateJobRequest) (ClassifyJob, error)
	// GetJob returns a job; ErrNotFound when the service does not know it.
	GetJob(ctx context.Context, id string) (ClassifyJob, error)
	// Results calls each for every result of a job, page by page, stopping at
	// the first error each returns.
	Results(ctx context.Context, jobID string, each func(ResultItem) error) error
}

// JobReleaser is a backend that keeps finished jobs and their files until
// the caller says it is done with them: the in-process engine, which would
// otherwise hold every job of a long-running daemon in memory. The daemon
// releases a job once its outcome is recorded in the state.
type JobReleaser interface {
	// ReleaseJob forgets a terminal job and the files it named (the caller
	// has no other job naming them). A job still running is an error.
	ReleaseJob(ctx context.Context, jobID string) error
}

// Prefetcher is a backend that can start on a file before its job exists:
// the in-process engine reads the file while the batch window is still open,
// so the job finds its text ready. A hint only: it may be ignored, and a job
// never depends on it.
type Prefetcher interface {
	Prefetch(path string, mode Mode, pc ParsingConfiguration)
}

// FileFailure is why one file of a job has no result.
type FileFailure struct {
	FileID string
	Reason string
	// Permanent: another attempt would fail the same way (the file is
	// unsupported, corrupt, encrypted, has no text and no OCR is installed):
	// the caller fails the file at once instead of submitting it again.
	Permanent bool
}

// FailureReporter is a backend that says why each failed file of a
// finished job failed (the in-process engine). Without it a caller has only
// the job's error_message, written for people.
type FailureReporter interface {
	FileFailures(ctx context.Context, jobID string) ([]FileFailure, error)
}

// PermanentError marks the failure of one file as permanent (see
// FileFailure.Permanent). A Classifier returns it; the text is Err's.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as a permanent failure of its file; nil stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// ErrNotFound is returned (wrapped) when a job or file is unknown.
var ErrNotFound = errors.New("not found")

// ValidationIssue is one entry of a FastAPI-style 422 detail list.
type ValidationIssue struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// ValidationError is a request the service refuses (HTTP 422).
type ValidationError struct {
	Issues []ValidationIssue
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid request")
	for i, is := range e.Issues {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		var loc []string
		for _, l := range is.Loc {
			loc = append(loc, fmt.Sprint(l))
		}
		b.WriteString(strings.Join(loc, "."))
		b.WriteString(": ")
		b.WriteString(is.Msg)
	}
	return b.String()
}

// APIError is an HTTP error answer of the service.
type APIError struct {
	StatusCode int
	// Detail is the server's detail as text (for a 422, the issues joined).
	Detail string
	// Issues holds the parsed 422 detail list, if any.
	Issues []ValidationIssue
	// Body is the raw body, for debugging (truncated).
	Body string
}

func (e *APIError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("api error %d: %s", e.StatusCode, e.Detail)
	}
	return fmt.Sprintf("api error %d", e.StatusCode)
}

// Is makes errors.Is(err, ErrNotFound) true for a 404.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.StatusCode == 404
}

// IsPermanent reports whether err will not go away by trying again: it is,
// or wraps, a PermanentError (a file that cannot be classified), an
// APIError whose status is not RetryableStatus (a 4xx other than 408, 409
// and 429) or a ValidationError. This is the one place that decides; the
// HTTP client retries exactly the answers it does not call permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	if errors.As(err, &p) {
		return true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode >= 400 && !RetryableStatus(ae.StatusCode)
	}
	var ve *ValidationError
	return errors.As(err, &ve)
}

// RetryableStatus reports whether an HTTP answer with this status may
// succeed when the request is sent again: 408 (timeout), 409 (conflict,
// such as a lock), 429 (too many requests) and every 5xx, as the official
// LlamaCloud SDK decides.
func RetryableStatus(code int) bool {
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusConflict, code == http.StatusTooManyRequests, code >= 500:
		return true
	}
	return false
}

// ParseErrorBody reads a FastAPI-style error body: {"detail": "..."} or
// {"detail": [{loc, msg, type}]}.
func ParseErrorBody(status int, body []byte) *APIError {
	e := &APIError{StatusCode: status}
	if len(body) > 2048 {
		e.Body = string(body[:2048])
	} else {
		e.Body = string(body)
	}
	var raw struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &raw) != nil || len(raw.Detail) == 0 {
		e.Detail = strings.TrimSpace(e.Body)
		return e
	}
	var s string
	if json.Unmarshal(raw.Detail, &s) == nil {
		e.Detail = s
		return e
	}
	var issues []ValidationIssue
	if json.Unmarshal(raw.Detail, &issues) == nil {
		e.Issues = issues
		e.Detail = (&ValidationError{Issues: issues}).Error()
		return e
	}
	e.Detail = string(raw.Detail)
	return e
}

// Ptr returns a pointer to v, for optional fields.
func Ptr[T any](v T) *T { return &v }

// Deref returns *p, or the zero value for nil.
func Deref[T any](p *T) T {
	if p == nil {
		var z T
		return z
	}
	return *p
}
