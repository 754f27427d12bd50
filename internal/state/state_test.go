package state

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func stat(p string, size int64, sum string) Stat {
	return Stat{Path: p, Size: size, ModTime: time.Unix(1700000000, 0), SHA256: sum}
}

func TestLifecycle(t *testing.T) {
	s := open(t)
	res, err := s.Enqueue([]Stat{stat("/in/a.pdf", 10, "aa"), stat("/in/b.pdf", 20, "bb")})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].New || !res[1].New || res[0].File.Status != Queued {
		t.Fatalf("enqueue: %+v", res)
	}
	// The same file again is not new.
	again, _ := s.Enqueue([]Stat{stat("/in/a.pdf", 10, "aa")})
	if again[0].New || again[0].File.ID != res[0].File.ID {
		t.Fatalf("re-enqueue of an unchanged file: %+v", again[0])
	}
	a, b := res[0].File.ID, res[1].File.ID
	now := time.Now()
	if err := s.Submit(Job{ID: "j1", FileIDs: []uint64{a, b}, Submitted: now, NextPoll: now}, []string{"ra", "rb"}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.JobCount(); n != 1 || err != nil {
		t.Fatalf("job count after a submit: %d, %v; want 1", n, err)
	}
	due, _, err := s.DueJobs(now.Add(time.Second), 10)
	if err != nil || len(due) != 1 || due[0].ID != "j1" {
		t.Fatalf("due: %v %v", due, err)
	}
	// b gets no outcome: it is re-queued with an attempt.
	if err := s.Finish("j1", []Outcome{{FileID: a, Kind: KindType, Type: "invoice", Confidence: 0.9}, {FileID: a, Kind: KindUnmatched}}); err != nil {
		t.Fatal(err)
	}
	fa, _ := s.Get(a)
	fb, _ := s.Get(b)
	if fa.Status != Classified || fa.Type != "invoice" {
		t.Fatalf("a: %+v (the first of duplicate outcomes must win)", fa)
	}
	if fb.Status != Queued || fb.Attempts != 1 {
		t.Fatalf("b: %+v", fb)
	}
	if jobs, _ := s.Jobs(); len(jobs) != 0 {
		t.Fatalf("job not deleted: %v", jobs)
	}
	if n, err := s.JobCount(); n != 0 || err != nil {
		t.Fatalf("job count after the job finished: %d, %v; want 0", n, err)
	}
	if err := s.BeginMove([]Move{{FileID: a, Dest: "/out/invoice/a.pdf"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishMove([]uint64{a}); err != nil {
		t.Fatal(err)
	}
	fa, _ = s.Get(a)
	if fa.Status != Filed || fa.Dest != "/out/invoice/a.pdf" {
		t.Fatalf("a: %+v", fa)
	}
	if _, ok, _ := s.ByPath("/in/a.pdf"); ok {
		t.Fatal("a filed record still owns its inbox path")
	}
	// Same content under another name is a duplicate of a.
	d, _ := s.Enqueue([]Stat{stat("/in/copy.pdf", 10, "aa")})
	if d[0].DuplicateOf == nil || d[0].DuplicateOf.ID != a {
		t.Fatalf("duplicate not found: %+v", d[0])
	}
	counts, _ := s.Counts()
	if counts[Filed] != 1 || counts[Queued] != 2 {
		t.Fatalf("counts %v", counts)
	}
	if n, err := s.Active(0); n != 2 || err != nil {
		t.Fatalf("active = %d, %v; want the 2 queued records", n, err)
	}
	if n, err := s.Active(1); n != 1 || err != nil {
		t.Fatalf("active(1) = %d, %v; want the count to stop at 1", n, err)
	}
}

func TestChangedFileIgnoresStaleAnswer(t *testing.T) {
	s := open(t)
	res, _ := s.Enqueue([]Stat{stat("/in/a", 1, "x")})
	id := res[0].File.ID
	now := time.Now()
	if err := s.Submit(Job{ID: "j", FileIDs: []uint64{id}, NextPoll: now}, []string{"r"}); err != nil {
		t.Fatal(err)
	}
	// The file changes while the job runs.
	r2, _ := s.Enqueue([]Stat{stat("/in/a", 2, "y")})
	if !r2[0].New || r2[0].File.Status != Queued {
		t.Fatalf("changed file not re-queued: %+v", r2[0])
	}
	if err := s.Finish("j", []Outcome{{FileID: id, Kind: KindType, Type: "t"}}); err != nil {
		t.Fatal(err)
	}
	f, _ := s.Get(id)
	if f.Status != Queued || f.Type != "" {
		t.Fatalf("stale answer applied: %+v", f)
	}
}

func TestSecondOpenIsClearError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	_, err = Open(p, Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("second open hung")
	}
}

func TestPersistsAcrossReopen(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := s.Enqueue([]Stat{stat("/in/a", 1, "x")})
	now := time.Now()
	s.Submit(Job{ID: "j", FileIDs: []uint64{res[0].File.ID}, NextPoll: now.Add(time.Hour)}, []string{"r"})
	s.Close()
	s, err = Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	due, next, _ := s.DueJobs(now, 10)
	if len(due) != 0 || next.IsZero() {
		t.Fatalf("job due too early or lost: %v %v", due, next)
	}
	due, _, _ = s.DueJobs(now.Add(2*time.Hour), 10)
	if len(due) != 1 || due[0].FileIDs[0] != res[0].File.ID {
		t.Fatalf("job after reopen: %+v", due)
	}
}

func TestDueOrder(t *testing.T) {
	s := open(t)
	base := time.Now()
	for i, off := range []int{30, 10, 20} {
		res, _ := s.Enqueue([]Stat{stat("/in/"+string(rune('a'+i)), 1, "")})
		s.Submit(Job{ID: string(rune('A' + i)), FileIDs: []uint64{res[0].File.ID}, NextPoll: base.Add(time.Duration(off) * time.Second)}, []string{"r"})
	}
	due, next, _ := s.DueJobs(base.Add(25*time.Second), 10)
	if len(due) != 2 || due[0].ID != "B" || due[1].ID != "C" {
		t.Fatalf("due order: %+v", due)
	}
	if !next.Equal(time.Unix(0, base.Add(30*time.Second).UnixNano())) {
		t.Fatalf("next %v", next)
	}
	s.Reschedule("B", base.Add(time.Hour))
	due, _, _ = s.DueJobs(base.Add(25*time.Second), 10)
	if len(due) != 1 || due[0].ID != "C" {
		t.Fatalf("after reschedule: %+v", due)
	}
	// NextDue: the earliest poll at or after a time (B now at +1h).
	for _, c := range []struct {
		after time.Duration
		want  time.Duration // -1: none
	}{{0, 20 * time.Second}, {20 * time.Second, 20 * time.Second}, {21 * time.Second, 30 * time.Second}, {31 * time.Second, time.Hour}, {2 * time.Hour, -1}} {
		at, ok, err := s.NextDue(base.Add(c.after))
		if err != nil {
			t.Fatal(err)
		}
		if c.want < 0 {
			if ok {
				t.Errorf("NextDue(+%v) = %v, want none", c.after, at.Sub(base))
			}
		} else if !ok || !at.Equal(time.Unix(0, base.Add(c.want).UnixNano())) {
			t.Errorf("NextDue(+%v) = %v %v, want +%v", c.after, at.Sub(base), ok, c.want)
		}
	}
}

// BenchmarkTransitions moves files through the whole status machine, a
// commit batch of files per transaction (the daemon commits a job's files
// together), with and without fsync.
func BenchmarkTransitions(b *testing.B) {
	for _, batch := range []int{1, 50} {
		for _, fsync := range []bool{true, false} {
			b.Run(fmt.Sprintf("batch=%d/fsync=%v", batch, fsync), func(b *testing.B) {
				benchTransitions(b, batch, !fsync)
			})
		}
	}
}

func benchTransitions(b *testing.B, batch int, noSync bool) {
	s, err := Open(filepath.Join(b.TempDir(), "s.db"), Options{NoSync: noSync})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		var sts []Stat
		for k := 0; k < batch; k++ {
			sts = append(sts, stat(fmt.Sprintf("/in/%d-%d", i, k), 1, ""))
		}
		res, err := s.Enqueue(sts)
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]uint64, batch)
		rids := make([]string, batch)
		var outs []Outcome
		var moves []Move
		for k, r := range res {
			ids[k] = r.File.ID
			outs = append(outs, Outcome{FileID: r.File.ID, Kind: KindType, Type: "t"})
			moves = append(moves, Move{FileID: r.File.ID, Dest: "/out/x"})
		}
		job := fmt.Sprintf("job%d", i)
		if err := s.Submit(Job{ID: job, FileIDs: ids}, rids); err != nil {
			b.Fatal(err)
		}
		if err := s.Finish(job, outs); err != nil {
			b.Fatal(err)
		}
		if err := s.BeginMove(moves); err != nil {
			b.Fatal(err)
		}
		if err := s.FinishMove(ids); err != nil {
			b.Fatal(err)
		}
		n += 5 * batch
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "transitions/s")
}

