package local

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/classifyd/classifyd/internal/api"
)

// Limits of a job request.
const (
	MaxRules            = 100
	MaxWebhooksPerJob   = 10
	MaxFilesPerJob      = 100_000
	maxRuleTypeLen      = 200
	maxRuleDescLen      = 10_000
	maxWebhookURLLength = 2048
)

// validate checks a job request and answers a *api.ValidationError with
// FastAPI-style locations (["body","rules",0,"type"]) listing every problem.
func (b *Backend) validate(sc scope, req api.CreateJobRequest) error {
	var v validation
	switch {
	case len(req.FileIDs) == 0:
		v.add("too_short", "List should have at least 1 item after validation, not 0", "body", "file_ids")
	case len(req.FileIDs) > MaxFilesPerJob:
		v.add("too_long", fmt.Sprintf("List should have at most %d items after validation, not %d", MaxFilesPerJob, len(req.FileIDs)), "body", "file_ids")
	default:
		for i, id := range req.FileIDs {
			if !validID(id) {
				v.add("value_error", fmt.Sprintf("Value error, file %q not found", id), "body", "file_ids", i)
				continue
			}
			if !sc.hasFile(id) {
				v.add("value_error", fmt.Sprintf("Value error, file %q not found", id), "body", "file_ids", i)
			}
		}
	}

	switch {
	case len(req.Rules) == 0:
		v.add("too_short", "List should have at least 1 item after validation, not 0", "body", "rules")
	case len(req.Rules) > MaxRules:
		v.add("too_long", fmt.Sprintf("List should have at most %d items after validation, not %d", MaxRules, len(req.Rules)), "body", "rules")
	default:
		seen := map[string]int{}
		for i, r := range req.Rules {
			typ := strings.TrimSpace(r.Type)
			switch {
			case typ == "":
				v.add("string_too_short", "String should have at least 1 character", "body", "rules", i, "type")
			case len(r.Type) > maxRuleTypeLen:
				v.add("string_too_long", fmt.Sprintf("String should have at most %d characters", maxRuleTypeLen), "body", "rules", i, "type")
			default:
				if j, dup := seen[typ]; dup {
					v.add("value_error", fmt.Sprintf("Value error, duplicate rule type %q (also rule %d)", typ, j), "body", "rules", i, "type")
				}
				seen[typ] = i
			}
			switch {
			case strings.TrimSpace(r.Description) == "":
				v.add("string_too_short", "String should have at least 1 character", "body", "rules", i, "description")
			case len(r.Description) > maxRuleDescLen:
				v.add("string_too_long", fmt.Sprintf("String should have at most %d characters", maxRuleDescLen), "body", "rules", i, "description")
			}
		}
	}

	if req.Mode != nil && !req.Mode.Valid() {
		v.add("enum", "Input should be 'FAST' or 'MULTIMODAL'", "body", "mode")
	}

	if pc := req.ParsingConfiguration; pc != nil {
		if pc.Lang != nil && !api.ValidLangs(*pc.Lang) {
			v.add("enum", fmt.Sprintf("Input should be one of the parsing languages (%q is not)", *pc.Lang), "body", "parsing_configuration", "lang")
		}
		if pc.MaxPages != nil && *pc.MaxPages < 1 {
			v.add("greater_than_equal", "Input should be greater than or equal to 1", "body", "parsing_configuration", "max_pages")
		}
		for i, p := range pc.TargetPages {
			if p < 0 {
				v.add("greater_than_equal", "Input should be greater than or equal to 0", "body", "parsing_configuration", "target_pages", i)
			}
		}
	}

	if len(req.WebhookConfigurations) > MaxWebhooksPerJob {
		v.add("too_long", fmt.Sprintf("List should have at most %d items after validation, not %d", MaxWebhooksPerJob, len(req.WebhookConfigurations)), "body", "webhook_configurations")
	}
	for i, wc := range req.WebhookConfigurations {
		if wc.WebhookURL == nil {
			continue
		}
		if msg := checkWebhookURL(*wc.WebhookURL); msg != "" {
			v.add("url_parsing", msg, "body", "webhook_configurations", i, "webhook_url")
		}
		for k := range wc.WebhookHeaders {
			if !validHeaderName(k) {
				v.add("value_error", fmt.Sprintf("Value error, %q is not a valid HTTP header name", k), "body", "webhook_configurations", i, "webhook_headers", k)
			}
		}
	}
	return v.err()
}

// checkWebhookURL returns what is wrong with a webhook URL, or "". Whether
// its host is a public address is checked when it is dialled.
func checkWebhookURL(s string) string {
	if len(s) > maxWebhookURLLength {
		return fmt.Sprintf("URL should have at most %d characters", maxWebhookURLLength)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "Input should be a valid URL"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "URL scheme should be 'http' or 'https'"
	}
	if u.Host == "" || u.Hostname() == "" {
		return "Input should be a valid URL, empty host"
	}
	if u.User != nil {
		return "URL should not contain credentials; use webhook_headers"
	}
	return ""
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

type validation struct{ issues []api.ValidationIssue }

func (v *validation) add(typ, msg string, loc ...any) {
	v.issues = append(v.issues, api.ValidationIssue{Loc: loc, Msg: msg, Type: typ})
}

func (v *validation) err() error {
	if len(v.issues) == 0 {
		return nil
	}
	return &api.ValidationError{Issues: v.issues}
}
