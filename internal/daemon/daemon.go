// Package daemon is the classifyd daemon: inbox files become state records,
// records become batches and jobs, jobs become results, results become moves.
//
//	watch/walk ─▶ intake (hash, Enqueue) ─▶ submitter (batch, upload, CreateJob)
//	                                              │
//	          mover (BeginMove, rename, FinishMove, journal) ◀─ poller (GetJob, Results, Finish)
//
// Each stage is one goroutine that owns its loop; the state store is the queue
// between stages, and a stage wakes the next with a non-blocking kick. Every
// hand-over is a state transition, so a crash at any point leaves records from
// which Repair and the stages resume.
//
// A Daemon is built in a straight line: New, then Run until it returns (the
// journal is closed when Run returns). Whatever reaches a running loop from
// outside (a backend's finished jobs) comes through a channel that loop
// selects on.
//
// The package owns the daemon's goroutines; it reaches the disk only
// through the state store, the sorter and the backend.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/backoff"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
	"github.com/classifyd/classifyd/internal/watch"
	"golang.org/x/sync/errgroup"
)

// Learner learns from files a person filed or corrected (the local engine).
type Learner interface {
	// Learn adds the file at path as an example of typ.
	Learn(ctx context.Context, typ, path string) error
	// Correct records that the file at path, classified as from, is a to:
	// a correction outranks everything else the learner knows.
	Correct(ctx context.Context, from, to, path string) error
}

// Options configure a Daemon.
type Options struct {
	Config  *config.Config
	Backend api.Backend
	// V2, if set, submits each file as its own Classify v2 job (uploads
	// still go through Backend); nil submits one v1 job per batch.
	V2     api.V2Backend
	Store  *state.Store
	Logger *slog.Logger

	// Once processes what is in the inbox at start (and Paths), then returns.
	Once bool
	// Paths are extra files or folders to process (once mode).
	Paths []string
	// DryRun classifies and reports destinations but moves nothing.
	DryRun bool
	// Report is called for every file that reaches its folder (or would, in a
	// dry run). Called from the mover goroutine.
	Report func(sorter.Entry)
	// Ready is called once the state is repaired, the backlog scan started
	// and the watcher runs.
	Ready func()
	// Counters, if set, is updated as files are seen and filed (progress bars).
	Counters *Counters
	// JobsDone, if set, is where the backend announces the ids of jobs that
	// reached a terminal state (the embedded engine: local.Options.OnJobDone
	// sends to it), so that their results are fetched at once. A job is
	// then also polled as soon as it is submitted, since its announcement
	// may have come before the submission was recorded. An announcement
	// that is lost (a full channel) only delays the job to its next poll.
	JobsDone <-chan string
	// Learner, if set, learns from corrections (a file moved by a person from
	// one type folder to another).
	Learner Learner

	// Timing knobs, shrunk by tests. Zero values take the defaults.
	RetryBase     time.Duration // first back-off after a transient failure (default 2s)
	RetryMax      time.Duration // longest back-off (default 2m)
	MoveTries     int           // once mode: give up a move after this many tries (default 5)
	MaxJobs       int           // batches of submitted jobs not yet finished, at most (default 8*concurrency; v2: that many batches of one-file jobs)
	HashWorkers   int           // files hashed at once (default 2)
	LearnInterval time.Duration // how often type folders are scanned for examples and corrections (default 1m)

	// Remote, if set with escalate.enabled, is where files the embedded
	// engine is unsure of go (escalate.go).
	Remote Remote
	// Pages, if set, counts a file's pages for the escalation budget
	// (default: the Learner, when it can).
	Pages PageCounter
	// Now, if set, is the clock of the escalation budget's days (tests).
	Now        func() time.Time
	InboxCheck time.Duration // how often run mode checks that the inbox is there and readable (default 2s)
	// Actions after filing (actions.go): how many run at once (default 2),
	// and the back-off between tries of one (default 2s doubling to 2m).
	// At a stop, running actions get ActionStopGrace (default 10s) to
	// finish before they are killed and left queued.
	ActionWorkers                   int
	ActionRetryBase, ActionRetryMax time.Duration
	ActionStopGrace                 time.Duration
}

