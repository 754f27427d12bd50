package api

import (
	"encoding/json"
	"fmt"
	"time"
)

// Go's time parser accepts RFC 3339 offsets up to ±24:00 and years that
// leave the 0000–9999 range once the offset is applied, but refuses to
// encode either. A timestamp from a server must survive being stored and
// served again, so decoding moves such a time to UTC, and refuses it when
// even UTC cannot write it.

// fixTimes normalises each decoded time in place; field names the JSON key
// for the error.
func fixTimes(fields map[string]**time.Time) error {
	for name, p := range fields {
		if *p == nil {
			continue
		}
		t := **p
		if _, err := t.MarshalJSON(); err == nil {
			continue
		}
		u := t.UTC()
		if _, err := u.MarshalJSON(); err != nil {
			return fmt.Errorf("%s: %q is not a time that can be written back: %w", name, t.String(), err)
		}
		*p = &u
	}
	return nil
}

// UnmarshalJSON decodes a job, normalising its times (see fixTimes).
func (j *ClassifyJob) UnmarshalJSON(data []byte) error {
	type plain ClassifyJob
	if err := json.Unmarshal(data, (*plain)(j)); err != nil {
		return err
	}
	return fixTimes(map[string]**time.Time{"created_at": &j.CreatedAt, "effective_at": &j.EffectiveAt, "updated_at": &j.UpdatedAt})
}

// UnmarshalJSON decodes a result item, normalising its times.
func (r *ResultItem) UnmarshalJSON(data []byte) error {
	type plain ResultItem
	if err := json.Unmarshal(data, (*plain)(r)); err != nil {
		return err
	}
	return fixTimes(map[string]**time.Time{"created_at": &r.CreatedAt, "updated_at": &r.UpdatedAt})
}

// UnmarshalJSON decodes a file record, normalising its times.
func (f *File) UnmarshalJSON(data []byte) error {
	type plain File
	if err := json.Unmarshal(data, (*plain)(f)); err != nil {
		return err
	}
	return fixTimes(map[string]**time.Time{"expires_at": &f.ExpiresAt, "last_modified_at": &f.LastModifiedAt, "created_at": &f.CreatedAt})
}
