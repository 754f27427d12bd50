package api

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Classify v2 (/api/v2/classify): one file per job, the result inside the
// job, transaction_id idempotency. Field names and optionality follow
// ../shared/reference/classify-api-v2.md §1.

// V2Status is the status of a Classify v2 job.
type V2Status string

const (
	V2Pending   V2Status = "PENDING"
	V2Running   V2Status = "RUNNING"
	V2Completed V2Status = "COMPLETED"
	V2Failed    V2Status = "FAILED"
	V2Cancelled V2Status = "CANCELLED"
)

// V2Statuses lists every v2 status.
var V2Statuses = []V2Status{V2Pending, V2Running, V2Completed, V2Failed, V2Cancelled}

// Terminal reports whether a job in this status will not change again.
// CANCELLED is terminal (the SDKs' pollers forget it; we do not).
func (s V2Status) Terminal() bool { return s == V2Completed || s == V2Failed || s == V2Cancelled }

// Valid reports whether s is a v2 status.
func (s V2Status) Valid() bool { return slices.Contains(V2Statuses, s) }

// V2Event is the webhook event a v2 job in status s fires (reference §2.2).
func V2Event(s V2Status) string {
	switch s {
	case V2Pending:
		return "classify.pending"
	case V2Running:
		return "classify.running"
	case V2Completed:
		return EventSuccess
	case V2Cancelled:
		return EventCancelled
	default:
		return EventError
	}
}

// V2ParsingConfiguration is the parsing configuration of a v2 job.
// TargetPages is 1-based ("1,3,5-7"), unlike v1's 0-based list.
type V2ParsingConfiguration struct {
	Lang        *string `json:"lang,omitempty"`
	MaxPages    *int    `json:"max_pages,omitempty"`
	TargetPages *string `json:"target_pages,omitempty"`
}

// V2Configuration is the inline configuration of a v2 job. Only FAST exists.
type V2Configuration struct {
	Rules                []Rule                  `json:"rules"`
	Mode                 *Mode                   `json:"mode,omitempty"`
	ParsingConfiguration *V2ParsingConfiguration `json:"parsing_configuration,omitempty"`
}

// V2WebhookConfiguration is one webhook of a v2 job (and, with the same
// keys, of a v1 job since SDK 2.11).
type V2WebhookConfiguration struct {
	WebhookURL           *string           `json:"webhook_url,omitempty"`
	WebhookEvents        []string          `json:"webhook_events,omitempty"`
	WebhookHeaders       map[string]string `json:"webhook_headers,omitempty"`
	WebhookOutputFormat  *string           `json:"webhook_output_format,omitempty"`
	WebhookSigningSecret *string           `json:"webhook_signing_secret,omitempty"`
}

// V2CreateRequest is the body of POST /api/v2/classify.
type V2CreateRequest struct {
	FileInput               *string                  `json:"file_input,omitempty"`
	Configuration           *V2Configuration         `json:"configuration,omitempty"`
	ConfigurationID         *string                  `json:"configuration_id,omitempty"`
	TransactionID           *string                  `json:"transaction_id,omitempty"`
	WebhookConfigurations   []V2WebhookConfiguration `json:"webhook_configurations,omitempty"`
	WebhookConfigurationIDs []string                 `json:"webhook_configuration_ids,omitempty"`
	// Deprecated by the API in favour of FileInput; read by the server only.
	FileID     *string `json:"file_id,omitempty"`
	ParseJobID *string `json:"parse_job_id,omitempty"`
}

// V2Job is a Classify v2 job (create, get, list item and cancel answers).
type V2Job struct {
	ID                string          `json:"id"`
	Configuration     V2Configuration `json:"configuration"`
	DocumentInputType string          `json:"document_input_type"`
	FileInput         string          `json:"file_input"`
	ProjectID         string          `json:"project_id"`
	Status            V2Status        `json:"status"`
	UserID            string          `json:"user_id"`
	ConfigurationID   *string         `json:"configuration_id"`
	CreatedAt         *time.Time      `json:"created_at"`
	ErrorMessage      *string         `json:"error_message"`
	ParseJobID        *string         `json:"parse_job_id"`
	Result            *ItemResult     `json:"result"`
	TransactionID     *string         `json:"transaction_id"`
	UpdatedAt         *time.Time      `json:"updated_at"`
}

// V2Deleted is the answer of DELETE /api/v2/classify/{id}.
type V2Deleted struct {
	ID        string  `json:"id"`
	ProjectID *string `json:"project_id"`
}

// V2ListRequest is the query of GET /api/v2/classify.
type V2ListRequest struct {
	PageSize            int
	PageToken           string
	Status              V2Status
	JobIDs              []string
	ConfigurationID     string
	CreatedAtOnOrAfter  time.Time
	CreatedAtOnOrBefore time.Time
}

// V2Page is one page of GET /api/v2/classify.
type V2Page struct {
	Items         []V2Job `json:"items"`
	NextPageToken *string `json:"next_page_token"`
	TotalSize     *int    `json:"total_size,omitempty"`
}

// V2Backend is a backend whose jobs classify one file each (Classify v2).
// The daemon turns a batch into one job per file through it.
type V2Backend interface {
	// CreateV2Job starts a job; with a TransactionID the service returns
	// the job first created with that id instead of a new one.
	CreateV2Job(ctx context.Context, req V2CreateRequest) (V2Job, error)
	// V2Jobs returns the jobs among ids that the service knows, in as few
	// list calls as it can (one per 100 ids).
	V2Jobs(ctx context.Context, ids []string) ([]V2Job, error)
}

// ErrNoV2 and ErrNoV1 say that a server does not have the API version the
// caller speaks (its routes answer 404).
var (
	ErrNoV2 = errors.New("the server has no Classify v2 (/api/v2/classify answered 404): set backend.api: v1 for a server that only speaks the v1 classifier jobs API")
	ErrNoV1 = errors.New("the server has no v1 classifier jobs API (/api/v1/classifier/jobs answered 404; LlamaCloud unpublished it): set backend.api: v2")
)

// PagesString turns 0-based page indexes (v1 target_pages) into the 1-based
// v2 form, runs collapsed: [0,2,4,5,6] → "1,3,5-7". Nil for none.
func PagesString(pages []int) *string {
	if len(pages) == 0 {
		return nil
	}
	p := slices.Clone(pages)
	slices.Sort(p)
	p = slices.Compact(p)
	var parts []string
	for i := 0; i < len(p); {
		j := i
		for j+1 < len(p) && p[j+1] == p[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", p[i]+1, p[j]+1))
		} else {
			parts = append(parts, strconv.Itoa(p[i]+1))
		}
		i = j + 1
	}
	s := strings.Join(parts, ",")
	return &s
}

// MaxTargetPages bounds how many pages a target_pages string may name.
const MaxTargetPages = 10000

// ParsePages reads the 1-based v2 form ("1,3,5-7") into 0-based page
// indexes, sorted and without repeats.
func ParsePages(s string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("empty page in %q", s)
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil || a < 1 {
			return nil, fmt.Errorf("%q is not a page number (pages count from 1)", part)
		}
		b := a
		if isRange {
			b, err = strconv.Atoi(strings.TrimSpace(hi))
			if err != nil || b < a {
				return nil, fmt.Errorf("%q is not a page range", part)
			}
		}
		if len(out)+b-a+1 > MaxTargetPages {
			return nil, fmt.Errorf("more than %d pages", MaxTargetPages)
		}
		for p := a; p <= b; p++ {
			out = append(out, p-1)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