// Daemon files the inbox: intake, submission, polling, moving, learning.
type Daemon struct {
	o       Options
	cfg     *config.Config
	st      *state.Store
	be      api.Backend
	v2      api.V2Backend
	log     *slog.Logger
	sorter  *sorter.Sorter
	journal *sorter.Journal
	watcher *watcherRef // the current watcher of the inbox (inbox.go)

	kickSubmit, kickPoll, kickMove chan struct{}
	kickEsc                        chan struct{}
	escalating                     atomic.Int64  // escalation steps in flight
	sem                            chan struct{} // backend calls in flight

	intakeDone atomic.Bool // once: the walk is done and everything found is enqueued
	submitting atomic.Int64
	// filing: a move round is between its files' FinishMove and their
	// journal lines and actions (once mode waits for it).
	filing atomic.Bool
	// afterFinishMove, if set, runs between a round's FinishMove and its
	// journal lines (tests widen that window with it).
	afterFinishMove func()
	parked          sync.Map // once: records given up on (id → reason)
	// submitFails counts the failed submissions in a row of queued files
	// whose batch got through otherwise (submit.go: retryLater).
	submitFails struct {
		sync.Mutex
		n map[uint64]int
	}
	*Counters
	dryPaths sync.Map // dry run: paths already reported

	beats [4]atomic.Int64 // unix nanos of each loop's last turn: intake, submit, poll, move

	started   time.Time // Run began: once ignores retry delays set before
	troubles  troubles
	stateGone atomic.Bool // checkState has logged the state file gone

	inboxDown atomic.Pointer[string] // why the inbox cannot be watched (inbox.go)

	kickActions chan struct{} // wakes actionLoop (actions.go)
	ruleActions bool          // some rule has on_filed actions

	// The waits between tries (internal/backoff): of a transient failure
	// (a move, a journal write, a backend that looks down, an escalation),
	// of a job's next poll, of a re-queued file's next job, and of an action.
	retry, poll, requeue, actionRetry backoff.Policy
}

// Loop names, in the order of beats.
var loopNames = [4]string{"intake", "submit", "poll", "move"}

const maxIdle = 10 * time.Second // a waiting loop still turns this often

// idleWait is how long a loop sleeps when its next work is due at next
// (zero: none due): until then, at least a millisecond, at most maxIdle.
func idleWait(next time.Time) time.Duration {
	if next.IsZero() {
		return maxIdle
	}
	return min(max(time.Until(next), time.Millisecond), maxIdle)
}

func (d *Daemon) beat(i int) { d.beats[i].Store(time.Now().UnixNano()) }

// Stalled names the loops that have not turned within maxAge (a stuck loop:
// the systemd watchdog stops answering and systemd restarts the service).
// Before Run starts every loop counts as stalled.
func (d *Daemon) Stalled(maxAge time.Duration) []string {
	var out []string
	now := time.Now().UnixNano()
	for i := range d.beats {
		if now-d.beats[i].Load() > int64(maxAge) {
			out = append(out, loopNames[i])
		}
	}
	return out
}

// WatcherStats returns the watcher's counters (zero in once mode).
func (d *Daemon) WatcherStats() watch.Stats {
	if d.watcher == nil {
		return watch.Stats{}
	}
	return d.watcher.Stats()
}

// Store returns the state store (for status and the admin endpoint).
func (d *Daemon) Store() *state.Store { return d.st }

