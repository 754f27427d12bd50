// Package admin is how people and tools look at and steer classifyd from
// outside its loops: the status snapshot (queue counts, jobs in flight,
// recent failures, throughput), the HTTP admin endpoint (/metrics, /healthz,
// /readyz, /status, POST /retry) and its client, and the two repairs a person
// asks for: Undo (move filed files back where they came from) and Retry (send
// files back into the inbox to be filed again).
//
// The package reads the state through *state.Store and the journal through
// the sorter package; Undo and Retry move files only between the output and
// the inbox, append Undo lines to the journal and Forget state records. It
// never runs the daemon itself.
package admin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// Status is a snapshot of a classifyd state: what `classifyd status` prints
// and GET /status returns.
type Status struct {
	Time time.Time `json:"time"`
	// Running is true when a running daemon answered (the admin endpoint);
	// false when the state file was read directly.
	Running bool      `json:"running"`
	Ready   bool      `json:"ready"`
	Started time.Time `json:"started,omitzero"`
	// Stalled names daemon loops that have not turned recently (running only).
	Stalled []string `json:"stalled,omitempty"`

	Inbox   string `json:"inbox"`
	Output  string `json:"output"`
	State   string `json:"state"`
	Backend string `json:"backend"`

	// Counts has every state of the machine, zeros included.
	Counts map[string]int `json:"counts"`
	// Queued are files waiting for a batch; InFlight are submitted,
	// classified or moving.
	Queued   int `json:"queued"`
	InFlight int `json:"in_flight"`

	Jobs     []Job     `json:"jobs"`
	Failures []Failure `json:"failures"`
	// Stuck are classified files whose move into the output failed (a full
	// or unwritable output, a source that cannot be removed): they stay in
	// the inbox and are retried. Reason is the last move error.
	Stuck []Failure `json:"stuck"`
	// Corrections are the last filed files people were seen to move to
	// another folder, newest first (the state follows them).
	Corrections []state.Correction `json:"corrections"`
	// Actions are the actions after filing (on_filed) waiting to run and
	// those that failed every try.
	Actions Actions `json:"actions"`
	// Trouble is why /healthz fails while the loops turn (running only).
	Trouble    string     `json:"trouble,omitempty"`
	Throughput Throughput `json:"throughput"`

	// Run counts this run of the daemon (running only).
	Run     *RunCounts    `json:"run,omitempty"`
	Watcher *WatcherStats `json:"watcher,omitempty"`
	// Escalation is today's escalations against the budget (escalate.enabled).
	Escalation *EscalationStatus `json:"escalation,omitempty"`
}

// Job is a submitted job not yet finished.
type Job struct {
	ID         string    `json:"id"`
	Files      int       `json:"files"`
	Submitted  time.Time `json:"submitted"`
	AgeSeconds float64   `json:"age_seconds"`
	Polls      int       `json:"polls"`
	Attempt    int       `json:"attempt"`
	NextPoll   time.Time `json:"next_poll"`
}

// Failure is a file in the failed folder, with why.
type Failure struct {
	ID       uint64    `json:"id"`
	Path     string    `json:"path"` // where it came from
	Dest     string    `json:"dest"` // where it is now
	Reason   string    `json:"reason"`
	Attempts int       `json:"attempts,omitempty"`
	Time     time.Time `json:"time"`
}

// Throughput counts files that reached a folder recently (from the journal).
type Throughput struct {
	LastMinute int       `json:"last_minute"`
	LastHour   int       `json:"last_hour"`
	LastFiled  time.Time `json:"last_filed,omitzero"`
}

// RunCounts are the daemon's counters since it started.
type RunCounts struct {
	Seen   int64 `json:"seen"`
	Done   int64 `json:"done"`
	Failed int64 `json:"failed"`
}

// WatcherStats are the inbox watcher's counters (running daemon only).
type WatcherStats struct {
	Events    uint64 `json:"events"`
	Rescans   uint64 `json:"rescans"`
	Overflows uint64 `json:"overflows"`
	Errors    uint64 `json:"errors"`
	Emitted   uint64 `json:"emitted"`
	Pending   int64  `json:"pending"`
}

// tailChunk is the first read from the journal's end (tests shrink it).
var tailChunk int64 = 256 << 10

// DefaultMaxFailures is how many of the most recent failures (and stuck
// moves, and failed actions) a snapshot lists.
const DefaultMaxFailures = 10

// Snapshot reads the state and the journal of cfg into a Status, with the
// last DefaultMaxFailures failures.
func Snapshot(st *state.Store, cfg *config.Config, now time.Time) (*Status, error) {
	return SnapshotLast(st, cfg, now, DefaultMaxFailures)
}

