package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/classifyd/classifyd/internal/metrics"
	"github.com/classifyd/classifyd/internal/watch"
)

// The inbox under a running daemon: it may be renamed away, removed,
// replaced or made unreadable while the daemon runs. watchInbox owns the
// watcher's life: it checks the inbox every InboxCheck, and while the inbox
// is not a readable folder it stops the watcher, makes /healthz fail with
// the reason (trouble "inbox") and the daemon not ready (Unready); the
// moment the inbox is back (or another folder took its name) it starts a new
// watcher, whose first walk finds what is there.

// ErrNoInbox is returned by Run when the inbox is missing or unreadable at
// start (run mode): before the daemon says it is ready.
var ErrNoInbox = errors.New("the inbox is missing or unreadable")

// watcherRef is the current watcher; its methods do nothing while there is
// none (the inbox is gone).
type watcherRef struct{ p atomic.Pointer[watch.Watcher] }

func (r *watcherRef) Forget(path string) {
	if w := r.p.Load(); w != nil {
		w.Forget(path)
	}
}

func (r *watcherRef) Recheck(path string) {
	if w := r.p.Load(); w != nil {
		w.Recheck(path)
	}
}

// Stats are the counters of the current watcher plus those of the watchers
// before it.
func (r *watcherRef) Stats() watch.Stats {
	if w := r.p.Load(); w != nil {
		return w.Stats()
	}
	return watch.Stats{}
}

// checkInbox is nil when the inbox is a folder the daemon can list; it
// returns the folder's identity.
func (d *Daemon) checkInbox() (inode, error) {
	f, err := os.Open(d.cfg.Inbox)
	if err != nil {
		return inode{}, fmt.Errorf("inbox %s: %w", d.cfg.Inbox, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return inode{}, fmt.Errorf("inbox %s: %w", d.cfg.Inbox, err)
	}
	if !fi.IsDir() {
		return inode{}, fmt.Errorf("inbox %s: not a folder", d.cfg.Inbox)
	}
	if _, err := f.Readdirnames(1); err != nil && !errors.Is(err, io.EOF) {
		return inode{}, fmt.Errorf("inbox %s: cannot read it: %w", d.cfg.Inbox, err)
	}
	return inodeOf(fi), nil
}

type inode struct{ dev, ino uint64 }

func inodeOf(fi os.FileInfo) inode {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return inode{uint64(st.Dev), uint64(st.Ino)}
	}
	return inode{}
}

// Unready is why the daemon is not ready although it runs (the inbox is
// gone or unreadable): /readyz answers 503 with it.
func (d *Daemon) Unready() error {
	if p := d.inboxDown.Load(); p != nil {
		return errors.New(*p)
	}
	return nil
}

func (d *Daemon) setInboxDown(err error) {
	if err == nil {
		if d.inboxDown.Swap(nil) != nil {
			d.troubles.clear("inbox")
			d.log.Info("the inbox is back; watching it again", "path", d.cfg.Inbox)
		}
		return
	}
	msg := err.Error() + " (nothing is picked up until it is back)"
	if d.inboxDown.Swap(&msg) == nil {
		d.log.Error("the inbox is gone or unreadable", "err", err)
	}
	d.troubles.set("inbox", msg)
}

// watchInbox runs watchers on the inbox and forwards their files to events
// until ctx is done.
func (d *Daemon) watchInbox(ctx context.Context, events chan<- watch.Event) error {
	defer close(events)
	every := d.o.InboxCheck
	tick := time.NewTicker(every)
	defer tick.Stop()
	var rescans atomic.Uint64 // of watchers before the current one
	count := func() uint64 { return rescans.Load() + d.watcher.Stats().Rescans }
	metrics.RescanCount.Store(&count)
	for {
		id, err := d.checkInbox()
		if err != nil {
			d.setInboxDown(err)
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
				continue
			}
		}
		w, err := d.newWatcher()
		if err != nil {
			return err
		}
		wctx, stop := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() { errc <- w.Run(wctx) }()
		d.watcher.p.Store(w)
		d.setInboxDown(nil)
		err = d.forward(ctx, w, errc, id, tick.C, events)
		stop()
		if werr := <-errc; err == nil && werr != nil && ctx.Err() == nil {
			// The watcher failed: for the inbox's sake (gone, replaced) it is
			// started again; for its own (fsnotify) the daemon stops.
			if _, ierr := d.checkInbox(); ierr == nil {
				return werr
			}
		}
		rescans.Add(w.Stats().Rescans)
		d.watcher.p.Store(nil)
		if err != nil || ctx.Err() != nil {
			return err
		}
	}
}

// forward passes w's files on until ctx is done, w stops, or a check finds
// the inbox gone, unreadable or another folder (then it returns nil, and
// watchInbox starts again).
func (d *Daemon) forward(ctx context.Context, w *watch.Watcher, errc chan error, id inode, tick <-chan time.Time, events chan<- watch.Event) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			errc <- err // for watchInbox
			return nil
		case <-tick:
			cur, err := d.checkInbox()
			if err != nil {
				d.setInboxDown(err)
				return nil
			}
			if cur != id {
				d.log.Info("the inbox was replaced by another folder; watching the new one", "path", d.cfg.Inbox)
				return nil
			}
		case ev, ok := <-w.Files():
			if !ok {
				return nil
			}
			select {
			case events <- ev:
			case <-ctx.Done():
				return nil
			}
		}
	}
}
