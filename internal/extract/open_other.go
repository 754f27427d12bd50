//go:build !unix

package extract

import (
	"fmt"
	"os"
)

// openRegular refuses symbolic links and non-regular files. Without
// O_NOFOLLOW there is a small window between the check and the open; the
// daemon targets Unix, where open_unix.go closes it.
func openRegular(path string) (*os.File, int64, error) {
	li, err := os.Lstat(path)
	if err != nil {
		return nil, 0, err
	}
	if !li.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%w: %s", ErrNotRegular, li.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || !os.SameFile(li, fi) {
		f.Close()
		return nil, 0, fmt.Errorf("%w: changed while opening", ErrNotRegular)
	}
	return f, fi.Size(), nil
}
