package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// memo remembers an emitted file until it leaves the inbox.
type memo struct {
	fp  fingerprint
	gen uint64 // full walk that last saw it (or during which it was emitted)
}

// walkResult is what a finished walk reports to Run.
type walkResult struct {
	dir     string
	full    bool
	gen     uint64
	err     error
	st      walkStats
	addErrs int
	addErr  error
}

// loop is the state owned by the Run goroutine.
type loop struct {
	w   *Watcher
	ctx context.Context
	fsn *fsnotify.Watcher // nil with the noNotify test hook

	pending map[string]*entry
	due     dueHeap
	ready   []*entry // stable, in stability order; stale entries are skipped
	emitted map[string]memo
	dirs    map[string]uint64 // known subdirectories (Recursive), by walk generation

	gen      uint64 // generation of the current or last full walk
	walking  bool
	needFull bool
	queue    []string // subdirectories to walk
	found    chan walkItem
	walkDone chan walkResult
	overflow bool // a MaxPending overflow since the last full walk started

	timer    *time.Timer // next due check
	armed    time.Time
	rescan   *time.Timer // next periodic rescan; nil if never
	rescanCh <-chan time.Time
}

// Run watches until ctx is done, then returns nil; it returns an error only
// if the root cannot be watched at start or fsnotify fails for good. Run may
// be called once; Files() is closed when it returns.
func (w *Watcher) Run(ctx context.Context) error {
	if !w.started.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer close(w.done)
	defer close(w.out)

	root := w.opt.Root
	fi, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("watch %s: %w", root, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("watch %s: %w", root, ErrNotDir)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l := &loop{
		w:        w,
		ctx:      ctx,
		pending:  make(map[string]*entry),
		emitted:  make(map[string]memo),
		dirs:     make(map[string]uint64),
		found:    make(chan walkItem),
		walkDone: make(chan walkResult, 1),
		timer:    time.NewTimer(time.Hour),
	}
	l.timer.Stop()
	defer l.timer.Stop()

	var events <-chan fsnotify.Event
	var errs <-chan error
	if !w.noNotify {
		fsn, err := fsnotify.NewWatcher()
		if err != nil {
			return fmt.Errorf("watch %s: %w", root, err)
		}
		defer fsn.Close()
		if err := fsn.Add(root); err != nil {
			return fmt.Errorf("watch %s: %w", root, err)
		}
		l.fsn, events, errs = fsn, fsn.Events, fsn.Errors
	}
	if w.opt.RescanInterval > 0 {
		l.rescan = time.NewTimer(w.opt.RescanInterval)
		l.rescan.Stop()
		defer l.rescan.Stop()
		l.rescanCh = l.rescan.C
	}
	// Stop the walker before fsnotify is closed and Files() closed.
	defer func() {
		cancel()
		if l.walking {
			<-l.walkDone
		}
	}()

	w.log.Info("watching", "recursive", w.opt.Recursive, "settle", w.opt.Settle,
		"rescan_interval", w.opt.RescanInterval, "notify", !w.noNotify)
	l.requestFull("start")

	for {
		var found <-chan walkItem
		if l.walking && len(l.pending) < w.opt.MaxPending {
			found = l.found
		}
		var out chan<- Event
		var next Event
		if e := l.front(); e != nil {
			out, next = w.out, Event{Path: e.path, Size: e.fp.size, ModTime: e.mod}
		}

		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return fmt.Errorf("watch %s: %w", root, fsnotify.ErrClosed)
			}
			l.onEvent(ev)
		case err, ok := <-errs:
			if !ok {
				return fmt.Errorf("watch %s: %w", root, fsnotify.ErrClosed)
			}
			l.onError(err)
		case it := <-found:
			l.onFound(it)
		case res := <-l.walkDone:
			l.onWalkDone(res)
		case <-l.timer.C:
			l.armed = time.Time{}
			l.checkDue(time.Now())
		case out <- next:
			l.delivered()
		case p := <-w.forget:
			l.forget(p)
		case p := <-w.recheck:
			l.forget(p)
			if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
				l.add(p, fingerprintOf(fi), fi.ModTime(), time.Now())
			}
		case <-l.rescanCh:
			l.requestFull("interval")
		case f := <-w.exec:
			f(l)
		}
		l.arm()
		w.pending.Store(int64(len(l.pending)))
	}
}

