//go:build linux

package state

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// newSlots returns n zeroed words in an anonymous private mapping (outside
// the Go heap; pages become resident as they are written), or on the heap if
// the mapping fails.
func newSlots(n int) []uint64 {
	b, err := unix.Mmap(-1, 0, n*8, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return make([]uint64, n)
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// freeSlots unmaps slots made by newSlots (heap slices are left to the
// collector).
func freeSlots(s []uint64) {
	if len(s) == 0 {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*8)
	_ = unix.Munmap(b) // EINVAL for a heap slice: nothing to do
}
