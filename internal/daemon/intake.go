package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/metrics"
	"github.com/classifyd/classifyd/internal/state"
	"github.com/classifyd/classifyd/internal/watch"
	"golang.org/x/sync/errgroup"
)

// intake hashes stable files and records them, a chunk per transaction.
func (d *Daemon) intake(ctx context.Context, events <-chan watch.Event) error {
	hashed := make(chan state.Stat, 256)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(hashed)
		hg, hctx := errgroup.WithContext(gctx)
		hg.SetLimit(d.o.HashWorkers)
		for {
			var ev watch.Event
			select {
			case e, ok := <-events:
				if !ok {
					return hg.Wait()
				}
				ev = e
			case <-gctx.Done():
				// The recorder stopped: stop reading events, so that its
				// error reaches Run (and the process) at once.
				return hg.Wait()
			}
			if d.o.DryRun {
				if _, dup := d.dryPaths.LoadOrStore(ev.Path, true); dup {
					continue
				}
			}
			hg.Go(func() error {
				st, err := hashFile(ev.Path, true)
				for errors.Is(err, errWriting) {
					if d.watcher != nil {
						// Settle again; emitted again once still.
						d.log.Debug("file still open for writing; waiting", "path", ev.Path)
						d.watcher.Recheck(ev.Path)
						return nil
					}
					select { // once: wait for the writer here
					case <-hctx.Done():
						return nil
					case <-time.After(d.cfg.Watch.Settle):
					}
					st, err = hashFile(ev.Path, true)
				}
				if err != nil {
					if errors.Is(err, os.ErrNotExist) {
						return nil // gone before we read it
					}
					// Unreadable now (permissions, a file replaced by a fifo...):
					// a later rescan or change hands it on again.
					d.log.Warn("cannot read file, left in the inbox; retried at the next rescan", "path", ev.Path, "err", err)
					if d.watcher != nil {
						d.watcher.Forget(ev.Path)
					}
					return nil
				}
				select {
				case hashed <- st:
					return nil
				case <-hctx.Done():
					return hctx.Err()
				}
			})
		}
	})
	g.Go(func() error {
		var chunk []state.Stat
		flush := func() error {
			if len(chunk) == 0 {
				return nil
			}
			err := d.enqueueRetry(gctx, chunk)
			chunk = chunk[:0]
			return err
		}
		timer := time.NewTimer(time.Hour)
		defer timer.Stop()
		idle := time.NewTicker(maxIdle / 2)
		defer idle.Stop()
		for {
			d.beat(0)
			select {
			case <-idle.C:
			case st, ok := <-hashed:
				if !ok {
					if err := flush(); err != nil {
						return err
					}
					d.intakeDone.Store(true)
					kick(d.kickSubmit)
					return nil
				}
				chunk = append(chunk, st)
				if len(chunk) == 1 {
					timer.Reset(20 * time.Millisecond)
				}
				if len(chunk) >= 256 {
					if err := flush(); err != nil {
						return err
					}
				}
			case <-timer.C:
				if err := flush(); err != nil {
					return err
				}
			case <-gctx.Done():
				return nil
			}
		}
	})
	return g.Wait()
}

// statAndHash reads a regular file (never following a symlink, never opening
// a fifo for a blocking read) and returns its identity.
// hashBufs are the read buffers of statAndHash, reused across files.
var hashBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

func statAndHash(path string) (state.Stat, error) { return hashFile(path, false) }

// errWriting: a process still has the file open for writing.
var errWriting = errors.New("still open for writing")

