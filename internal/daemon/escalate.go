package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/metrics"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// Local first, LlamaCloud when unsure. The embedded engine classifies every
// file; finish sends a file whose answer is under escalate.below (or has no
// type) to state escalating instead of classified, and the escalation loop
// takes it from there, apart from the submit and poll loops, so a slow
// remote never holds back a file the engine was sure of:
//
//	escalating ─▶ ReserveEscalation: the day's budget counted and the
//	              transaction_id recorded, in one transaction, before anything
//	              is sent (budget spent: the fallback)
//	           ─▶ upload, create the v2 job (transaction_id: sent again after a
//	              crash it names the same job, so a crash never pays twice)
//	           ─▶ poll (one list call for every due job)
//	           ─▶ classified by the remote's answer; a confident answer
//	              teaches the engine (Learner.Learn, an example's weight,
//	              below a person's correction)
//
// A remote that fails (tries times for a passing reason, at once for a
// refusal or a FAILED job) or does not answer within escalate.wait sends the
// file to the fallback: the engine's own answer, or the review folder.

// Remote is the service escalated files go to: file uploads and Classify v2
// (the HTTP client).
type Remote interface {
	Upload(ctx context.Context, path string, opts api.UploadOptions) (api.File, error)
	api.V2Backend
}

// PageCounter counts the pages of a file, up to max (the embedded engine's
// extractor): what an escalation costs. Without one a file counts max pages.
type PageCounter interface {
	Pages(ctx context.Context, path string, max int) (int, error)
}

// escalates reports whether files the engine is unsure of go to a remote.
func (d *Daemon) escalates() bool {
	return d.cfg.Escalate.Enabled && d.cfg.Backend.Kind == config.BackendLocal && (d.o.Remote != nil || d.o.DryRun)
}

// decideLocal is decide for the embedded engine's answer: under the
// threshold (or without a type) the outcome is marked for escalation.
func (d *Daemon) decideLocal(f state.File, r api.ItemResult) state.Outcome {
	o := d.decide(f, r)
	if !d.escalates() || math.IsNaN(r.Confidence) || r.Confidence < 0 || r.Confidence > 1 {
		return o
	}
	e := d.cfg.Escalate
	switch {
	case r.Type == nil || *r.Type == "":
		if !e.Unmatched {
			return o
		}
	case o.Type == "": // a type that is no configured rule
		return o
	case r.Confidence >= e.Below:
		return o
	}
	o.Escalate = &state.Escalation{LocalType: o.Type, LocalConfidence: r.Confidence, LocalKind: o.Kind}
	return o
}

// escToday is the budget day of now (local time).
func (d *Daemon) escToday() string {
	now := time.Now
	if d.o.Now != nil {
		now = d.o.Now
	}
	return now().Format(time.DateOnly)
}

// escTxID is the transaction_id of f's escalation: derived from the record,
// its content and what the job is asked, so that the same escalation always
// carries the same id.
func escTxID(f state.File, cfg api.V2Configuration) string {
	h := sha256.New()
	b, _ := json.Marshal(cfg)
	fmt.Fprintf(h, "classifyd escalate\x00%d\x00%s\x00", f.ID, f.SHA256)
	h.Write(b)
	return "classifyd-esc-" + hex.EncodeToString(h.Sum(nil))[:40]
}

// escConfig is the inline configuration of an escalation job: the rules,
// and at most escalate.pages_per_file pages.
func (d *Daemon) escConfig() api.V2Configuration {
	c := d.v2Config()
	pages := d.cfg.EscalatePages()
	if c.ParsingConfiguration == nil {
		c.ParsingConfiguration = &api.V2ParsingConfiguration{}
	}
	pc := *c.ParsingConfiguration
	pc.MaxPages = api.Ptr(pages)
	c.ParsingConfiguration = &pc
	return c
}

