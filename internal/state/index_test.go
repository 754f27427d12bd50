package state

import (
	"errors"
	"fmt"
	"math/rand"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// fileAll takes queued records through to filed (type invoice).
func fileAll(t *testing.T, s *Store, job string, ids []uint64) {
	t.Helper()
	now := time.Now()
	remote := make([]string, len(ids))
	if err := s.Submit(Job{ID: job, FileIDs: ids, Submitted: now, NextPoll: now}, remote); err != nil {
		t.Fatal(err)
	}
	var outs []Outcome
	var moves []Move
	for _, id := range ids {
		outs = append(outs, Outcome{FileID: id, Kind: KindType, Type: "invoice", Confidence: 0.9})
		moves = append(moves, Move{FileID: id, Dest: fmt.Sprintf("/out/invoice/%d.pdf", id)})
	}
	if err := s.Finish(job, outs); err != nil {
		t.Fatal(err)
	}
	if err := s.BeginMove(moves); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishMove(ids); err != nil {
		t.Fatal(err)
	}
}

// scanCounts counts the status index itself.
func scanCounts(t *testing.T, s *Store) map[Status]int {
	t.Helper()
	out := map[Status]int{}
	for _, st := range AllStatuses {
		l, err := s.List(st, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(l) > 0 {
			out[st] = len(l)
		}
	}
	return out
}

func sameCounts(a, b map[Status]int) bool {
	for _, st := range AllStatuses {
		if a[st] != b[st] {
			return false
		}
	}
	return true
}

func TestDuplicateIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Enqueue([]Stat{stat("/in/a.pdf", 1, "sum-a"), stat("/in/b.pdf", 2, "sum-b")})
	if err != nil {
		t.Fatal(err)
	}
	a, b := res[0].File.ID, res[1].File.ID
	// Not filed yet: no duplicate of a queued record.
	dup, _ := s.Enqueue([]Stat{stat("/in/a2.pdf", 1, "sum-a")})
	if dup[0].DuplicateOf != nil {
		t.Fatalf("a queued record counted as filed content: %+v", dup[0].DuplicateOf)
	}
	if removed, err := s.Remove(dup[0].File.ID, Queued); err != nil || !removed {
		t.Fatalf("remove a vanished queued record: removed %v, %v", removed, err)
	}
	fileAll(t, s, "j1", []uint64{a, b})
	dup, _ = s.Enqueue([]Stat{stat("/in/a3.pdf", 1, "sum-a"), stat("/in/c.pdf", 3, "sum-c")})
	if dup[0].DuplicateOf == nil || dup[0].DuplicateOf.ID != a {
		t.Fatalf("same content as a filed file: duplicate of %+v, want record %d", dup[0].DuplicateOf, a)
	}
	if dup[1].DuplicateOf != nil {
		t.Fatalf("new content taken for a duplicate of %d", dup[1].DuplicateOf.ID)
	}
	// The index is rebuilt from the state file after a restart.
	s.Close()
	if s, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if f, ok, err := s.ByHash("sum-b"); err != nil || !ok || f.ID != b {
		t.Fatalf("after reopen: ByHash(sum-b) = %d %v %v, want record %d", f.ID, ok, err, b)
	}
	// A forgotten record (undo, retry) is no longer the original.
	if err := s.Forget(b); err != nil {
		t.Fatal(err)
	}
	if f, ok, _ := s.ByHash("sum-b"); ok {
		t.Fatalf("forgotten record %d still found by content", f.ID)
	}
	// The first filed record with a content stays the original.
	res, _ = s.Enqueue([]Stat{stat("/in/a4.pdf", 1, "sum-a")})
	fileAll(t, s, "j2", []uint64{res[0].File.ID})
	if f, _, _ := s.ByHash("sum-a"); f.ID != a {
		t.Fatalf("ByHash(sum-a) = %d, want the first filed record %d", f.ID, a)
	}
}

// A hash key shared by two contents never makes one a duplicate of the
// other, and both stay found.
func TestDuplicateIndexKeyClash(t *testing.T) {
	s := open(t)
	res, _ := s.Enqueue([]Stat{stat("/in/a.pdf", 1, "sum-a")})
	a := res[0].File.ID
	fileAll(t, s, "j1", []uint64{a})
	// Put a's record under the key of another content, as a clash would.
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bContent).Put(contentKey(hashKey("sum-z"), a), []byte{})
	})
	if err != nil {
		t.Fatal(err)
	}
	if f, ok, _ := s.ByHash("sum-z"); ok {
		t.Fatalf("content sum-z found as record %d (whose content is %s)", f.ID, f.SHA256)
	}
	got, _ := s.Enqueue([]Stat{stat("/in/z.pdf", 9, "sum-z")})
	if got[0].DuplicateOf != nil {
		t.Fatal("a clashing key made a duplicate")
	}
	z := got[0].File.ID
	fileAll(t, s, "j2", []uint64{z})
	if f, ok, _ := s.ByHash("sum-z"); !ok || f.ID != z {
		t.Fatalf("ByHash(sum-z) = %d %v, want record %d", f.ID, ok, z)
	}
	if f, ok, _ := s.ByHash("sum-a"); !ok || f.ID != a {
		t.Fatalf("ByHash(sum-a) = %d %v, want record %d", f.ID, ok, a)
	}
}

