package sorter

import (
	"encoding/json"
	"unicode/utf8"
)

// A file name is any bytes but '/' and NUL, while encoding/json replaces
// bytes that are not UTF-8 with U+FFFD: a journal line would name a file
// that does not exist (undo could not find it). So a source or destination
// that is not valid UTF-8 is also written byte for byte, base64, under
// source_bytes (dest_bytes), which wins on reading.

type entryJSON struct {
	plainEntry
	SourceBytes []byte `json:"source_bytes,omitempty"`
	DestBytes   []byte `json:"dest_bytes,omitempty"`
}

type plainEntry Entry // Entry without its JSON methods

// MarshalJSON implements json.Marshaler.
func (e Entry) MarshalJSON() ([]byte, error) {
	v := entryJSON{plainEntry: plainEntry(e)}
	if !utf8.ValidString(e.Source) {
		v.SourceBytes = []byte(e.Source)
	}
	if !utf8.ValidString(e.Dest) {
		v.DestBytes = []byte(e.Dest)
	}
	return json.Marshal(v)
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *Entry) UnmarshalJSON(b []byte) error {
	var v entryJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = Entry(v.plainEntry)
	if v.SourceBytes != nil {
		e.Source = string(v.SourceBytes)
	}
	if v.DestBytes != nil {
		e.Dest = string(v.DestBytes)
	}
	return nil
}
