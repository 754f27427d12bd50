package daemon

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openForWriting reports whether some process has f's file open for
// writing: the kernel refuses a read lease on such a file (F_SETLEASE
// F_RDLCK is EAGAIN). The lease, when granted, is given back at once. Where
// a lease is not allowed (another user's file without CAP_LEASE, a
// filesystem without leases) it reports false: the settle time alone
// decides, as before.
func openForWriting(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	busy := false
	rc.Control(func(fd uintptr) {
		_, err := unix.FcntlInt(fd, unix.F_SETLEASE, unix.F_RDLCK)
		if err == nil {
			unix.FcntlInt(fd, unix.F_SETLEASE, unix.F_UNLCK)
			return
		}
		busy = errors.Is(err, unix.EAGAIN)
	})
	return busy
}