// A forget whose transaction does not commit leaves the record found by its
// content; one that commits does not.
func TestUnindexFollowsCommit(t *testing.T) {
	s := open(t)
	res, _ := s.Enqueue([]Stat{stat("/in/a.pdf", 1, "sum-a")})
	a := res[0].File.ID
	fileAll(t, s, "j1", []uint64{a})
	f, ok, err := s.ByHash("sum-a")
	if err != nil || !ok {
		t.Fatalf("ByHash(sum-a) = %v %v before the forget", ok, err)
	}
	errAbort := errors.New("abort")
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := s.putFile(tx, &f, nil); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("update: %v", err)
	}
	if got, ok, _ := s.ByHash("sum-a"); !ok || got.ID != a {
		t.Fatalf("after a rolled-back forget: ByHash(sum-a) = %d %v, want record %d", got.ID, ok, a)
	}
	if err := s.Forget(a); err != nil {
		t.Fatal(err)
	}
	if got, ok, _ := s.ByHash("sum-a"); ok {
		t.Fatalf("after the forget: ByHash(sum-a) = %d", got.ID)
	}
}

// The status counts follow every kind of transition.
func TestCountsFollowTransitions(t *testing.T) {
	s := open(t)
	rng := rand.New(rand.NewSource(7))
	var queued []uint64
	for i := range 300 {
		sum := fmt.Sprintf("sum-%d", rng.Intn(200)) // some contents twice
		res, err := s.Enqueue([]Stat{stat(fmt.Sprintf("/in/%d.pdf", i), int64(i), sum)})
		if err != nil {
			t.Fatal(err)
		}
		queued = append(queued, res[0].File.ID)
		if len(queued) < 10 {
			continue
		}
		switch rng.Intn(5) {
		case 0: // filed
			fileAll(t, s, fmt.Sprintf("j%d", i), queued)
		case 1: // submitted, then lost and re-queued
			now := time.Now()
			job := fmt.Sprintf("j%d", i)
			if err := s.Submit(Job{ID: job, FileIDs: queued, Submitted: now, NextPoll: now}, make([]string, len(queued))); err != nil {
				t.Fatal(err)
			}
			if err := s.Requeue(queued[:5], "lost", true); err != nil {
				t.Fatal(err)
			}
		case 2: // vanished from the inbox
			for _, id := range queued[:3] {
				if removed, err := s.Remove(id, Queued); err != nil || !removed {
					t.Fatalf("remove a vanished queued record: removed %v, %v", removed, err)
				}
			}
		case 3: // filed, then undone
			fileAll(t, s, fmt.Sprintf("j%d", i), queued)
			if err := s.Forget(queued[0]); err != nil {
				t.Fatal(err)
			}
		}
		queued = nil
		if c, want := mustCounts(t, s), scanCounts(t, s); !sameCounts(c, want) {
			t.Fatalf("after step %d: counts %v, index %v", i, c, want)
		}
	}
	if c := mustCounts(t, s); c[Filed] == 0 || c[Queued] == 0 {
		t.Fatalf("the walk did not reach both queued and filed: %v", c)
	}
}

func mustCounts(t *testing.T, s *Store) map[Status]int {
	t.Helper()
	c, err := s.Counts()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
