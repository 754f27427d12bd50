package daemon

import (
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/classifyd/classifyd/internal/state"
)

// movedAway reports whether a filed file is no longer where the state says
// it is (a person moved it; a copy leaves it in place).
func (d *Daemon) movedAway(dest string) bool {
	if dest == "" {
		return false
	}
	_, err := os.Lstat(dest)
	return errors.Is(err, fs.ErrNotExist)
}

// relocate makes the state follow a filed file a person moved to p, in the
// folder of typ: the record's destination and type (state.Relocate, so
// undo, status and a later duplicate name where it is now), and a
// correction line in the journal. It logs the correction once.
func (d *Daemon) relocate(rec state.File, p, typ string) error {
	c, err := d.st.Relocate(rec.ID, p, typ, time.Now())
	if err != nil {
		return err
	}
	moved := rec
	moved.Dest, moved.Kind, moved.Type = p, state.KindType, typ
	e := d.entryOf(moved, typ)
	e.Correction, e.MovedFrom = true, c.From
	e.Reasoning = ""
	if d.journal != nil {
		if err := d.journal.Append(e); err != nil {
			d.log.Warn("correction recorded in the state, but not in the journal", "path", p, "err", err)
		}
	}
	d.log.Info("correction learned", "path", p, "moved_from", c.From, "from", c.Was, "to", typ)
	return nil
}
