package api

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
)

func TestIsPermanent(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain error", errors.New("connection reset"), false},
		{"cancelled", context.Canceled, false},
		{"a file that cannot be classified", Permanent(errors.New("encrypted")), true},
		{"wrapped permanent", fmt.Errorf("job x: %w", Permanent(errors.New("no text"))), true},
		{"400", &APIError{StatusCode: 400}, true},
		{"401", &APIError{StatusCode: 401}, true},
		{"404", &APIError{StatusCode: 404}, true},
		{"408 timeout", &APIError{StatusCode: 408}, false},
		{"409 conflict", &APIError{StatusCode: 409}, false},
		{"413 too large", &APIError{StatusCode: 413}, true},
		{"422", &APIError{StatusCode: 422}, true},
		{"429", &APIError{StatusCode: 429}, false},
		{"wrapped 429", fmt.Errorf("giving up after 5 attempts: %w", &APIError{StatusCode: 429}), false},
		{"500", &APIError{StatusCode: 500}, false},
		{"503", &APIError{StatusCode: 503}, false},
		{"wrapped 403", fmt.Errorf("upload: %w", &APIError{StatusCode: 403}), true},
		{"validation", &ValidationError{}, true},
		// The file's own trouble is the caller's to judge, not the API's.
		{"no such file", os.ErrNotExist, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsPermanent(tt.err); got != tt.want {
				t.Errorf("IsPermanent(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestRetryableStatus(t *testing.T) {
	retry := map[int]bool{408: true, 409: true, 429: true, 500: true, 502: true, 503: true, 504: true, 599: true}
	for _, code := range []int{200, 201, 301, 400, 401, 403, 404, 405, 408, 409, 410, 413, 422, 429, 500, 502, 503, 504, 599} {
		if got := RetryableStatus(code); got != retry[code] {
			t.Errorf("RetryableStatus(%d) = %v, want %v", code, got, retry[code])
		}
	}
}
