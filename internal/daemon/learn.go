package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/classifyd/classifyd/internal/state"
)

// learnLoop scans the type folders at start and every LearnInterval. A file
// there that the daemon did not put there is a labelled example: a person
// filed it (Learn), or moved it there from another type's folder or from
// review (Correct, when its content was classified as another type).
// What was learned is remembered in the state (meta "learned:<path>"), so a
// restart does not count an example twice.
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

func (d *Daemon) learnScan(ctx context.Context) error {
	var learned, corrected int
	for _, r := range d.cfg.Rules {
		dir := d.sorter.Dir("type", r.Type)
		err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if de.IsDir() {
				// A type folder nested inside another (Finance/Invoices under
				// Finance) belongs to its own rule.
				if p != dir && d.isTypeDir(p) {
					return filepath.SkipDir
				}
				return nil
			}
			if !de.Type().IsRegular() || strings.HasPrefix(de.Name(), ".") || strings.HasSuffix(de.Name(), ".error.txt") {
				return nil
			}
			n, c, err := d.learnFile(ctx, r.Type, p)
			if err != nil {
				d.log.Warn("learn from file", "path", p, "err", err)
				return nil
			}
			learned += n
			corrected += c
			return nil
		})
		if err != nil {
			return err
		}
	}
	if learned+corrected > 0 {
		d.log.Info("learned from the type folders", "examples", learned, "corrections", corrected)
	}
	return nil
}

func (d *Daemon) isTypeDir(p string) bool {
	for _, r := range d.cfg.Rules {
		if d.sorter.Dir("type", r.Type) == p {
			return true
		}
	}
	return false
}

// learnFile learns from one file in the folder of typ; it returns 1,0 for an
// example, 0,1 for a correction, 0,0 when there is nothing new.
func (d *Daemon) learnFile(ctx context.Context, typ, p string) (int, int, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return 0, 0, err
	}
	if rec, ok, err := d.st.ByDest(p); err != nil {
		return 0, 0, err
	} else if ok && rec.Kind == state.KindType && rec.Type == typ && rec.Size == fi.Size() {
		return 0, 0, nil // the daemon's own decision, untouched
	}
	key := "learned:" + p
	mark := fmt.Sprintf("%s|%d|%d", typ, fi.Size(), fi.ModTime().UnixNano())
	if v, err := d.st.Meta(key); err != nil {
		return 0, 0, err
	} else if string(v) == mark {
		return 0, 0, nil
	}
	st, err := statAndHash(p)
	if err != nil {
		return 0, 0, err
	}
	n, c := 1, 0
	if rec, ok, err := d.st.ByHash(st.SHA256); err != nil {
		return 0, 0, err
	} else if ok && rec.Type != "" && rec.Type != typ {
		if err := d.o.Learner.Correct(ctx, rec.Type, typ, p); err != nil {
			return 0, 0, err
		}
		d.log.Info("correction learned", "path", p, "from", rec.Type, "to", typ)
		n, c = 0, 1
	} else if err := d.o.Learner.Learn(ctx, typ, p); err != nil {
		return 0, 0, err
	}
	return n, c, d.st.SetMeta(key, []byte(mark))
}
