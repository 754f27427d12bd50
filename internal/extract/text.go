package extract

import (
	"bytes"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// extractText reads plain text (also Markdown, CSV, JSON, XML): only as many
// bytes as can fill the text budget are read.
func extractText(in *input, s *sink) error {
	// UTF-16 needs two bytes a character; Windows-1252 can grow to three.
	data, err := in.readAll(int64(s.max)*2 + 4)
	if err != nil {
		return err
	}
	return s.write(decodeText(data, in.size > int64(len(data))))
}

// decodeText turns bytes in an unknown common encoding into UTF-8: a BOM
// (UTF-8, UTF-16 LE/BE) decides; otherwise valid UTF-8 is taken as it is,
// BOM-less UTF-16 is recognised by its zero bytes, and anything else is
// Windows-1252 (a superset of Latin-1 for the printable range). truncated
// says data is a prefix, so a rune cut at its end is not an encoding error.
func decodeText(data []byte, truncated bool) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xef, 0xbb, 0xbf}):
		return toValidUTF8(data[3:])
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		return decodeUTF16(data[2:], unicode.LittleEndian)
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		return decodeUTF16(data[2:], unicode.BigEndian)
	}
	body := data
	if truncated {
		body = trimPartialRune(body)
	}
	if utf8.Valid(body) && !looksUTF16(body) {
		return string(body)
	}
	if looksUTF16(data) {
		if zeroShare(data, 1) > zeroShare(data, 0) {
			return decodeUTF16(data, unicode.LittleEndian)
		}
		return decodeUTF16(data, unicode.BigEndian)
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil {
		return toValidUTF8(data)
	}
	return string(out)
}

func decodeUTF16(data []byte, order unicode.Endianness) string {
	if len(data)%2 == 1 {
		data = data[:len(data)-1]
	}
	out, err := unicode.UTF16(order, unicode.IgnoreBOM).NewDecoder().Bytes(data)
	if err != nil {
		return toValidUTF8(data)
	}
	return string(out)
}

func toValidUTF8(b []byte) string { return string(bytes.ToValidUTF8(b, []byte("\ufffd"))) }

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b.
func trimPartialRune(b []byte) []byte {
	for i := 1; i <= 3 && i <= len(b); i++ {
		c := b[len(b)-i]
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			return b
		}
	}
	return b
}

// looksUTF16 reports BOM-less UTF-16 of mostly ASCII-range text: a large
// share of zero bytes at the even or at the odd positions and few elsewhere.
func looksUTF16(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	even, odd := zeroShare(b, 0), zeroShare(b, 1)
	return (odd > 0.4 && even < 0.05) || (even > 0.4 && odd < 0.05)
}

// zeroShare is the share of zero bytes at positions parity, parity+2, ...
func zeroShare(b []byte, parity int) float64 {
	n, z := 0, 0
	for i := parity; i < len(b) && n < 4096; i += 2 {
		n++
		if b[i] == 0 {
			z++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(z) / float64(n)
}

// isBinary reports bytes that are no text in any encoding decodeText knows:
// NUL bytes (outside UTF-16) or many C0 control characters.
func isBinary(b []byte) bool {
	if len(b) == 0 || looksUTF16(b) || bytes.HasPrefix(b, []byte{0xff, 0xfe}) || bytes.HasPrefix(b, []byte{0xfe, 0xff}) {
		return false
	}
	ctl := 0
	for _, c := range b {
		if c == 0 {
			return true
		}
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b {
			ctl++
		}
	}
	return ctl*10 > len(b)
}
