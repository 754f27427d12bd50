package sorter

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// JournalName is the journal's file name in the output folder.
const JournalName = "_journal.jsonl"

// Entry is one line of the journal: one decision about one file.
type Entry struct {
	Time       time.Time `json:"time"`
	ID         uint64    `json:"id"`
	Source     string    `json:"source"`
	Dest       string    `json:"dest"`
	Folder     string    `json:"folder"` // type, unmatched, review, failed, duplicate
	Type       string    `json:"type,omitempty"`
	Confidence float64   `json:"confidence"`
	Reasoning  string    `json:"reasoning,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	JobID      string    `json:"job_id,omitempty"`
	SHA256     string    `json:"sha256,omitempty"`
	Undo       bool      `json:"undo,omitempty"` // the file was moved back to Source
	// Escalation: the engine was unsure and asked the remote (escalation.go).
	Escalation *Escalation `json:"escalation,omitempty"`
	// RuleFolder is the type's folder as configured (Finance/Invoices/{year});
	// DestFolder the folder the file went to, relative to the output
	// (Finance/Invoices/2024). Folder stays the kind or type label.
	RuleFolder string `json:"rule_folder,omitempty"`
	DestFolder string `json:"dest_folder,omitempty"`
	// Correction marks a line that says a person moved the file filed under
	// ID from MovedFrom to Dest (Type is its type now); Source stays where
	// it came from in the inbox, where undo puts it back.
	Correction bool   `json:"correction,omitempty"`
	MovedFrom  string `json:"moved_from,omitempty"`
}

// Journal is the append-only JSON-lines log of decisions.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	torn bool // a failed append left part of a line that could not be taken back
}

// OpenJournal opens (creates) the journal for appending. A torn last line
// (a kill during a write longer than a page, or a power cut) is ended with a
// newline first, so the next entry starts a line of its own instead of being
// glued to the torn one and lost (ReadJournal skips the torn line).
func OpenJournal(path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		var last [1]byte
		if _, err := f.ReadAt(last[:], fi.Size()-1); err == nil && last[0] != '\n' {
			if _, err := f.Write([]byte{'\n'}); err != nil {
				f.Close()
				return nil, fmt.Errorf("open journal: end torn line: %w", err)
			}
		}
	}
	return &Journal{f: f}, nil
}

// Append writes entries and syncs the file.
func (j *Journal) Append(es ...Entry) error {
	if len(es) == 0 {
		return nil
	}
	var buf []byte
	for _, e := range es {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		buf = append(append(buf, b...), '\n')
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.torn {
		buf = append([]byte{'\n'}, buf...)
	}
	before, serr := j.f.Seek(0, io.SeekEnd)
	_, err := j.f.Write(buf)
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		// A full disk may take part of the lines: take them back, so that a
		// later Append writes them whole and nothing is glued to a torn line.
		if serr != nil || j.f.Truncate(before) != nil {
			j.torn = true
		}
		return fmt.Errorf("append journal: %w", err)
	}
	j.torn = false
	return nil
}

// Close closes the journal.
func (j *Journal) Close() error { return j.f.Close() }

// ReadJournal calls fn for each entry of the journal at path, in order.
// A torn last line (crash while writing) is skipped.
func ReadJournal(path string, fn func(Entry) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			var e Entry
			if json.Unmarshal(line, &e) == nil {
				if err := fn(e); err != nil {
					return err
				}
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
