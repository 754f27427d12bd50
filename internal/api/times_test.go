package api

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTimesThatCannotBeWrittenBack(t *testing.T) {
	var j ClassifyJob
	if err := json.Unmarshal([]byte(`{"id":"j","created_at":"2020-01-01T00:00:00+24:00"}`), &j); err != nil {
		t.Fatalf("offset +24:00: %v", err)
	}
	if _, off := j.CreatedAt.Zone(); off != 0 {
		t.Errorf("offset +24:00 kept (%d s); want UTC", off)
	}
	if _, err := json.Marshal(j); err != nil {
		t.Errorf("normalised job does not encode: %v", err)
	}
	if !j.CreatedAt.Equal(time.Date(2019, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("instant changed: %v", j.CreatedAt)
	}
	var f File
	err := json.Unmarshal([]byte(`{"id":"f","created_at":"0000-01-01T00:00:00+24:00"}`), &f)
	if err == nil || !strings.Contains(err.Error(), "created_at") {
		t.Errorf("year 0 at +24:00 (year -1 in UTC): err = %v, want a created_at error", err)
	}
}
