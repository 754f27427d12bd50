package harness

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// Check is what CheckOutput found. Want maps content (sha256 hex) to the
// name the content had in the inbox; every content is expected exactly once
// in the output and exactly once in the journal.
type Check struct {
	Want map[string]string

	Filed   map[string][]string       // content → paths under the output holding it
	Journal map[string][]sorter.Entry // content → journal lines naming it

	Lost        []string // wanted contents found nowhere in the output (inbox names)
	Twice       []string // wanted contents in more than one output file
	Unexpected  []string // output files whose content never went into the inbox
	LeftInInbox []string // files still in the inbox (not allowed by the caller)

	JournalLines   int
	BadLines       []string // lines that are not one JSON entry
	MissingDest    []string // journal lines whose destination does not exist
	WrongContent   []string // journal lines whose destination holds other content
	JournalTwice   []string // contents with more than one journal line
	JournalMissing []string // filed contents with no journal line
}

// CheckOutput walks the inbox and the output folder and reads the journal.
// keepInInbox, if set, says which inbox entries are expected to stay (a
// symlink, a fifo...).
func CheckOutput(inbox, out string, want map[string]string, keepInInbox func(path string) bool) (*Check, error) {
	c := &Check{Want: want, Filed: map[string][]string{}, Journal: map[string][]sorter.Entry{}}
	err := filepath.WalkDir(inbox, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != inbox && filepath.Clean(p) == filepath.Clean(out) {
				return filepath.SkipDir
			}
			return nil
		}
		if keepInInbox == nil || !keepInInbox(p) {
			c.LeftInInbox = append(c.LeftInInbox, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk inbox: %w", err)
	}
	journal := filepath.Join(out, sorter.JournalName)
	err = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || p == journal || strings.HasSuffix(p, ".error.txt") {
			return nil
		}
		if !d.Type().IsRegular() {
			c.Unexpected = append(c.Unexpected, p+" (not a regular file)")
			return nil
		}
		sum, err := FileSHA(p)
		if err != nil {
			return err
		}
		if _, ok := want[sum]; !ok {
			c.Unexpected = append(c.Unexpected, p)
			return nil
		}
		c.Filed[sum] = append(c.Filed[sum], p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk output: %w", err)
	}
	for sum, name := range want {
		switch n := len(c.Filed[sum]); {
		case n == 0:
			c.Lost = append(c.Lost, name)
		case n > 1:
			c.Twice = append(c.Twice, fmt.Sprintf("%s → %q", name, c.Filed[sum]))
		}
	}
	if err := c.readJournal(journal); err != nil {
		return nil, err
	}
	for sum, es := range c.Journal {
		if len(es) > 1 {
			var dests []string
			for _, e := range es {
				dests = append(dests, e.Dest)
			}
			c.JournalTwice = append(c.JournalTwice, fmt.Sprintf("%s: %d lines (%q)", want[sum], len(es), dests))
		}
	}
	for sum := range c.Filed {
		if len(c.Journal[sum]) == 0 {
			c.JournalMissing = append(c.JournalMissing, c.Filed[sum][0])
		}
	}
	for _, l := range []*[]string{&c.Lost, &c.Twice, &c.Unexpected, &c.LeftInInbox, &c.MissingDest, &c.WrongContent, &c.JournalTwice, &c.JournalMissing} {
		sort.Strings(*l)
	}
	return c, nil
}

func (c *Check) readJournal(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			c.JournalLines++
			var e sorter.Entry
			if line[len(line)-1] != '\n' || json.Unmarshal(line, &e) != nil {
				c.BadLines = append(c.BadLines, fmt.Sprintf("line %d: %.200q", n, line))
			} else if !e.Undo {
				c.checkEntry(n, e)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (c *Check) checkEntry(n int, e sorter.Entry) {
	sum, err := FileSHA(e.Dest)
	switch {
	case err != nil:
		c.MissingDest = append(c.MissingDest, fmt.Sprintf("line %d: %q: %v", n, e.Dest, err))
	case sum != e.SHA256:
		c.WrongContent = append(c.WrongContent, fmt.Sprintf("line %d: %q holds %s, the line says %s", n, e.Dest, sum[:12], e.SHA256))
	}
	c.Journal[e.SHA256] = append(c.Journal[e.SHA256], e)
}

// FiledAt returns the journal time of each content's first filing.
func (c *Check) FiledAt() map[string]time.Time {
	out := map[string]time.Time{}
	for sum, es := range c.Journal {
		for _, e := range es {
			if t, ok := out[sum]; !ok || e.Time.Before(t) {
				out[sum] = e.Time
			}
		}
	}
	return out
}

// Problems lists every violation, at most max of each kind.
func (c *Check) Problems(max int) []string {
	var out []string
	add := func(what string, l []string) {
		if len(l) == 0 {
			return
		}
		s := fmt.Sprintf("%d %s", len(l), what)
		for i, x := range l {
			if i == max {
				s += "\n      ..."
				break
			}
			s += "\n      " + x
		}
		out = append(out, s)
	}
	add("contents lost (in no output file)", c.Lost)
	add("contents filed more than once", c.Twice)
	add("unexpected files in the output", c.Unexpected)
	add("files left in the inbox", c.LeftInInbox)
	add("journal lines that are not JSON", c.BadLines)
	add("journal lines whose destination is missing", c.MissingDest)
	add("journal lines whose destination holds other content", c.WrongContent)
	add("contents with more than one journal line", c.JournalTwice)
	add("filed contents with no journal line", c.JournalMissing)
	return out
}

// Summary is a one-line account of the check.
func (c *Check) Summary() string {
	filed := 0
	for _, ps := range c.Filed {
		if len(ps) > 0 {
			filed++
		}
	}
	return fmt.Sprintf("%d contents, %d filed, %d lost, %d filed twice, %d unexpected, %d left in inbox, %d journal lines (%d bad, %d missing dest)",
		len(c.Want), filed, len(c.Lost), len(c.Twice), len(c.Unexpected), len(c.LeftInInbox), c.JournalLines, len(c.BadLines), len(c.MissingDest))
}

// StateCounts opens a state file (the daemon must not be running) and
// returns its records per status.
func StateCounts(path string) (map[state.Status]int, error) {
	st, err := state.Open(path, state.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.Counts()
}

// ActiveRecords is the number of non-terminal records in counts.
func ActiveRecords(counts map[state.Status]int) int {
	n := 0
	for s, c := range counts {
		if !s.Terminal() {
			n += c
		}
	}
	return n
}
