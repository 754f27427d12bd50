// Package watch turns an inbox folder into a stream of stable regular files.
//
// It owns the fsnotify watches on the inbox (and its subfolders when
// recursive), the periodic and on-overflow rescans of the inbox, the settle
// timers that decide when a file is complete, and a bounded memory of which
// files it has already emitted. It never opens, reads, moves or deletes an
// inbox file: it only lists directories and Lstat's entries. What happens to
// an emitted file is the caller's business (the daemon queues it, classifies
// it and moves it out, then calls Forget).
//
// # What is emitted
//
// A path is emitted when it is a regular file (os.Lstat: symlinks, fifos,
// sockets and devices are never emitted and never opened), its base name
// matches none of the Ignore patterns, it lies in no Exclude directory, and
// its size, mtime and inode have stayed the same, with no fsnotify event for
// it, for Settle. The check is a re-stat Settle after the last observed
// change; a file that changed is simply checked again later. A file that keeps
// changing is never emitted (an incomplete document is worse than a late one):
// once it has kept changing for MaxWait the watcher logs a warning, once, and
// keeps waiting. Settle must be longer than the longest pause of the slowest
// writer (a scanner between pages, a stalled SMB copy). Ignore patterns also
// apply to directory names (so ".*" keeps the watcher out of ".snapshot" and
// ".Trash" folders).
//
// Renames are a remove plus a create: "scan.pdf.part" renamed to "scan.pdf"
// is the creation of "scan.pdf", which is emitted once stable. A file that
// was emitted is not emitted again unless it changes afterwards (size, mtime
// or inode differ) or disappears and reappears. That memory holds only files
// still in the inbox: a path is dropped on its Remove or Rename event, on
// Forget, and when a complete rescan no longer finds it. Moves out of the
// inbox (the daemon's own) are Remove/Rename events and never emit anything.
//
// # Sources of truth
//
// fsnotify is a hint, the directory listing is the truth. Run starts with a
// full rescan (this is how a backlog is picked up), rescans every
// RescanInterval (inotify sees nothing that other hosts write on NFS/SMB), on
// fsnotify's queue overflow and on any fsnotify error, and after MaxPending
// overflowed. New subfolders (Recursive) get a watch and are then listed,
// since files may land in them before the watch exists. Walks stream the
// directories (a few hundred entries at a time), they never build a list of
// the tree.
//
// # Ownership and backpressure
//
// Run is the one goroutine that owns the pending set, the timers and the
// memory of emitted files; there is no mutex. Other goroutines talk to it
// through channels (Forget) or read atomic counters (Stats). Stable files are
// sent on Files(), an unbuffered channel: a slow consumer is never dropped
// from, the files stay pending (in stability order) until it receives them.
// Pending files are capped by MaxPending; rescans pause while the cap is
// reached, and an fsnotify event that would exceed it is dropped and a rescan
// scheduled, so nothing is lost.
package watch

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"time"
)

// Defaults for zero Options fields.
const (
	DefaultSettle         = 2 * time.Second
	DefaultRescanInterval = 5 * time.Minute // what the config uses; Options' zero means "never"
	DefaultMaxPending     = 100000
	DefaultMaxWait        = 10 * time.Minute

	forgetBuffer       = 256
	checkBatch         = 1024 // stable checks per loop turn, so Run stays responsive
	readDirBatch       = 256  // directory entries read at a time
	maxReportedDirErrs = 10
)

// DefaultIgnore is the ignore list used when Options.Ignore is nil: partial
// downloads, temporary files, dotfiles and Office lock files.
var DefaultIgnore = []string{"*.part", "*.tmp", "*.crdownload", ".*", "~$*"}

// Sentinel errors.
var (
	// ErrRunning is returned by Run when it was already called.
	ErrRunning = errors.New("watch: Run called more than once")
	// ErrNotDir is returned when the root is not a directory.
	ErrNotDir = errors.New("not a directory")
)

// Event is a stable regular file in the inbox.
type Event struct {
	Path    string // absolute, cleaned, under Options.Root
	Size    int64
	ModTime time.Time
}

