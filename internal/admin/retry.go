package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// RetryOptions select the files to send through again.
type RetryOptions struct {
	Config *config.Config
	// Store is the state: the running daemon's, or one opened for writing.
	// May be nil in a dry run.
	Store *state.Store
	// Files are absolute paths of files (or folders) in the output folder.
	// Empty: every file in the failed folder.
	Files  []string
	DryRun bool
	Now    func() time.Time // default time.Now
}

// ErrNotInOutput: Retry takes files from the output folder only.
var ErrNotInOutput = errors.New("not in the output folder")

// Retry moves files from the output folder (by default every file of the
// failed folder) back into the inbox, to the path each came from when it is
// free (else "name (1).ext" beside it), so the daemon files them again. For
// each it forgets the state record first (so the file is new, not a
// duplicate of itself), removes the .error.txt note and appends an Undo line
// to the journal. Safe while the daemon runs, given the daemon's store.
func Retry(ctx context.Context, o RetryOptions) (*Report, error) {
	if o.Store == nil && !o.DryRun {
		return nil, errors.New("retry: the state is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cfg := o.Config
	failedDir := filepath.Join(cfg.Output, cfg.Folders.Failed)
	// Links are resolved before a path is judged inside the output: a link
	// sorted/lnk -> /elsewhere must not let files of /elsewhere be moved.
	outReal, err := filepath.EvalSymlinks(cfg.Output)
	if err != nil {
		outReal = filepath.Clean(cfg.Output)
	}
	rep := &Report{DryRun: o.DryRun, Actions: []Action{}}
	var files []string
	if len(o.Files) == 0 {
		fs, err := listFiles(failedDir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("retry: %w", err)
		}
		files = fs
	} else {
		for _, p := range o.Files {
			if !within(p, cfg.Output) || p == filepath.Join(cfg.Output, sorter.JournalName) {
				rep.Actions = append(rep.Actions, Action{From: p, Error: ErrNotInOutput.Error()})
				continue
			}
			fi, err := os.Lstat(p)
			switch {
			case err != nil:
				rep.Actions = append(rep.Actions, Action{From: p, Error: err.Error()})
			case fi.IsDir():
				fs, err := listFiles(p)
				if err != nil {
					rep.Actions = append(rep.Actions, Action{From: p, Error: err.Error()})
				}
				files = append(files, fs...)
			case fi.Mode().IsRegular():
				files = append(files, p)
			default:
				rep.Actions = append(rep.Actions, Action{From: p, Error: "not a regular file"})
			}
		}
	}
	jpath := filepath.Join(cfg.Output, sorter.JournalName)
	ix, err := readIndex(jpath)
	if err != nil {
		return nil, fmt.Errorf("retry: read journal: %w", err)
	}
	var j *sorter.Journal
	defer func() {
		if j != nil {
			j.Close()
		}
	}()
	planned := map[string]bool{}
	for _, p := range files {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		a := Action{From: p}
		if !resolvedWithin(p, outReal) {
			a.Error = ErrNotInOutput.Error() + " (once links are resolved)"
			rep.Actions = append(rep.Actions, a)
			continue
		}
		e, inJournal := ix.lastFiling(p)
		var rec state.File
		var inState bool
		if o.Store != nil {
			if rec, inState, err = o.Store.ByDest(p); err != nil {
				return rep, fmt.Errorf("retry: %w", err)
			}
		}
		// Where it came from: the state's record, else the journal, else the inbox.
		target := filepath.Join(cfg.Inbox, filepath.Base(p))
		switch {
		case inState:
			a.ID, a.Folder, target = rec.ID, string(rec.Kind), rec.Path
		case inJournal:
			a.ID, a.Folder, target = e.ID, e.Folder, e.Source
		}
		if !within(target, cfg.Inbox) {
			target = filepath.Join(cfg.Inbox, filepath.Base(p))
		}
		target, err = freeName(target)
		for err == nil && planned[target] {
			target, err = freeName(strings.TrimSuffix(target, filepath.Ext(target)) + " (retry)" + filepath.Ext(target))
		}
		if err != nil {
			a.Error = err.Error()
			rep.Actions = append(rep.Actions, a)
			continue
		}
		planned[target] = true
		a.To = target
		if o.DryRun {
			rep.Actions = append(rep.Actions, a)
			continue
		}
		if inState {
			if !rec.Status.Terminal() {
				a.Error = fmt.Sprintf("its state record is %s, not filed", rec.Status)
				rep.Actions = append(rep.Actions, a)
				continue
			}
			if err := o.Store.Forget(rec.ID); err != nil {
				a.Error = fmt.Sprintf("forget state record: %v", err)
				rep.Actions = append(rep.Actions, a)
				continue
			}
		}
		if err := sorter.Move(p, target, false); err != nil {
			a.Error = err.Error()
			rep.Actions = append(rep.Actions, a)
			continue
		}
		removeNote(p) // best effort: the file itself is back in the inbox
		a.Done = true
		rep.Actions = append(rep.Actions, a)
		if !inJournal && !inState {
			continue
		}
		if !inJournal {
			e = sorter.Entry{ID: rec.ID, Source: rec.Path, Dest: p, Folder: string(rec.Kind), Type: rec.Type, SHA256: rec.SHA256, JobID: rec.JobID}
		}
		if j == nil {
			if j, err = sorter.OpenJournal(jpath); err != nil {
				return rep, fmt.Errorf("retry: %w", err)
			}
		}
		u := undoEntry(e, "retry: back in the inbox as "+target)
		u.Time = o.Now().UTC()
		if err := j.Append(u); err != nil {
			return rep, fmt.Errorf("retry: %w", err)
		}
	}
	return rep, nil
}

// resolvedWithin reports whether p, with every link resolved, is inside
// dirReal (itself resolved).
func resolvedWithin(p, dirReal string) bool {
	rp, err := filepath.EvalSymlinks(p)
	return err == nil && within(rp, dirReal) && rp != dirReal
}

// listFiles lists the regular files under dir, without error notes, the
// journal and dotfiles (temporary files), in name order.
func listFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && strings.HasPrefix(name, ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || strings.HasSuffix(name, ".error.txt") || name == sorter.JournalName || strings.HasPrefix(name, ".") {
			return nil
		}
		out = append(out, p)
		return nil
	})
	sort.Strings(out)
	return out, err
}