// SnapshotLast is Snapshot listing the last maxFailures failures, stuck
// moves and failed actions (classifyd status --failures).
func SnapshotLast(st *state.Store, cfg *config.Config, now time.Time, maxFailures int) (*Status, error) {
	s := &Status{Time: now.UTC(), Inbox: cfg.Inbox, Output: cfg.Output, State: st.Path(), Backend: cfg.Backend.Kind,
		Counts: map[string]int{}, Jobs: []Job{}, Failures: []Failure{}, Stuck: []Failure{}}
	counts, err := st.Counts()
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	for _, k := range state.AllStatuses {
		s.Counts[string(k)] = counts[k]
	}
	s.Queued, s.InFlight = QueueSizes(counts)
	s.Escalation = escalationStatus(st, cfg, counts, now)
	jobs, err := st.Jobs()
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	for _, j := range jobs {
		s.Jobs = append(s.Jobs, Job{ID: j.ID, Files: len(j.FileIDs), Submitted: j.Submitted.UTC(),
			AgeSeconds: now.Sub(j.Submitted).Seconds(), Polls: j.Polls, Attempt: j.Attempt, NextPoll: j.NextPoll.UTC()})
	}
	sort.Slice(s.Jobs, func(a, b int) bool { return s.Jobs[a].Submitted.Before(s.Jobs[b].Submitted) })
	// Failed records are in id order, oldest first: keep the last few.
	var ring []Failure
	err = st.Each(state.Failed, 0, func(f state.File) error {
		ring = append(ring, Failure{ID: f.ID, Path: f.Path, Dest: f.Dest, Reason: f.Reason, Attempts: f.Attempts, Time: f.Updated.UTC()})
		if len(ring) > maxFailures {
			ring = ring[1:]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	for i := len(ring) - 1; i >= 0; i-- { // newest first
		s.Failures = append(s.Failures, ring[i])
	}
	err = st.Each(state.Classified, 0, func(f state.File) error {
		if f.MoveTries > 0 && len(s.Stuck) < maxFailures {
			s.Stuck = append(s.Stuck, Failure{ID: f.ID, Path: f.Path, Reason: f.Reason, Attempts: f.MoveTries, Time: f.Updated.UTC()})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	if s.Corrections, err = st.Corrections(); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	if s.Corrections == nil {
		s.Corrections = []state.Correction{}
	}
	if s.Actions, err = actionsOf(st, maxFailures); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	tp, err := JournalThroughput(filepath.Join(cfg.Output, sorter.JournalName), now)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("status: %w", err)
	}
	s.Throughput = tp
	return s, nil
}

// QueueSizes returns the files waiting for a batch and the files in flight
// (submitted, classified or moving).
func QueueSizes(counts map[state.Status]int) (queued, inFlight int) {
	return counts[state.Queued], counts[state.Submitted] + counts[state.Escalating] + counts[state.Classified] + counts[state.Moving]
}

// JournalThroughput counts the journal's filing lines (not undo lines) of the
// last minute and hour before now. It reads the journal from its end, so a
// journal of years costs what its last hour does.
func JournalThroughput(path string, now time.Time) (Throughput, error) {
	var tp Throughput
	f, err := os.Open(path)
	if err != nil {
		return tp, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return tp, err
	}
	hour, minute := now.Add(-time.Hour), now.Add(-time.Minute)
	size := fi.Size()
	for chunk := tailChunk; ; chunk *= 4 {
		start := max(size-chunk, 0)
		entries, err := readFrom(f, start, size)
		if err != nil {
			return tp, err
		}
		// Complete when the chunk starts at the file's start or already
		// reaches back more than an hour.
		if start == 0 || (len(entries) > 0 && entries[0].Time.Before(hour)) {
			tp = Throughput{}
			for _, e := range entries {
				if e.Undo || e.Correction || e.Time.After(now) {
					continue
				}
				if !e.Time.Before(hour) {
					tp.LastHour++
				}
				if !e.Time.Before(minute) {
					tp.LastMinute++
				}
				if e.Time.After(tp.LastFiled) {
					tp.LastFiled = e.Time.UTC()
				}
			}
			if tp.LastFiled.IsZero() {
				// Nothing in the last hour: the last filing line of the chunk.
				for i := len(entries) - 1; i >= 0; i-- {
					if !entries[i].Undo && !entries[i].Correction {
						tp.LastFiled = entries[i].Time.UTC()
						break
					}
				}
			}
			return tp, nil
		}
	}
}

// readFrom parses the complete journal lines in [start, end). A line cut by
// start is skipped.
func readFrom(f *os.File, start, end int64) ([]sorter.Entry, error) {
	r := bufio.NewReaderSize(io.NewSectionReader(f, start, end-start), 64<<10)
	if start > 0 {
		// The byte before start tells whether start begins a line.
		var prev [1]byte
		if _, err := f.ReadAt(prev[:], start-1); err != nil {
			return nil, err
		}
		if prev[0] != '\n' {
			if _, err := r.ReadBytes('\n'); err != nil {
				return nil, nil
			}
		}
	}
	var out []sorter.Entry
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			var e sorter.Entry
			if json.Unmarshal(bytes.TrimSpace(line), &e) == nil {
				out = append(out, e)
			}
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
