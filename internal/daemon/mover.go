package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/classifyd/classifyd/internal/metrics"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// moveLoop files classified records: destination recorded (moving), rename,
// filed, journal line.
func (d *Daemon) moveLoop(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// Journal lines that could not be written (a full output disk) are
	// written again from the state's unjournaled records, with back-off. The
	// first turn catches what a failed start-up repair left.
	journalDue, journalTries := time.Now(), 0
	if d.journal == nil {
		journalDue = time.Time{}
	}
	for {
		// A round cut short by the stop leaves its work due: end here,
		// not turn again at once.
		if ctx.Err() != nil {
			return nil
		}
		d.beat(3)
		d.checkState()
		now := time.Now()
		if !journalDue.IsZero() && !now.Before(journalDue) {
			switch err := d.rejournal(); {
			case err == nil:
				journalDue, journalTries = time.Time{}, 0
			case errors.Is(err, errJournal):
				journalTries++
				journalDue = now.Add(d.backoff(journalTries))
				d.log.Error("cannot write the journal; trying again", "at", journalDue.Format(time.TimeOnly), "err", err)
			default:
				return err
			}
		}
		var ready []state.File
		var retryAt time.Time
		err := d.st.Each(state.Classified, 0, func(f state.File) error {
			if _, parked := d.parked.Load(f.ID); parked {
				return nil
			}
			if d.waitFor(f.NotBefore, f.Updated, now) {
				if retryAt.IsZero() || f.NotBefore.Before(retryAt) {
					retryAt = f.NotBefore
				}
				return nil
			}
			ready = append(ready, f)
			if len(ready) >= 128 {
				return errStopEach
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopEach) {
			return err
		}
		if len(ready) > 0 {
			d.filing.Store(true)
			err := d.moveRound(ctx, ready)
			d.filing.Store(false)
			if err != nil {
				if !errors.Is(err, errJournal) {
					return err
				}
				// The files are filed; their lines wait for room.
				if journalDue.IsZero() {
					journalTries = 1
					journalDue = time.Now().Add(d.backoff(1))
					d.log.Error("cannot write the journal; the lines are written when there is room again", "err", err)
				}
			}
			continue
		}
		timer.Reset(min(idleWait(retryAt), idleWait(journalDue)))
		select {
		case <-ctx.Done():
			return nil
		case <-d.kickMove:
		case <-timer.C:
		}
	}
}

// moveRound files a group of classified records with two transactions.
func (d *Daemon) moveRound(ctx context.Context, files []state.File) error {
	planned := map[string]bool{}
	var moves []state.Move
	var plan []state.File
	for _, f := range files {
		fi, err := os.Lstat(f.Path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			d.log.Info("file left the inbox before it was filed", "path", f.Path)
			d.troubles.setStuck(f.ID, "")
			if _, err := d.st.Remove(f.ID, state.Classified); err != nil {
				return err
			}
			d.forgetPath(f.Path)
			continue
		case err != nil:
			if err := d.retryMove(f, err); err != nil {
				return err
			}
			continue
		case !fi.Mode().IsRegular() || fi.Size() != f.Size || !fi.ModTime().Equal(f.ModTime):
			// Changed after it was submitted: never file it with a stale answer.
			d.log.Info("file changed while it was classified, queued again", "path", f.Path)
			if err := d.st.Requeue([]uint64{f.ID}, "changed while classified", false); err != nil {
				return err
			}
			d.forgetPath(f.Path)
			continue
		}
		// Same size and mtime is not the same content (cp -p, rsync -t or a
		// restore over the file while it was in flight): the answer is for
		// the content hashed, so compare the content too.
		if st, err := statAndHash(f.Path); err != nil {
			if err := d.retryMove(f, err); err != nil {
				return err
			}
			continue
		} else if st.SHA256 != f.SHA256 {
			d.log.Info("file replaced while it was classified, queued again", "path", f.Path)
			if _, err := d.st.Enqueue([]state.Stat{st}); err != nil {
				return err
			}
			d.forgetPath(f.Path)
			kick(d.kickSubmit)
			continue
		}
		dir, name := d.destOf(f)
		dst, err := d.sorter.PlanAs(name, dir, func(p string) bool { return planned[p] })
		if err != nil {
			if err := d.retryMove(f, err); err != nil {
				return err
			}
			continue
		}
		planned[dst] = true
		moves = append(moves, state.Move{FileID: f.ID, Dest: dst})
		f.Dest = dst
		plan = append(plan, f)
	}
	if len(moves) == 0 {
		return nil
	}
	if d.o.DryRun {
		for _, f := range plan {
			d.report(f, "")
		}
		if err := d.st.BeginMove(moves); err != nil {
			return err
		}
		ids := make([]uint64, len(plan))
		for i, f := range plan {
			ids[i] = f.ID
		}
		return d.st.FinishMove(ids)
	}
	if err := d.st.BeginMove(moves); err != nil {
		return fmt.Errorf("record destinations: %w", err)
	}
	var okIDs []uint64
	var okFiles []state.File
	for _, f := range plan {
		if ctx.Err() != nil {
			// Leave the rest moving; Repair sees the source in the inbox and
			// the destination absent, and sends them back to classified.
			break
		}
		d.beat(3)
		err := d.sorter.MkdirAll(filepath.Dir(f.Dest))
		if errors.Is(err, sorter.ErrPerm) {
			d.log.Warn("folder created, but its mode or group could not be set", "path", filepath.Dir(f.Dest), "err", err)
			err = nil
		}
		if err == nil {
			err = sorter.Move(f.Path, f.Dest, d.cfg.OnConflict == "overwrite")
		}
		if err != nil {
			d.log.Warn("move failed, file stays in the inbox", "path", f.Path, "dest", f.Dest, "err", err)
			d.troubles.setStuck(f.ID, f.Path+": "+err.Error())
			if err := d.st.AbortMove([]uint64{f.ID}, "move failed: "+err.Error(), time.Now().Add(d.backoff(f.MoveTries+1))); err != nil {
				return err
			}
			f.MoveTries++
			if errors.Is(err, sorter.ErrSourceStuck) && d.o.Once {
				// Trying again changes nothing until a person changes the
				// folder: fail it now, with the reason.
				f.MoveTries = max(f.MoveTries, d.o.MoveTries)
			}
			d.maybePark(f, err)
			continue
		}
		d.setFileMode(f.Dest)
		if f.Kind == state.KindFailed {
			if err := sorter.WriteErrorNote(f.Dest, f.Reason); err != nil {
				d.log.Warn("write error note", "path", f.Dest, "err", err)
			}
		}
		okIDs = append(okIDs, f.ID)
		okFiles = append(okFiles, f)
	}
	if len(okIDs) == 0 {
		return nil
	}
	if err := d.st.FinishMove(okIDs); err != nil {
		return fmt.Errorf("record filed: %w", err)
	}
	if d.afterFinishMove != nil {
		d.afterFinishMove()
	}
	entries := make([]sorter.Entry, len(okFiles))
	for i, f := range okFiles {
		entries[i] = d.entryOf(f, d.folderLabel(f))
	}
	jerr := d.journal.Append(entries...)
	if jerr == nil {
		if err := d.setJournaled(okFiles, entries); err != nil {
			return err
		}
	}
	for i, f := range okFiles {
		d.troubles.setStuck(f.ID, "")
		d.forgetPath(f.Path)
		d.report(f, entries[i].Folder)
	}
	if jerr != nil {
		return fmt.Errorf("%w: %w", errJournal, jerr)
	}
	return nil
}

// errJournal marks a journal line that could not be written: the file is
// filed, its record says the line is missing, and it is written later.
var errJournal = errors.New("journal not written")

// retryMove puts a classified file back with a delay (it is still classified).
func (d *Daemon) retryMove(f state.File, cause error) error {
	d.log.Warn("cannot file yet, will retry", "path", f.Path, "err", cause)
	d.troubles.setStuck(f.ID, f.Path+": "+cause.Error())
	if err := d.st.DeferMove(f.ID, "cannot file: "+cause.Error(), time.Now().Add(d.backoff(f.MoveTries+1))); err != nil {
		return err
	}
	f.MoveTries++
	d.maybePark(f, cause)
	return nil
}

// LeftInInbox is the Folder of a reported entry that once gave up on: the
// file was classified but could not be moved, and stays in the inbox.
const LeftInInbox = "left in the inbox"

// maybePark gives up on a file in once mode after MoveTries failed moves: it
// stays in the inbox, classified, for the next run.
func (d *Daemon) maybePark(f state.File, cause error) {
	if d.o.Once && f.MoveTries >= d.o.MoveTries {
		d.parked.Store(f.ID, cause.Error())
		d.failedN.Add(1)
		if d.o.Report != nil {
			d.o.Report(sorter.Entry{Time: time.Now(), ID: f.ID, Source: f.Path, Folder: LeftInInbox,
				Reason: cause.Error()})
		}
	}
}

func (d *Daemon) folderLabel(f state.File) string {
	switch f.Kind {
	case state.KindType:
		return f.Type
	case state.KindDuplicate:
		return "duplicate"
	default:
		return string(f.Kind)
	}
}

func entryOf(f state.File, folder string) sorter.Entry {
	return sorter.Entry{Time: time.Now().UTC(), ID: f.ID, Source: f.Path, Dest: f.Dest, Folder: folder,
		Type: f.Type, Confidence: f.Confidence, Reasoning: f.Reasoning, Reason: f.Reason, JobID: f.JobID, SHA256: f.SHA256,
		Escalation: escalationEntry(f)}
}

func (d *Daemon) report(f state.File, folder string) {
	if folder == "" {
		folder = d.folderLabel(f)
	}
	d.done.Add(1)
	if f.Kind == state.KindFailed {
		d.failedN.Add(1)
		metrics.FilesFailed.Inc()
	}
	metrics.FilesFiled.WithLabelValues(string(f.Kind), f.Type).Inc()
	if f.Kind == state.KindType || f.Kind == state.KindReview {
		d.log.Info("filed", "file", f.Path, "dest", f.Dest, "type", f.Type, "confidence", round2(f.Confidence))
	} else {
		d.log.Info("filed", "file", f.Path, "dest", f.Dest, "folder", folder, slog.String("reason", f.Reason))
	}
	if d.o.Report != nil {
		d.o.Report(d.entryOf(f, folder))
	}
}

func round2(v float64) float64 { return float64(int(v*100+0.5)) / 100 }
