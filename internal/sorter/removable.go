package sorter

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// removable checks that src can be unlinked by this process: its folder is
// writable and searchable (faccessat with the effective ids: a read-only
// filesystem is EROFS), and, in a sticky-bit folder (mode 1777, the usual
// shared drop folder), the process owns the file or the folder or has
// CAP_FOWNER. A nil answer is a forecast, not a promise: Move still handles
// a removal that fails after the copy.
func removable(src string) error {
	dir := filepath.Dir(src)
	if err := unix.Faccessat(unix.AT_FDCWD, dir, unix.W_OK|unix.X_OK, unix.AT_EACCESS); err != nil {
		return fmt.Errorf("%w: folder %s is not writable by this process (uid %d): %w", ErrSourceStuck, dir, os.Geteuid(), err)
	}
	var ds, fs unix.Stat_t
	if err := unix.Stat(dir, &ds); err != nil || ds.Mode&unix.S_ISVTX == 0 {
		return nil
	}
	if err := unix.Lstat(src, &fs); err != nil {
		return nil // the move itself says what is wrong
	}
	euid := uint32(os.Geteuid())
	if fs.Uid == euid || ds.Uid == euid || hasFowner() {
		return nil
	}
	return fmt.Errorf("%w: folder %s has the sticky bit and the file belongs to uid %d, not to this process (uid %d)",
		ErrSourceStuck, dir, fs.Uid, euid)
}

// hasFowner reports whether the process may remove other users' files from
// sticky folders (CAP_FOWNER in its effective set).
var hasFowner = sync.OnceValue(func() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return os.Geteuid() == 0
	}
	return data[0].Effective&(1<<unix.CAP_FOWNER) != 0
})
