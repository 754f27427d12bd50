package daemon

import (
	"path/filepath"

	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// entryOf is the journal entry of a filed file, with the rule's folder as
// configured and the folder it went to (relative to the output).
func (d *Daemon) entryOf(f state.File, folder string) sorter.Entry {
	e := entryOf(f, folder)
	if f.Kind == state.KindType {
		if r, ok := d.cfg.RuleFor(f.Type); ok {
			e.RuleFolder = r.FolderOf()
		}
	}
	if f.Dest != "" {
		if rel, err := filepath.Rel(d.cfg.Output, filepath.Dir(f.Dest)); err == nil {
			e.DestFolder = filepath.ToSlash(rel)
		}
	}
	return e
}
