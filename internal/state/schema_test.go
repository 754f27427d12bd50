package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The state files of the older schema versions are kept under testdata/ as
// small real bbolt files, made once by the layouts below:
//
//	go test ./internal/state -run TestOlderVersionsMigrate -update-fixtures
//
// and then committed: a change to the code never changes them, so the test
// keeps opening what older classifyd versions wrote.
var updateFixtures = flag.Bool("update-fixtures", false, "write testdata/state-v<N>.db from the layouts in schema_test.go")

func fixturePath(v int) string { return filepath.Join("testdata", fmt.Sprintf("state-v%d.db", v)) }

// The records of every fixture.
var fixtureRecords = []File{
	{ID: 1, Path: "/in/a.pdf", SHA256: "sum-a", Status: Filed, Kind: KindType, Type: "invoice", Confidence: 0.9, Dest: "/out/invoice/a.pdf", Journaled: true},
	{ID: 2, Path: "/in/b.pdf", SHA256: "sum-b", Status: Filed, Kind: KindType, Type: "invoice", Confidence: 0.8, Dest: "/out/invoice/b.pdf", Reasoning: "b names an amount due"},
	{ID: 3, Path: "/in/c.pdf", SHA256: "sum-c", Status: Queued},
	{ID: 4, Path: "/in/d.pdf", SHA256: "sum-d", Status: Failed, Kind: KindFailed, Reason: "unreadable", Dest: "/out/_failed/d.pdf", Journaled: true},
	{ID: 5, Path: "/in/e.pdf", SHA256: "sum-e", Status: Submitted, JobID: "j1", RemoteID: "r5"},
}

const (
	fixtureLearnedPath = "/out/invoice/example.pdf"
	fixtureLearnedMark = "invoice|3|1700000000000000000"
)

// writeLegacy writes the layout of schema version v (1 to 5, all of which
// said "1" in meta/version, or 6) holding fixtureRecords.
func writeLegacy(path string, v int) error {
	os.Remove(path)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Update(func(tx *bolt.Tx) error {
		mk := func(name []byte) *bolt.Bucket {
			b, e := tx.CreateBucket(name)
			if e != nil && err == nil {
				err = e
			}
			return b
		}
		meta, files, paths, status, jobs, due := mk(bMeta), mk(bFiles), mk(bPaths), mk(bStatus), mk(bJobs), mk(bDue)
		var hashes, dests, reasons, unjourn, counts, hashlog *bolt.Bucket
		if v < 5 {
			hashes = mk(bHashes)
		} else {
			counts, hashlog = mk(bCounts), mk(bHashLog)
		}
		if v >= 2 {
			dests = mk(bDests)
		}
		if v >= 3 {
			reasons = mk(bReasons)
		}
		if v >= 4 {
			unjourn = mk(bUnjourn)
		}
		var learned *bolt.Bucket
		if v >= 6 {
			mk(bEscalations)
			mk(bOutbox)
			learned = mk(bLearned)
		}
		if err != nil {
			return err
		}
		put := func(b *bolt.Bucket, k, val []byte) {
			if e := b.Put(k, val); e != nil && err == nil {
				err = e
			}
		}
		switch {
		case v >= 6:
			put(meta, metaVersion, []byte(strconv.Itoa(v)))
			put(learned, []byte(fixtureLearnedPath), []byte(fixtureLearnedMark))
		case v >= 2:
			put(meta, metaVersion, []byte("1"))
			put(meta, []byte("learned:"+fixtureLearnedPath), []byte(fixtureLearnedMark))
		default:
			put(meta, metaVersion, []byte("1"))
		}
		n := map[Status]int{}
		for _, f := range fixtureRecords {
			f.Created = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			f.Updated = f.Created
			if v >= 3 && f.Reasoning != "" {
				put(reasons, u64(f.ID), []byte(f.Reasoning))
				f.Reasoning = ""
			}
			rec, e := json.Marshal(f)
			if e != nil {
				return e
			}
			put(files, u64(f.ID), rec)
			put(status, statusKey(f.Status, f.ID), []byte{})
			n[f.Status]++
			if !f.Status.Terminal() {
				put(paths, []byte(f.Path), u64(f.ID))
				continue
			}
			if dests != nil {
				put(dests, []byte(f.Dest), u64(f.ID))
			}
			if unjourn != nil && !f.Journaled {
				put(unjourn, u64(f.ID), []byte{})
			}
			if f.Status == Filed {
				if hashes != nil {
					put(hashes, []byte(f.SHA256), u64(f.ID))
				} else {
					put(hashlog, u64(f.ID), u64(hashKey(f.SHA256)))
				}
			}
		}
		if counts != nil {
			for st, c := range n {
				put(counts, []byte(st), u64(uint64(c)))
			}
		}
		next := time.Date(2026, 11, 1, 0, 1, 0, 0, time.UTC)
		job, _ := json.Marshal(Job{ID: "j1", FileIDs: []uint64{5}, Submitted: next, NextPoll: next})
		put(jobs, []byte("j1"), job)
		put(due, dueKey(next, "j1"), []byte{})
		if err != nil {
			return err
		}
		return files.SetSequence(uint64(len(fixtureRecords)))
	})
}

