package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
)

// Signature is the LC-Signature header of a webhook body signed with
// secret: "sha256=" and the hex HMAC-SHA256 of the raw body.
func Signature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature reports whether header is the signature of body with
// secret (compared in constant time).
func VerifySignature(secret string, body []byte, header string) bool {
	return hmac.Equal([]byte(header), []byte(Signature(secret, body)))
}

// v2Notify sends the webhooks of a v2 job whose status is out.Status,
// through the same sender (and address checks) as v1.
// The default output format of v2 is "string" (reference §2.4).
func (s *Server) v2Notify(j local.V2Job, out api.V2Job) {
	event := api.V2Event(out.Status)
	var body []byte
	for _, c := range j.Webhooks {
		if api.Deref(c.WebhookURL) == "" || (len(c.WebhookEvents) > 0 && !slices.Contains(c.WebhookEvents, event)) {
			continue
		}
		if body == nil {
			var err error
			if body, err = json.Marshal(out); err != nil {
				s.log.Error("encode job", "job", out.ID, "err", err)
				return
			}
		}
		headers := make(map[string]any, len(c.WebhookHeaders))
		for k, v := range c.WebhookHeaders {
			headers[k] = v
		}
		s.webhooks.sendBody(out.ID, *c.WebhookURL, event, headers, body, api.Deref(c.WebhookOutputFormat) != "json", api.Deref(c.WebhookSigningSecret))
	}
}

// FileStarted marks a v2 job RUNNING as its file is read and sends
// classify.running. Wire it to local.Options.OnFileStart.
func (s *Server) FileStarted(jobID string) {
	if j, changed := s.b.V2Started(jobID); changed {
		s.v2Notify(j, v2Answer(j))
	}
}

// v2JobDone sends the webhooks of a v2 job that finished, and reports
// whether job is a v2 job (a cancelled one sends nothing more).
func (s *Server) v2JobDone(job api.ClassifyJob) bool {
	j, ok := s.b.V2Done(job)
	if !ok {
		return false
	}
	if j.CancelledAt == nil {
		s.v2Notify(j, v2Answer(j))
	}
	return true
}
