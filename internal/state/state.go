// Package state is classifyd's memory: a bbolt file that records every file
// the daemon has seen and every job it has submitted, so that a crash or a
// restart never loses, duplicates or re-submits a file.
//
// # The state machine
//
// Every file has exactly one record and one status. Each transition is one
// bbolt transaction (several files may make the same transition in one
// transaction).
//
//	            Enqueue                     Submit                 Classify
//	(inbox) ──────────────▶ queued ──────────────────▶ submitted ──────────────▶ classified
//	                          ▲  ▲                        │                         │ BeginMove
//	                          │  └── Requeue (job lost,   │                         ▼   (destination
//	                          │      ERROR, no result,    │                       moving   recorded first)
//	                          │      file changed) ◀──────┘                         │ FinishMove
//	                          │                                                     ▼
//	                          └──────────── Retry ◀────────── failed         filed | failed | duplicate
//
// A classified file that cannot be filed yet stays classified and waits
// (DeferMove); a move cut short goes back to classified (AbortMove).
//
// The allowed transitions are one table (machine.go), checked in one place:
// a call on a record in a status the transition does not leave from is a
// *StateError (ErrWrongState), except for records that moved on by a race
// the caller cannot rule out, which batch methods leave out, as the table
// says for each transition.
//
//   - queued: seen in the inbox, stable, hashed; waiting for a batch.
//   - submitted: part of a job the backend accepted (jobs/<id> holds the job).
//   - escalating: the embedded engine was unsure; the file waits for a
//     remote's answer within a budget (escalate.go), then is classified.
//   - classified: the backend answered; the record holds type, confidence,
//     reasoning and the folder kind (type, unmatched, review, failed, duplicate).
//   - moving: the destination path is recorded; the rename may or may not
//     have happened. Start-up repair (see Repair in the daemon) decides by
//     looking at the disk: source gone and destination present → done.
//   - filed, failed, duplicate: terminal; the file is in its folder. The
//     record stays for the journal, duplicate detection and status.
//
// A file's path is indexed only while its record is active (not terminal), so
// a new file dropped under the same name later gets a new record.
//
// # Schema (version 7; the versions and their migrations: schema.go)
//
//	meta/
//	  version            "7"                the schema version (versions 1 to 5 all said "1")
//	  corrections        JSON: the last corrections seen (Relocate), newest first
//	  learn:since        unix nanos: where the next learn scan starts looking (the daemon)
//	  learn:full         unix nanos: when the last full learn scan began (the daemon)
//	files/
//	  <id u64 BE>        JSON File, without its reasoning
//	reasons/
//	  <id u64 BE>        the reasoning of a record that has one (until journaled)
//	paths/
//	  <inbox path>       <id u64 BE>        active records only
//	status/
//	  <status>\x00<id u64 BE>   (empty)     one entry per record: FIFO per status
//	content/
//	  <key u64 BE><id u64 BE>   (empty)     filed records by content: the key is FNV-64a of
//	                                        the hex SHA-256 (see hashindex.go)
//	dests/
//	  <output path>      <id u64 BE>        where each terminal record's file is (put, or
//	                                        moved to by a person: Relocate)
//	unjournaled/
//	  <id u64 BE>        (empty)            terminal records whose journal line may be missing
//	counts/
//	  <status>           <n u64 BE>         records in each status (kept with status/)
//	jobs/
//	  <job id>           JSON Job
//	due/
//	  <unix nanos u64 BE><job id>  (empty)  when each job is next polled; a cursor Seek finds what is due
//	escalations/
//	  <YYYY-MM-DD>       JSON EscalationDay (escalate.go)
//	outbox/
//	  <seq u64 BE>       JSON Action        actions after filing (outbox.go)
//	learned/
//	  <path>             mark               an example file the learn scans learned from, so a
//	                                        restart does not count it twice; dropped once the
//	                                        file has left the path (learned.go; up to version 5
//	                                        these were meta learned:<path> keys, never dropped)
//
// The record's indexes (reasons, unjournaled, status with counts, paths,
// dests, content) are one list (index.go), kept by every write of a record.
// Nothing is read in proportion to the files ever filed except by a
// migration: counts are kept, and every lookup is a key or a prefix. Every
// loop over a bucket goes through one helper (scan.go), which counts what it
// reads. The process keeps no index in memory: the pages of the file it reads
// are mapped clean pages, which the kernel takes back when it needs them.
//
// The package owns the bbolt file and nothing else: it never touches the
// inbox, the output or the network.
package state

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Status is the status of a file record.
type Status string

