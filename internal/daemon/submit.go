package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/batch"
	"github.com/classifyd/classifyd/internal/metrics"
	"github.com/classifyd/classifyd/internal/state"
	"golang.org/x/sync/errgroup"
)

// submitLoop closes batches of queued files (internal/batch: at batch.size,
// or when the first has waited batch.window) and submits each as one job,
// at most batch.concurrency backend calls at once. It also keeps the files
// of batches being submitted out of the next, and pauses when the backend
// looks down.
func (d *Daemon) submitLoop(ctx context.Context) error {
	inflight := map[uint64]bool{} // records in a batch being submitted
	batcher := batch.New[uint64](d.cfg.Batch.Size, d.cfg.Batch.Window)
	done := make(chan []uint64, 16)
	var pauseUntil time.Time
	g, gctx := errgroup.WithContext(ctx)
	defer g.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		// A round cut short by the stop leaves its work due: end here,
		// not turn again at once.
		if ctx.Err() != nil {
			return nil
		}
		d.beat(1)
		now := time.Now()
		wait := maxIdle
		if now.Before(pauseUntil) {
			wait = pauseUntil.Sub(now)
		} else if int(d.submitting.Load()) < d.cfg.Batch.Concurrency && d.jobsRoom() {
			avail, retryAt, err := d.waiting(inflight, now)
			if err != nil {
				return err
			}
			ids := make([]uint64, len(avail))
			for i, f := range avail {
				ids[i] = f.ID
			}
			batcher.Offer(now, ids)
			if batcher.Due(now) || (len(avail) > 0 && d.o.Once && d.intakeDone.Load()) {
				for _, id := range batcher.Take() {
					inflight[id] = true
				}
				d.submitting.Add(1)
				g.Go(func() error {
					defer func() {
						select {
						case done <- ids:
						case <-gctx.Done():
						}
					}()
					defer d.submitting.Add(-1)
					pause, err := d.submitBatch(gctx, avail)
					if err != nil {
						return err
					}
					if pause {
						select {
						case done <- nil: // nil ids: signal a pause
						case <-gctx.Done():
						}
					}
					return nil
				})
				continue
			}
			if dl := batcher.Deadline(); !dl.IsZero() {
				wait = dl.Sub(now)
			}
			if !retryAt.IsZero() && retryAt.Sub(now) < wait {
				wait = retryAt.Sub(now)
			}
		}
		timer.Reset(wait)
		select {
		case <-gctx.Done():
			return g.Wait() // a submission's error (a server without the API) stops the daemon
		case <-d.kickSubmit:
		case ids := <-done:
			if ids == nil {
				pauseUntil = time.Now().Add(d.backoff(2))
				d.log.Warn("backend unavailable, pausing submissions", "until", pauseUntil.Format(time.TimeOnly))
			}
			for _, id := range ids {
				delete(inflight, id)
			}
		case <-timer.C:
		}
	}
}

// waiting returns the queued files that may go into the next batch, oldest
// first and at most batch.size: not in a batch being submitted, not delayed
// by a retry's back-off. retryAt is when the first delayed one may go.
func (d *Daemon) waiting(inflight map[uint64]bool, now time.Time) (avail []state.File, retryAt time.Time, err error) {
	err = d.st.Each(state.Queued, 0, func(f state.File) error {
		if inflight[f.ID] {
			return nil
		}
		if d.waitFor(f.NotBefore, f.Updated, now) {
			if retryAt.IsZero() || f.NotBefore.Before(retryAt) {
				retryAt = f.NotBefore
			}
			return nil
		}
		avail = append(avail, f)
		if len(avail) >= d.cfg.Batch.Size {
			return errStopEach
		}
		return nil
	})
	if errors.Is(err, errStopEach) {
		err = nil
	}
	return avail, retryAt, err
}

var errStopEach = errors.New("stop")

// jobsRoom reports whether another batch may be submitted: at most
// Options.MaxJobs jobs unfinished (bounded memory and backend load). A
// Classify v2 job holds one file, so there the bound is MaxJobs batches of
// jobs: counted in jobs it let 32 files be in flight at the defaults, and a
// backlog moved at the pace of one poll round per 32 files.
func (d *Daemon) jobsRoom() bool {
	n, err := d.st.JobCount()
	limit := d.o.MaxJobs
	if d.v2 != nil {
		limit *= d.cfg.Batch.Size
	}
	return err == nil && n < limit
}

