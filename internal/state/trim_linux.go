//go:build linux

package state

import (
	"bytes"
	"os"
	"strconv"
	"sync"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

var pageSize = int64(os.Getpagesize())

// statm is /proc/self/statm, kept open: a read at offset 0 gives fresh
// numbers, and opening it each time costs more than the read.
var statm struct {
	once sync.Once
	mu   sync.Mutex
	f    *os.File
	buf  [128]byte
}

// residentFileBytes is the process's resident file-backed and shared memory
// (the third field of /proc/self/statm, in pages).
func residentFileBytes() (int64, bool) {
	statm.once.Do(func() { statm.f, _ = os.Open("/proc/self/statm") })
	if statm.f == nil {
		return 0, false
	}
	statm.mu.Lock()
	defer statm.mu.Unlock()
	n, err := statm.f.ReadAt(statm.buf[:], 0)
	if n == 0 && err != nil {
		return 0, false
	}
	f := bytes.Fields(statm.buf[:n])
	if len(f) < 3 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(f[2]), 10, 64)
	if err != nil {
		return 0, false
	}
	return v * pageSize, true
}

// dropMapping drops the process's page-table entries for the first size
// bytes of db's mapping. The caller holds a read transaction.
func dropMapping(db *bolt.DB, size int64) error {
	if size <= 0 {
		return nil
	}
	addr := db.Info().Data
	_, _, errno := unix.Syscall(unix.SYS_MADVISE, addr, uintptr(size), unix.MADV_DONTNEED)
	if errno != 0 {
		return errno
	}
	return nil
}
