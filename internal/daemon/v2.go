package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/metrics"
	"github.com/classifyd/classifyd/internal/state"
	"golang.org/x/sync/errgroup"
)

// Classify v2: a batch becomes one job per file. Before a create is sent,
// the state records the transaction_id it carries (state.Intend); a create
// sent again after a crash carries the same id and gets the job the first
// one made, so a file never has two remote jobs for one attempt. Polling
// asks for every due job in one list call (filter job_ids).

// v2Config is the inline configuration of the daemon's v2 jobs.
func (d *Daemon) v2Config() api.V2Configuration {
	pc := d.cfg.ParsingConfiguration()
	c := api.V2Configuration{Rules: d.cfg.APIRules(), Mode: api.Ptr(api.ModeFast)}
	if pc.Lang != nil || pc.MaxPages != nil || len(pc.TargetPages) > 0 {
		c.ParsingConfiguration = &api.V2ParsingConfiguration{Lang: pc.Lang, MaxPages: pc.MaxPages, TargetPages: api.PagesString(pc.TargetPages)}
	}
	return c
}

// txID is the transaction_id of a submission of f: derived from the record,
// its content, the attempt, and what the job is asked (rules and options),
// so that the same submission always carries the same id and another one
// (new content, new rules, a retry after a failed job) another id.
func txID(f state.File, cfg api.V2Configuration) string {
	h := sha256.New()
	b, _ := json.Marshal(cfg)
	fmt.Fprintf(h, "classifyd v2\x00%d\x00%s\x00%d\x00", f.ID, f.SHA256, f.Attempts)
	h.Write(b)
	return fmt.Sprintf("classifyd-%s-a%d", hex.EncodeToString(h.Sum(nil))[:40], f.Attempts)
}

