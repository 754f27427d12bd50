package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets of the wire types: any bytes a server (or a client) sends
// may be decoded; what decodes must encode again, and its encoding must
// decode to the same encoding (the first round trip may normalise: times to
// their shortest form, invalid UTF-8 to U+FFFD, numbers in webhook headers
// to float64).

// Examples from ../shared/reference/classifier-jobs-api-v1.md.
const (
	refJob = `{"id":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e","project_id":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e",` +
		`"rules":[{"description":"contains invoice number, line items, and total amount","type":"invoice"}],` +
		`"status":"PENDING","user_id":"user_id","created_at":"2019-12-27T18:11:19.117Z",` +
		`"effective_at":"2019-12-27T18:11:19.117Z","error_message":"error_message","job_record_id":"job_record_id",` +
		`"mode":"FAST","parsing_configuration":{"lang":"af","max_pages":0,"target_pages":[0]},` +
		`"updated_at":"2019-12-27T18:11:19.117Z"}`
	refCreate = `{"file_ids":["182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"],` +
		`"rules":[{"description":"contains invoice number, line items, and total amount","type":"invoice"}],` +
		`"mode":"MULTIMODAL","parsing_configuration":{"lang":"de","max_pages":3,"target_pages":[0,2]},` +
		`"webhook_configurations":[{"webhook_url":"https://example.com/hook","webhook_headers":{"Authorization":"Bearer xyz","X-N":1},` +
		`"webhook_events":["classify.success"]}]}`
	refResults = `{"items":[{"id":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e","classify_job_id":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e",` +
		`"created_at":"2019-12-27T18:11:19.117Z","file_id":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e",` +
		`"result":{"confidence":0,"reasoning":"reasoning","type":"type"},"updated_at":"2019-12-27T18:11:19.117Z"}],` +
		`"next_page_token":"next_page_token","total_size":0}`
	refJobsPage = `{"items":[` + refJob + `],"next_page_token":"next_page_token","total_size":0}`
)

// roundTrip decodes data as a T; if it decodes, the value must encode, and
// the encoding must survive a second round trip unchanged.
func roundTrip[T any](t *testing.T, data []byte) {
	t.Helper()
	var v T
	if json.Unmarshal(data, &v) != nil {
		return
	}
	first, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%T decoded from %q but does not encode: %v", v, data, err)
	}
	var w T
	if err := json.Unmarshal(first, &w); err != nil {
		t.Fatalf("%T does not decode its own encoding %s: %v", w, first, err)
	}
	second, err := json.Marshal(w)
	if err != nil {
		t.Fatalf("%T does not encode again: %v", w, err)
	}
	if !bytes.Equal(first, second) {
		t.Fatalf("%T round trip not stable:\n%s\n%s", w, first, second)
	}
}