// escalateLoop owns the escalating records: it starts each file's
// escalation and polls their jobs, at most batch.concurrency remote calls
// at once (its own slots: the remote never takes the embedded engine's).
func (d *Daemon) escalateLoop(ctx context.Context) error {
	slots := make(chan struct{}, d.cfg.Batch.Concurrency)
	inflight := map[uint64]bool{}
	done := make(chan []uint64, 64)
	running := 0
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	d.updateBudgetGauge()
	defer func() {
		for running > 0 {
			<-done
			running--
		}
	}()
	start := func(ids []uint64, fn func(context.Context)) {
		for _, id := range ids {
			inflight[id] = true
		}
		running++
		d.escalating.Add(1)
		go func() {
			defer func() { done <- ids }()
			defer d.escalating.Add(-1)
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-slots }()
			fn(ctx)
		}()
	}
	for {
		now := time.Now()
		wait := maxIdle
		var polls []state.File
		err := d.st.Each(state.Escalating, 0, func(f state.File) error {
			if inflight[f.ID] || running >= 4*cap(slots) {
				return nil
			}
			e := f.Esc
			if e == nil {
				e = &state.Escalation{}
			}
			if e.NextPoll.After(now) && !d.escTimedOut(*e, now) {
				wait = min(wait, e.NextPoll.Sub(now))
				return nil
			}
			if e.JobID != "" && !d.escTimedOut(*e, now) {
				polls = append(polls, f)
				return nil
			}
			start([]uint64{f.ID}, func(ctx context.Context) { d.escalateFile(ctx, f) })
			return nil
		})
		if err != nil {
			return err
		}
		if len(polls) > 0 {
			ids := make([]uint64, len(polls))
			for i, f := range polls {
				ids[i] = f.ID
			}
			start(ids, func(ctx context.Context) { d.pollEscalations(ctx, polls) })
		}
		timer.Reset(max(wait, time.Millisecond))
		select {
		case <-ctx.Done():
			return nil
		case <-d.kickEsc:
		case ids := <-done:
			running--
			for _, id := range ids {
				delete(inflight, id)
			}
		case <-timer.C:
		}
	}
}

func (d *Daemon) escTimedOut(e state.Escalation, now time.Time) bool {
	return !e.Started.IsZero() && now.Sub(e.Started) > d.cfg.Escalate.Wait
}

// escalateFile takes one step of f's escalation: the intent, the upload and
// the create (again after a crash or a passing failure, with the same
// transaction id), or the fallback.
func (d *Daemon) escalateFile(ctx context.Context, f state.File) {
	e := state.Escalation{}
	if f.Esc != nil {
		e = *f.Esc
	}
	now := time.Now()
	if d.escTimedOut(e, now) {
		d.escFallback(f, e, "no answer from LlamaCloud within escalate.wait", "timeout")
		return
	}
	if d.o.DryRun {
		pages := d.escPages(ctx, f)
		e.Pages = pages
		d.escDone(f, state.Outcome{FileID: f.ID, Kind: f.Kind, Type: f.Type, Confidence: f.Confidence, Reasoning: f.Reasoning,
			Reason: fmt.Sprintf("would be escalated to LlamaCloud (%s), %d pages", d.unsure(e), pages)}, e, state.DecidedDryRun, "", "dry_run")
		return
	}
	cfg := d.escConfig()
	if e.TxID == "" {
		pages := d.escPages(ctx, f)
		if ctx.Err() != nil {
			return
		}
		day := d.escToday()
		got, err := d.st.ReserveEscalation(f.ID, day, d.cfg.Escalate.FilesPerDay, escTxID(f, cfg), pages)
		switch {
		case errors.Is(err, state.ErrBudgetSpent):
			d.escFallback(f, e, fmt.Sprintf("today's escalation budget (%d files) is spent", d.cfg.Escalate.FilesPerDay), "budget")
			return
		case err != nil:
			d.log.Warn("record escalation", "path", f.Path, "err", err)
			return
		}
		e = got
		metrics.EscalationPages.Add(float64(pages))
		d.updateBudgetGauge()
	}
	if e.Started.IsZero() {
		e.Started = now
	}
	file, err := d.o.Remote.Upload(ctx, f.Path, api.UploadOptions{Name: uploadName(f.Path),
		ExternalFileID: fmt.Sprintf("classifyd-%d-%s", f.ID, f.SHA256[:min(12, len(f.SHA256))])})
	var job api.V2Job
	if err == nil {
		e.RemoteID = file.ID
		job, err = d.o.Remote.CreateV2Job(ctx, api.V2CreateRequest{FileInput: api.Ptr(file.ID), Configuration: &cfg, TransactionID: api.Ptr(e.TxID)})
	}
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		d.escFailed(f, e, err, permanent(err))
		return
	}
	metrics.JobsSubmitted.Inc()
	e.JobID, e.Polls = job.ID, 0
	e.NextPoll = now.Add(d.cfg.Poll.MinInterval)
	if job.Status.Terminal() {
		e.NextPoll = now
	}
	d.escSave(f.ID, e)
	d.log.Debug("escalated", "path", f.Path, "job", job.ID, "transaction_id", e.TxID, "pages", e.Pages)
	kick(d.kickEsc)
}

