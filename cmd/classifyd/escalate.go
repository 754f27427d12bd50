package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/classifyd/classifyd/internal/admin"
	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/daemon"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// openRemote opens the escalation's remote (escalate.backend) as the
// top-level llamacloud backend is opened: its key from escalate.backend.
// api_key_env, refused without one unless the server is on this machine.
func openRemote(ctx context.Context, cfg *config.Config, log *slog.Logger) (daemon.Remote, error) {
	b, err := openBackend(ctx, cfg.EscalationBackendConfig(), log)
	if err != nil {
		return nil, fmt.Errorf("escalate: %w", err)
	}
	r, ok := b.Backend.(daemon.Remote)
	if !ok || b.v2 == nil {
		return nil, fmt.Errorf("escalate: the remote does not speak Classify v2")
	}
	return r, nil
}

// withRemote adds the escalation's remote to the daemon's options when
// escalation is on (a dry run sends nothing and needs none).
func withRemote(ctx context.Context, cfg *config.Config, dryRun bool, log *slog.Logger, o *daemon.Options) error {
	if !cfg.Escalate.Enabled || dryRun {
		return nil
	}
	r, err := openRemote(ctx, cfg, log)
	if err != nil {
		return err
	}
	o.Remote = r
	log.Info("local first, LlamaCloud when unsure", "escalate", cfg.Escalate.String())
	return nil
}

// dryEscalations adds up what a dry run would send to LlamaCloud.
type dryEscalations struct{ files, pages int }

// note returns the dry-run line's note for an escalated file ("" if none).
func (d *dryEscalations) note(e sorter.Entry) string {
	if e.Escalation == nil || e.Escalation.Decided != state.DecidedDryRun {
		return ""
	}
	d.files++
	d.pages += e.Escalation.Pages
	return fmt.Sprintf(" [escalate: %d pages to LlamaCloud]", e.Escalation.Pages)
}

// summary is the dry run's last line on escalation.
func (d *dryEscalations) summary(w io.Writer, cfg *config.Config) {
	if !cfg.Escalate.Enabled {
		return
	}
	fmt.Fprintf(w, "would escalate %d files to LlamaCloud, %d pages (budget: %d files a day, %d pages a file; the engine decides the rest)\n",
		d.files, d.pages, cfg.Escalate.FilesPerDay, cfg.EscalatePages())
}

// printEscalation prints today's escalations against the budget.
func printEscalation(w io.Writer, s *admin.Status) {
	e := s.Escalation
	if e == nil {
		return
	}
	fmt.Fprintf(w, "\nescalations today (%s): %d of %d files (%d left), %d pages; %d waiting for LlamaCloud; threshold %.2f\n",
		e.Day, e.Files, e.FilesPerDay, e.Left, e.Pages, e.Waiting, e.Below)
}

// escalateHelp is the help's paragraph on escalation (run, once, classify).
const escalateHelp = `
Local first, LlamaCloud when unsure (escalate.enabled, with backend.kind
local): the embedded engine classifies every file; a file it gives a
confidence below escalate.below (or no type, with escalate.unmatched) is sent
to LlamaCloud's Classify v2 (escalate.backend, key in $LLAMA_CLOUD_API_KEY or
escalate.backend.api_key_env), at most escalate.files_per_day files a day and
escalate.pages_per_file pages each, and filed by its answer. The budget is
counted in the state file before each job is sent, so restarts and crashes
never spend it twice. Budget spent or the remote failing: escalate.fallback
(local: the engine's answer; review). An answer of at least
escalate.learn_above teaches the engine, so it asks less over time.
`

// withEscalateHelp puts the escalation paragraph before a help's examples.
func withEscalateHelp(text string) string {
	if i := strings.Index(text, "\nExamples:"); i >= 0 {
		return text[:i] + escalateHelp + text[i:]
	}
	return text + escalateHelp
}

// wouldEscalate reports whether the daemon would escalate a file the
// engine answered r for, and the pages it would send of its pages.
func wouldEscalate(cfg *config.Config, r api.ItemResult, pages int) (bool, int) {
	e := cfg.Escalate
	if !e.Enabled {
		return false, 0
	}
	if r.Type == nil || *r.Type == "" {
		if !e.Unmatched {
			return false, 0
		}
	} else if r.Confidence >= e.Below {
		return false, 0
	}
	return true, min(max(pages, 1), cfg.EscalatePages())
}