// arm points the timer at the earliest due check.
func (l *loop) arm() {
	if len(l.due) == 0 {
		if !l.armed.IsZero() {
			l.timer.Stop()
			l.armed = time.Time{}
		}
		return
	}
	d := l.due[0].due
	if d.Equal(l.armed) {
		return
	}
	l.armed = d
	l.timer.Reset(time.Until(d))
}

// forget drops all memory of path (Forget, or it left the inbox).
func (l *loop) forget(path string) {
	if e, ok := l.pending[path]; ok {
		l.drop(e)
	}
	delete(l.emitted, path)
}

// gone handles a path that was removed or renamed away: a file, or a
// directory with everything below it.
func (l *loop) gone(path string) {
	l.forget(path)
	if path == l.w.opt.Root {
		l.w.log.Warn("inbox removed or renamed; waiting for it to come back")
		l.forgetBelow(path)
		return
	}
	if _, ok := l.dirs[path]; ok {
		delete(l.dirs, path)
		l.removeWatch(path)
		l.forgetBelow(path)
	}
}

// forgetBelow drops the memory of everything below dir. It costs a pass over
// the maps, so it runs only for directories known to be directories.
func (l *loop) forgetBelow(dir string) {
	for p, e := range l.pending {
		if p != dir && within(p, dir) {
			l.drop(e)
		}
	}
	for p := range l.emitted {
		if p != dir && within(p, dir) {
			delete(l.emitted, p)
		}
	}
	for p := range l.dirs {
		if p != dir && within(p, dir) {
			delete(l.dirs, p)
			l.removeWatch(p)
		}
	}
}

func (l *loop) removeWatch(dir string) {
	if l.fsn != nil {
		_ = l.fsn.Remove(dir) // often gone already: inotify drops watches of deleted dirs
	}
}

// onEvent handles one fsnotify event.
func (l *loop) onEvent(ev fsnotify.Event) {
	l.w.events.Add(1)
	path := filepath.Clean(ev.Name)
	if !within(path, l.w.opt.Root) || l.w.m.excluded(path) {
		return
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		l.gone(path)
	}
	if !ev.Has(fsnotify.Create) && !ev.Has(fsnotify.Write) && !ev.Has(fsnotify.Chmod) {
		return
	}
	if path == l.w.opt.Root || l.w.m.ignored(filepath.Base(path)) {
		return
	}
	now := time.Now()
	fi, err := os.Lstat(path)
	if e, ok := l.pending[path]; ok {
		// Keep the fingerprint current, so that a difference at the check
		// means a change no event told us about.
		if err == nil && fi.Mode().IsRegular() {
			e.fp, e.mod = fingerprintOf(fi), fi.ModTime()
		}
		l.touch(e, now)
		return
	}
	if err != nil {
		return // gone again; its Remove event follows
	}
	switch {
	case fi.Mode().IsRegular():
		l.add(path, fingerprintOf(fi), fi.ModTime(), now)
	case fi.IsDir() && l.w.opt.Recursive && ev.Has(fsnotify.Create):
		// Files may have landed in it before its watch exists: list it.
		l.dirs[path] = l.gen
		l.queue = append(l.queue, path)
		l.startNext()
	}
}

// onError handles an fsnotify error: events may have been lost, so rescan.
func (l *loop) onError(err error) {
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		l.w.overflows.Add(1)
		l.w.log.Warn("event queue overflow; rescanning")
		l.requestFull("overflow")
		return
	}
	l.w.errs.Add(1)
	l.w.log.Error("watcher error; rescanning", "err", err)
	l.requestFull("watcher error")
}

