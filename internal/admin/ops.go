package admin

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// Action is what Undo or Retry did (or, in a dry run, would do) with one file.
type Action struct {
	ID     uint64 `json:"id,omitempty"`
	From   string `json:"from"`
	To     string `json:"to,omitempty"`
	Folder string `json:"folder,omitempty"`
	// Done is true when the file was moved (false in a dry run).
	Done bool `json:"done"`
	// Error says why the file was left where it is.
	Error string `json:"error,omitempty"`
}

// Report lists the actions of one Undo or Retry.
type Report struct {
	DryRun  bool     `json:"dry_run,omitempty"`
	Actions []Action `json:"actions"`
}

// Moved counts the files moved (or, in a dry run, that would be).
func (r *Report) Moved() int {
	n := 0
	for _, a := range r.Actions {
		if a.Error == "" {
			n++
		}
	}
	return n
}

// Failed counts the files left where they were because of an error.
func (r *Report) Failed() int { return len(r.Actions) - r.Moved() }

// Errors.
var (
	// ErrSourceExists: a file is already at the place a file would go back to.
	ErrSourceExists = errors.New("a file exists at the source; not overwritten")
	// ErrChanged: the filed file's content is not what was filed.
	ErrChanged = errors.New("changed since it was filed; not moved")
	// ErrGone: the filed file is no longer where it was filed.
	ErrGone = errors.New("no longer where it was filed (moved or deleted since)")
)

// key identifies one filing in the journal: a record id and where it went.
type key struct {
	id   uint64
	dest string
}

// journalIndex is the journal folded: the last filing line of each (id, dest),
// in journal order, and the filings undone since.
type journalIndex struct {
	filings []sorter.Entry
	undone  map[key]bool
	byDest  map[string]int // dest → index in filings of its last filing
}

func readIndex(path string) (*journalIndex, error) {
	ix := &journalIndex{undone: map[key]bool{}, byDest: map[string]int{}}
	pos := map[key]int{}
	err := sorter.ReadJournal(path, func(e sorter.Entry) error {
		if e.Dest == "" {
			return nil
		}
		k := key{e.ID, e.Dest}
		if e.Undo {
			ix.undone[k] = true
			return nil
		}
		delete(ix.undone, k) // filed again under the same id and name (repair re-journals)
		if e.Correction {
			// A person moved the filing: it is where the line says now.
			if i, ok := pos[key{e.ID, e.MovedFrom}]; ok {
				delete(pos, key{e.ID, e.MovedFrom})
				delete(ix.byDest, e.MovedFrom)
				e.Time = ix.filings[i].Time
				ix.filings[i] = e
				pos[k] = i
				ix.byDest[e.Dest] = i
				return nil
			}
		}
		if i, ok := pos[k]; ok {
			ix.filings[i] = e
		} else {
			pos[k] = len(ix.filings)
			ix.filings = append(ix.filings, e)
		}
		ix.byDest[e.Dest] = pos[k]
		return nil
	})
	if errors.Is(err, os.ErrNotExist) {
		return ix, nil
	}
	return ix, err
}

// lastFiling returns the live (not undone) filing whose file is at dest.
func (ix *journalIndex) lastFiling(dest string) (sorter.Entry, bool) {
	i, ok := ix.byDest[dest]
	if !ok {
		return sorter.Entry{}, false
	}
	e := ix.filings[i]
	if ix.undone[key{e.ID, e.Dest}] {
		return sorter.Entry{}, false
	}
	return e, true
}

// undoEntry is the journal line that says the file left dest again.
func undoEntry(e sorter.Entry, reason string) sorter.Entry {
	return sorter.Entry{ID: e.ID, Source: e.Source, Dest: e.Dest, Folder: e.Folder, Type: e.Type,
		JobID: e.JobID, SHA256: e.SHA256, Reason: reason, Undo: true}
}

// forget deletes the state record of a filing so that the file, dropped into
// the inbox again, starts anew instead of being a duplicate of itself. A
// record that is gone already, or now describes another file, is left alone.
func forget(st *state.Store, id uint64, dest string) error {
	if st == nil {
		return nil
	}
	rec, err := st.Get(id)
	if errors.Is(err, state.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if rec.Dest != dest {
		return nil
	}
	if !rec.Status.Terminal() {
		return fmt.Errorf("state record %d is %s, not filed: is classifyd running?", id, rec.Status)
	}
	return st.Forget(id)
}

// removeNote removes the NAME.error.txt written beside a failed file.
func removeNote(dest string) error {
	err := os.Remove(dest + ".error.txt")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// exists reports whether anything (file, folder, link) is at p.
func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil || !errors.Is(err, os.ErrNotExist)
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// freeName returns p, or "name (1).ext", "name (2).ext" ... beside it when p is taken.
func freeName(p string) (string, error) {
	if !exists(p) {
		return p, nil
	}
	dir, base := filepath.Split(p)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	if stem == "" {
		stem, ext = base, ""
	}
	for i := 1; i < 100000; i++ {
		q := filepath.Join(dir, fmt.Sprintf("%s (%d)%s", stem, i, ext))
		if !exists(q) {
			return q, nil
		}
	}
	return "", fmt.Errorf("no free name for %s", p)
}
