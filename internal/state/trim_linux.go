//go:build linux

package state

import (
	"bytes"
	"fmt"
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
// bytes of db's mapping, and never more than the mapping: size is what the
// file's header claims, and a damaged or truncated file claims more than is
// mapped (madvise past the mapping would zero whatever memory lies there).
// The caller holds a read transaction.
func dropMapping(db *bolt.DB, size int64) error {
	if size <= 0 {
		return nil
	}
	addr := db.Info().Data
	n, err := mappedLen(addr)
	if err != nil {
		return err
	}
	size = min(size, n)
	_, _, errno := unix.Syscall(unix.SYS_MADVISE, addr, uintptr(size), unix.MADV_DONTNEED)
	if errno != 0 {
		return errno
	}
	return nil
}

// mappedLen is the length of the mapping that starts at addr, from
// /proc/self/maps (read at each trim: trims are rare).
func mappedLen(addr uintptr) (int64, error) {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		dash := bytes.IndexByte(line, '-')
		sp := bytes.IndexByte(line, ' ')
		if dash < 0 || sp < dash {
			continue
		}
		if start, err := strconv.ParseUint(string(line[:dash]), 16, 64); err != nil || start != uint64(addr) {
			continue
		}
		end, err := strconv.ParseUint(string(line[dash+1:sp]), 16, 64)
		if err != nil || end <= uint64(addr) {
			return 0, fmt.Errorf("/proc/self/maps: bad line %q", line)
		}
		return int64(end - uint64(addr)), nil
	}
	return 0, fmt.Errorf("no mapping at %#x in /proc/self/maps", addr)
}
