package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
)

// TestListPagesAreBounded: a list of jobs serves at most
// local.MaxListPageSize items whatever page_size asks, and a page of jobs
// with large rules ends before it passes local.DefaultMaxPageBytes (plus
// the one job that crossed it), with a token for the rest; paging still
// returns every job once.
func TestListPagesAreBounded(t *testing.T) {
	f := newFixtureAt(t, Options{}, filepath.Join(t.TempDir(), "data"), true)
	sc := f.tenant()
	ctx := context.Background()
	file := f.upload(t, "a.txt", "invoice total amount due")
	big := make([]api.Rule, local.MaxRules)
	for i := range big {
		big[i] = api.Rule{Type: fmt.Sprint("type", i), Description: strings.Repeat("d", 9_990)}
	}
	const bigJobs, smallJobs = 8, 120
	for i := range bigJobs + smallJobs {
		rules := big
		if i >= bigJobs {
			rules = big[:1]
		}
		if _, err := sc.CreateJob(ctx, api.CreateJobRequest{FileIDs: []string{file.ID}, Rules: rules}); err != nil {
			t.Fatal(err)
		}
	}

	seen := map[string]bool{}
	token := ""
	for pages := 1; ; pages++ {
		a := f.do(t, "GET", "/api/v1/classifier/jobs?page_size=1000&page_token="+url.QueryEscape(token), "", nil, testKey)
		if a.status != 200 {
			t.Fatalf("page %d: %d %s", pages, a.status, a.body)
		}
		var page struct {
			Items         []json.RawMessage
			NextPageToken *string `json:"next_page_token"`
		}
		a.json(t, &page)
		if len(page.Items) > local.MaxListPageSize {
			t.Errorf("page %d: %d items, want at most %d", pages, len(page.Items), local.MaxListPageSize)
		}
		if limit := local.DefaultMaxPageBytes + 1_100_000; len(a.body) > limit {
			t.Errorf("page %d: %d bytes, want at most %d", pages, len(a.body), limit)
		}
		for _, raw := range page.Items {
			var j api.ClassifyJob
			json.Unmarshal(raw, &j)
			if seen[j.ID] {
				t.Errorf("job %s listed twice", j.ID)
			}
			seen[j.ID] = true
		}
		if page.NextPageToken == nil {
			break
		}
		token = *page.NextPageToken
		if pages > 50 {
			t.Fatal("no end of pages")
		}
	}
	if len(seen) != bigJobs+smallJobs {
		t.Errorf("paged over %d jobs, want %d", len(seen), bigJobs+smallJobs)
	}
	// A job listed carries its rules, as GetJob does.
	var one api.Page[api.ClassifyJob]
	f.do(t, "GET", "/api/v1/classifier/jobs?page_size=200", "", nil, testKey).json(t, &one)
	if n := len(one.Items); n != local.MaxListPageSize || len(one.Items[n-1].Rules) == 0 {
		t.Errorf("page_size=200: %d items (want %d), the last with %d rules", n, local.MaxListPageSize, len(one.Items[n-1].Rules))
	}
}
