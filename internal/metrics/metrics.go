// Package metrics defines classifyd's Prometheus metrics on one registry.
// The code that does the counting imports this package; the admin endpoint
// serves Registry. It owns no I/O.
package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Registry holds every classifyd metric (and the Go and process collectors).
var Registry = prometheus.NewRegistry()

// SecurityAttr marks a log record as security-relevant: log rate limiting
// passes every record that carries it.
const SecurityAttr = "security"

var (
	FilesSeen = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "classifyd_files_seen_total", Help: "Stable files handed on by the watcher or the backlog walk."})
	FilesQueued = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "classifyd_files_queued", Help: "Files waiting for a batch."})
	FilesInFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "classifyd_files_in_flight", Help: "Files submitted, classified or moving."})
	FilesFiled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "classifyd_files_filed_total", Help: "Files moved into a folder, by folder kind and type."}, []string{"folder", "type"})
	FilesFailed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "classifyd_files_failed_total", Help: "Files moved to the failed folder."})
	FilesStuck = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "classifyd_files_stuck", Help: "Files classified but not movable into their folder (a full or unwritable output, a source that cannot be removed), retried with back-off."})
	Duplicates = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "classifyd_duplicates_total", Help: "Files recognised as duplicate content of a filed file."})
	JobsSubmitted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "classifyd_jobs_submitted_total", Help: "Classify jobs created."})
	JobsFailed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "classifyd_jobs_failed_total", Help: "Classify jobs that ended in ERROR or CANCELLED, or were lost."})
	APIRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "classifyd_api_requests_total", Help: "HTTP requests to the classify API, by method, route and status code."}, []string{"method", "route", "code"})
	APIRetries = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "classifyd_api_retries_total", Help: "Retried HTTP requests to the classify API."})
	PollLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "classifyd_job_seconds", Help: "Time from job submission to its results being recorded.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2, 14)})
	Confidence = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "classifyd_classification_confidence", Help: "Confidence of classification results.",
		Buckets: []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1}})
	ExtractSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "classifyd_extract_seconds", Help: "Text extraction time by format.",
		Buckets: []float64{0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300}}, []string{"format"})
	// Rescans reads the watcher's counter through RescanCount.
	Rescans = prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "classifyd_rescans_total", Help: "Full rescans of the inbox."}, func() float64 {
		if f := RescanCount.Load(); f != nil {
			return float64((*f)())
		}
		return 0
	})
	// SecurityRefusals counts requests and deliveries refused for security
	// reasons, by reason (bad_key, bad_host, cross_origin, admin_token,
	// webhook_target). The refusals are also logged with security=true, which
	// the log rate limit never drops.
	SecurityRefusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "classifyd_security_refusals_total", Help: "Requests and webhook deliveries refused for security reasons, by reason."}, []string{"reason"})
	// RescanCount, when set, returns the watcher's rescans so far.
	RescanCount atomic.Pointer[func() uint64]
)

func init() {
	Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	Registry.MustRegister(FilesSeen, FilesQueued, FilesInFlight, FilesFiled, FilesFailed, FilesStuck, Duplicates,
		JobsSubmitted, JobsFailed, APIRequests, APIRetries, PollLatency, Confidence, ExtractSeconds, Rescans, SecurityRefusals)
}
