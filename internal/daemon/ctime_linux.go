//go:build linux

package daemon

import (
	"io/fs"
	"syscall"
	"time"
)

// changeTime is a file's status change time (ctime): set by the filesystem
// when the file is created, written, renamed or moved into a folder.
func changeTime(fi fs.FileInfo) (time.Time, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(int64(st.Ctim.Sec), int64(st.Ctim.Nsec)), true //nolint:unconvert // int types differ between platforms
}