// escSave writes e to the escalating record id.
func (d *Daemon) escSave(id uint64, e state.Escalation) {
	if err := d.st.EscalationUpdate(id, func(cur *state.Escalation) { *cur = e }); err != nil && !errors.Is(err, state.ErrNotFound) {
		d.log.Warn("record escalation", "id", id, "err", err)
	}
}

// escFailed counts a failed remote call: the fallback after tries, or at
// once for a refusal (a 4xx, a FAILED job).
func (d *Daemon) escFailed(f state.File, e state.Escalation, err error, final bool) {
	e.Tries++
	if final || e.Tries >= d.cfg.Escalate.Tries {
		d.log.Warn("escalation failed, fallback", "path", f.Path, "tries", e.Tries, "err", err, "fallback", d.cfg.Escalate.Fallback)
		d.escFallback(f, e, "LlamaCloud failed: "+truncate(err.Error(), 300), "failed")
		return
	}
	d.log.Info("escalation failed, will retry", "path", f.Path, "tries", e.Tries, "err", err)
	e.NextPoll = time.Now().Add(d.backoff(e.Tries))
	d.escSave(f.ID, e)
}

// pollEscalations asks for the due escalation jobs in one list call.
func (d *Daemon) pollEscalations(ctx context.Context, files []state.File) {
	ids := make([]string, len(files))
	for i, f := range files {
		ids[i] = f.Esc.JobID
	}
	got, err := d.o.Remote.V2Jobs(ctx, ids)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		for _, f := range files {
			d.escFailed(f, *f.Esc, err, false)
		}
		return
	}
	byID := map[string]api.V2Job{}
	for _, j := range got {
		byID[j.ID] = j
	}
	now := time.Now()
	for _, f := range files {
		e := *f.Esc
		job, ok := byID[e.JobID]
		switch {
		case !ok:
			e.Polls++
			if e.Polls > 3 {
				// Lost by the remote: create again (same transaction id, not counted again).
				e.JobID, e.Polls = "", 0
			}
			e.NextPoll = now.Add(d.pollInterval(e.Polls))
			d.escSave(f.ID, e)
		case !job.Status.Terminal():
			e.Polls++
			e.NextPoll = now.Add(d.pollInterval(e.Polls))
			d.escSave(f.ID, e)
		case job.Status != api.V2Completed || job.Result == nil:
			msg := api.Deref(job.ErrorMessage)
			if msg == "" {
				msg = "job ended " + string(job.Status)
			}
			d.escFailed(f, e, errors.New(msg), true)
		default:
			d.escAnswered(ctx, f, e, *job.Result)
		}
	}
	kick(d.kickEsc)
}