func FuzzDecodeJob(f *testing.F) {
	for _, s := range []string{refJob, refCreate,
		`{"id":"j","status":"SUCCESS","error_message":null,"job_record_id":null,"rules":[]}`,
		`{"id":"j","status":"PARTIAL_SUCCESS","created_at":"2024-02-29T23:59:59.999999999+14:00"}`,
		`{"CreAted_At":"0000-01-01T0:00:00+24:00"}`, `{"updated_at":"2020-01-01T00:00:00-24:00"}`,
		`{"file_ids":[],"rules":null,"parsing_configuration":{"target_pages":[-1,2147483648]}}`,
		`{"webhook_configurations":[{"webhook_headers":{"a":[1,{"b":null}],"c":1e308}}]}`,
		`{"status":"\u0000\ud800","rules":[{"type":"\xff","description":""}]}`,
		`null`, `[]`, `{}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip[ClassifyJob](t, data)
		roundTrip[CreateJobRequest](t, data)
		var job ClassifyJob
		if json.Unmarshal(data, &job) == nil {
			checkStatus(t, job.Status)
			if job.Mode != nil {
				checkMode(t, *job.Mode)
			}
		}
	})
}

// checkStatus holds any decoded status, known or not, to the status rules:
// only the four finished statuses are terminal (spelled exactly, no other
// case or padding), every status maps to one of the four webhook events, and
// only a terminal status maps to an event other than classify.error.
func checkStatus(t *testing.T, s Status) {
	t.Helper()
	finished := []Status{StatusSuccess, StatusError, StatusPartialSuccess, StatusCancelled}
	if term := s.Terminal(); term != slices.Contains(finished, s) {
		t.Fatalf("status %q: Terminal() = %v", s, term)
	}
	ev := EventFor(s)
	if !slices.Contains([]string{EventSuccess, EventPartialSuccess, EventError, EventCancelled}, ev) {
		t.Fatalf("status %q: EventFor = %q, not a classify event", s, ev)
	}
	if ev != EventError && !s.Terminal() {
		t.Fatalf("status %q is not terminal but fires %q", s, ev)
	}
}

// checkMode holds any decoded mode to the mode rules: unset, FAST and
// MULTIMODAL are valid, spelled exactly; nothing else is.
func checkMode(t *testing.T, m Mode) {
	t.Helper()
	want := m == "" || m == ModeFast || m == ModeMultimodal
	if got := m.Valid(); got != want {
		t.Fatalf("mode %q: Valid() = %v, want %v", m, got, want)
	}
}

func FuzzDecodeResults(f *testing.F) {
	for _, s := range []string{refResults, refJobsPage,
		`{"items":[{"id":"r","classify_job_id":"j","file_id":null,"result":null}]}`,
		`{"items":[{"result":{"confidence":1e-320,"reasoning":"","type":null}}],"total_size":-1}`,
		`{"items":[{"result":{"confidence":-0,"reasoning":"\u2028\u2029<>&"}}]}`,
		`{"items":null,"next_page_token":""}`,
		`{"items":[],"total_size":9223372036854775807}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip[Page[ResultItem]](t, data)
		roundTrip[Page[ClassifyJob]](t, data)
		roundTrip[Page[File]](t, data)
	})
}

func FuzzParseErrorBody(f *testing.F) {
	for _, c := range []struct {
		status int
		body   string
	}{
		{404, `{"detail":"Classify job not found: x"}`},
		{422, `{"detail":[{"loc":["body","rules",0,"type"],"msg":"Field required","type":"missing"}]}`},
		{422, `{"detail":[{"loc":null,"msg":1,"type":[]}]}`},
		{401, `{"detail":{"code":"no_key"}}`},
		{500, `Internal Server Error`},
		{502, `<html>bad gateway</html>`},
		{429, `{"detail":null}`},
		{400, `{"detail":""}`},
		{0, ``},
		{-1, "\xff\xfe"},
		{413, strings.Repeat("x", 5000)},
	} {
		f.Add(c.status, []byte(c.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := ParseErrorBody(status, body)
		if e == nil {
			t.Fatal("nil error")
		}
		if e.StatusCode != status {
			t.Fatalf("status %d, want %d", e.StatusCode, status)
		}
		if len(e.Body) > 2048 || !strings.HasPrefix(string(body), e.Body) {
			t.Fatalf("Body is not a prefix of at most 2048 bytes: %d bytes", len(e.Body))
		}
		msg := e.Error()
		if msg == "" || !strings.Contains(msg, "api error") {
			t.Fatalf("Error() = %q", msg)
		}
		if errors.Is(e, ErrNotFound) != (status == 404) {
			t.Fatalf("errors.Is(ErrNotFound) wrong for %d", status)
		}
		if e.Issues != nil && e.Detail != (&ValidationError{Issues: e.Issues}).Error() {
			t.Fatalf("Detail %q does not describe the issues", e.Detail)
		}
		if utf8.Valid(body) && !utf8.ValidString(e.Detail) {
			t.Fatalf("valid UTF-8 body gave an invalid Detail %q", e.Detail)
		}
	})
}
