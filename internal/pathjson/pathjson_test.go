package pathjson

import (
	"encoding/json"
	"testing"
)

// rec is a record the way the state and the journal hold names.
type rec struct {
	Path      string `json:"path"`
	PathBytes Bytes  `json:"path_bytes,omitempty"`
}

func TestRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name  string
		bytes bool // kept byte for byte beside the string
	}{
		{"/in/plain.pdf", false},
		{"/in/caf\xe9.pdf", true}, // Latin-1 é: not UTF-8
		{"/in/\xff\xfe.txt", true},
		{"/in/ünïcode.txt", false},
		{"", false},
	} {
		name := c.name
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(rec{Path: name, PathBytes: Of(name)})
			if err != nil {
				t.Fatal(err)
			}
			var got rec
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if n := got.PathBytes.Name(got.Path); n != name {
				t.Errorf("%q came back as %q (JSON %s)", name, n, b)
			}
			if (Of(name) != nil) != c.bytes {
				t.Errorf("Of(%q) = %q: bytes kept for a valid name or dropped for an invalid one", name, Of(name))
			}
		})
	}
}

func TestValidNameLeavesNoBytes(t *testing.T) {
	b, err := json.Marshal(rec{Path: "/in/a.pdf", PathBytes: Of("/in/a.pdf")})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"path":"/in/a.pdf"}` {
		t.Errorf("got %s", b)
	}
}

// An older line whose path is a U+FFFD-mangled string and bytes beside it:
// the bytes win.
func TestBytesWin(t *testing.T) {
	var got rec
	if err := json.Unmarshal([]byte(`{"path":"/in/caf\ufffd.pdf","path_bytes":"L2luL2NhZukucGRm"}`), &got); err != nil {
		t.Fatal(err)
	}
	if n := got.PathBytes.Name(got.Path); n != "/in/caf\xe9.pdf" {
		t.Errorf("got %q", n)
	}
}
