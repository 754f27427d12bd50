package extract

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// headSize is how much of a file detection looks at (mimetype's default limit).
const headSize = 3072

// input is one opened file: read once from disk, shared by detection and the
// extractor. It is read through ReaderAt so the file offset stays at 0 and
// the descriptor can be handed to tesseract as its standard input.
type input struct {
	f    *os.File
	path string
	ext  string // lower-case extension with the dot
	size int64
	head []byte

	zr          *zip.Reader // opened on demand by zipReader
	zrErr       error
	sniffedMail bool // format "eml" came from content, not the extension
}

func openInput(path string, maxBytes int64) (*input, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	in := &input{f: f, path: path, ext: strings.ToLower(filepath.Ext(path)), size: size}
	if size == 0 {
		f.Close()
		return nil, ErrEmpty
	}
	if size > maxBytes {
		f.Close()
		return nil, fmt.Errorf("%w: %d bytes, budget %d", ErrTooLarge, size, maxBytes)
	}
	in.head = make([]byte, min(size, headSize))
	n, err := f.ReadAt(in.head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, fmt.Errorf("read: %w", err)
	}
	in.head = in.head[:n]
	return in, nil
}

func (in *input) Close() error { return in.f.Close() }

// section returns a reader of the whole file that does not move the offset.
func (in *input) section() *io.SectionReader { return io.NewSectionReader(in.f, 0, in.size) }

// readAll reads up to limit bytes of the file.
func (in *input) readAll(limit int64) ([]byte, error) {
	n := min(in.size, limit)
	buf := make([]byte, n)
	got, err := in.f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read: %w", err)
	}
	return buf[:got], nil
}

// zipReader opens the file as a zip archive once and checks the entry count.
func (in *input) zipReader(maxEntries int) (*zip.Reader, error) {
	if in.zr == nil && in.zrErr == nil {
		in.zrErr = in.zipPrecheck(maxEntries)
	}
	if in.zr == nil && in.zrErr == nil {
		in.zr, in.zrErr = zip.NewReader(in.f, in.size)
		if in.zrErr != nil {
			in.zrErr = fmt.Errorf("%w: zip: %v", ErrMalformed, in.zrErr)
		} else if len(in.zr.File) > maxEntries {
			in.zrErr = fmt.Errorf("%w: %d entries, budget %d", ErrBomb, len(in.zr.File), maxEntries)
		}
	}
	return in.zr, in.zrErr
}

// zipPrecheck reads the end-of-central-directory record and refuses an
// archive that declares more entries (or a larger directory) than the
// budget allows, before archive/zip allocates a record for every entry.
func (in *input) zipPrecheck(maxEntries int) error {
	const eocdLen = 22
	tail := min(in.size, 65535+eocdLen)
	buf := make([]byte, tail)
	if _, err := in.f.ReadAt(buf, in.size-tail); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read: %w", err)
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return nil // not found: archive/zip reports the malformed file
	}
	entries := int(binary.LittleEndian.Uint16(buf[i+10:]))
	dirSize := int64(binary.LittleEndian.Uint32(buf[i+12:]))
	if entries == 0xffff && maxEntries < 0xffff {
		return fmt.Errorf("%w: zip64 entry count, budget %d", ErrBomb, maxEntries)
	}
	if entries > maxEntries {
		return fmt.Errorf("%w: %d entries, budget %d", ErrBomb, entries, maxEntries)
	}
	if dirSize != 0xffffffff && dirSize > int64(maxEntries)*(46+1024) {
		return fmt.Errorf("%w: central directory of %d bytes", ErrBomb, dirSize)
	}
	return nil
}
