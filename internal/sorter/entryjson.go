package sorter

import (
	"encoding/json"

	"github.com/classifyd/classifyd/internal/pathjson"
)

// A journal line's source and destination are file names, which need not be
// UTF-8: each is also written byte for byte under source_bytes (dest_bytes)
// when it is not (package pathjson, shared with the state's records, which
// repair compares with these lines), so undo finds the file.

type entryJSON struct {
	plainEntry
	SourceBytes pathjson.Bytes `json:"source_bytes,omitempty"`
	DestBytes   pathjson.Bytes `json:"dest_bytes,omitempty"`
}

type plainEntry Entry // Entry without its JSON methods

// MarshalJSON implements json.Marshaler.
func (e Entry) MarshalJSON() ([]byte, error) {
	return json.Marshal(entryJSON{plainEntry: plainEntry(e), SourceBytes: pathjson.Of(e.Source), DestBytes: pathjson.Of(e.Dest)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *Entry) UnmarshalJSON(b []byte) error {
	var v entryJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = Entry(v.plainEntry)
	e.Source, e.Dest = v.SourceBytes.Name(e.Source), v.DestBytes.Name(e.Dest)
	return nil
}
