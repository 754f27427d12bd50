package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// matcher decides which names are ignored and which directories excluded.
type matcher struct {
	ignore []string
	// ids are the excluded directories' identities: the output reached
	// through a symlink or a bind mount has another path but the same
	// device and inode. A directory of the inbox found to be one of them is
	// added to exclude (the walkers and Run read it: mu).
	ids     []fileID
	mu      sync.RWMutex
	exclude []string // absolute, cleaned
}

func newMatcher(ignore, exclude []string) (*matcher, error) {
	if ignore == nil {
		ignore = DefaultIgnore
	}
	m := &matcher{ignore: append([]string(nil), ignore...)}
	for _, p := range m.ignore {
		if _, err := filepath.Match(p, ""); err != nil {
			return nil, fmt.Errorf("ignore pattern %q: %w", p, err)
		}
	}
	for _, d := range exclude {
		if d == "" {
			continue
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("exclude %s: %w", d, err)
		}
		m.exclude = append(m.exclude, abs)
		if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
			if id, ok := idOf(fi); ok {
				m.ids = append(m.ids, id)
			}
		}
	}
	return m, nil
}

// excludedDir reports whether the directory at path, with fi from Lstat,
// is excluded: by its path, or because it is an excluded directory under
// another name (then its path is remembered).
func (m *matcher) excludedDir(path string, fi fs.FileInfo) bool {
	if m.excluded(path) {
		return true
	}
	if len(m.ids) == 0 || fi == nil {
		return false
	}
	id, ok := idOf(fi)
	if !ok || !slices.Contains(m.ids, id) {
		return false
	}
	m.mu.Lock()
	m.exclude = append(m.exclude, path)
	m.mu.Unlock()
	return true
}

// ignored reports whether a base name matches an ignore pattern.
func (m *matcher) ignored(name string) bool {
	for _, p := range m.ignore {
		if ok, _ := filepath.Match(p, name); ok {
			return true
		}
	}
	return false
}

// excluded reports whether path is an excluded directory or lies inside one.
func (m *matcher) excluded(path string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, d := range m.exclude {
		if within(path, d) {
			return true
		}
	}
	return false
}

// within reports whether path is dir or lies inside it (both clean).
func within(path, dir string) bool {
	if path == dir {
		return true
	}
	if dir == string(filepath.Separator) {
		return strings.HasPrefix(path, dir)
	}
	return strings.HasPrefix(path, dir) && path[len(dir)] == filepath.Separator
}

// fingerprint is what must stay the same for a file to be stable.
type fingerprint struct {
	size  int64
	mtime int64 // UnixNano
	ino   uint64
}

func fingerprintOf(fi fs.FileInfo) fingerprint {
	return fingerprint{size: fi.Size(), mtime: fi.ModTime().UnixNano(), ino: inode(fi)}
}

// walkItem is a directory (reported before it is read) or a regular file.
type walkItem struct {
	path string
	dir  bool
	fp   fingerprint
	mod  time.Time
}

// walkStats counts directories that could not be read below the root.
type walkStats struct {
	dirErrs  int
	firstErr []error // at most maxReportedDirErrs
}

func (s *walkStats) add(err error) {
	s.dirErrs++
	if len(s.firstErr) < maxReportedDirErrs {
		s.firstErr = append(s.firstErr, err)
	}
}

// walkTree streams root: fn gets each directory before it is listed (root
// first), then its regular, non-ignored files. Subdirectories are entered when
// recursive, unless ignored or excluded. Symlinks and special files are
// skipped without being opened or followed. An unreadable root is an error;
// an unreadable subdirectory is counted in st and skipped. An error from fn
// or ctx stops the walk.
func walkTree(ctx context.Context, root string, recursive bool, m *matcher, st *walkStats, fn func(walkItem) error) error {
	stack := []string{root}
	for len(stack) > 0 {
		dir := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(walkItem{path: dir, dir: true}); err != nil {
			return err
		}
		subdirs, err := listDir(ctx, dir, recursive, m, fn)
		if err != nil {
			if dir == root || ctx.Err() != nil || errors.Is(err, errStop) {
				return unwrapStop(err)
			}
			st.add(err)
		}
		// Reverse so the walk visits subdirectories in listing order.
		for i := len(subdirs) - 1; i >= 0; i-- {
			stack = append(stack, subdirs[i])
		}
	}
	return nil
}

// stopError marks an error returned by fn, which ends the walk.
type stopError struct{ err error }

func (e stopError) Error() string { return e.err.Error() }
func (e stopError) Unwrap() error { return e.err }

var errStop = errors.New("stop")

func (e stopError) Is(target error) bool { return target == errStop }

func unwrapStop(err error) error {
	var s stopError
	if errors.As(err, &s) {
		return s.err
	}
	return err
}

// listDir reads dir a batch at a time, passes regular files to fn and returns
// the subdirectories to enter.
func listDir(ctx context.Context, dir string, recursive bool, m *matcher, fn func(walkItem) error) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("stat %s: %w", dir, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("list %s: %w", dir, ErrNotDir)
	}
	var subdirs []string
	for {
		ents, err := f.ReadDir(readDirBatch)
		for _, d := range ents {
			name := d.Name()
			if m.ignored(name) {
				continue
			}
			path := filepath.Join(dir, name)
			switch t := d.Type(); {
			case t.IsDir():
				if !recursive {
					continue
				}
				fi, err := d.Info()
				if err != nil {
					continue // gone already
				}
				if !m.excludedDir(path, fi) {
					subdirs = append(subdirs, path)
				}
			case t.IsRegular():
				if m.excluded(path) {
					continue
				}
				fi, err := d.Info() // lstat; the file may be gone already
				if err != nil || !fi.Mode().IsRegular() {
					continue
				}
				if err := fn(walkItem{path: path, fp: fingerprintOf(fi), mod: fi.ModTime()}); err != nil {
					return subdirs, stopError{err}
				}
			}
		}
		if err == io.EOF {
			return subdirs, nil
		}
		if err != nil {
			return subdirs, fmt.Errorf("read %s: %w", dir, err)
		}
		if err := ctx.Err(); err != nil {
			return subdirs, err
		}
	}
}

// Walk streams the regular files under root once, for a backlog run: no
// settling, no watching. Ignore and exclude mean what they mean in Options
// (nil ignore is DefaultIgnore); symlinks and special files are skipped and
// never opened. Paths are absolute. An error from fn stops the walk and is
// returned as is. Unreadable subdirectories are skipped and reported together
// in the returned error after everything else was walked.
func Walk(ctx context.Context, root string, recursive bool, ignore, exclude []string, fn func(Event) error) error {
	abs, err := filepath.Abs(root)
	if err != nil {
		return fmt.Errorf("walk %s: %w", root, err)
	}
	m, err := newMatcher(ignore, exclude)
	if err != nil {
		return fmt.Errorf("walk %s: %w", root, err)
	}
	var st walkStats
	err = walkTree(ctx, abs, recursive, m, &st, func(it walkItem) error {
		if it.dir {
			return nil
		}
		return fn(Event{Path: it.path, Size: it.fp.size, ModTime: it.mod})
	})
	if err != nil {
		return err
	}
	if st.dirErrs > 0 {
		return fmt.Errorf("walk %s: %d unreadable directories: %w", abs, st.dirErrs, errors.Join(st.firstErr...))
	}
	return nil
}
