// Package pathjson carries file names through JSON byte for byte.
//
// A Linux file name is any bytes but '/' and NUL, while encoding/json
// replaces bytes that are not UTF-8 with U+FFFD: a record of such a file
// would name a file that does not exist. So a record that holds a name keeps,
// beside the name's string field, a Bytes field (its key ends in _bytes,
// with omitempty) that holds the exact bytes when the name is not valid
// UTF-8; on reading, Bytes wins. The state's file records (path, dest) and
// the journal's lines (source, dest) both use it, and start-up repair
// compares the two, so they must agree byte for byte.
//
// The package owns that rule and nothing else.
package pathjson

import "unicode/utf8"

// Bytes is the exact bytes of a name that is not valid UTF-8, and nil for a
// name that is (so an omitempty field is left out). In JSON it is base64, as
// any []byte.
type Bytes []byte

// Of is the Bytes to store beside name.
func Of(name string) Bytes {
	if utf8.ValidString(name) {
		return nil
	}
	return Bytes(name)
}

// Name is the name a record holds: the bytes when they were stored,
// otherwise the string field s as decoded.
func (b Bytes) Name(s string) string {
	if b != nil {
		return string(b)
	}
	return s
}
