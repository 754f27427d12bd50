//go:build !linux

package state

import bolt "go.etcd.io/bbolt"

func residentFileBytes() (int64, bool) { return 0, false }

func dropMapping(*bolt.DB, int64) error { return nil }