// New checks the options and opens the journal.
func New(o Options) (*Daemon, error) {
	if o.Config == nil || o.Backend == nil || o.Store == nil {
		return nil, errors.New("daemon: config, backend and store are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.RetryBase == 0 {
		o.RetryBase = 2 * time.Second
	}
	if o.RetryMax == 0 {
		o.RetryMax = 2 * time.Minute
	}
	if o.MoveTries == 0 {
		o.MoveTries = 5
	}
	if o.MaxJobs == 0 {
		o.MaxJobs = 8 * o.Config.Batch.Concurrency
	}
	if o.Counters == nil {
		o.Counters = &Counters{}
	}
	if o.LearnInterval == 0 {
		o.LearnInterval = time.Minute
	}
	if o.ActionWorkers == 0 {
		o.ActionWorkers = 2
	}
	if o.ActionRetryBase == 0 {
		o.ActionRetryBase = 2 * time.Second
	}
	if o.ActionRetryMax == 0 {
		o.ActionRetryMax = 2 * time.Minute
	}
	if o.ActionStopGrace == 0 {
		o.ActionStopGrace = 10 * time.Second
	}
	if o.InboxCheck == 0 {
		o.InboxCheck = 2 * time.Second
	}
	if o.HashWorkers == 0 {
		o.HashWorkers = 2
	}
	c := o.Config
	tf, tn := map[string]string{}, map[string]string{}
	for _, r := range c.Rules {
		tf[r.Type] = r.FolderOf()
		tn[r.Type] = r.Name
	}
	dirMode, fileMode := c.Permissions.Modes()
	gid, gidSet, err := c.Permissions.GID()
	if err != nil {
		return nil, err
	}
	d := &Daemon{
		o: o, Counters: o.Counters, cfg: c, st: o.Store, be: o.Backend, v2: o.V2, log: o.Logger.With("component", "daemon"),
		sorter: sorter.New(sorter.Options{
			Output: c.Output, TypeFolder: tf, TypeName: tn, Unmatched: c.Folders.Unmatched, Review: c.Folders.Review,
			Failed: c.Folders.Failed, Duplicates: c.Folders.Duplicates, OnConflict: c.OnConflict,
			DirMode: dirMode, FileMode: fileMode, Gid: gid, GidSet: gidSet,
		}),
		kickSubmit: make(chan struct{}, 1),
		kickPoll:   make(chan struct{}, 1),
		kickMove:   make(chan struct{}, 1),
		kickEsc:    make(chan struct{}, 1),
		sem:        make(chan struct{}, c.Batch.Concurrency),

		retry: backoff.Policy{Base: o.RetryBase, Max: o.RetryMax, Jitter: backoff.Around(0.25)},
		// Polls grow more gently: a job is usually done within a few.
		poll: backoff.Policy{Base: c.Poll.MinInterval, Max: c.Poll.MaxInterval, Factor: 1.5, Jitter: backoff.Around(0.2)},
		// A re-queued file waits poll.min_interval doubled per attempt.
		requeue:     backoff.Policy{Base: c.Poll.MinInterval, Max: o.RetryMax, Jitter: backoff.Around(0.25)},
		actionRetry: backoff.Policy{Base: o.ActionRetryBase, Max: o.ActionRetryMax, Jitter: backoff.Around(0.25)},
	}
	if !o.Once {
		d.watcher = &watcherRef{} // once mode walks the inbox instead
	}
	d.kickActions = make(chan struct{}, 1)
	if err := d.checkActions(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.Output, 0o777); err != nil { // the umask decides, as for the type folders
		return nil, fmt.Errorf("create output: %w", err)
	}
	if _, same, err := watch.Inside(c.Output, c.Inbox); err == nil && same {
		return nil, fmt.Errorf("output %s is the inbox %s (through a symlink or a bind mount): every filed file would be picked up again; choose an output folder outside the inbox", c.Output, c.Inbox)
	}
	if !o.DryRun {
		d.createFolders()
		j, err := sorter.OpenJournal(filepath.Join(c.Output, sorter.JournalName))
		if err != nil {
			return nil, err
		}
		d.journal = j
	}
	return d, nil
}

func kick(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Counters count this run's files; safe to read from any goroutine.
type Counters struct {
	seen    atomic.Int64
	done    atomic.Int64
	failedN atomic.Int64
}

// Progress returns files done (reached a folder this run) and seen (handed to
// intake this run).
func (c *Counters) Progress() (done, seen int64) { return c.done.Load(), c.seen.Load() }

// Failed is the number of files that went to the failed folder this run, or
// were given up in once mode.
func (c *Counters) Failed() int64 { return c.failedN.Load() }

// Run runs the daemon until ctx is cancelled, or, in once mode, until every
// file found is in its folder.
func (d *Daemon) Run(ctx context.Context) error {
	defer func() {
		if d.journal != nil {
			d.journal.Close()
		}
	}()
	if !d.o.Once {
		if _, err := d.checkInbox(); err != nil {
			return fmt.Errorf("%w: %w: create it (mkdir -p %s, writable by the daemon's user) or set inbox in the config", ErrNoInbox, err, d.cfg.Inbox)
		}
	}
	if !d.o.DryRun {
		if err := d.Repair(ctx); err != nil {
			return fmt.Errorf("repair state: %w", err)
		}
	}
	d.started = time.Now()
	// Files on their way since an earlier run count as seen by this one
	// (progress: done never passes seen).
	if counts, err := d.st.Counts(); err == nil {
		d.seen.Add(int64(counts[state.Queued] + counts[state.Submitted] + counts[state.Classified] + counts[state.Moving]))
	}
	// The loops start now: none counts as stalled until it has had maxAge to turn.
	for i := range d.beats {
		d.beat(i)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, ctx := errgroup.WithContext(ctx)
	events := make(chan watch.Event, 256)
	if d.o.Once {
		g.Go(func() error {
			defer close(events)
			return d.walk(ctx, events)
		})
	} else {
		g.Go(func() error { return d.watchInbox(ctx, events) })
	}
	g.Go(func() error { return d.intake(ctx, events) })
	g.Go(func() error { return d.submitLoop(ctx) })
	g.Go(func() error { return d.pollLoop(ctx) })
	g.Go(func() error { return d.moveLoop(ctx) })
	if !d.o.DryRun {
		g.Go(func() error { return d.actionLoop(ctx) })
	}
	if d.cfg.Learn && d.o.Learner != nil && !d.o.DryRun {
		g.Go(func() error { return d.learnLoop(ctx) })
	}
	if d.escalates() {
		g.Go(func() error { return d.escalateLoop(ctx) })
	}
	if d.o.Ready != nil {
		d.o.Ready()
	}
	if d.o.Once {
		g.Go(func() error {
			err := d.waitIdle(ctx)
			cancel()
			return err
		})
	}
	err := g.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

func (d *Daemon) newWatcher() (*watch.Watcher, error) {
	c := d.cfg
	// The output is excluded by path and by identity: reached through a
	// symlink or a bind mount it lies in the inbox under another name.
	exclude := []string{c.Output}
	ignore := c.Watch.Ignore
	if ignore == nil {
		ignore = []string{}
	}
	return watch.New(watch.Options{
		Root: c.Inbox, Recursive: c.Watch.Recursive, Settle: c.Watch.Settle,
		RescanInterval: c.Watch.RescanInterval, Ignore: ignore, Exclude: exclude,
		Logger: d.o.Logger,
	})
}

// walk streams the backlog (once mode): the inbox and the named paths.
func (d *Daemon) walk(ctx context.Context, out chan<- watch.Event) error {
	c := d.cfg
	// The output is excluded by path and by identity: reached through a
	// symlink or a bind mount it lies in the inbox under another name.
	exclude := []string{c.Output}
	ignore := c.Watch.Ignore
	if ignore == nil {
		ignore = []string{}
	}
	send := func(ev watch.Event) error {
		select {
		case out <- ev:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	roots := []string{c.Inbox}
	if len(d.o.Paths) > 0 {
		roots = d.o.Paths
	}
	for _, root := range roots {
		fi, err := os.Lstat(root)
		if err != nil {
			if root == c.Inbox && errors.Is(err, os.ErrNotExist) {
				d.log.Warn("inbox does not exist", "path", root)
				continue
			}
			return fmt.Errorf("walk %s: %w", root, err)
		}
		if fi.Mode().IsRegular() {
			abs, _ := filepath.Abs(root)
			if err := send(watch.Event{Path: abs, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
				return err
			}
			continue
		}
		if !fi.IsDir() {
			d.log.Warn("not a regular file or folder, skipped", "path", root)
			continue
		}
		if err := watch.Walk(ctx, root, c.Watch.Recursive, ignore, exclude, send); err != nil {
			return err
		}
	}
	return nil
}

// waitIdle returns once intake is done and no record is active (once mode).
func (d *Daemon) waitIdle(ctx context.Context) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if !d.intakeDone.Load() || d.submitting.Load() > 0 {
			continue
		}
		parked := 0
		d.parked.Range(func(_, _ any) bool { parked++; return true })
		// Count no further than needed: the queue may hold the whole backlog.
		active, err := d.st.Active(parked + 1)
		if err != nil {
			return err
		}
		// In this order: a round that filed the last files before the
		// count is either still filing, or has queued their actions.
		if active-parked <= 0 && !d.filing.Load() && d.actionsIdle() {
			return nil
		}
	}
}

// backoff is the wait before try n (1-based) of a transient failure.
func (d *Daemon) backoff(n int) time.Duration { return d.retry.Delay(n - 1) }

// acquire takes a backend-call slot.
func (d *Daemon) acquire(ctx context.Context) error {
	select {
	case d.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *Daemon) release() { <-d.sem }

// waitFor reports whether a record delayed until notBefore (a retry's
// back-off), last updated at updated, must still wait at now. A once run
// does not wait out the delays an earlier run set.
func (d *Daemon) waitFor(notBefore, updated, now time.Time) bool {
	if !notBefore.After(now) {
		return false
	}
	return !(d.o.Once && updated.Before(d.started))
}