// submitBatch uploads the batch's files and creates one job. It returns
// pause=true when the backend looked unavailable (the files stay queued).
func (d *Daemon) submitBatch(ctx context.Context, batch []state.File) (pause bool, err error) {
	remote := make([]string, len(batch))
	errs := make([]error, len(batch))
	g, gctx := errgroup.WithContext(ctx)
	for i, f := range batch {
		g.Go(func() error {
			if err := d.acquire(gctx); err != nil {
				return err
			}
			defer d.release()
			// The file must still be what we hashed.
			fi, err := os.Lstat(f.Path)
			if err != nil || !fi.Mode().IsRegular() || fi.Size() != f.Size || !fi.ModTime().Equal(f.ModTime) {
				errs[i] = errChanged
				return nil
			}
			file, err := d.be.Upload(gctx, f.Path, api.UploadOptions{
				Name: uploadName(f.Path), ExternalFileID: fmt.Sprintf("classifyd-%d-%s", f.ID, f.SHA256[:min(12, len(f.SHA256))]),
				ProjectID: d.cfg.Backend.ProjectID, OrganizationID: d.cfg.Backend.OrganizationID,
			})
			if err != nil {
				errs[i] = err
				return nil
			}
			remote[i] = file.ID
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return false, nil // cancelled
	}
	var ids, failed []uint64
	var rids []string
	for i, f := range batch {
		switch err := errs[i]; {
		case err == nil:
			ids = append(ids, f.ID)
			rids = append(rids, remote[i])
		case errors.Is(err, errChanged):
			d.vanishedOrChanged(f)
		case permanent(err):
			d.log.Warn("upload refused", "path", f.Path, "err", err)
			if err := d.failQueued(f, "upload refused: "+err.Error()); err != nil {
				return false, err
			}
		default:
			d.log.Warn("upload failed, will retry", "path", f.Path, "err", err)
			failed = append(failed, f.ID)
		}
	}
	if pause, err := d.retryLater(failed, len(ids)); pause || err != nil || len(ids) == 0 {
		return pause, err
	}
	if d.v2 != nil {
		return d.submitV2(ctx, batch, ids, rids)
	}
	req := api.CreateJobRequest{FileIDs: rids, Rules: d.cfg.APIRules(), Mode: api.Ptr(d.cfg.Mode)}
	pc := d.cfg.ParsingConfiguration()
	req.ParsingConfiguration = &pc
	if d.cfg.Backend.ProjectID != "" {
		req.ProjectID = api.Ptr(d.cfg.Backend.ProjectID)
	}
	if d.cfg.Backend.OrganizationID != "" {
		req.OrganizationID = api.Ptr(d.cfg.Backend.OrganizationID)
	}
	if err := d.acquire(ctx); err != nil {
		return false, nil
	}
	job, err := d.be.CreateJob(ctx, req)
	d.release()
	if err != nil {
		if ctx.Err() != nil {
			return false, nil
		}
		if errors.Is(err, api.ErrNoV1) {
			return false, err // every file would fail: stop and say what to set
		}
		if permanent(err) {
			d.log.Error("job refused", "files", len(ids), "err", err)
			for _, f := range batch {
				if err := d.failQueued(f, "job refused: "+err.Error()); err != nil {
					return false, err
				}
			}
			return false, nil
		}
		d.log.Warn("create job failed, will retry", "files", len(ids), "err", err)
		return true, nil
	}
	now := time.Now()
	attempt := 0
	for _, f := range batch {
		attempt = max(attempt, f.Attempts)
	}
	next := now.Add(d.cfg.Poll.MinInterval)
	if d.o.JobsDone != nil {
		next = now // it may have been announced done already (jobsDone)
	}
	err = d.st.Submit(state.Job{ID: job.ID, FileIDs: ids, Submitted: now, NextPoll: next, Attempt: attempt}, rids)
	if err != nil {
		return false, fmt.Errorf("record job %s: %w", job.ID, err)
	}
	d.submitted(ids...)
	metrics.JobsSubmitted.Inc()
	d.log.Debug("job submitted", "job", job.ID, "files", len(ids))
	kick(d.kickPoll)
	return false, nil
}

// retryLater handles the files of a batch whose upload or job failed in a
// way that may pass, when through other files of it got through. When
// nothing got through the backend looks down: the loop pauses (pause) and
// the files wait with it. Otherwise only the failed files wait, each on its
// own back-off (its failures in a row, maxSubmitBackoff), and the loop goes on: at a 20 %
// fault rate almost every batch has a failure, and pausing everything for
// each one made a faulty service several times slower than it had to be.
func (d *Daemon) retryLater(failed []uint64, through int) (pause bool, err error) {
	if len(failed) == 0 {
		return false, nil
	}
	if through == 0 {
		return true, nil
	}
	byTries := map[int][]uint64{}
	d.submitFails.Lock()
	if d.submitFails.n == nil {
		d.submitFails.n = map[uint64]int{}
	}
	for _, id := range failed {
		d.submitFails.n[id]++
		n := min(d.submitFails.n[id], maxSubmitBackoff)
		byTries[n] = append(byTries[n], id)
	}
	d.submitFails.Unlock()
	now := time.Now()
	for n, ids := range byTries {
		if err := d.st.Delay(ids, now.Add(d.backoff(n))); err != nil && !errors.Is(err, state.ErrNotFound) {
			return false, fmt.Errorf("delay files: %w", err)
		}
	}
	kick(d.kickSubmit)
	return false, nil
}

// maxSubmitBackoff caps the back-off of one file's failed submissions at
// its second step, the pause's own (about 4 s at the defaults): the rest of
// its batch got through, so the service works, and a file should not wait
// minutes for what was most likely bad luck. When the service fails
// everything, the pause takes over. (Grown further, a file that needs many
// tries through a service failing half its answers waited minutes.)
const maxSubmitBackoff = 2

// submitted forgets the failures of files now in a job.
func (d *Daemon) submitted(ids ...uint64) {
	d.submitFails.Lock()
	for _, id := range ids {
		delete(d.submitFails.n, id)
	}
	d.submitFails.Unlock()
}

// uploadName is the name a file is uploaded under: its base name as valid
// UTF-8 without control characters, which a multipart header cannot carry
// (a server refuses "scan\x1b.pdf" as a malformed body). The name only
// informs the backend; the file keeps its own name.
func uploadName(path string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '_'
		}
		return r
	}, strings.ToValidUTF8(filepath.Base(path), "\uFFFD"))
}