// submitV2 creates one v2 job per file (ids[i] uploaded as rids[i]), at most
// batch.concurrency backend calls at once, each transaction id recorded
// first. pause=true when the backend looked unavailable; a server without
// v2 is an error that stops the daemon.
func (d *Daemon) submitV2(ctx context.Context, batch []state.File, ids []uint64, rids []string) (pause bool, err error) {
	cfg := d.v2Config()
	files := map[uint64]state.File{}
	for _, f := range batch {
		files[f.ID] = f
	}
	tx := make([]string, len(ids))
	intents := map[uint64]string{}
	for i, id := range ids {
		f := files[id]
		tx[i] = txID(f, cfg)
		if f.TxID != "" && strings.HasSuffix(f.TxID, fmt.Sprintf("-a%d", f.Attempts)) {
			tx[i] = f.TxID // recorded before a crash (perhaps under other rules): the same job
		}
		intents[id] = tx[i]
	}
	if err := d.st.Intend(intents); err != nil {
		return false, fmt.Errorf("record transaction ids: %w", err)
	}
	jobs := make([]api.V2Job, len(ids))
	errs := make([]error, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	for i := range ids {
		g.Go(func() error {
			if err := d.acquire(gctx); err != nil {
				return err
			}
			defer d.release()
			jobs[i], errs[i] = d.v2.CreateV2Job(gctx, api.V2CreateRequest{FileInput: api.Ptr(rids[i]), Configuration: &cfg, TransactionID: api.Ptr(tx[i])})
			return nil
		})
	}
	if g.Wait() != nil || ctx.Err() != nil {
		return false, nil // cancelled; the intents stay for the next start
	}
	now := time.Now()
	var failed []uint64
	through := 0
	for i, id := range ids {
		f := files[id]
		switch err := errs[i]; {
		case errors.Is(err, api.ErrNoV2):
			return false, err
		case err != nil && permanent(err):
			d.log.Warn("job refused", "path", f.Path, "err", err)
			if err := d.failQueued(f, "job refused: "+err.Error()); err != nil {
				return false, err
			}
			continue
		case err != nil:
			d.log.Warn("create job failed, will retry", "path", f.Path, "err", err)
			failed = append(failed, id)
			continue
		}
		job := jobs[i]
		next := now.Add(d.cfg.Poll.MinInterval)
		if job.Status.Terminal() {
			next = now // the create named a job that is done (sent again after a crash)
		}
		err := d.st.Submit(state.Job{ID: job.ID, FileIDs: []uint64{id}, Submitted: now, NextPoll: next, Attempt: f.Attempts}, []string{rids[i]})
		if err != nil {
			return false, fmt.Errorf("record job %s: %w", job.ID, err)
		}
		d.submitted(id)
		through++
		metrics.JobsSubmitted.Inc()
		d.log.Debug("job submitted", "job", job.ID, "files", 1, "transaction_id", tx[i])
	}
	kick(d.kickPoll)
	return d.retryLater(failed, through)
}

// pollV2 asks for the due jobs in one list call (job_ids) and records
// those that finished.
func (d *Daemon) pollV2(ctx context.Context, due []state.Job) error {
	ids := make([]string, len(due))
	for i, j := range due {
		ids[i] = j.ID
	}
	if err := d.acquire(ctx); err != nil {
		return nil
	}
	got, err := d.v2.V2Jobs(ctx, ids)
	d.release()
	// The jobs of a round that are not done are asked for again together,
	// at the next poll of the youngest of them (fewest polls): apart, by
	// their own poll counts and jitter, they would drift into calls of their
	// own. Where another round is already due within that poll's jitter (or
	// so little before it that the round takes them anyway, pollAhead), they
	// join it.
	polls := due[0].Polls
	for _, j := range due {
		polls = min(polls, j.Polls)
	}
	now := time.Now()
	var at time.Time
	again := func(j state.Job, n int) error {
		if at.IsZero() {
			at = now.Add(d.poll.Delay(n))
			t, ok, err := d.st.NextDue(now.Add(d.poll.DelayAt(n, 0) - d.pollAhead()))
			if err != nil {
				return err
			}
			if ok && !t.After(now.Add(d.poll.DelayAt(n, 1))) {
				at = t
			}
		}
		return d.st.Reschedule(j.ID, at)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, api.ErrNoV2) {
			return err
		}
		d.log.Warn("poll failed", "jobs", len(ids), "err", err)
		for _, j := range due {
			if err := again(j, polls+2); err != nil && !errors.Is(err, state.ErrNotFound) {
				return err
			}
		}
		return nil
	}
	byID := make(map[string]api.V2Job, len(got))
	for _, j := range got {
		byID[j.ID] = j
	}
	for _, j := range due {
		d.beat(2)
		job, ok := byID[j.ID]
		var err error
		switch {
		case !ok && j.Polls < 3:
			// Not (yet) in the server's list: ask again before calling it lost.
			err = again(j, polls)
		case !ok:
			d.log.Warn("job unknown to the backend, files re-queued", "job", j.ID, "files", len(j.FileIDs))
			metrics.JobsFailed.Inc()
			err = d.finish(j, nil, "job lost by the backend", true, false)
		case !job.Status.Terminal():
			err = again(j, polls)
		default:
			err = d.finishV2(j, job)
		}
		if err != nil && !errors.Is(err, state.ErrNotFound) {
			return err
		}
	}
	return nil
}

// finishV2 records a terminal v2 job of one file.
func (d *Daemon) finishV2(j state.Job, job api.V2Job) error {
	msg := api.Deref(job.ErrorMessage)
	if job.Status != api.V2Completed || job.Result == nil {
		// finish counts and logs the job as failed unless the backend gave
		// the file a reason of its own (an unreadable file, not a failed job)
		if msg == "" {
			msg = "job ended " + string(job.Status)
		}
		return d.finish(j, nil, msg, false, true)
	}
	results := map[string]api.ResultItem{}
	for _, id := range j.FileIDs {
		f, err := d.st.Get(id)
		if err != nil {
			continue
		}
		results[f.RemoteID] = api.ResultItem{ID: job.ID, ClassifyJobID: job.ID, FileID: api.Ptr(f.RemoteID), Result: job.Result}
	}
	metrics.PollLatency.Observe(time.Since(j.Submitted).Seconds())
	return d.finish(j, results, "", false, false)
}
