package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/classifyd/classifyd/internal/state"
	"github.com/classifyd/classifyd/internal/watch"
)

// learnLoop scans the type folders at start and every LearnInterval. A file
// there that the daemon did not put there is a labelled example: a person
// filed it (Learn), or moved it there from another type's folder or from
// review (Correct, when its content was classified as another type).
// What was learned is remembered in the state (learned/<path>), so a
// restart does not count an example twice; a full scan drops the marks of
// files that have left their path.
func (d *Daemon) learnLoop(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := d.learnScan(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("learning from the type folders", "err", err)
		}
		t.Reset(d.o.LearnInterval)
	}
}

// learnSlack is how far before the start of the last complete scan a file's
// change time may lie and the file still be looked at again: it covers
// filesystem timestamps behind our clock (a file server's clock on NFS/SMB).
const learnSlack = 2 * time.Minute

// learnFullEvery is how often a scan looks at every file whatever its change
// time (a clock far off, a file the cutoff missed).
const learnFullEvery = 24 * time.Hour

// Meta keys of the learn scans: where the next scan starts looking
// (unix nanos of a change time) and when the last full scan began.
const (
	metaLearnSince = "learn:since"
	metaLearnFull  = "learn:full"
)

// learnScan looks at the files of every type folder changed since the last
// complete scan (a moved or copied file's change time is the time it
// arrived), so a scan costs what changed, not what was ever filed; the
// folders are read a batch of entries at a time. A scan that could not
// learn from a file does not move the cutoff, so the file is tried again.
func (d *Daemon) learnScan(ctx context.Context) error {
	start := time.Now()
	since, full := d.learnCutoff(start)
	var learned, corrected, failed int
	ignore := []string{".*", "*.error.txt"}
	// Each file belongs to the type whose folder holds it (TypeAt: a
	// folder template's expansions, the deepest plain type folder, so that
	// Finance/Invoices under Finance belongs to its own rule).
	special := []string{d.sorter.Dir("unmatched", ""), d.sorter.Dir("review", ""), d.sorter.Dir("failed", ""), d.sorter.Dir("duplicate", "")}
	for _, dir := range d.sorter.TypeRoots() {
		err := watch.Walk(ctx, dir, true, ignore, special, func(ev watch.Event) error {
			typ, ok := d.sorter.TypeAt(filepath.Dir(ev.Path))
			if !ok {
				return nil
			}
			n, c, err := d.learnFile(ctx, typ, ev.Path, since)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				failed++
				d.log.Warn("learn from file", "path", ev.Path, "err", err)
				return nil
			}
			learned += n
			corrected += c
			return nil
		})
		if errors.Is(err, fs.ErrNotExist) {
			continue // no file of this type filed yet
		}
		if err != nil {
			return err
		}
	}
	if learned+corrected > 0 {
		d.log.Info("learned from the type folders", "examples", learned, "corrections", corrected)
	}
	if failed > 0 {
		return nil // the same cutoff next time: those files are tried again
	}
	if full {
		if _, err := d.st.PruneLearned(func(p string) bool {
			_, err := os.Lstat(p)
			return !errors.Is(err, fs.ErrNotExist)
		}); err != nil {
			return err
		}
		if err := d.st.SetMeta(metaLearnFull, []byte(strconv.FormatInt(start.UnixNano(), 10))); err != nil {
			return err
		}
	}
	return d.st.SetMeta(metaLearnSince, []byte(strconv.FormatInt(start.Add(-learnSlack).UnixNano(), 10)))
}

// learnCutoff returns the change time before which files are skipped (zero:
// look at every file) and whether this is a full scan.
func (d *Daemon) learnCutoff(now time.Time) (time.Time, bool) {
	read := func(key string) (time.Time, bool) {
		v, err := d.st.Meta(key)
		if err != nil || v == nil {
			return time.Time{}, false
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(0, n), true
	}
	since, ok := read(metaLearnSince)
	last, okFull := read(metaLearnFull)
	if !ok || !okFull || now.Sub(last) >= learnFullEvery || last.After(now) {
		return time.Time{}, true
	}
	return since, false
}

// learnFile learns from one file in the folder of typ; it returns 1,0 for an
// example, 0,1 for a correction, 0,0 when there is nothing new (or the file
// has not changed since since).
func (d *Daemon) learnFile(ctx context.Context, typ, p string, since time.Time) (int, int, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, 0, nil // moved on since the folder was read
		}
		return 0, 0, err
	}
	if ct, ok := changeTime(fi); ok && !since.IsZero() && ct.Before(since) {
		return 0, 0, nil // unchanged since a complete scan looked at it
	}
	if rec, ok, err := d.st.ByDest(p); err != nil {
		return 0, 0, err
	} else if ok && rec.Kind == state.KindType && rec.Type == typ && rec.Size == fi.Size() {
		return 0, 0, nil // the daemon's own decision, untouched
	}
	mark := fmt.Sprintf("%s|%d|%d", typ, fi.Size(), fi.ModTime().UnixNano())
	if v, err := d.st.Learned(p); err != nil {
		return 0, 0, err
	} else if string(v) == mark {
		return 0, 0, nil
	}
	st, err := statAndHash(p)
	if err != nil {
		return 0, 0, err
	}
	n, c := 1, 0
	rec, ok, err := d.st.ByHash(st.SHA256)
	if err != nil {
		return 0, 0, err
	}
	corrected := false
	if ok && rec.Type != "" && rec.Type != typ {
		if err := d.o.Learner.Correct(ctx, rec.Type, typ, p); err != nil {
			return 0, 0, err
		}
		corrected = true
		n, c = 0, 1
	} else if err := d.o.Learner.Learn(ctx, typ, p); err != nil {
		return 0, 0, err
	}
	// A filed file a person moved here (not a copy: it left where it was):
	// the state and the journal follow it (relocate.go), with the one log
	// line of the correction.
	if ok && rec.Dest != p && d.movedAway(rec.Dest) {
		if err := d.relocate(rec, p, typ); err != nil {
			return 0, 0, err
		}
	} else if corrected {
		d.log.Info("correction learned", "path", p, "from", rec.Type, "to", typ)
	}
	return n, c, d.st.SetLearned(p, []byte(mark))
}
