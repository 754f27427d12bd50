package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// Repair settles records a crash caught between states, before the daemon
// starts:
//   - moving, source gone and destination present: the rename happened → filed;
//   - moving, source present and destination absent: it did not → classified;
//   - moving, both present (a copy across filesystems finished, the source
//     was not removed yet): the destination has the recorded content →
//     remove the source, filed; otherwise → classified, to be planned again;
//   - moving, neither present: the file is gone; the record is removed;
//   - terminal records whose journal line may be missing get it, exactly once;
//   - temporary files of copies across filesystems (.classifyd-*.part) in
//     the output's folders are removed.
//
// Submitted jobs need no repair: the poller polls them again.
func (d *Daemon) Repair(ctx context.Context) error {
	// Temporary files of copies across filesystems cut by a kill: no move
	// runs yet, so every one of them is a leftover.
	removed, err := d.sorter.RemoveTemps()
	if len(removed) > 0 {
		d.log.Info("removed temporary files of moves cut short", "files", len(removed))
	}
	if err != nil {
		d.log.Warn("cannot remove temporary files of moves cut short", "err", err)
	}
	moving, err := d.st.List(state.Moving, 0)
	if err != nil {
		return err
	}
	var done []uint64
	for _, f := range moving {
		_, srcErr := os.Lstat(f.Path)
		srcGone := errors.Is(srcErr, os.ErrNotExist)
		dstOK := false
		if f.Dest != "" {
			if fi, err := os.Lstat(f.Dest); err == nil && fi.Mode().IsRegular() && fi.Size() == f.Size {
				dstOK = true
			}
		}
		switch {
		case srcGone && dstOK:
			done = append(done, f.ID)
		case !srcGone && !dstOK:
			if err := d.st.AbortMove([]uint64{f.ID}, "", time.Time{}); err != nil {
				return err
			}
		case !srcGone && dstOK:
			if st, err := statAndHash(f.Dest); err == nil && st.SHA256 == f.SHA256 {
				if err := os.Remove(f.Path); err != nil {
					return fmt.Errorf("repair %s: %w", f.Path, err)
				}
				done = append(done, f.ID)
			} else if err := d.st.AbortMove([]uint64{f.ID}, "", time.Time{}); err != nil {
				return err
			}
		default:
			d.log.Error("file vanished during a move; neither source nor destination exists", "path", f.Path, "dest", f.Dest)
			if _, err := d.st.Remove(f.ID, state.Moving); err != nil {
				return err
			}
		}
	}
	if len(done) > 0 {
		if err := d.st.FinishMove(done); err != nil {
			return err
		}
		d.log.Info("repaired moves interrupted by a restart", "files", len(done))
	}
	// Journal lines: exactly one per filed file. A journal that cannot be
	// written now (a full output disk) does not stop the daemon: the move
	// loop writes the lines when there is room.
	if err := d.rejournal(); err != nil && !errors.Is(err, errJournal) {
		return err
	}
	return nil
}

// rejournal writes the journal lines of terminal records that lack one,
// skipping those the journal already has (a crash between the line and the
// record's mark). errJournal when the journal cannot be written.
func (d *Daemon) rejournal() error {
	if d.journal == nil {
		return nil
	}
	missing, err := d.st.Unjournaled()
	if err != nil || len(missing) == 0 {
		return err
	}
	want := map[uint64]state.File{}
	for _, f := range missing {
		want[f.ID] = f
	}
	jpath := filepath.Join(d.cfg.Output, sorter.JournalName)
	err = sorter.ReadJournal(jpath, func(e sorter.Entry) error {
		if f, ok := want[e.ID]; ok && e.Source == f.Path && !e.Undo {
			delete(want, e.ID)
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var entries []sorter.Entry
	all := make([]sorter.Entry, len(missing)) // for the actions of every one
	for i, f := range missing {
		all[i] = d.entryOf(f, d.folderLabel(f))
		if _, ok := want[f.ID]; ok {
			entries = append(entries, all[i])
		}
	}
	if err := d.journal.Append(entries...); err != nil {
		return fmt.Errorf("%w: %w", errJournal, err)
	}
	return d.setJournaled(missing, all)
}
