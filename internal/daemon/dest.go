package daemon

import (
	"path/filepath"
	"time"

	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// destOf is where a classified file goes: its folder and name, the rule's
// templates expanded with the file's values (template_date: the file's
// mtime or now, in local time).
func (d *Daemon) destOf(f state.File) (dir, name string) {
	t := f.ModTime
	if d.cfg.TemplateDate == config.DateFiled || t.IsZero() {
		t = time.Now()
	}
	v := sorter.ValuesOf(f.Path, d.cfg.Inbox, f.Type, t.Local(), f.Confidence)
	return d.sorter.Resolve(string(f.Kind), f.Type, filepath.Base(f.Path), v)
}
