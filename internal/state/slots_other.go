//go:build !linux

package state

func newSlots(n int) []uint64 { return make([]uint64, n) }

func freeSlots([]uint64) {}