// requestFull schedules a full rescan.
func (l *loop) requestFull(why string) {
	if !l.needFull {
		l.w.log.Debug("rescan requested", "why", why)
	}
	l.needFull = true
	l.startNext()
}

// startNext starts the next walk if none is running: a full rescan first
// (it covers queued subdirectories), else a queued subdirectory.
func (l *loop) startNext() {
	if l.walking {
		return
	}
	switch {
	case l.needFull:
		l.needFull = false
		l.queue = nil
		l.overflow = false
		l.gen++
		l.startWalk(l.w.opt.Root, true)
	case len(l.queue) > 0:
		dir := l.queue[0]
		l.queue = l.queue[1:]
		l.startWalk(dir, false)
	}
}

// startWalk walks dir in a goroutine that adds watches (fsnotify is safe for
// that) and hands every item to Run through l.found.
func (l *loop) startWalk(dir string, full bool) {
	l.walking = true
	res := walkResult{dir: dir, full: full, gen: l.gen}
	go func() {
		res.err = walkTree(l.ctx, dir, l.w.opt.Recursive, l.w.m, &res.st, func(it walkItem) error {
			if it.dir && l.fsn != nil {
				if err := l.fsn.Add(it.path); err != nil {
					res.addErrs++
					if res.addErr == nil {
						res.addErr = err
					}
				}
			}
			select {
			case l.found <- it:
				return nil
			case <-l.ctx.Done():
				return l.ctx.Err()
			}
		})
		l.walkDone <- res
	}()
}

// onFound handles an item of a walk.
func (l *loop) onFound(it walkItem) {
	if it.dir {
		if l.w.opt.Recursive && it.path != l.w.opt.Root {
			l.dirs[it.path] = l.gen
		}
		return
	}
	now := time.Now()
	m, known := l.emitted[it.path]
	if known {
		m.gen = l.gen // still in the inbox: keep the memory at the sweep
		l.emitted[it.path] = m
	}
	if e, ok := l.pending[it.path]; ok {
		if e.fp != it.fp {
			e.fp, e.mod = it.fp, it.mod
			l.touch(e, now)
		}
		return
	}
	if known && m.fp == it.fp {
		return
	}
	l.add(it.path, it.fp, it.mod, now)
}

// onWalkDone finishes a walk: after a complete full walk, the memory of
// files and directories it did not see is dropped (they left the inbox).
func (l *loop) onWalkDone(res walkResult) {
	l.walking = false
	log := l.w.log
	if res.addErrs > 0 {
		log.Error("cannot watch directories; relying on rescans", "count", res.addErrs, "err", res.addErr)
	}
	if res.st.dirErrs > 0 {
		log.Warn("unreadable directories skipped", "count", res.st.dirErrs, "err", errors.Join(res.st.firstErr...))
	}
	switch {
	case res.err != nil && l.ctx.Err() != nil:
		return // shutting down
	case res.err != nil:
		l.w.errs.Add(1)
		if res.full {
			log.Error("rescan failed", "err", res.err)
		} else {
			log.Debug("new directory not listed", "dir", res.dir, "err", res.err)
		}
	case res.full:
		l.sweep(res.gen)
		log.Debug("rescan done", "pending", len(l.pending), "known", len(l.emitted), "dirs", len(l.dirs))
	}
	if res.full {
		l.w.rescans.Add(1)
		if l.rescan != nil {
			l.rescan.Reset(l.w.opt.RescanInterval)
		}
	}
	l.startNext()
}

// sweep drops what the full walk of generation gen did not see.
func (l *loop) sweep(gen uint64) {
	for p, m := range l.emitted {
		if m.gen < gen {
			delete(l.emitted, p)
		}
	}
	for p, g := range l.dirs {
		if g < gen {
			delete(l.dirs, p)
			l.removeWatch(p)
		}
	}
}
