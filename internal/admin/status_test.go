package admin

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/sorter"
)

func TestJournalThroughput(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var es []sorter.Entry
	for i := range 200 { // old history, to be skipped by the tail reader
		es = append(es, sorter.Entry{Time: now.Add(-48*time.Hour + time.Duration(i)*time.Minute), Dest: "/o/old", Reasoning: strings.Repeat("x", 100)})
	}
	es = append(es,
		sorter.Entry{Time: now.Add(-61 * time.Minute), Dest: "/o/a"},
		sorter.Entry{Time: now.Add(-59 * time.Minute), Dest: "/o/b"},
		sorter.Entry{Time: now.Add(-30 * time.Minute), Dest: "/o/c"},
		sorter.Entry{Time: now.Add(-59 * time.Second), Dest: "/o/d"},
		sorter.Entry{Time: now.Add(-10 * time.Second), Dest: "/o/d", Undo: true},
		sorter.Entry{Time: now.Add(-5 * time.Second), Dest: "/o/e"},
	)
	for _, chunk := range []int64{64, 1 << 10, 1 << 20} {
		t.Run(fmt.Sprint("chunk=", chunk), func(t *testing.T) {
			old := tailChunk
			tailChunk = chunk
			defer func() { tailChunk = old }()
			path := filepath.Join(t.TempDir(), sorter.JournalName)
			j, err := sorter.OpenJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Append(es...); err != nil {
				t.Fatal(err)
			}
			j.Close()
			tp, err := JournalThroughput(path, now)
			if err != nil {
				t.Fatal(err)
			}
			want := Throughput{LastMinute: 2, LastHour: 4, LastFiled: now.Add(-5 * time.Second)}
			if tp != want {
				t.Fatalf("got %+v, want %+v", tp, want)
			}
			// An hour later nothing is recent, but the last filing is known.
			tp, err = JournalThroughput(path, now.Add(2*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if tp.LastHour != 0 || !tp.LastFiled.Equal(now.Add(-5*time.Second)) {
				t.Fatalf("later: %+v", tp)
			}
		})
	}
	if _, err := JournalThroughput(filepath.Join(t.TempDir(), "none"), now); !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

func TestSnapshot(t *testing.T) {
	e := newEnv(t)
	e.sample()
	e.once()
	st := e.open()
	defer st.Close()
	s, err := Snapshot(st, e.cfg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if s.Counts["filed"] != 4 || s.Counts["failed"] != 1 || s.Counts["queued"] != 0 || len(s.Counts) != 8 { // escalating too
		t.Fatalf("counts %v", s.Counts)
	}
	if s.Queued != 0 || s.InFlight != 0 || len(s.Jobs) != 0 || s.Running {
		t.Fatalf("%+v", s)
	}
	if len(s.Failures) != 1 || s.Failures[0].Path != filepath.Join(e.in, "blob.bin") || !strings.Contains(s.Failures[0].Reason, "binary") {
		t.Fatalf("failures %+v", s.Failures)
	}
	if s.Throughput.LastMinute != 5 || s.Throughput.LastHour != 5 {
		t.Fatalf("throughput %+v", s.Throughput)
	}
	if s.Inbox != e.in || s.Output != e.out || s.State != e.state {
		t.Fatalf("paths %+v", s)
	}
}