func TestOlderVersionsMigrate(t *testing.T) {
	for v := 1; v < schemaVersion; v++ {
		t.Run("v"+strconv.Itoa(v), func(t *testing.T) {
			if *updateFixtures {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := writeLegacy(fixturePath(v), v); err != nil {
					t.Fatal(err)
				}
			}
			orig, err := os.ReadFile(fixturePath(v))
			if err != nil {
				t.Fatalf("%v (make the fixtures with -update-fixtures)", err)
			}
			path := filepath.Join(t.TempDir(), "state.db")
			if err := os.WriteFile(path, orig, 0o600); err != nil {
				t.Fatal(err)
			}

			// A look (status) reads a migrated copy and leaves the file as it was.
			ro, err := Open(path, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			checkFixture(t, ro, v)
			if ro.Path() != path {
				t.Errorf("read-only store names %s, want %s", ro.Path(), path)
			}
			ro.Close()
			if now, _ := os.ReadFile(path); !bytes.Equal(now, orig) {
				t.Error("a read-only open changed the file")
			}

			s, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			checkFixture(t, s, v)
			s.db.View(func(tx *bolt.Tx) error {
				if got := string(tx.Bucket(bMeta).Get(metaVersion)); got != strconv.Itoa(schemaVersion) {
					t.Errorf("meta/version %q after the migration, want %d", got, schemaVersion)
				}
				for _, old := range [][]byte{bHashes, bHashLog} {
					if tx.Bucket(old) != nil {
						t.Errorf("%s/ is still there", old)
					}
				}
				if v := tx.Bucket(bMeta).Get([]byte("learned:" + fixtureLearnedPath)); v != nil {
					t.Error("the meta learned: mark is still there")
				}
				if bytes.Contains(tx.Bucket(bFiles).Get(u64(2)), []byte("amount due")) {
					t.Error("record 2 still carries its reasoning inside")
				}
				for _, b := range allBuckets {
					if tx.Bucket(b) == nil {
						t.Errorf("no bucket %s", b)
					}
				}
				return nil
			})
			// The migrated file works: a new record, a filed one forgotten.
			res, err := s.Enqueue([]Stat{stat("/in/new.pdf", 1, "sum-a")})
			if err != nil || res[0].File.ID != 6 || res[0].DuplicateOf == nil || res[0].DuplicateOf.ID != 1 {
				t.Fatalf("enqueue after migration: %+v %v", res, err)
			}
			if err := s.Forget(2); err != nil {
				t.Fatal(err)
			}
			if c := mustCounts(t, s); !sameCounts(c, scanCounts(t, s)) {
				t.Errorf("counts %v, index %v", c, scanCounts(t, s))
			}
		})
	}
}

// checkFixture checks what every fixture holds, through the store's API.
func checkFixture(t *testing.T, s *Store, v int) {
	t.Helper()
	want := map[Status]int{Filed: 2, Queued: 1, Failed: 1, Submitted: 1}
	if c := mustCounts(t, s); !sameCounts(c, want) {
		t.Errorf("counts %v, want %v", c, want)
	}
	if f, err := s.Get(2); err != nil || f.Reasoning != "b names an amount due" || f.Path != "/in/b.pdf" {
		t.Errorf("record 2: %+v %v", f, err)
	}
	if u, err := s.Unjournaled(); err != nil || len(u) != 1 || u[0].ID != 2 {
		t.Errorf("unjournaled %v %v, want record 2", u, err)
	}
	for _, c := range []struct {
		dest string
		id   uint64
	}{{"/out/invoice/a.pdf", 1}, {"/out/invoice/b.pdf", 2}, {"/out/_failed/d.pdf", 4}} {
		if f, ok, err := s.ByDest(c.dest); err != nil || !ok || f.ID != c.id {
			t.Errorf("ByDest(%s) = %d %v %v, want %d", c.dest, f.ID, ok, err, c.id)
		}
	}
	if f, ok, err := s.ByHash("sum-b"); err != nil || !ok || f.ID != 2 {
		t.Errorf("ByHash(sum-b) = %d %v %v", f.ID, ok, err)
	}
	if _, ok, _ := s.ByHash("sum-c"); ok {
		t.Error("ByHash finds a queued record")
	}
	if f, ok, err := s.ByPath("/in/c.pdf"); err != nil || !ok || f.ID != 3 {
		t.Errorf("ByPath(/in/c.pdf) = %d %v %v", f.ID, ok, err)
	}
	if jobs, _, err := s.DueJobs(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 10); err != nil || len(jobs) != 1 || jobs[0].ID != "j1" {
		t.Errorf("due jobs %v %v", jobs, err)
	}
	if m, err := s.Learned(fixtureLearnedPath); err != nil || (v >= 2) != (string(m) == fixtureLearnedMark) {
		t.Errorf("learned mark %q %v", m, err)
	}
	if d, err := s.EscalationsOn("2026-11-01"); err != nil || d.Files != 0 {
		t.Errorf("escalations %v %v", d, err)
	}
	if p, f, _, err := s.ActionStats(5); err != nil || p+f != 0 {
		t.Errorf("outbox %d %d %v", p, f, err)
	}
}

// A file of a newer schema is refused, with an error that says so.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.SetMeta(string(metaVersion), []byte(strconv.Itoa(schemaVersion+1)))
	s.Close()
	if _, err := Open(path, Options{}); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("open: %v, want ErrNewerSchema", err)
	}
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("read-only open: %v, want ErrNewerSchema", err)
	}
}

// Marks of files that left their path are pruned; the others stay.
func TestPruneLearned(t *testing.T) {
	s := open(t)
	for _, p := range []string{"/out/a", "/out/b", "/out/c"} {
		if err := s.SetLearned(p, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneLearned(func(p string) bool { return p != "/out/b" })
	if err != nil || n != 1 {
		t.Fatalf("pruned %d %v, want 1", n, err)
	}
	for p, want := range map[string]bool{"/out/a": true, "/out/b": false, "/out/c": true} {
		if m, _ := s.Learned(p); (m != nil) != want {
			t.Errorf("%s: mark %q, want kept=%v", p, m, want)
		}
	}
}