// Options configures a Watcher.
type Options struct {
	// Root is the inbox. Made absolute; emitted paths are under it.
	Root string
	// Recursive watches and scans every subfolder (except Exclude and
	// ignored names), including subfolders created later.
	Recursive bool
	// Settle is how long size, mtime and inode must stay unchanged, with no
	// event, before a file is emitted. 0 means DefaultSettle. Choose it longer
	// than the longest pause of the slowest writer (scanner, SMB copy).
	Settle time.Duration
	// RescanInterval is the period of full rescans after the first one. 0
	// means never (only at start, on overflow and on watcher errors); the
	// daemon's configuration defaults it to DefaultRescanInterval. The next
	// rescan is timed from the end of the previous one, so a slow tree is not
	// rescanned back to back.
	RescanInterval time.Duration
	// Ignore holds filepath.Match patterns on base names (files and folders).
	// nil means DefaultIgnore; a non-nil empty slice ignores nothing.
	Ignore []string
	// Exclude holds directories that are never watched, scanned or emitted
	// from, e.g. the output folder when it lies inside the inbox. Made
	// absolute and compared as paths, so spell them like Root.
	Exclude []string
	// MaxPending caps the files being settled or waiting for the consumer.
	// 0 means DefaultMaxPending.
	MaxPending int
	// MaxWait is how long a file may keep changing before a warning is
	// logged (once per file). It is not a forced flush: the file is still
	// not emitted until it is stable, since a half-written document is worse
	// than a late one. 0 means DefaultMaxWait, negative means no warning.
	MaxWait time.Duration
	// Logger receives the watcher's logs (component=watch). nil discards.
	Logger *slog.Logger
}

// Stats is a snapshot of the watcher's counters, for metrics.
type Stats struct {
	Events    uint64 // fsnotify events received
	Rescans   uint64 // full rescans completed (the first one included)
	Overflows uint64 // fsnotify queue overflows plus events dropped at MaxPending
	Errors    uint64 // fsnotify errors other than overflow, failed walks
	Emitted   uint64 // files delivered on Files()
	Pending   int64  // files settling or waiting for the consumer, now
}

// Watcher watches one inbox. Create it with New, start it with Run.
type Watcher struct {
	opt     Options
	m       *matcher
	log     *slog.Logger
	out     chan Event
	forget  chan string
	recheck chan string
	done    chan struct{} // closed when Run returns
	started atomic.Bool

	events, rescans, overflows, errs, emitted atomic.Uint64
	pending                                   atomic.Int64

	// Test hooks, set before Run by tests of this package only.
	noNotify bool             // no fsnotify: rely on rescans alone
	exec     chan func(*loop) // functions run on the Run goroutine
}

// New checks opts, fills defaults and returns a Watcher that does nothing
// until Run.
func New(opts Options) (*Watcher, error) {
	if opts.Root == "" {
		return nil, errors.New("watch: root is empty")
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("watch: root %s: %w", opts.Root, err)
	}
	opts.Root = root
	if opts.Settle < 0 {
		return nil, fmt.Errorf("watch: settle %v is negative", opts.Settle)
	}
	if opts.Settle == 0 {
		opts.Settle = DefaultSettle
	}
	if opts.RescanInterval < 0 {
		return nil, fmt.Errorf("watch: rescan interval %v is negative", opts.RescanInterval)
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultMaxPending
	}
	if opts.MaxWait == 0 {
		opts.MaxWait = DefaultMaxWait
	}
	m, err := newMatcher(opts.Ignore, opts.Exclude)
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{
		opt:     opts,
		m:       m,
		log:     log.With("component", "watch", "root", root),
		out:     make(chan Event),
		forget:  make(chan string, forgetBuffer),
		recheck: make(chan string, forgetBuffer),
		done:    make(chan struct{}),
	}, nil
}

// Files returns the channel of stable files. It is unbuffered and closed when
// Run returns. A file waits (pending) until the consumer receives it.
func (w *Watcher) Files() <-chan Event { return w.out }

// Forget drops the watcher's memory of path (emitted or pending). The daemon
// calls it after moving an emitted file out of the inbox, so a new file
// arriving later under the same name is emitted again. If the file is still in
// the inbox, a later rescan emits it again. Safe from any goroutine; it
// returns at once unless 256 calls are already waiting for Run, and returns
// without effect once Run has returned.
func (w *Watcher) Forget(path string) {
	select {
	case w.forget <- filepath.Clean(path):
	case <-w.done:
	}
}

// Recheck makes an emitted path pending again, as if it had just changed:
// it is emitted again once it has been still for Settle. The daemon calls it
// for a file that some process still has open for writing. Safe from any
// goroutine, like Forget.
func (w *Watcher) Recheck(path string) {
	select {
	case w.recheck <- filepath.Clean(path):
	case <-w.done:
	}
}

// Stats returns a snapshot of the counters. Safe from any goroutine.
func (w *Watcher) Stats() Stats {
	return Stats{
		Events:    w.events.Load(),
		Rescans:   w.rescans.Load(),
		Overflows: w.overflows.Load(),
		Errors:    w.errs.Load(),
		Emitted:   w.emitted.Load(),
		Pending:   w.pending.Load(),
	}
}
