// Package sorter moves a classified file into its folder under the output and
// appends the decision to the journal.
//
// It decides the destination (type folder, unmatched, review, failed,
// duplicates), resolves name clashes, and performs the move: rename(2) on one
// filesystem (never replacing an existing file), copy + fsync + rename +
// remove across filesystems. A type becomes a folder only if it is one of the
// configured rule types, so a hostile answer never names a path.
//
// The package owns the output folder's contents and the journal file; it does
// not touch the state file.
package sorter

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// Conflict policies.
const (
	Rename    = "rename"
	Skip      = "skip"
	Overwrite = "overwrite"
)

// ErrExists is returned when the destination exists and the policy is skip.
var ErrExists = errors.New("destination exists")

// ErrSourceStuck is returned by Move when the source cannot be removed from
// its folder (a sticky-bit folder holding another user's file, a folder the
// daemon may not write, a read-only filesystem). Nothing is left in the
// output: the file stays where it is, and moving it again fails the same
// way until a person changes the folder's permissions.
var ErrSourceStuck = errors.New("the file cannot be removed from its folder")

// Options configure a Sorter.
type Options struct {
	Output     string
	TypeFolder map[string]string // rule type → folder relative to Output (a template: template.go)
	TypeName   map[string]string // rule type → name template ("" or absent: the file's own name)
	Unmatched  string
	Review     string
	Failed     string
	Duplicates string
	OnConflict string // rename (default) | skip | overwrite

	// Modes of the folders the sorter creates and of filed files (0: the
	// umask decides), and their group when GidSet (perm.go).
	DirMode, FileMode os.FileMode
	Gid               int
	GidSet            bool
}

// Sorter maps decisions to paths and moves files.
type Sorter struct {
	o       Options
	folders map[string]*Template // rule type → parsed folder template
	names   map[string]*Template // rule type → parsed name template
}

// New returns a Sorter.
func New(o Options) *Sorter {
	if o.OnConflict == "" {
		o.OnConflict = Rename
	}
	s := &Sorter{o: o}
	s.parseTemplates()
	return s
}

// Folder kinds, as the state package names them.
const (
	KindType      = "type"
	KindUnmatched = "unmatched"
	KindReview    = "review"
	KindFailed    = "failed"
	KindDuplicate = "duplicate"
)

// Dir returns the absolute folder for a decision. An unknown type (not a
// configured rule type) is never a path: it maps to the unmatched folder.
func (s *Sorter) Dir(kind, typ string) string {
	var rel string
	switch kind {
	case KindType:
		f, ok := s.folders[typ]
		if !ok {
			rel = s.o.Unmatched
		} else {
			rel = f.Prefix(typ)
		}
	case KindReview:
		rel = s.o.Review
	case KindFailed:
		rel = s.o.Failed
	case KindDuplicate:
		rel = s.o.Duplicates
	default:
		rel = s.o.Unmatched
	}
	return filepath.Join(s.o.Output, filepath.Clean(string(filepath.Separator)+rel))
}

// Plan picks the destination path for src in dir: the same base name, or,
// when it is taken and the policy is rename, "name (1).ext", "name (2).ext"...
// taken reports names already promised to other files of the same round.
func (s *Sorter) Plan(src, dir string, taken func(string) bool) (string, error) {
	return s.PlanAs(SafeName(filepath.Base(src)), dir, taken)
}

// PlanAs is Plan for a file to be named base (a name template's result).
func (s *Sorter) PlanAs(base, dir string, taken func(string) bool) (string, error) {
	dst := filepath.Join(dir, base)
	if !within(dst, s.o.Output) {
		return "", fmt.Errorf("destination %q escapes the output folder", dst)
	}
	if s.o.OnConflict == Overwrite {
		return dst, nil
	}
	// A name is free when nothing is there; any other answer of Lstat
	// (permission denied, name too long) is an error, not a taken name.
	free := func(p string) (bool, error) {
		if taken != nil && taken(p) {
			return false, nil
		}
		_, err := os.Lstat(p)
		switch {
		case err == nil:
			return false, nil
		case errors.Is(err, os.ErrNotExist):
			return true, nil
		}
		return false, err
	}
	if ok, err := free(dst); ok || err != nil {
		return dst, err
	}
	if s.o.OnConflict == Skip {
		return "", fmt.Errorf("%s: %w", dst, ErrExists)
	}
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	if ext == base { // ".bashrc"-like names
		stem, ext = base, ""
	}
	for i := 1; i < 1_000_000; i++ {
		suffix := fmt.Sprintf(" (%d)%s", i, ext)
		p := filepath.Join(dir, fitStem(stem, maxName-len(suffix))+suffix)
		if ok, err := free(p); ok || err != nil {
			return p, err
		}
	}
	return "", fmt.Errorf("no free name for %s in %s", base, dir)
}

// maxName is the longest file name, in bytes, of Linux filesystems.
const maxName = 255