const (
	Queued     Status = "queued"
	Submitted  Status = "submitted"
	Classified Status = "classified"
	Moving     Status = "moving"
	Filed      Status = "filed"
	Failed     Status = "failed"
	Duplicate  Status = "duplicate"
)

// AllStatuses lists the statuses in the order of the machine.
var AllStatuses = []Status{Queued, Submitted, Escalating, Classified, Moving, Filed, Failed, Duplicate}

// Terminal reports whether the file has reached its folder.
func (s Status) Terminal() bool { return s == Filed || s == Failed || s == Duplicate }

// Kind is the kind of folder a classified file goes to.
type Kind string

const (
	KindType      Kind = "type"
	KindUnmatched Kind = "unmatched"
	KindReview    Kind = "review"
	KindFailed    Kind = "failed"
	KindDuplicate Kind = "duplicate"
)

// File is the record of one file.
type File struct {
	ID      uint64    `json:"id"`
	Path    string    `json:"path"` // absolute path in the inbox
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	SHA256  string    `json:"sha256"`
	Status  Status    `json:"status"`

	JobID    string `json:"job_id,omitempty"`    // job of the last submission
	RemoteID string `json:"remote_id,omitempty"` // the backend's file id (while submitted)
	Attempts int    `json:"attempts,omitempty"`  // submissions that did not give a result
	// TxID is the transaction_id of a Classify v2 create, recorded before the
	// create is sent, so that a create sent again after a crash names the same
	// job instead of paying for a second one.
	TxID string `json:"tx_id,omitempty"`

	Kind        Kind    `json:"kind,omitempty"`
	Type        string  `json:"type,omitempty"`
	Confidence  float64 `json:"confidence,omitempty"`
	Reasoning   string  `json:"reasoning,omitempty"`
	Reason      string  `json:"reason,omitempty"` // why failed, or why unmatched when the answer was refused
	DuplicateOf uint64  `json:"duplicate_of,omitempty"`

	Dest      string    `json:"dest,omitempty"` // absolute destination (moving and terminal)
	Journaled bool      `json:"journaled,omitempty"`
	MoveTries int       `json:"move_tries,omitempty"`
	NotBefore time.Time `json:"not_before,omitzero"` // classified: retry the move after this
	// Esc is the escalation of a file the engine was unsure of (escalate.go).
	Esc *Escalation `json:"esc,omitempty"`

	// Corrected is when a person was seen to have moved the filed file (to
	// Dest, now); FiledAs is the type or folder kind it was filed as then
	// (relocate.go).
	Corrected time.Time `json:"corrected,omitzero"`
	FiledAs   string    `json:"filed_as,omitempty"`

	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Errors.
var (
	ErrLocked   = errors.New("state file is in use by another classifyd process")
	ErrNotFound = errors.New("no such record")
	// ErrDamaged: the file is shorter than its header says, or a page holds
	// garbage. The error's text says what to do.
	ErrDamaged = errors.New("state file truncated or damaged")
)

// damagedAdvice is what an operator does about a damaged state file.
const damagedAdvice = "stop classifyd, move the file aside and start again with a new one: files already filed stay where they are, " +
	"the journal in the output keeps their history (see \"A damaged state file\" in the README)"

// damaged turns a panic of bbolt reading a damaged page (or a fault on
// memory it maps) into ErrDamaged. Deferred by every transaction; the
// transaction itself is rolled back by bbolt's own deferred rollback.
// Use as: defer damaged(&err, debug.SetPanicOnFault(true)).
func damaged(err *error, oldFault bool) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w (%v): %s", ErrDamaged, r, damagedAdvice)
	}
	debug.SetPanicOnFault(oldFault)
}

// openBolt is bolt.Open, with a panic over a damaged file (its free list
// read past the end of a truncated file) turned into ErrDamaged.
func openBolt(path string, o *bolt.Options) (db *bolt.DB, err error) {
	defer damaged(&err, debug.SetPanicOnFault(true))
	return bolt.Open(path, 0o600, o)
}

// checkLength refuses a file shorter than its header says (a truncated copy,
// a restore cut short): bbolt would read past the end of its mapping.
func checkLength(db *bolt.DB, path string) (err error) {
	defer damaged(&err, debug.SetPanicOnFault(true))
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return db.View(func(tx *bolt.Tx) error {
		if want := tx.Size(); want > fi.Size() {
			return fmt.Errorf("%w: %s is %d bytes, its header says %d: %s", ErrDamaged, path, fi.Size(), want, damagedAdvice)
		}
		return nil
	})
}

