package state

import (
	"encoding/json"
	"unicode/utf8"
)

// A Linux file name is any bytes but '/' and NUL, while encoding/json
// replaces bytes that are not UTF-8 with U+FFFD: a record of such a file
// would name a file that does not exist, and the daemon would take it for
// gone. So a path (or destination) that is not valid UTF-8 is also stored
// byte for byte, base64, under path_bytes (dest_bytes), which wins on reading.

type fileJSON struct {
	plainFile
	PathBytes []byte `json:"path_bytes,omitempty"`
	DestBytes []byte `json:"dest_bytes,omitempty"`
}

type plainFile File // File without its JSON methods

// MarshalJSON implements json.Marshaler.
func (f File) MarshalJSON() ([]byte, error) {
	v := fileJSON{plainFile: plainFile(f)}
	if !utf8.ValidString(f.Path) {
		v.PathBytes = []byte(f.Path)
	}
	if !utf8.ValidString(f.Dest) {
		v.DestBytes = []byte(f.Dest)
	}
	return json.Marshal(v)
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *File) UnmarshalJSON(b []byte) error {
	var v fileJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = File(v.plainFile)
	if v.PathBytes != nil {
		f.Path = string(v.PathBytes)
	}
	if v.DestBytes != nil {
		f.Dest = string(v.DestBytes)
	}
	return nil
}
