package admin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// UndoOptions select the filings to undo. The selectors combine: every one
// given must match (Files matches when any of its paths does).
type UndoOptions struct {
	Config *config.Config
	// Store is the state, opened for writing (the daemon must not run).
	// May be nil in a dry run.
	Store *state.Store

	All   bool      // every filing in the journal
	Since time.Time // filings at or after this time
	Job   string    // filings of this job id
	// Files are absolute paths: a filed file, a folder of the output (every
	// file filed under it), or the inbox path a file came from.
	Files  []string
	DryRun bool
	Now    func() time.Time // default time.Now
}

// ErrNothingSelected: Undo needs at least one selector.
var ErrNothingSelected = errors.New("say what to undo: --all, --since, --job or file names")

func (o *UndoOptions) selects(e sorter.Entry) bool {
	if !o.Since.IsZero() && e.Time.Before(o.Since) {
		return false
	}
	if o.Job != "" && e.JobID != o.Job {
		return false
	}
	if len(o.Files) > 0 {
		hit := false
		for _, p := range o.Files {
			if p == e.Dest || p == e.Source || within(e.Dest, p) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// Undo moves filed files back to where they came from, newest first, as the
// journal recorded them. It never overwrites a file at the source, refuses a
// file whose content changed since it was filed, forgets each file's state
// record (so the file, dropped again, is not a duplicate of itself), removes
// the .error.txt note of failed files, and appends an Undo line to the
// journal for each file moved back; a filing already undone is skipped, so a
// second Undo does nothing. Files it could not move back are in the report
// with the reason.
func Undo(ctx context.Context, o UndoOptions) (*Report, error) {
	if !o.All && o.Since.IsZero() && o.Job == "" && len(o.Files) == 0 {
		return nil, ErrNothingSelected
	}
	if o.Store == nil && !o.DryRun {
		return nil, errors.New("undo: the state is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	jpath := filepath.Join(o.Config.Output, sorter.JournalName)
	ix, err := readIndex(jpath)
	if err != nil {
		return nil, fmt.Errorf("undo: read journal: %w", err)
	}
	rep := &Report{DryRun: o.DryRun, Actions: []Action{}}
	var j *sorter.Journal
	defer func() {
		if j != nil {
			j.Close()
		}
	}()
	for i := len(ix.filings) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		e := ix.filings[i]
		if ix.undone[key{e.ID, e.Dest}] || !o.selects(e) {
			continue
		}
		a := Action{ID: e.ID, From: e.Dest, To: e.Source, Folder: e.Folder}
		moved, err := undoOne(o, e)
		if err != nil {
			a.Error = err.Error()
			rep.Actions = append(rep.Actions, a)
			continue
		}
		if o.DryRun {
			rep.Actions = append(rep.Actions, a)
			continue
		}
		if j == nil {
			if j, err = sorter.OpenJournal(jpath); err != nil {
				return rep, fmt.Errorf("undo: %w", err)
			}
		}
		u := undoEntry(e, "undo")
		u.Time = o.Now().UTC()
		if !moved {
			u.Reason = "undo (found back at the source)"
		}
		if err := j.Append(u); err != nil {
			a.Error = fmt.Sprintf("moved back, but the journal line failed: %v", err)
			rep.Actions = append(rep.Actions, a)
			return rep, fmt.Errorf("undo: %w", err)
		}
		ix.undone[key{e.ID, e.Dest}] = true
		a.Done = true
		rep.Actions = append(rep.Actions, a)
	}
	return rep, nil
}

// undoOne checks one filing and, unless this is a dry run, moves it back.
// moved is false when the file was found back at its source already (an
// earlier undo stopped between the move and its journal line).
func undoOne(o UndoOptions, e sorter.Entry) (moved bool, err error) {
	fi, err := os.Lstat(e.Dest)
	if errors.Is(err, os.ErrNotExist) {
		if e.SHA256 != "" {
			if sum, err := fileSHA256(e.Source); err == nil && sum == e.SHA256 {
				if !o.DryRun {
					if err := forget(o.Store, e.ID, e.Dest); err != nil {
						return false, err
					}
				}
				return false, nil
			}
		}
		return false, ErrGone
	}
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("%s is not a regular file", e.Dest)
	}
	if e.SHA256 != "" {
		sum, err := fileSHA256(e.Dest)
		if err != nil {
			return false, err
		}
		if sum != e.SHA256 {
			return false, ErrChanged
		}
	}
	if exists(e.Source) {
		return false, ErrSourceExists
	}
	if o.DryRun {
		return true, nil
	}
	if err := forget(o.Store, e.ID, e.Dest); err != nil {
		return false, fmt.Errorf("forget state record: %w", err)
	}
	if err := sorter.Move(e.Dest, e.Source, false); err != nil {
		return false, err
	}
	if e.Folder == sorter.KindFailed {
		removeNote(e.Dest) // best effort: the file itself is back
	}
	return true, nil
}