// fitStem shortens stem to at most n bytes, not cutting a UTF-8 character
// in two (a name that is not UTF-8 is cut at n).
func fitStem(stem string, n int) string {
	if len(stem) <= n {
		return stem
	}
	if n <= 0 {
		return ""
	}
	for i := n; i > n-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(stem[i]) {
			return stem[:i]
		}
	}
	return stem[:n]
}

// SafeName keeps a file's base name usable as a name: NUL and slashes never
// survive, and "." or ".." become "_".
func SafeName(name string) string {
	// Byte by byte: a name that is not UTF-8 keeps its bytes (strings.Map
	// would turn them into U+FFFD and rename the file).
	if strings.ContainsAny(name, "/\x00") {
		b := []byte(name)
		for i, c := range b {
			if c == 0 || c == '/' {
				b[i] = '_'
			}
		}
		name = string(b)
	}
	if name == "" || name == "." || name == ".." {
		return "_"
	}
	if len(name) > 255 {
		ext := filepath.Ext(name)
		if len(ext) > 32 {
			ext = ""
		}
		name = name[:255-len(ext)] + ext
	}
	return name
}

func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Move moves src to dst. It never replaces an existing dst unless overwrite
// is set. Across filesystems it copies to a temporary name in dst's folder,
// fsyncs, renames into place and then removes src. Folders are created as
// needed, with the modes the umask leaves (the daemon then sets
// permissions.folder_mode on the folders it creates, perm.go: the group
// may move files between type folders).
//
// A source that cannot be removed is ErrSourceStuck before anything is
// copied (and, should the removal still fail after the copy, the copy is
// taken back): a move never leaves the file in two places.
func Move(src, dst string, overwrite bool) error {
	if err := removable(src); err != nil {
		return fmt.Errorf("move %s: %w", src, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o777); err != nil {
		return fmt.Errorf("move %s: %w", src, err)
	}
	err := rename(src, dst, overwrite)
	if err == nil {
		return syncDir(filepath.Dir(dst))
	}
	if !errors.Is(err, syscall.EXDEV) {
		return fmt.Errorf("move %s: %w", src, err)
	}
	if err := copyAcross(src, dst, overwrite); err != nil {
		return fmt.Errorf("move %s across filesystems: %w", src, err)
	}
	if err := os.Remove(src); err != nil {
		if rerr := os.Remove(dst); rerr != nil {
			return fmt.Errorf("move %s: copied, but removing the source: %w; removing the copy %s: %w", src, err, dst, rerr)
		}
		syncDir(filepath.Dir(dst))
		return fmt.Errorf("move %s: %w: %w (the copy was removed again)", src, ErrSourceStuck, err)
	}
	return nil
}

// tempPattern names the temporary file of a copy across filesystems.
const tempPattern = ".classifyd-*.part"

// Folders lists the folders files are moved into: every type folder and the
// unmatched, review, failed and duplicates folders.
func (s *Sorter) Folders() []string {
	out := []string{s.Dir(KindUnmatched, ""), s.Dir(KindReview, ""), s.Dir(KindFailed, ""), s.Dir(KindDuplicate, "")}
	for typ := range s.o.TypeFolder {
		out = append(out, s.Dir(KindType, typ))
	}
	return out
}

// RemoveTemps removes the temporary files of copies cut short (a kill
// during a move across filesystems) from the folders files are moved into.
// Call it while no move runs. It returns the paths removed.
func (s *Sorter) RemoveTemps() ([]string, error) {
	var removed []string
	var errs []error
	seen := map[string]bool{}
	for _, dir := range s.Folders() {
		if seen[dir] {
			continue
		}
		seen[dir] = true
		m, _ := filepath.Glob(filepath.Join(dir, tempPattern))
		for _, p := range m {
			if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			if err := os.Remove(p); err != nil {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, p)
		}
	}
	return removed, errors.Join(errs...)
}

func rename(src, dst string, overwrite bool) error {
	if overwrite {
		return os.Rename(src, dst)
	}
	err := unix.Renameat2(unix.AT_FDCWD, src, unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		// Filesystem without RENAME_NOREPLACE: link then unlink never replaces.
		if err := os.Link(src, dst); err != nil {
			var le *os.LinkError
			if errors.As(err, &le) && errors.Is(le.Err, syscall.EXDEV) {
				return syscall.EXDEV
			}
			return err
		}
		return os.Remove(src)
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: src, New: dst, Err: err}
	}
	return nil
}

func copyAcross(src, dst string, overwrite bool) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), tempPattern)
	if err != nil {
		return err
	}
	clean := func() { tmp.Close(); os.Remove(tmp.Name()) }
	if _, err := io.Copy(tmp, in); err != nil {
		clean()
		return err
	}
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		clean()
		return err
	}
	if err := tmp.Sync(); err != nil {
		clean()
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	os.Chtimes(tmp.Name(), st.ModTime(), st.ModTime())
	if err := rename(tmp.Name(), dst, overwrite); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return syncDir(filepath.Dir(dst))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// WriteErrorNote writes NAME.error.txt beside a failed file.
func WriteErrorNote(dst, reason string) error {
	p := dst + ".error.txt"
	return os.WriteFile(p, []byte(reason+"\n"), 0o644)
}
