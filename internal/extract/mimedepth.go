package extract

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// maxMIMEDepth bounds how deep the multipart containers of a message may
// nest before enmime is let near it. enmime parses each level through its
// own boundary reader stacked on the one above: time and memory grow with
// the square of the depth on a well-formed message (10,000 levels in 700 kB
// took 40 s and 300 MB), and with two to the power of the depth when the
// input ends inside the nesting (a 2 kB message cut off 22 levels deep took
// 1.4 s, 40 levels would take days), none of it interruptible. Real mail
// nests a handful of levels.
const maxMIMEDepth = 20

// maxScanLine is how much of one line checkMIMEDepth parses; beyond it the
// line is only searched for the word "boundary".
const maxScanLine = 1 << 20

// checkMIMEDepth reads the message in r and fails with ErrMalformed when its
// multipart boundaries may nest deeper than limit. It over-estimates and
// never under-estimates: every occurrence of "boundary" followed by "=" (or
// "*", RFC 2231) anywhere opens a level (enmime nests a part only on such a
// declaration), and a level closes only when the line "--B--" ends the
// innermost open boundary B, read unambiguously (quoted without escapes, or
// a plain token). A level whose boundary it cannot read never closes.
func checkMIMEDepth(ctx context.Context, r io.Reader, limit int) error {
	c := depthCheck{limit: limit}
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	long := false // the current line passed maxScanLine
	for n := 0; ; n++ {
		if n&255 == 0 && ctx.Err() != nil {
			return context.Cause(ctx)
		}
		seg, err := br.ReadSlice('\n')
		if !long && len(line)+len(seg) > maxScanLine {
			long = true
			c.line(line, true)
			c.match = 0
			c.words(line[max(0, len(line)-len(boundaryWord)):], false) // a word cut here still counts
		}
		if long {
			c.words(seg, true)
		} else {
			line = append(line, seg...)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if !long {
				c.line(line, false)
			}
			line, long, c.match = line[:0], false, 0
		}
		if c.err != nil {
			return c.err
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("read: %w", err)
		}
	}
}

const boundaryWord = "boundary"

type depthCheck struct {
	limit int
	open  []string // boundaries not yet terminated, innermost last; "" = unreadable
	match int      // bytes of boundaryWord matched by words
	// pending: the last line ended in the word "boundary".
	pending bool
	err     error
}

func (c *depthCheck) push(b string) {
	c.open = append(c.open, b)
	if len(c.open) > c.limit && c.err == nil {
		c.err = fmt.Errorf("%w: mail: multipart parts nest more than %d levels deep", ErrMalformed, c.limit)
	}
}

// line judges one whole line (cut says it is only the start of one).
func (c *depthCheck) line(l []byte, cut bool) {
	if c.pending {
		// The last line ended in the word: "=" may follow on a folded line.
		c.pending = false
		if len(l) > 0 && (l[0] == ' ' || l[0] == '\t') {
			switch t := bytes.TrimLeft(l, " \t\r\n"); {
			case len(t) == 0:
				c.pending = true
			case t[0] == '=' || t[0] == '*':
				c.push("")
			}
		}
	}
	if n := len(c.open); n > 0 && c.open[n-1] != "" && bytes.HasPrefix(l, []byte("--")) {
		t := bytes.TrimRight(l, " \t\r\n")
		if len(t) == len(c.open[n-1])+4 && bytes.HasSuffix(t, []byte("--")) && string(t[2:len(t)-2]) == c.open[n-1] {
			c.open = c.open[:n-1]
		}
	}
	lower := asciiLower(l)
	for i := 0; ; {
		j := bytes.Index(lower[i:], []byte(boundaryWord))
		if j < 0 {
			return
		}
		i += j + len(boundaryWord)
		if !cut && len(bytes.TrimLeft(l[i:], " \t\r\n")) == 0 {
			c.pending = true
			return
		}
		b, decl := boundaryValue(l[i:], cut)
		if decl {
			c.push(b)
		}
	}
}

// words pushes an unreadable level for every "boundary" in p, continuing a
// match across calls; count false only primes the match.
func (c *depthCheck) words(p []byte, count bool) {
	for _, ch := range p {
		switch lc := ch | 0x20; { // lower case for letters; boundaryWord is all letters
		case lc == boundaryWord[c.match]:
			c.match++
		case lc == boundaryWord[0]:
			c.match = 1
		default:
			c.match = 0
		}
		if c.match == len(boundaryWord) {
			c.match = 0
			if count {
				c.push("")
			}
		}
	}
}

// boundaryValue reads what follows the word "boundary": decl reports a
// declaration ("=" or "*" next, blanks allowed), b its value when it can be
// read without doubt, "" otherwise. cut says rest may stop mid-line.
func boundaryValue(rest []byte, cut bool) (b string, decl bool) {
	rest = bytes.TrimLeft(rest, " \t")
	switch {
	case len(rest) == 0:
		return "", cut
	case rest[0] == '*':
		return "", true
	case rest[0] != '=':
		return "", false
	}
	rest = bytes.TrimLeft(rest[1:], " \t")
	if len(rest) > 0 && rest[0] == '"' {
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 || bytes.IndexByte(rest[1:end+1], '\\') >= 0 {
			return "", true
		}
		return string(rest[1 : end+1]), true
	}
	end := bytes.IndexFunc(rest, func(r rune) bool { return !isTokenChar(r) })
	if end < 0 {
		if cut {
			return "", true
		}
		end = len(rest)
	}
	switch after := bytes.TrimLeft(rest[end:], " \t\r\n"); {
	case end == 0:
		return "", true
	case len(after) == 0, after[0] == ';':
		return string(rest[:end]), true
	}
	return "", true
}

// asciiLower lower-cases ASCII letters only, so that indexes stay aligned.
func asciiLower(p []byte) []byte {
	out := make([]byte, len(p))
	for i, c := range p {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// isTokenChar: RFC 2045 token characters.
func isTokenChar(r rune) bool {
	return r > 0x20 && r < 0x7f && !bytes.ContainsRune([]byte(`()<>@,;:\"/[]?=`), r)
}

// ctxEOFReader ends the mail parse when the extraction's context is done
// (enmime takes no context). It ends it with io.EOF and keeps the reason in
// err: enmime's boundary reader retries a read that failed with any other
// error once per byte it wanted, at every level.
type ctxEOFReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (g *ctxEOFReader) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, io.EOF
	}
	if g.ctx.Err() != nil {
		g.err = context.Cause(g.ctx)
		return 0, io.EOF
	}
	return g.r.Read(p)
}