// hashFile is statAndHash; with writers set, a file that some process still
// has open for writing is errWriting (a scanner or copy that pauses longer
// than the settle time).
func hashFile(path string, writers bool) (state.Stat, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return state.Stat{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return state.Stat{}, err
	}
	if !fi.Mode().IsRegular() {
		return state.Stat{}, fmt.Errorf("%s: not a regular file", path)
	}
	if writers && openForWriting(f) {
		return state.Stat{}, fmt.Errorf("%s: %w", path, errWriting)
	}
	h := sha256.New()
	buf := hashBufs.Get().(*[]byte)
	defer hashBufs.Put(buf)
	// The struct hides f's WriteTo, which would allocate a buffer per file.
	if _, err := io.CopyBuffer(h, struct{ io.Reader }{f}, *buf); err != nil {
		return state.Stat{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return state.Stat{Path: path, Size: fi.Size(), ModTime: fi.ModTime(), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// enqueueRetry records a chunk; a state file that cannot be written (a full
// disk) is logged and reported by Trouble at once, and the chunk is tried
// again with back-off until it is recorded (new files wait in the inbox
// meanwhile). A damaged state file stops the daemon.
func (d *Daemon) enqueueRetry(ctx context.Context, chunk []state.Stat) error {
	for try := 1; ; try++ {
		err := d.enqueue(ctx, chunk)
		if err == nil {
			if try > 1 {
				d.troubles.clear("state")
				d.log.Info("the state file can be written again", "files", len(chunk))
			}
			return nil
		}
		if errors.Is(err, state.ErrDamaged) || ctx.Err() != nil {
			return err
		}
		wait := d.backoff(try)
		d.stateTrouble("recording new files", err)
		d.log.Error("cannot record new files in the state file; they stay in the inbox, trying again", "files", len(chunk), "in", wait.Round(time.Millisecond), "err", err)
		t := time.NewTimer(wait)
		for waiting := true; waiting; {
			d.beat(0)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
				waiting = false
			case <-time.After(maxIdle / 2):
			}
		}
	}
}

// enqueue records a chunk and files duplicates without classifying them.
func (d *Daemon) enqueue(ctx context.Context, chunk []state.Stat) error {
	res, err := d.st.Enqueue(chunk)
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	for _, r := range res {
		if !r.New {
			continue
		}
		d.seen.Add(1)
		metrics.FilesSeen.Inc()
		if r.DuplicateOf == nil {
			if cont, err := d.continuation(r); err != nil {
				return err
			} else if cont {
				continue
			}
			d.prefetch(r.File.Path)
			continue
		}
		orig := r.DuplicateOf
		o := state.Outcome{FileID: r.File.ID, Kind: state.KindDuplicate,
			Reason: fmt.Sprintf("same content as %s (record %d)", orig.Dest, orig.ID)}
		if d.cfg.Duplicates == config.DuplicatesFile {
			o.Kind, o.Type, o.Confidence, o.Reasoning = orig.Kind, orig.Type, orig.Confidence, orig.Reasoning
			if o.Kind == state.KindDuplicate || o.Kind == state.KindFailed {
				o.Kind = state.KindDuplicate
			}
			// The original's reasoning is in the journal; its record keeps it
			// only until the journal line is written.
			o.Reasoning = "duplicate of " + orig.Dest
			if orig.Reasoning != "" {
				o.Reasoning += ": " + orig.Reasoning
			}
		}
		metrics.Duplicates.Inc()
		if err := d.st.Classify([]state.Outcome{o}, orig.ID); err != nil {
			return fmt.Errorf("file duplicate: %w", err)
		}
		kick(d.kickMove)
	}
	kick(d.kickSubmit)
	return nil
}

// continuation files a new file as the rest of the one filed from the same
// inbox path moments before (a writer that opens the file again for each
// chunk, `>>` in a script, and paused longer than watch.settle, so that the
// first part was filed and the next chunk made the file anew): it goes to
// the review folder for a person to join the parts, without a
// classification of its own (a tail says little about the document, and a
// different file that merely took the same name must not land in a type
// folder unread), and the journal says which file it continues. It reports whether r was such a file. "Moments" is 2 ×
// watch.settle between the filing and the file reappearing, which itself
// was seen a settle before it was recorded.
func (d *Daemon) continuation(r state.EnqueueResult) (bool, error) {
	settle := d.cfg.Watch.Settle
	since := r.File.Created.Add(-3 * settle)
	if !r.Fresh || r.File.ModTime.Before(since) {
		return false, nil // a version of an active record, or an old file (a backlog)
	}
	prev, ok, err := d.st.RecentlyFiled(r.File.Path, since)
	if err != nil || !ok {
		return false, err
	}
	d.log.Warn("a file filed moments ago was written to again under the same name; the new part goes to the review folder: "+
		"raise watch.settle above the writer's pauses to get one file",
		"path", r.File.Path, "continues", prev.Dest, "settle", settle)
	o := state.Outcome{FileID: r.File.ID, Kind: state.KindReview, Type: prev.Type, Confidence: 0,
		Reasoning: fmt.Sprintf("continues %s (record %d): %s was written again after that part was filed", prev.Dest, prev.ID, r.File.Path)}
	if err := d.st.Classify([]state.Outcome{o}, 0); err != nil {
		return false, fmt.Errorf("file continuation: %w", err)
	}
	kick(d.kickMove)
	return true, nil
}

// prefetch tells a backend that can read ahead (the embedded engine) about a
// file that waits for its batch, so its text is ready when the job starts.
func (d *Daemon) prefetch(path string) {
	if pf, ok := d.o.Backend.(api.Prefetcher); ok {
		pf.Prefetch(path, d.cfg.Mode, d.cfg.ParsingConfiguration())
	}
}
