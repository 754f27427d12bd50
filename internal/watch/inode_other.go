//go:build !unix

package watch

import "io/fs"

// inode is unknown on this platform; size and mtime decide alone.
func inode(fs.FileInfo) uint64 { return 0 }