var (
	bMeta    = []byte("meta")
	bFiles   = []byte("files")
	bPaths   = []byte("paths")
	bStatus  = []byte("status")
	bHashes  = []byte("hashes")
	bJobs    = []byte("jobs")
	bDue     = []byte("due")
	bDests   = []byte("dests")
	bReasons = []byte("reasons")
	bUnjourn = []byte("unjournaled")
	bHashLog = []byte("hashlog")
	bCounts  = []byte("counts")
)

// Fill percents of the pages of append-mostly buckets. Records are appended
// (ids only grow) at about 300 bytes and grow to about 500 as they move
// through the machine: half-full pages end most of the way full, where fuller
// ones would split again as their records grow and end half empty (measured:
// 0.9 left the files bucket 49 % full after 100,000 files, 0.6 left it 84 %).
// Status keys never grow, and each status's keys are appended in id order.
const (
	filesFill  = 0.6
	statusFill = 0.9
)

// Store is the bbolt state file. Safe for concurrent use.
type Store struct {
	db    *bolt.DB
	path  string // the state file (db reads a migrated copy of it, copy, in a read-only open of an older file)
	copy  string
	ident os.FileInfo // the file as opened, to notice it deleted or replaced
	now   func() time.Time
	scans atomic.Int64 // keys read by scans (scan.go)
}

// Options configure Open.
type Options struct {
	// Timeout is how long to wait for another process's lock (default 1s).
	Timeout time.Duration
	// ReadOnly opens without the write lock (for status while the daemon runs:
	// it still waits for the daemon's lock, so prefer the admin endpoint).
	ReadOnly bool
	// NoSync skips fsync (tests and benchmarks only).
	NoSync bool
}

// Open opens or creates the state file.
func Open(path string, opts Options) (*Store, error) {
	if opts.Timeout == 0 {
		opts.Timeout = time.Second
	}
	// The free list is written with each commit (NoFreelistSync off): without
	// it bbolt rebuilds the list at open by reading every page of the file,
	// which maps the whole state into the process at each start. The array
	// free list hands out the lowest free pages first, so the pages a
	// transaction writes land among those written just before (already
	// mapped), not anywhere in the file: over 100,000 files the mapping grew
	// half as fast as with the hash-map list, and it keeps no per-span maps.
	db, err := openBolt(path, &bolt.Options{Timeout: opts.Timeout, ReadOnly: opts.ReadOnly, NoSync: opts.NoSync, FreelistType: bolt.FreelistArrayType})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
		}
		if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrChecksum) || errors.Is(err, bolterrors.ErrVersionMismatch) {
			return nil, fmt.Errorf("open state %s: %w (%w): %s", path, ErrDamaged, err, damagedAdvice)
		}
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	if err := checkLength(db, path); err != nil {
		db.Close()
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	s := &Store{db: db, path: path, now: time.Now}
	s.ident, _ = os.Stat(path)
	if opts.ReadOnly {
		var v int
		err := s.view(func(tx *bolt.Tx) (err error) { v, err = fileVersion(tx); return err })
		switch {
		case err != nil:
			db.Close()
			return nil, fmt.Errorf("open state %s: %w", path, err)
		case v == schemaVersion:
			return s, nil
		}
		db.Close()
		return openMigratedCopy(path, opts)
	}
	if err := s.update(s.migrate); err != nil {
		db.Close()
		return nil, fmt.Errorf("init state %s: %w", path, err)
	}
	return s, nil
}

// Close closes the file.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.copy != "" {
		os.Remove(s.copy)
	}
	return err
}

// ErrGone: the state file's path no longer leads to the file the store has
// open (deleted, or replaced by another file): what is written now is lost
// at the next start.
var ErrGone = errors.New("state file deleted or replaced while open")

// Check reports whether the path still leads to the open file.
func (s *Store) Check() error {
	if s.ident == nil {
		return nil
	}
	fi, err := os.Stat(s.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: %s no longer exists; stop classifyd and restore it from a backup, or restart to begin a new one (the history is lost, the filed files stay)", ErrGone, s.path)
	case err != nil:
		return fmt.Errorf("state file %s: %w", s.path, err)
	case !os.SameFile(fi, s.ident):
		return fmt.Errorf("%w: %s is another file now; restart classifyd to use it (what was recorded since it was replaced is lost)", ErrGone, s.path)
	}
	return nil
}

// update runs fn in a write transaction.
func (s *Store) update(fn func(tx *bolt.Tx) error) (err error) {
	defer damaged(&err, debug.SetPanicOnFault(true))
	return s.db.Update(fn)
}

