package daemon

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/metrics"
	"github.com/classifyd/classifyd/internal/state"
	"golang.org/x/sync/errgroup"
)

// pollLoop polls due jobs, with capped exponential backoff and jitter per
// job, and records the results of finished ones.
func (d *Daemon) pollLoop(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	ahead := d.pollAhead()
	for {
		// A round cut short by the stop leaves its work due: end here,
		// not turn again at once.
		if ctx.Err() != nil {
			return nil
		}
		d.beat(2)
		now := time.Now()
		jobs, next, err := d.st.DueJobs(now.Add(ahead), 64)
		if err != nil {
			return err
		}
		if len(jobs) > 0 && jobs[0].NextPoll.After(now) {
			jobs, next = nil, jobs[0].NextPoll // none due yet
		}
		if len(jobs) > 0 && d.v2 != nil {
			if err := d.pollV2(ctx, jobs); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			continue
		}
		if len(jobs) > 0 {
			g, gctx := errgroup.WithContext(ctx)
			g.SetLimit(d.cfg.Batch.Concurrency)
			for _, j := range jobs {
				g.Go(func() error {
					defer d.beat(2)
					return d.pollJob(gctx, j)
				})
			}
			if err := g.Wait(); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			continue
		}
		timer.Reset(idleWait(next))
		select {
		case <-ctx.Done():
			return nil
		case <-d.kickPoll:
		case id := <-d.o.JobsDone:
			d.jobsDone(id)
		case <-timer.C:
		}
	}
}

// pollAhead is how long before its time a job may be polled in a round of
// polls that is due anyway. A Classify v2 list call costs the same for one
// job as for many, so a round that polls a due job also takes the jobs due
// within half a minimum interval after it: polled a little early, in the
// same call, instead of each in a call of its own a few milliseconds later.
// With v1 each job is a call of its own: 0.
func (d *Daemon) pollAhead() time.Duration {
	if d.v2 == nil {
		return 0
	}
	return d.cfg.Poll.MinInterval / 2
}

// pollInterval is the wait before poll n+1 of a job.
func (d *Daemon) pollInterval(polls int) time.Duration { return d.poll.Delay(polls) }

func (d *Daemon) pollJob(ctx context.Context, j state.Job) error {
	if err := d.acquire(ctx); err != nil {
		return nil
	}
	job, err := d.be.GetJob(ctx, j.ID)
	d.release()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, api.ErrNotFound) {
			// The backend forgot the job (the in-process engine after a
			// restart): the files were never filed, so they go round again.
			if d.cfg.Backend.Kind == config.BackendLocal && j.Submitted.Before(d.started) {
				// Expected: the embedded engine keeps no jobs across a restart.
				d.log.Info("job of the previous run re-queued (the embedded engine keeps no jobs across restarts)", "job", j.ID, "files", len(j.FileIDs))
			} else {
				d.log.Warn("job unknown to the backend, files re-queued", "job", j.ID, "files", len(j.FileIDs))
			}
			metrics.JobsFailed.Inc()
			return d.finish(j, nil, "job lost by the backend", true, false)
		}
		d.log.Warn("poll failed", "job", j.ID, "err", err)
		return d.st.Reschedule(j.ID, time.Now().Add(d.pollInterval(j.Polls+2)))
	}
	if !job.Status.Terminal() {
		return d.st.Reschedule(j.ID, time.Now().Add(d.pollInterval(j.Polls)))
	}
	msg := api.Deref(job.ErrorMessage)
	switch job.Status {
	case api.StatusError, api.StatusCancelled:
		if msg == "" {
			msg = "job ended " + string(job.Status)
		}
		// A job whose every file failed for reasons of its own (ERROR from
		// a job of one unreadable file) is no failure of the job: finish
		// tells them apart.
		return d.finish(j, nil, msg, false, true)
	}
	results := map[string]api.ResultItem{}
	err = d.withSlot(ctx, func() error {
		return d.be.Results(ctx, j.ID, func(it api.ResultItem) error {
			if it.FileID == nil {
				return nil
			}
			if _, dup := results[*it.FileID]; !dup {
				results[*it.FileID] = it
			}
			if len(results) > 10*len(j.FileIDs)+100 {
				return fmt.Errorf("job %s: more results than files", j.ID)
			}
			return nil
		})
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		d.log.Warn("fetching results failed", "job", j.ID, "err", err)
		return d.st.Reschedule(j.ID, time.Now().Add(d.pollInterval(j.Polls+2)))
	}
	metrics.PollLatency.Observe(time.Since(j.Submitted).Seconds())
	if msg == "" && job.Status == api.StatusPartialSuccess {
		msg = "the job gave no result for this file"
	}
	return d.finish(j, results, msg, false, false)
}

func (d *Daemon) withSlot(ctx context.Context, fn func() error) error {
	if err := d.acquire(ctx); err != nil {
		return err
	}
	defer d.release()
	return fn()
}

