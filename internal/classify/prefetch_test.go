package classify

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
)

func prefetchHits(p *Classifier) int64 {
	p.pf.mu.Lock()
	defer p.pf.mu.Unlock()
	return p.pf.hits
}

func waitPrefetched(t *testing.T, p *Classifier) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.pf.mu.Lock()
		busy := p.pf.busy
		p.pf.mu.Unlock()
		if !busy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("read-ahead did not finish")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A file read ahead is classified from the text read ahead, with the same
// answer as without it; a file changed since is read again.
func TestPrefetch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := newPipeline(t, Options{})
	t.Cleanup(func() { p.Close() })

	path := writeFile(t, dir, "in/doc.txt", invoiceText)
	cold, err := p.Classify(ctx, path, rules, api.ModeFast, api.ParsingConfiguration{})
	if err != nil {
		t.Fatal(err)
	}
	if cold.Type == nil || *cold.Type != "invoice" {
		t.Fatalf("cold classification = %+v, want invoice", cold)
	}

	p.Prefetch(path, api.ModeFast, api.ParsingConfiguration{})
	waitPrefetched(t, p)
	warm, err := p.Classify(ctx, path, rules, api.ModeFast, api.ParsingConfiguration{})
	if err != nil {
		t.Fatal(err)
	}
	if got := prefetchHits(p); got != 1 {
		t.Fatalf("hits = %d after a read-ahead file was classified, want 1", got)
	}
	if warm.Type == nil || *warm.Type != *cold.Type || warm.Confidence != cold.Confidence {
		t.Fatalf("read ahead: %+v, read at once: %+v; want the same answer", warm, cold)
	}

	// Other parsing options: the text read ahead does not fit, the file is read again.
	p.Prefetch(path, api.ModeFast, api.ParsingConfiguration{})
	waitPrefetched(t, p)
	if _, err := p.Classify(ctx, path, rules, api.ModeFast, api.ParsingConfiguration{MaxPages: api.Ptr(1)}); err != nil {
		t.Fatal(err)
	}
	if got := prefetchHits(p); got != 1 {
		t.Fatalf("hits = %d after a job with other options, want still 1", got)
	}

	// Changed after it was read ahead: the job reads the new content.
	p2 := writeFile(t, dir, "in/other.txt", invoiceText)
	p.Prefetch(p2, api.ModeFast, api.ParsingConfiguration{})
	waitPrefetched(t, p)
	if err := os.WriteFile(p2, []byte(recipeText), 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(p2, future, future); err != nil {
		t.Fatal(err)
	}
	res, err := p.Classify(ctx, p2, rules, api.ModeFast, api.ParsingConfiguration{})
	if err != nil {
		t.Fatal(err)
	}
	if got := prefetchHits(p); got != 1 {
		t.Fatalf("hits = %d after the file changed, want still 1", got)
	}
	if res.Type != nil && *res.Type == "invoice" {
		t.Fatalf("changed file (now a recipe) classified from the stale text: %+v", res)
	}
}

// Reading ahead is bounded: one file at a time, at most prefetchMax waiting,
// and nothing after Close.
func TestPrefetchBounded(t *testing.T) {
	dir := t.TempDir()
	p := newPipeline(t, Options{})
	for i := range prefetchMax + 5 {
		path := writeFile(t, dir, filepath.Join("in", "f"+string(rune('a'+i))+".txt"), invoiceText)
		p.Prefetch(path, api.ModeFast, api.ParsingConfiguration{})
		waitPrefetched(t, p)
	}
	p.pf.mu.Lock()
	n := len(p.pf.entries)
	p.pf.mu.Unlock()
	if n != prefetchMax {
		t.Fatalf("%d documents wait, want the bound %d", n, prefetchMax)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	p.Prefetch(writeFile(t, dir, "late.txt", invoiceText), api.ModeFast, api.ParsingConfiguration{})
	p.pf.mu.Lock()
	n, busy := len(p.pf.entries), p.pf.busy
	p.pf.mu.Unlock()
	if n != 0 || busy {
		t.Fatalf("after Close: %d waiting, busy %v; want nothing", n, busy)
	}
}
