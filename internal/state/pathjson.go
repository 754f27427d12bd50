package state

import (
	"encoding/json"

	"github.com/classifyd/classifyd/internal/pathjson"
)

// A record's path and destination are file names, which need not be UTF-8:
// each is also stored byte for byte under path_bytes (dest_bytes) when it is
// not (package pathjson, shared with the journal).

type fileJSON struct {
	plainFile
	PathBytes pathjson.Bytes `json:"path_bytes,omitempty"`
	DestBytes pathjson.Bytes `json:"dest_bytes,omitempty"`
}

type plainFile File // File without its JSON methods

// MarshalJSON implements json.Marshaler.
func (f File) MarshalJSON() ([]byte, error) {
	return json.Marshal(fileJSON{plainFile: plainFile(f), PathBytes: pathjson.Of(f.Path), DestBytes: pathjson.Of(f.Dest)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *File) UnmarshalJSON(b []byte) error {
	var v fileJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = File(v.plainFile)
	f.Path, f.Dest = v.PathBytes.Name(f.Path), v.DestBytes.Name(f.Dest)
	return nil
}
