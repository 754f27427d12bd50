package extract

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"
)

// errFull stops an extractor once the text budget is reached; Extract turns
// it into success with Document.Truncated set.
var errFull = errors.New("text budget reached")

// sink collects extracted text up to a byte budget and checks the context
// every few hundred writes, so every extractor loop that writes is bounded in
// output and in time.
type sink struct {
	ctx  context.Context
	b    []byte
	max  int
	full bool
	ops  int
}

func newSink(ctx context.Context, max int) *sink {
	return &sink{ctx: ctx, max: max, b: make([]byte, 0, min(max, 4<<10))}
}

// check returns the context's cause when it is done, errFull when full.
func (s *sink) check() error {
	if err := s.ctx.Err(); err != nil {
		return context.Cause(s.ctx)
	}
	if s.full {
		return errFull
	}
	return nil
}

// write appends str, cut at a rune boundary when the budget runs out.
func (s *sink) write(str string) error {
	if s.full {
		return errFull
	}
	s.ops++
	if s.ops&255 == 0 {
		if err := s.ctx.Err(); err != nil {
			return context.Cause(s.ctx)
		}
	}
	room := s.max - len(s.b)
	if len(str) <= room {
		s.b = append(s.b, str...)
		return nil
	}
	for room > 0 && !utf8.RuneStart(str[room]) {
		room--
	}
	s.b = append(s.b, str[:room]...)
	s.full = true
	return errFull
}

// newline ends the current line unless the text is empty or already ends one.
func (s *sink) newline() error {
	if len(s.b) == 0 || s.b[len(s.b)-1] == '\n' {
		return s.check()
	}
	return s.write("\n")
}

// separator ends the current block with a blank line (pages, slides, sheets).
func (s *sink) separator() error {
	if err := s.newline(); err != nil {
		return err
	}
	if len(s.b) >= 2 && s.b[len(s.b)-2] != '\n' {
		return s.write("\n")
	}
	return nil
}

// tab ends a cell of a row (empty cells included, so columns stay aligned).
func (s *sink) tab() error {
	for len(s.b) > 0 && s.b[len(s.b)-1] == ' ' {
		s.b = s.b[:len(s.b)-1]
	}
	if len(s.b) == 0 {
		return s.check()
	}
	return s.write("\t")
}

// space separates words unless the text is at a line or cell start or
// already ends in a blank.
func (s *sink) space() error {
	if len(s.b) == 0 {
		return s.check()
	}
	switch s.b[len(s.b)-1] {
	case ' ', '\n', '\t':
		return s.check()
	}
	return s.write(" ")
}

func (s *sink) len() int { return len(s.b) }

// atLineStart reports the text is empty or ends a line or cell.
func (s *sink) atLineStart() bool {
	return len(s.b) == 0 || s.b[len(s.b)-1] == '\n' || s.b[len(s.b)-1] == '\t'
}

func (s *sink) String() string { return clean(string(s.b)) }

// clean normalises extracted text: CRLF and CR become LF, control characters
// other than tab, newline and form feed are dropped (as are BOMs and
// non-characters), trailing blanks are cut from each line and runs of blank
// lines are collapsed to one.
func clean(in string) string {
	var b strings.Builder
	b.Grow(len(in))
	newlines := 0
	pendingSpace := 0 // blanks not yet written: dropped if a newline follows
	space := make([]byte, 0, 8)
	for i := 0; i < len(in); {
		r, size := utf8.DecodeRuneInString(in[i:])
		i += size
		if r == '\r' {
			if i < len(in) && in[i] == '\n' {
				continue
			}
			r = '\n'
		}
		switch {
		case r == '\n':
			space = space[:0]
			pendingSpace = 0
			newlines++
			continue
		case r == ' ' || r == '\t' || r == '\f' || r == '\u00a0':
			if r == '\u00a0' {
				r = ' '
			}
			pendingSpace++
			space = utf8.AppendRune(space, r)
			continue
		case r == utf8.RuneError && size == 1, r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0,
			r == '\ufeff', r == '\ufffe', r == '\uffff', r == 0xad:
			continue
		}
		if newlines > 0 && b.Len() > 0 {
			b.WriteString("\n")
			if newlines > 1 {
				b.WriteString("\n")
			}
		}
		newlines = 0
		if pendingSpace > 0 && b.Len() > 0 {
			b.Write(space)
		}
		space = space[:0]
		pendingSpace = 0
		b.WriteRune(r)
	}
	return b.String()
}
