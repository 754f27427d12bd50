package admin

import (
	"time"

	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/state"
)

// EscalationStatus is today's use of the escalation budget (local first,
// LlamaCloud when unsure).
type EscalationStatus struct {
	Day         string  `json:"day"`           // local date
	Files       int     `json:"files"`         // remote jobs counted today
	Pages       int     `json:"pages"`         // pages sent today
	FilesPerDay int     `json:"files_per_day"` // the budget
	Left        int     `json:"left"`
	Below       float64 `json:"below"`
	Waiting     int     `json:"waiting"` // files escalating now
}

// escalationStatus is today's escalations against the budget, or nil when
// escalation is off.
func escalationStatus(st *state.Store, cfg *config.Config, counts map[state.Status]int, now time.Time) *EscalationStatus {
	if !cfg.Escalate.Enabled {
		return nil
	}
	day := now.Local().Format(time.DateOnly)
	used, err := st.EscalationsOn(day)
	if err != nil {
		return nil
	}
	return &EscalationStatus{Day: day, Files: used.Files, Pages: used.Pages, FilesPerDay: cfg.Escalate.FilesPerDay,
		Left: max(0, cfg.Escalate.FilesPerDay-used.Files), Below: cfg.Escalate.Below, Waiting: counts[state.Escalating]}
}
