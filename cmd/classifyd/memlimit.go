package main

import (
	"os"
	"runtime/debug"
)

// The daemon's memory (run and once). Its live heap does not grow with the
// backlog: measured with GODEBUG=gctrace=1 over 10,000 and 100,000 files it
// stays between 5 and 16 MB for the whole run, as flat at the end as at the
// start (heap profiles at its peaks: the engine's batches in flight, records
// decoded from the state, bbolt's dirty pages), and no per-file data is kept. What grew with the backlog was the slack of
// the garbage collector: with GOGC=100 the heap may reach twice what was
// live at the last collection, so the process's peak is twice the highest
// transient live heap it happened to have, and a longer run meets a higher
// one. A soft limit on the Go runtime's memory bounds that slack: below it
// the collector works as before, near it the collector runs sooner instead
// of letting the heap double. It is soft: a live heap above it (very large
// documents) is never refused memory, and the runtime caps the collector's
// share of the CPU while over it.
//
// defaultMemoryLimit is twice the highest live heap measured, so that the
// limit cuts only the slack (over 100,000 small files the peak anonymous RSS
// fell from 34-38 MB to 28-29 MB; over 600 PDFs, text and DOCX files the
// collector ran 71 times instead of 62, at the same CPU time). GOMEMLIMIT, when set, is the operator's choice
// and is left as it is (GOMEMLIMIT=off: no limit).
const defaultMemoryLimit = 32 << 20

// setMemoryLimit applies defaultMemoryLimit unless GOMEMLIMIT is set.
func setMemoryLimit() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
}