// The reasoning lives beside the record until the journal has it; a record
// written by an older classifyd (reasoning inside it) still reads whole.
func TestReasoningBesideRecord(t *testing.T) {
	s := open(t)
	res, err := s.Enqueue([]Stat{stat("/in/a.pdf", 10, "aa")})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].File.ID
	now := time.Now()
	if err := s.Submit(Job{ID: "j1", FileIDs: []uint64{id}, Submitted: now, NextPoll: now}, []string{"ra"}); err != nil {
		t.Fatal(err)
	}
	why := "invoice number, line items and a total amount due"
	if err := s.Finish("j1", []Outcome{{FileID: id, Kind: KindType, Type: "invoice", Confidence: 0.9, Reasoning: why}}); err != nil {
		t.Fatal(err)
	}
	raw := func() (rec string, reason []byte) {
		s.db.View(func(tx *bolt.Tx) error {
			rec = string(tx.Bucket(bFiles).Get(u64(id)))
			reason = append([]byte(nil), tx.Bucket(bReasons).Get(u64(id))...)
			return nil
		})
		return
	}
	if rec, reason := raw(); strings.Contains(rec, "line items") || string(reason) != why {
		t.Fatalf("record %s, reasons entry %q: want the reasoning beside the record", rec, reason)
	}
	if f, _ := s.Get(id); f.Reasoning != why {
		t.Fatalf("Get: reasoning %q, want %q", f.Reasoning, why)
	}
	if err := s.BeginMove([]Move{{FileID: id, Dest: "/out/invoice/a.pdf"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishMove([]uint64{id}); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Get(id); f.Reasoning != why || f.Status != Filed {
		t.Fatalf("filed, not journaled: %+v; want the reasoning kept", f)
	}
	if err := s.SetJournaled([]uint64{id}); err != nil {
		t.Fatal(err)
	}
	if _, reason := raw(); reason != nil {
		t.Fatalf("journaled: reasons entry %q left behind", reason)
	}
	if f, _ := s.Get(id); f.Reasoning != "" || !f.Journaled {
		t.Fatalf("journaled: %+v", f)
	}

}

// Unjournaled reads an index of what is missing from the journal (state
// files written before it existed: schema_test.go).
func TestUnjournaledIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for i, name := range []string{"a", "b", "c"} {
		res, err := s.Enqueue([]Stat{stat("/in/"+name+".pdf", int64(10+i), name+name)})
		if err != nil {
			t.Fatal(err)
		}
		id := res[0].File.ID
		ids = append(ids, id)
		now := time.Now()
		if err := s.Submit(Job{ID: "j" + name, FileIDs: []uint64{id}, Submitted: now, NextPoll: now}, []string{"r" + name}); err != nil {
			t.Fatal(err)
		}
		if err := s.Finish("j"+name, []Outcome{{FileID: id, Kind: KindType, Type: "invoice", Confidence: 0.9}}); err != nil {
			t.Fatal(err)
		}
		if err := s.BeginMove([]Move{{FileID: id, Dest: "/out/invoice/" + name + ".pdf"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishMove([]uint64{id}); err != nil {
			t.Fatal(err)
		}
	}
	unj := func(s *Store) []uint64 {
		t.Helper()
		fs, err := s.Unjournaled()
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, f := range fs {
			if f.Status != Filed || f.Journaled {
				t.Fatalf("unjournaled returned %+v", f)
			}
			out = append(out, f.ID)
		}
		return out
	}
	if got := unj(s); fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Fatalf("unjournaled %v, want all filed %v", got, ids)
	}
	if err := s.SetJournaled(ids[:1]); err != nil {
		t.Fatal(err)
	}
	if err := s.Forget(ids[2]); err != nil {
		t.Fatal(err)
	}
	if got := unj(s); fmt.Sprint(got) != fmt.Sprint(ids[1:2]) {
		t.Fatalf("after journaling %d and forgetting %d: unjournaled %v, want [%d]", ids[0], ids[2], got, ids[1])
	}

}

func TestRecentlyFiled(t *testing.T) {
	s := open(t)
	res, err := s.Enqueue([]Stat{stat("/in/a.txt", 1, "aa"), stat("/in/b.txt", 2, "bb"), stat("/in/c.txt", 3, "cc")})
	if err != nil {
		t.Fatal(err)
	}
	a, b := res[0].File.ID, res[1].File.ID
	before := time.Now()
	if err := s.Classify([]Outcome{{FileID: a, Kind: KindType, Type: "fruit"}, {FileID: b, Kind: KindFailed}}, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.BeginMove([]Move{{FileID: a, Dest: "/out/fruit/a.txt"}, {FileID: b, Dest: "/out/_failed/b.txt"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishMove([]uint64{a, b}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path  string
		since time.Time
		want  uint64
	}{
		{"/in/a.txt", before, a},
		{"/in/a.txt", time.Now().Add(time.Second), 0}, // filed before since
		{"/in/b.txt", before, 0},                      // failed, not filed
		{"/in/c.txt", before, 0},                      // still queued
		{"/in/d.txt", before, 0},
	} {
		f, ok, err := s.RecentlyFiled(tc.path, tc.since)
		if err != nil || ok != (tc.want != 0) || (ok && f.ID != tc.want) {
			t.Errorf("RecentlyFiled(%s, %v) = %d %v %v, want %d", tc.path, tc.since, f.ID, ok, err, tc.want)
		}
	}
	// Names that JSON escapes, or stores byte for byte, are found too (the
	// scan passes over records by their stored form).
	odd := []string{"/in/<b&c>\"q\".txt", "/in/caf\xe9.txt", "/in/tab\there\u2028.txt"}
	for i, p := range odd {
		r, err := s.Enqueue([]Stat{stat(p, int64(10+i), fmt.Sprintf("odd%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		id := r[0].File.ID
		if err := s.Classify([]Outcome{{FileID: id, Kind: KindType, Type: "fruit"}}, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.BeginMove([]Move{{FileID: id, Dest: fmt.Sprintf("/out/fruit/%d.txt", i)}}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishMove([]uint64{id}); err != nil {
			t.Fatal(err)
		}
		if f, ok, err := s.RecentlyFiled(p, before); err != nil || !ok || f.ID != id {
			t.Errorf("RecentlyFiled(%q) = %d %v %v, want %d", p, f.ID, ok, err, id)
		}
	}
	if _, ok, _ := s.RecentlyFiled("/in/caf\xe8.txt", before); ok {
		t.Errorf("RecentlyFiled found a record of another non-UTF-8 name")
	}
	fresh, _ := s.Enqueue([]Stat{stat("/in/a.txt", 4, "dd"), stat("/in/c.txt", 5, "ee")})
	if !fresh[0].Fresh || fresh[1].Fresh || !fresh[1].New {
		t.Errorf("Fresh: a new record %v, a new version of an active one %v", fresh[0].Fresh, fresh[1].Fresh)
	}
}

// TestRemoveOnlyFromTheStatusSeen: the loop that sees a file vanish removes
// its record only while the record is in the status that loop holds it in.
// Intake classifies a duplicate at once while the submit loop may still
// hold the file as queued; the submit loop must then not delete the record
// the mover files (the daemon stopped on "no such record").
func TestRemoveOnlyFromTheStatusSeen(t *testing.T) {
	s := open(t)
	res, err := s.Enqueue([]Stat{stat("/in/a.pdf", 1, "sum-a"), stat("/in/b.pdf", 2, "sum-b")})
	if err != nil {
		t.Fatal(err)
	}
	a, b := res[0].File.ID, res[1].File.ID
	if err := s.Classify([]Outcome{{FileID: a, Kind: KindDuplicate}}, 0); err != nil {
		t.Fatal(err)
	}
	// the submit loop saw a as queued: it has moved on, and stays
	if removed, err := s.Remove(a, Queued); err != nil || removed {
		t.Fatalf("remove of a record that moved on: removed %v, %v", removed, err)
	}
	if f, err := s.Get(a); err != nil || f.Status != Classified {
		t.Fatalf("record after a stale remove: %+v, %v", f, err)
	}
	// the mover saw it classified: removed, once
	if removed, err := s.Remove(a, Classified); err != nil || !removed {
		t.Fatalf("remove of a classified record: removed %v, %v", removed, err)
	}
	if removed, err := s.Remove(a, Classified); err != nil || removed {
		t.Fatalf("second remove of the same record: removed %v, %v", removed, err)
	}
	if _, err := s.Get(a); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed record still there: %v", err)
	}
	if f, err := s.Get(b); err != nil || f.Status != Queued {
		t.Fatalf("the other record: %+v, %v", f, err)
	}
}
