//go:build !unix

package watch

import (
	"io/fs"
	"path/filepath"
)

// inode is unknown on this platform; size and mtime decide alone.
func inode(fs.FileInfo) uint64 { return 0 }

type fileID struct{ dev, ino uint64 }

func idOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }

// Inside compares cleaned paths on this platform.
func Inside(path, dir string) (inside, same bool, err error) {
	p, d := filepath.Clean(path), filepath.Clean(dir)
	return within(p, d), p == d, nil
}
