package daemon

// Actions after filing (on_filed): a command or a signed webhook, per rule
// and globally, for every file that reaches its folder.
//
//	mover: journal line ─▶ SetJournaledQueue (record journaled + actions queued: one transaction)
//	actionLoop: DueActions ─▶ run (at most ActionWorkers at once) ─▶ ActionDone | ActionFailedTry
//
// An action runs only once its file is durable in its folder (after the
// rename, FinishMove and the journal line) and never touches a file. It
// runs in its own goroutine: a slow, failing or hanging action (killed at
// its timeout) never holds up the daemon. It leaves the queue only when
// it succeeded, so an action cut short by a crash, a kill -9 or a stop
// that outlasts ActionStopGrace runs again after the restart: at least
// once, each time with the same id (the command's CLASSIFYD_ACTION_ID, the
// webhook's "id" and Idempotency-Key), on which the receiver deduplicates.
// Failed tries are retried with back-off up to the action's retries, then
// the action is marked failed: counted (classifyd_actions_total), logged,
// and listed by status.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/metrics"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// ActionBody is what an action is given: as a command's stdin, and as a
// webhook's JSON body.
type ActionBody struct {
	ID    string       `json:"id"`    // the same on every try and after a restart
	Event string       `json:"event"` // filed, review, unmatched, failed, duplicate
	Entry sorter.Entry `json:"entry"` // the journal line of the file
}

// eventOf is the action event of a record's folder kind.
func eventOf(k state.Kind) string {
	switch k {
	case state.KindType:
		return config.EventFiled
	case state.KindReview:
		return config.EventReview
	case state.KindFailed:
		return config.EventFailed
	case state.KindDuplicate:
		return config.EventDuplicate
	}
	return config.EventUnmatched
}

type configuredAction struct {
	where string
	a     *config.Action
	rule  bool
}

// actionsOf lists the actions of an event for a file of type typ: the
// rule's own (files filed as that type), then the global ones.
func (d *Daemon) actionsOf(event, typ string) []configuredAction {
	var out []configuredAction
	if event == config.EventFiled || typ != "" {
		for i, r := range d.cfg.Rules {
			if r.Type != typ {
				continue
			}
			for j, a := range r.OnFiled {
				if a.Triggers(event, true) {
					out = append(out, configuredAction{fmt.Sprintf("rules[%d].on_filed[%d]", i, j), a, true})
				}
			}
		}
	}
	for j, a := range d.cfg.OnFiled {
		if a.Triggers(event, false) {
			out = append(out, configuredAction{fmt.Sprintf("on_filed[%d]", j), a, false})
		}
	}
	return out
}

// actionItems are the queue items of the actions of files (with their
// journal entries, in the same order).
func (d *Daemon) actionItems(files []state.File, entries []sorter.Entry) []state.Action {
	if len(d.cfg.OnFiled) == 0 && !d.ruleActions {
		return nil
	}
	var out []state.Action
	for i, f := range files {
		event := eventOf(f.Kind)
		for _, ca := range d.actionsOf(event, f.Type) {
			spec, err := json.Marshal(ca.a)
			if err != nil {
				continue
			}
			// Stable and unique: the same file, destination and action
			// always give the same id; another state (Created) never does.
			sum := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%d\x00%s\x00%s\x00%s\x00%s", f.ID, f.Created.UnixNano(), d.cfg.Output, f.Dest, ca.where, spec)))
			id := hex.EncodeToString(sum[:16])
			e := entries[i]
			body, err := json.Marshal(ActionBody{ID: id, Event: event, Entry: e})
			if err != nil {
				continue
			}
			out = append(out, state.Action{ID: id, FileID: f.ID, Where: ca.where, Event: event, Spec: spec, Body: body})
		}
	}
	return out
}

// setJournaled marks files journaled and queues their actions (one
// transaction), and wakes the action loop.
func (d *Daemon) setJournaled(files []state.File, entries []sorter.Entry) error {
	ids := make([]uint64, len(files))
	for i, f := range files {
		ids[i] = f.ID
	}
	acts := d.actionItems(files, entries)
	if err := d.st.SetJournaledQueue(ids, acts); err != nil {
		return err
	}
	if len(acts) > 0 && d.kickActions != nil {
		kick(d.kickActions)
	}
	return nil
}

// checkActions resolves every webhook secret once at start, so a missing
// one is an error then, not at the first filed file.
func (d *Daemon) checkActions() error {
	check := func(where string, acts []*config.Action) error {
		for i, a := range acts {
			if a.Webhook == "" {
				continue
			}
			if _, err := actionSecret(a); err != nil {
				return fmt.Errorf("%s[%d]: %w", where, i, err)
			}
		}
		return nil
	}
	if err := check("on_filed", d.cfg.OnFiled); err != nil {
		return err
	}
	for i, r := range d.cfg.Rules {
		if len(r.OnFiled) > 0 {
			d.ruleActions = true
		}
		if err := check(fmt.Sprintf("rules[%d].on_filed", i), r.OnFiled); err != nil {
			return err
		}
	}
	return nil
}