// escAnswered files f by the remote's answer, after learning from it.
func (d *Daemon) escAnswered(ctx context.Context, f state.File, e state.Escalation, r api.ItemResult) {
	o := d.decide(f, r)
	e.RemoteType, e.RemoteConfidence = o.Type, o.Confidence
	if o.Kind == state.KindType && o.Confidence >= d.cfg.Escalate.LearnAbove && d.cfg.Learn && d.o.Learner != nil && !d.o.DryRun {
		// The file is still in the inbox: learn before the mover takes it.
		if err := d.o.Learner.Learn(ctx, o.Type, f.Path); err != nil {
			d.log.Warn("learn from LlamaCloud's answer", "path", f.Path, "err", err)
		} else {
			e.Learned = true
		}
	}
	o.Reasoning = truncate(fmt.Sprintf("Escalated to LlamaCloud: the engine was unsure (%s). LlamaCloud's answer: %s", d.unsure(e), r.Reasoning), 4000)
	d.escDone(f, o, e, state.DecidedRemote, "", "remote")
}

// unsure says what the engine answered and why that was not enough.
func (d *Daemon) unsure(e state.Escalation) string {
	if e.LocalType == "" {
		return "no type"
	}
	return fmt.Sprintf("%s at %.2f, below escalate.below %.2f", e.LocalType, e.LocalConfidence, d.cfg.Escalate.Below)
}

// escFallback files f by the configured fallback.
func (d *Daemon) escFallback(f state.File, e state.Escalation, why, outcome string) {
	o := state.Outcome{FileID: f.ID, Kind: f.Kind, Type: f.Type, Confidence: f.Confidence, Reason: f.Reason}
	how := "filed by the engine's answer"
	if d.cfg.Escalate.Fallback == config.FallbackReview {
		o.Kind, o.Reason = state.KindReview, "escalation: "+why
		how = "sent to review"
	}
	o.Reasoning = truncate(fmt.Sprintf("Escalation to LlamaCloud did not decide (%s; the engine was unsure: %s), %s. The engine's reasoning: %s", why, d.unsure(e), how, f.Reasoning), 4000)
	d.escDone(f, o, e, state.DecidedFallback, why, outcome)
}

func (d *Daemon) escDone(f state.File, o state.Outcome, e state.Escalation, decided, why, outcome string) {
	e.Decided, e.Why = decided, why
	if err := d.st.Escalated(o, e); err != nil {
		if !errors.Is(err, state.ErrNotFound) {
			d.log.Warn("record escalation outcome", "path", f.Path, "err", err)
		}
		return
	}
	metrics.Escalations.WithLabelValues(outcome).Inc()
	kick(d.kickMove)
}

// escPages is what f costs: its pages, up to the job's max_pages.
func (d *Daemon) escPages(ctx context.Context, f state.File) int {
	most := d.cfg.EscalatePages()
	pc, ok := d.o.Learner.(PageCounter)
	if d.o.Pages != nil {
		pc, ok = d.o.Pages, true
	}
	if !ok {
		return most
	}
	n, err := pc.Pages(ctx, f.Path, most)
	if err != nil || n < 1 {
		return most
	}
	return min(n, most)
}

// updateBudgetGauge sets the budget gauge from today's count.
func (d *Daemon) updateBudgetGauge() {
	if used, err := d.st.EscalationsOn(d.escToday()); err == nil {
		metrics.EscalationBudgetLeft.Set(float64(max(0, d.cfg.Escalate.FilesPerDay-used.Files)))
	}
}

// escalationEntry is the journal's record of f's escalation (nil: none).
func escalationEntry(f state.File) *sorter.Escalation {
	e := f.Esc
	if e == nil || e.Decided == "" {
		return nil
	}
	return &sorter.Escalation{LocalType: e.LocalType, LocalConfidence: e.LocalConfidence, RemoteType: e.RemoteType,
		RemoteConfidence: e.RemoteConfidence, Decided: e.Decided, Why: e.Why, JobID: e.JobID, Pages: e.Pages, Learned: e.Learned}
}
