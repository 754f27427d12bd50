package sorter

// Escalation is what the journal records of a file the embedded engine was
// unsure of: both answers and who decided (remote, fallback or dry_run).
type Escalation struct {
	LocalType        string  `json:"local_type,omitempty"`
	LocalConfidence  float64 `json:"local_confidence"`
	RemoteType       string  `json:"remote_type,omitempty"`
	RemoteConfidence float64 `json:"remote_confidence,omitempty"`
	Decided          string  `json:"decided"`
	Why              string  `json:"why,omitempty"`
	JobID            string  `json:"job_id,omitempty"`
	Pages            int     `json:"pages,omitempty"`
	Learned          bool    `json:"learned,omitempty"`
}