// actionSecret is a webhook's signing secret ("" when none is configured).
func actionSecret(a *config.Action) (string, error) {
	switch {
	case a.SecretEnv != "":
		v := os.Getenv(a.SecretEnv)
		if v == "" {
			return "", fmt.Errorf("secret_env: $%s is not set", a.SecretEnv)
		}
		return v, nil
	case a.SecretCredential != "":
		dir := os.Getenv("CREDENTIALS_DIRECTORY")
		if dir == "" {
			return "", fmt.Errorf("secret_credential %q: $CREDENTIALS_DIRECTORY is not set (LoadCredential= in the unit)", a.SecretCredential)
		}
		b, err := os.ReadFile(filepath.Join(dir, a.SecretCredential))
		if err != nil {
			return "", fmt.Errorf("secret_credential: %w", err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("secret_credential %q is empty", a.SecretCredential)
		}
		return v, nil
	}
	return "", nil
}

// Signature is the LC-Signature header of body: sha256=<hex HMAC-SHA256>.
func Signature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// actionLoop runs queued actions until ctx is done. At the end, running
// actions get ActionStopGrace to finish (each is recorded, so it does not
// run again); one still running then is killed and stays queued for the
// next start, with no try counted.
func (d *Daemon) actionLoop(ctx context.Context) error {
	type result struct {
		a         state.Action
		spec      *config.Action
		err       error
		permanent bool
	}
	results := make(chan result)
	inflight := map[uint64]bool{}
	actx, cut := context.WithCancel(context.WithoutCancel(ctx))
	defer cut()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	defer func() {
		if len(inflight) > 0 {
			d.log.Info("waiting for running actions", "running", len(inflight), "grace", d.o.ActionStopGrace)
		}
		stop := time.AfterFunc(d.o.ActionStopGrace, cut)
		defer stop.Stop()
		for len(inflight) > 0 {
			r := <-results
			delete(inflight, r.a.Seq)
			if r.err != nil && actx.Err() != nil {
				d.log.Warn("action cut short by the stop; it runs again at the next start", "action", r.a.Where, "id", r.a.ID)
				continue
			}
			d.actionResult(r.a, r.spec, r.err, r.permanent)
		}
	}()
	for {
		if ctx.Err() != nil {
			return nil
		}
		now := time.Now()
		due, next, err := d.st.DueActions(now, d.o.ActionWorkers-len(inflight), inflight)
		if err != nil {
			d.log.Error("reading the actions queue", "err", err)
			next = now.Add(d.o.ActionRetryBase)
		}
		for _, a := range due {
			var spec config.Action
			if err := json.Unmarshal(a.Spec, &spec); err != nil {
				d.log.Error("action unreadable, given up", "action", a.Where, "id", a.ID, "err", err)
				d.st.ActionFailedTry(a.Seq, "unreadable: "+err.Error(), time.Time{}, true)
				continue
			}
			inflight[a.Seq] = true
			go func() {
				perm, err := d.runAction(actx, a, &spec)
				results <- result{a, &spec, err, perm}
			}()
		}
		timer.Reset(idleWait(next))
		select {
		case <-ctx.Done():
			return nil
		case <-d.kickActions:
		case <-timer.C:
		case r := <-results:
			delete(inflight, r.a.Seq)
			d.actionResult(r.a, r.spec, r.err, r.permanent)
		}
	}
}

func actionKind(spec *config.Action) string {
	if spec.Webhook != "" {
		return "webhook"
	}
	return "command"
}

// actionResult records the outcome of a try.
func (d *Daemon) actionResult(a state.Action, spec *config.Action, err error, permanent bool) {
	kind := actionKind(spec)
	if err == nil {
		metrics.Actions.WithLabelValues(kind, "ok").Inc()
		d.log.Info("action done", "action", a.Where, "kind", kind, "id", a.ID, "event", a.Event, "file_id", a.FileID)
		if err := d.st.ActionDone(a.Seq); err != nil {
			d.log.Error("action done, but not recorded: it may run again", "id", a.ID, "err", err)
		}
		return
	}
	tries := a.Tries + 1
	giveUp := permanent || tries > spec.Retries
	var next time.Time
	if !giveUp {
		next = time.Now().Add(d.actionRetry.Delay(tries - 1))
	}
	if giveUp {
		metrics.Actions.WithLabelValues(kind, "failed").Inc()
		d.log.Error("action failed, given up (the file stays filed)", "action", a.Where, "kind", kind, "id", a.ID, "event", a.Event,
			"file_id", a.FileID, "tries", tries, "err", err)
	} else {
		metrics.Actions.WithLabelValues(kind, "retry").Inc()
		d.log.Warn("action failed, will retry", "action", a.Where, "kind", kind, "id", a.ID, "tries", tries, "at", next.Format(time.TimeOnly), "err", err)
	}
	if err := d.st.ActionFailedTry(a.Seq, err.Error(), next, giveUp); err != nil {
		d.log.Error("recording an action's failure", "id", a.ID, "err", err)
	}
}

// runAction tries an action once. permanent: trying again cannot help.
func (d *Daemon) runAction(ctx context.Context, a state.Action, spec *config.Action) (permanent bool, err error) {
	if spec.Webhook != "" {
		return d.postWebhook(ctx, a, spec)
	}
	return false, d.runCommand(ctx, a, spec)
}

// maxActionOutput is how much of a command's output is logged.
const maxActionOutput = 8 << 10

type cappedBuffer struct {
	bytes.Buffer
	cut bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := maxActionOutput - b.Len(); room < len(p) {
		b.Buffer.Write(p[:max(room, 0)])
		b.cut = true
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// runCommand runs an argv (no shell) with the body on stdin and the
// decision in CLASSIFYD_* variables; its output goes to the log. At the
// timeout its whole process group is killed.
func (d *Daemon) runCommand(ctx context.Context, a state.Action, spec *config.Action) error {
	var body ActionBody
	if err := json.Unmarshal(a.Body, &body); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, spec.Run[0], spec.Run[1:]...)
	cmd.Stdin = bytes.NewReader(a.Body)
	cmd.Env = append(os.Environ(), actionEnv(body)...)
	var out cappedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err := cmd.Run()
	if out.Len() > 0 {
		text := strings.TrimRight(out.String(), "\n")
		if out.cut {
			text += " [cut]"
		}
		d.log.Info("action output", "action", a.Where, "id", a.ID, "output", text)
	}
	switch {
	case errors.Is(cctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		return fmt.Errorf("%s: killed at the timeout (%s)", spec.Run[0], spec.Timeout)
	case err != nil:
		return fmt.Errorf("%s: %w (after %s)", spec.Run[0], err, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// actionEnv is the decision as environment variables.
func actionEnv(b ActionBody) []string {
	e := b.Entry
	return []string{
		"CLASSIFYD_ACTION_ID=" + b.ID,
		"CLASSIFYD_EVENT=" + b.Event,
		"CLASSIFYD_FILE_ID=" + strconv.FormatUint(e.ID, 10),
		"CLASSIFYD_SOURCE=" + e.Source,
		"CLASSIFYD_DEST=" + e.Dest,
		"CLASSIFYD_DEST_FOLDER=" + e.DestFolder,
		"CLASSIFYD_RULE_FOLDER=" + e.RuleFolder,
		"CLASSIFYD_FOLDER=" + e.Folder,
		"CLASSIFYD_TYPE=" + e.Type,
		"CLASSIFYD_CONFIDENCE=" + strconv.FormatFloat(e.Confidence, 'f', 2, 64),
		"CLASSIFYD_REASON=" + e.Reason,
		"CLASSIFYD_JOB_ID=" + e.JobID,
		"CLASSIFYD_SHA256=" + e.SHA256,
	}
}

// webhookClient sends webhooks; redirects are not followed (a POST would
// become a GET).
var webhookClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// postWebhook POSTs the body, signed when a secret is configured. 2xx is
// done; 408, 429, 5xx and network errors are tried again; any other answer
// is final.
func (d *Daemon) postWebhook(ctx context.Context, a state.Action, spec *config.Action) (permanent bool, err error) {
	secret, err := actionSecret(spec)
	if err != nil {
		return false, err
	}
	cctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, spec.Webhook, bytes.NewReader(a.Body))
	if err != nil {
		return true, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "classifyd")
	req.Header.Set("Idempotency-Key", a.ID)
	req.Header.Set("X-Classifyd-Event", a.Event)
	if secret != "" {
		req.Header.Set("LC-Signature", Signature(secret, a.Body))
	}
	resp, err := webhookClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("POST %s: %w", spec.Webhook, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return false, nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return false, fmt.Errorf("POST %s: %s", spec.Webhook, resp.Status)
	default:
		return true, fmt.Errorf("POST %s: %s (not retried)", spec.Webhook, resp.Status)
	}
}

// actionsIdle reports whether no action waits to be run (once mode waits
// for them before it exits).
func (d *Daemon) actionsIdle() bool {
	if len(d.cfg.OnFiled) == 0 && !d.ruleActions {
		return true
	}
	pending, _, _, err := d.st.ActionStats(0)
	return err != nil || pending == 0
}