// view runs fn in a read transaction.
func (s *Store) view(fn func(tx *bolt.Tx) error) (err error) {
	defer damaged(&err, debug.SetPanicOnFault(true))
	return s.db.View(fn)
}

// Path is the file's path.
func (s *Store) Path() string { return s.path }

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func statusKey(st Status, id uint64) []byte {
	k := make([]byte, 0, len(st)+9)
	k = append(k, st...)
	k = append(k, 0)
	return append(k, u64(id)...)
}

func getFile(tx *bolt.Tx, id uint64) (File, error) {
	v := tx.Bucket(bFiles).Get(u64(id))
	if v == nil {
		return File{}, fmt.Errorf("file %d: %w", id, ErrNotFound)
	}
	var f File
	if err := json.Unmarshal(v, &f); err != nil {
		return File{}, fmt.Errorf("decode file %d: %w", id, err)
	}
	if f.Reasoning == "" {
		f.Reasoning = string(tx.Bucket(bReasons).Get(u64(id)))
	}
	return f, nil
}

// Get returns the record id.
func (s *Store) Get(id uint64) (File, error) {
	var f File
	err := s.view(func(tx *bolt.Tx) (err error) {
		f, err = getFile(tx, id)
		return err
	})
	return f, err
}

// ByPath returns the active record of an inbox path.
func (s *Store) ByPath(path string) (File, bool, error) {
	var f File
	var ok bool
	err := s.view(func(tx *bolt.Tx) (err error) {
		v := tx.Bucket(bPaths).Get([]byte(path))
		if v == nil {
			return nil
		}
		ok = true
		f, err = getFile(tx, binary.BigEndian.Uint64(v))
		return err
	})
	return f, ok, err
}

// Each calls fn for the records in a status, oldest first, up to limit (0 = all).
// fn must not call the store.
func (s *Store) Each(st Status, limit int, fn func(File) error) error {
	return s.view(func(tx *bolt.Tx) error {
		prefix := append([]byte(st), 0)
		n := 0
		return s.scan(tx, bStatus, prefix, false, func(k, _ []byte) (bool, error) {
			f, err := getFile(tx, binary.BigEndian.Uint64(k[len(prefix):]))
			if err != nil {
				return false, err
			}
			if err := fn(f); err != nil {
				return false, err
			}
			n++
			return limit <= 0 || n < limit, nil
		})
	})
}

// List returns up to limit records in a status, oldest first.
func (s *Store) List(st Status, limit int) ([]File, error) {
	var out []File
	err := s.Each(st, limit, func(f File) error { out = append(out, f); return nil })
	return out, err
}

// Counts returns the number of records in each status.
func (s *Store) Counts() (map[Status]int, error) {
	var out map[Status]int
	err := s.view(func(tx *bolt.Tx) error {
		out = s.readCounts(tx)
		return nil
	})
	return out, err
}

// Active is the number of records not yet in a terminal status, counted up
// to limit (limit <= 0: all of them). It reads only those statuses' index
// entries, so it costs what is in flight, not what has been filed; a limit
// makes "is anything left?" cost one key however long the queue.
func (s *Store) Active(limit int) (int, error) {
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		for _, st := range active() {
			err := s.scan(tx, bStatus, append([]byte(st), 0), false, func(_, _ []byte) (bool, error) {
				n++
				return limit <= 0 || n < limit, nil
			})
			if err != nil || (limit > 0 && n >= limit) {
				return err
			}
		}
		return nil
	})
	return n, err
}

// ByHash returns the filed record with this content, if any.
func (s *Store) ByHash(sum string) (File, bool, error) {
	var f File
	var ok bool
	err := s.view(func(tx *bolt.Tx) (err error) {
		f, ok, err = s.lookupHash(tx, sum)
		return err
	})
	return f, ok, err
}

// Sync forces the file to disk (used after NoSync batches).
func (s *Store) Sync() error { return s.db.Sync() }

// ByDest returns the terminal record whose file was put at path, if any.
func (s *Store) ByDest(path string) (File, bool, error) {
	var f File
	var ok bool
	err := s.view(func(tx *bolt.Tx) (err error) {
		v := tx.Bucket(bDests).Get([]byte(path))
		if v == nil {
			return nil
		}
		ok = true
		f, err = getFile(tx, binary.BigEndian.Uint64(v))
		return err
	})
	return f, ok, err
}

// Meta reads a value of the meta bucket (nil if unset).
func (s *Store) Meta(key string) ([]byte, error) {
	var out []byte
	err := s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get([]byte(key)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// SetMeta writes a value of the meta bucket.
func (s *Store) SetMeta(key string, value []byte) error {
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put([]byte(key), value) })
}
