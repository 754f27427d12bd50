package sorter

// Folders and files people share: the folders the sorter creates get
// Options.DirMode (and Gid), filed files FileMode (and Gid), set with chmod
// and chown after creation, so the umask does not decide. A file the daemon
// does not own (a person's, in a group folder) cannot be chmod'ed: it keeps
// its mode, which only says who may change its content; moving it between
// folders is a matter of the folders' modes.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrPerm wraps a mode or group that could not be set on a path that is
// otherwise in place (the caller logs it; the file is filed).
var ErrPerm = errors.New("cannot set mode or group")

// MkdirAll creates dir and any missing parents under the output with
// DirMode and Gid; folders that exist are left as they are.
func (s *Sorter) MkdirAll(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	var created []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		created = append(created, d)
		if d == filepath.Dir(d) || d == s.o.Output {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	var errs []error
	for i := len(created) - 1; i >= 0; i-- {
		if err := s.setMode(created[i], s.o.DirMode); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// SetFileMode gives a filed file FileMode and Gid (errors are ErrPerm).
func (s *Sorter) SetFileMode(path string) error {
	return s.setMode(path, s.o.FileMode)
}

func (s *Sorter) setMode(path string, mode fs.FileMode) error {
	var errs []error
	if s.o.GidSet {
		if err := os.Lchown(path, -1, s.o.Gid); err != nil {
			errs = append(errs, err)
		}
	}
	if mode != 0 {
		if err := os.Chmod(path, mode); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrPerm, errors.Join(errs...))
	}
	return nil
}

// CreateFolders creates every folder files are moved into (type folders:
// their fixed prefix), so people can move files into them before anything
// was filed there. It returns the folders it could not create.
func (s *Sorter) CreateFolders() error {
	var errs []error
	for _, d := range s.Folders() {
		if err := s.MkdirAll(d); err != nil && !errors.Is(err, ErrPerm) {
			errs = append(errs, fmt.Errorf("create %s: %w", d, err))
		} else if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ParseMode reads an octal mode ("2775", "0664", "0" for none); the setuid,
// setgid and sticky bits are kept.
func ParseMode(s string) (fs.FileMode, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0o"), "0O")
	var n uint32
	if s == "" {
		return 0, errors.New("empty mode")
	}
	for _, c := range s {
		if c < '0' || c > '7' {
			return 0, fmt.Errorf("%q is not an octal mode (2775, 0664)", s)
		}
		n = n*8 + uint32(c-'0')
		if n > 0o7777 {
			return 0, fmt.Errorf("%q is not a mode (at most 7777)", s)
		}
	}
	m := fs.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m, nil
}