// finish turns a terminal job's results into outcomes. A file without a
// usable result fails with its own reason when the backend gives one
// (fileFailures): at once when the failure is permanent (the file is
// unreadable: another attempt would fail the same way), else it goes round
// again up to poll.job_retries times, like a file of a job that failed as a
// whole, whose reason is the job's. lost says the backend forgot the job
// (not counted as an attempt); jobErr that it ended ERROR or CANCELLED,
// which counts as a failed job unless every file has a reason of its own.
func (d *Daemon) finish(j state.Job, results map[string]api.ResultItem, reason string, lost, jobErr bool) error {
	if reason == "" {
		reason = "the job gave no result for this file"
	}
	var perFile map[string]api.FileFailure
	if !lost {
		perFile = d.fileFailures(j.ID, reason)
	}
	jobFailed := false // a file failed for the job's reason, not its own
	var outs []state.Outcome
	for _, id := range j.FileIDs {
		f, err := d.st.Get(id)
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if f.Status != state.Submitted || f.JobID != j.ID {
			continue
		}
		it, ok := results[f.RemoteID]
		if ok && it.Result != nil {
			outs = append(outs, d.decideLocal(f, *it.Result))
			continue
		}
		why, permanent := reason, false
		if ff, ok := perFile[f.RemoteID]; ok && !lost {
			why, permanent = ff.Reason, ff.Permanent
		} else if !lost {
			jobFailed = true
		}
		switch {
		case lost:
			outs = append(outs, state.Outcome{FileID: id, Requeue: true, Reason: why})
		case !permanent && f.Attempts < d.cfg.Poll.JobRetries:
			outs = append(outs, state.Outcome{FileID: id, Requeue: true, Reason: why})
		default:
			outs = append(outs, state.Outcome{FileID: id, Kind: state.KindFailed, Reason: why})
		}
	}
	if jobErr && (jobFailed || len(outs) == 0) {
		metrics.JobsFailed.Inc()
		d.log.Warn("job failed", "job", j.ID, "error", reason)
	}
	if err := d.st.Finish(j.ID, outs); err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("record results of job %s: %w", j.ID, err)
	}
	if r, ok := d.be.(api.JobReleaser); ok && !lost {
		// The outcome is recorded: the backend may forget the job.
		if err := r.ReleaseJob(context.Background(), j.ID); err != nil && !errors.Is(err, api.ErrNotFound) {
			d.log.Debug("release finished job", "job", j.ID, "err", err)
		}
	}
	// Re-queued files wait before they go round again.
	var again []uint64
	for _, o := range outs {
		if o.Requeue {
			again = append(again, o.FileID)
		}
	}
	if len(again) > 0 && !lost {
		// Back off before the next attempt.
		if err := d.st.Delay(again, time.Now().Add(d.requeue.Delay(j.Attempt+1))); err != nil {
			return err
		}
	}
	kick(d.kickMove)
	kick(d.kickSubmit)
	kick(d.kickEsc)
	return nil
}

// fileFailures is why each failed file of a job failed, by the backend's
// file id: from the backend when it says (api.FailureReporter), else read
// from the job's error_message when that names files the way the embedded
// engine writes it ("file ID (index N): reason; file ..."), so a file's
// .error.txt and status hold its own reason, not the whole batch's. Only
// the backend's own word makes a failure permanent.
func (d *Daemon) fileFailures(jobID, msg string) map[string]api.FileFailure {
	out := map[string]api.FileFailure{}
	if fr, ok := d.be.(api.FailureReporter); ok {
		list, err := fr.FileFailures(context.Background(), jobID)
		if err == nil {
			for _, f := range list {
				out[f.FileID] = f
			}
			return out
		}
		d.log.Debug("file failures", "job", jobID, "err", err)
	}
	for _, m := range fileReason.FindAllStringSubmatchIndex(msg, -1) {
		id := msg[m[2]:m[3]]
		rest := msg[m[1]:]
		if n := nextReason.FindStringIndex(rest); n != nil {
			rest = rest[:n[0]]
		}
		out[id] = api.FileFailure{FileID: id, Reason: rest}
	}
	return out
}

var (
	// fileReason and nextReason cut the error_message of the embedded
	// engine (internal/local) into its files' reasons.
	fileReason = regexp.MustCompile(`(?:^\d+ of \d+ files failed: |; )file ([0-9A-Za-z_-]+) \(index \d+\): `)
	nextReason = regexp.MustCompile(`; (?:file [0-9A-Za-z_-]+ \(index \d+\): |and \d+ more$)`)
)

// decide maps one answer to a folder kind. Only a configured type becomes a
// type folder; a confidence that is not a number in 0..1 is not trusted.
func (d *Daemon) decide(f state.File, r api.ItemResult) state.Outcome {
	o := state.Outcome{FileID: f.ID, Confidence: r.Confidence, Reasoning: truncate(r.Reasoning, 4000)}
	metrics.Confidence.Observe(clamp01(r.Confidence))
	switch {
	case math.IsNaN(r.Confidence) || math.IsInf(r.Confidence, 0) || r.Confidence < 0 || r.Confidence > 1:
		o.Kind, o.Confidence = state.KindUnmatched, 0
		o.Reason = fmt.Sprintf("backend answered an invalid confidence %v", r.Confidence)
		if r.Type != nil {
			o.Type = truncate(*r.Type, 100)
		}
	case r.Type == nil || *r.Type == "":
		o.Kind = state.KindUnmatched
	default:
		if _, ok := d.cfg.RuleFor(*r.Type); !ok {
			o.Kind = state.KindUnmatched
			o.Reason = fmt.Sprintf("backend answered type %q, which is not a configured rule", truncate(*r.Type, 100))
			break
		}
		o.Type = *r.Type
		if r.Confidence < d.cfg.MinConfidence {
			o.Kind = state.KindReview
			o.Reason = fmt.Sprintf("confidence %.2f is below min_confidence %.2f", r.Confidence, d.cfg.MinConfidence)
		} else {
			o.Kind = state.KindType
		}
	}
	return o
}

func clamp01(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return math.Max(0, math.Min(1, v))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// jobsDone reschedules the jobs the backend announced finished (and any
// more already waiting on the channel) to be polled now. A job not yet
// recorded is polled when its submission is (submitBatch).
func (d *Daemon) jobsDone(id string) {
	for {
		if err := d.st.Reschedule(id, time.Now()); err != nil && !errors.Is(err, state.ErrNotFound) {
			d.log.Warn("reschedule finished job", "job", id, "err", err)
		}
		select {
		case id = <-d.o.JobsDone:
		default:
			return
		}
	}
}
