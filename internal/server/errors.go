package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.Encode(v)
}

// writeDetail answers FastAPI's {"detail": "..."}.
func writeDetail(w http.ResponseWriter, code int, detail string) {
	writeJSON(w, code, map[string]string{"detail": detail})
}

// writeIssues answers a 422 with FastAPI's {"detail": [{loc, msg, type}]}.
func writeIssues(w http.ResponseWriter, issues ...api.ValidationIssue) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": issues})
}

func issue(typ, msg string, loc ...any) api.ValidationIssue {
	return api.ValidationIssue{Loc: loc, Msg: msg, Type: typ}
}

// writeError maps a backend or request error to its HTTP answer.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ve *api.ValidationError
	var mbe *http.MaxBytesError
	var se *local.V2StateError
	switch {
	case errors.As(err, &ve):
		writeIssues(w, ve.Issues...)
	case errors.Is(err, api.ErrNotFound):
		writeDetail(w, http.StatusNotFound, notFoundText(r))
	case errors.As(err, &mbe):
		writeDetail(w, http.StatusRequestEntityTooLarge, "Request body too large: the limit is "+byteSize(mbe.Limit))
	case errors.Is(err, local.ErrProjectNotFound):
		writeDetail(w, http.StatusNotFound, "Project not found")
	case errors.Is(err, local.ErrQuotaExceeded):
		writeDetail(w, http.StatusRequestEntityTooLarge, "Upload quota exceeded: "+afterSentinel(err, local.ErrQuotaExceeded))
	case errors.Is(err, local.ErrDiskFull):
		writeDetail(w, http.StatusInsufficientStorage, "Insufficient storage: the server's disk is nearly full; try again later")
	case errors.Is(err, local.ErrTooLarge):
		writeDetail(w, http.StatusRequestEntityTooLarge, "File too large")
	case errors.Is(err, local.ErrBadPageToken):
		writeIssues(w, issue("value_error", "Value error, invalid page_token", "query", "page_token"))
	case errors.As(err, &se):
		// 400, never 409, which every SDK retries.
		w.Header().Set("X-Should-Retry", "false")
		writeDetail(w, http.StatusBadRequest, se.Error())
	case errors.Is(err, local.ErrClosed):
		w.Header().Set("Retry-After", "5")
		writeDetail(w, http.StatusServiceUnavailable, "Server is shutting down")
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeDetail(w, http.StatusInternalServerError, "Internal server error")
	}
}

// afterSentinel is the text of err after the sentinel's own ("...: at most
// 10 files may be stored" → "at most 10 files may be stored").
func afterSentinel(err, sentinel error) string {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, sentinel.Error()+": "); ok {
		return rest
	}
	return sentinel.Error()
}

func notFoundText(r *http.Request) string {
	id := r.PathValue("id")
	switch {
	case id == "":
		return "Not Found"
	case strings.HasPrefix(r.URL.Path, "/api/v1/beta/files/"):
		return "File not found: " + id
	default:
		return "Classify job not found: " + id
	}
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KiB"
	default:
		return itoa(n) + " bytes"
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
