package metrics

import "github.com/prometheus/client_golang/prometheus"

// Escalation (local first, LlamaCloud when unsure).
var (
	Escalations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "classifyd_escalations_total", Help: "Files the embedded engine was unsure of, by outcome: remote (LlamaCloud decided), budget (budget spent: fallback), failed (the remote failed: fallback), timeout (no answer within escalate.wait: fallback), dry_run."}, []string{"outcome"})
	EscalationPages = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "classifyd_escalation_pages_total", Help: "Pages sent to LlamaCloud with escalated files (counted when a job is intended)."})
	EscalationBudgetLeft = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "classifyd_escalation_budget_left", Help: "Escalations left in today's budget (escalate.files_per_day)."})
)

func init() {
	Registry.MustRegister(Escalations, EscalationPages, EscalationBudgetLeft)
}
