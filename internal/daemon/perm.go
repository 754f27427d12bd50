package daemon

import (
	"errors"
	"io/fs"
	"os"
	"sync/atomic"
)

// createFolders creates every type folder (a template's fixed prefix) and
// the unmatched, review, failed and duplicates folders at start, with
// permissions.folder_mode, so people can move files into them before
// anything was filed there. A folder that cannot be created is logged; the
// move that needs it tries again.
func (d *Daemon) createFolders() {
	if err := d.sorter.CreateFolders(); err != nil {
		d.log.Warn("creating the output's folders", "err", err)
	}
}

// permWarned limits the log of files whose mode cannot be set (files other
// users own) to one line per run.
var permWarned atomic.Bool

// setFileMode gives a filed file permissions.file_mode (and group). A file
// another user owns keeps its mode: the group corrects it by moving it,
// which the folder's mode allows.
func (d *Daemon) setFileMode(path string) {
	err := d.sorter.SetFileMode(path)
	if err == nil {
		return
	}
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, os.ErrPermission) {
		if permWarned.CompareAndSwap(false, true) {
			d.log.Info("a filed file keeps its mode: it belongs to another user", "path", path, "err", err)
		}
		return
	}
	if !errors.Is(err, fs.ErrNotExist) {
		d.log.Warn("filed, but its mode could not be set", "path", path, "err", errors.Unwrap(err))
	}
}