var errChanged = errors.New("file changed or vanished since it was queued")

// permanent reports whether a backend call about a file will fail the same
// way when tried again: the service refused it (api.IsPermanent), or the
// file the call reads cannot be read (no permission, gone).
func permanent(err error) bool {
	return api.IsPermanent(err) || errors.Is(err, os.ErrPermission) || errors.Is(err, os.ErrNotExist)
}

// vanishedOrChanged handles a queued file that is no longer what was hashed.
func (d *Daemon) vanishedOrChanged(f state.File) {
	if _, err := os.Lstat(f.Path); errors.Is(err, os.ErrNotExist) {
		d.log.Info("file left the inbox before it was filed", "path", f.Path)
		// Intake may have taken the record further meanwhile (a duplicate
		// is classified at once): then it is not this loop's to remove.
		if _, err := d.st.Remove(f.ID, state.Queued); err != nil {
			d.log.Error("remove record", "id", f.ID, "err", err)
		}
		d.forgetPath(f.Path)
		return
	}
	// Changed: the watcher hands it on again when it is stable; re-hash now
	// in case it is already stable.
	if st, err := statAndHash(f.Path); err == nil {
		if _, err := d.st.Enqueue([]state.Stat{st}); err != nil {
			d.log.Error("re-enqueue", "path", f.Path, "err", err)
		}
	}
}

// failQueued sends a queued file to the failed folder.
func (d *Daemon) failQueued(f state.File, reason string) error {
	err := d.st.Classify([]state.Outcome{{FileID: f.ID, Kind: state.KindFailed, Reason: reason}}, 0)
	kick(d.kickMove)
	return err
}

func (d *Daemon) forgetPath(p string) {
	if d.watcher != nil {
		d.watcher.Forget(p)
	}
}
