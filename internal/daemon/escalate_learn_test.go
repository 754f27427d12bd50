package daemon

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/cloudtest"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/extract"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/pipeline"
)

// corpusB returns the dev-b corpus (../shared/corpus/dev-b from the
// repository) and its labels by base name, or skips the test.
func corpusB(t *testing.T) (dir string, names []string, labels map[string]string) {
	t.Helper()
	dir, err := filepath.Abs("../../../shared/corpus/dev-b")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Skipf("dev-b corpus not found at %s: %v", dir, err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	labels = map[string]string{}
	for _, r := range rows[1:] {
		names = append(names, r[0])
		labels[filepath.Base(r[0])] = r[1]
	}
	return dir, names, labels
}

// TestEscalationRateFalls: over a stream of documents of types the engine
// does not know (the dev-b corpus, with rules that only name the types),
// the remote's confident answers teach the engine, so the share of files
// escalated after the first twenty is at most half of theirs. Without the
// teaching (learn_above 1: no answer is confident enough) it is not.
func TestEscalationRateFalls(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the dev-b corpus")
	}
	dir, names, labels := corpusB(t)
	bcfg, err := config.Load(filepath.Join(dir, "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules strings.Builder
	rules.WriteString("rules:\n")
	for _, r := range bcfg.Rules {
		// Rules that only name the type: the engine has nothing to go on but
		// the name, and what it is taught.
		fmt.Fprintf(&rules, "  - type: %s\n    description: \"a document of the kind %s\"\n", r.Type, r.Type)
	}
	for _, tc := range []struct {
		name       string
		learnAbove string
		falls      bool
	}{{"taught", "0.8", true}, {"not taught", "1", false}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			y := fmt.Sprintf("inbox: %s\noutput: %s\nstate: %s\nmin_confidence: 0\nbatch: {size: 4, window: 20ms, concurrency: 2}\n"+
				"poll: {min_interval: 5ms, max_interval: 50ms}\nwatch: {settle: 50ms, rescan_interval: 0s}\n"+
				"escalate: {enabled: true, below: 0.8, files_per_day: 1000, learn_above: %s}\n%s",
				e.in, e.out, e.state, tc.learnAbove, rules.String())
			cfg, err := config.Parse([]byte(y), "test.yaml", e.dir)
			if err != nil {
				t.Fatal(err)
			}
			e.cfg = cfg
			ext, err := extract.New(extract.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer ext.Close()
			p := pipeline.New(pipeline.Options{Extractor: ext})
			srv, c := cloud(t, cloudtest.Options{Latency: 5 * time.Millisecond, Label: func(name string, _ []byte) cloudtest.Answer {
				return cloudtest.Answer{Type: labels[name], Confidence: 0.95, Reasoning: "known label"}
			}})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			// The stream arrives twenty documents at a time (a day's worth):
			// each part is filed, escalations answered, before the next.
			var parts [][]string
			for i := 0; i < len(names); i += 20 {
				parts = append(parts, names[i:min(i+20, len(names))])
			}
			var counts []int
			for _, part := range parts {
				for _, n := range part {
					b, err := os.ReadFile(filepath.Join(dir, n))
					if err != nil {
						t.Fatal(err)
					}
					os.WriteFile(filepath.Join(e.in, filepath.Base(n)), b, 0o644)
				}
				before := srv.Jobs()
				lb, err := local.New(local.Options{Classifier: p, Workers: 2})
				if err != nil {
					t.Fatal(err)
				}
				go lb.Run(ctx)
				if _, err := e.run(ctx, lb, func(o *Options) { o.Remote, o.Learner = c, p }); err != nil {
					t.Fatal(err)
				}
				lb.Close()
				counts = append(counts, srv.Jobs()-before)
			}
			rest := 0
			for _, n := range counts[1:] {
				rest += n
			}
			rates := []float64{float64(counts[0]) / 20, float64(rest) / float64(len(names)-20)}
			t.Logf("escalated per twenty documents: %v", counts)
			t.Logf("escalated: %.0f%% of the first 20, %.0f%% of the next %d", 100*rates[0], 100*rates[1], len(names)-20)
			if rates[0] == 0 {
				t.Fatal("nothing escalated among the first twenty: the test tests nothing")
			}
			if falls := rates[1] <= rates[0]/2; falls != tc.falls {
				t.Errorf("rate %.2f then %.2f: fell by half %v, want %v", rates[0], rates[1], falls, tc.falls)
			}
		})
	}
}
