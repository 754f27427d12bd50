//go:build unix

package watch

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// inode returns the file's inode number, so a file replaced by another of
// the same size and mtime still counts as changed.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino) //nolint:unconvert // int type differs between platforms
	}
	return 0
}

// fileID is a file's identity: device and inode.
type fileID struct{ dev, ino uint64 }

func idOf(fi fs.FileInfo) (fileID, bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{uint64(st.Dev), uint64(st.Ino)}, true //nolint:unconvert
	}
	return fileID{}, false
}

// Inside reports whether path is dir or lies inside it, following symlinks
// and seeing through bind mounts: path's real location or one of its parent
// folders is dir by device and inode. same is true when path is dir itself.
// A path that does not exist is inside nothing.
func Inside(path, dir string) (inside, same bool, err error) {
	dfi, err := os.Stat(dir)
	if err != nil {
		return false, false, err
	}
	did, ok := idOf(dfi)
	if !ok {
		return false, false, nil
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, false, nil
		}
		return false, false, err
	}
	real, err = filepath.Abs(real)
	if err != nil {
		return false, false, err
	}
	for p := real; ; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil {
			if id, ok := idOf(fi); ok && id == did {
				return true, p == real, nil
			}
		}
		if p == filepath.Dir(p) {
			return false, false, nil
		}
	}
}
