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

	"github.com/classifyd/classifyd/internal/classify"
	"github.com/classifyd/classifyd/internal/cloudtest"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/extract"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/testutil/corpus"
)

// corpusB returns the dev-b corpus (../shared/corpus/dev-b from the
// repository) and its labels by base name; see corpus.Dir for a missing
// corpus.
func corpusB(t *testing.T) (dir string, names []string, labels map[string]string) {
	t.Helper()
	dir = corpus.Dir(t, "dev-b")
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
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
// the remote's confident answers teach the engine, so it escalates far
// fewer files than the same engine without the teaching (learn_above 1: no
// answer is confident enough; that engine still learns from the inbox
// itself, so its own rate falls too). The teaching shows within the first
// twenty files already: batches of four are answered and learned from
// before the next.
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
	total := map[string]int{}
	for _, tc := range []struct {
		name       string
		learnAbove string
	}{{"taught", "0.8"}, {"not taught", "1"}} {
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
			p := classify.New(classify.Options{Extractor: ext})
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
			total[tc.name] = counts[0] + rest
			t.Logf("escalated per twenty documents: %v", counts)
			t.Logf("escalated: %.0f%% of the first 20, %.0f%% of the next %d", 100*float64(counts[0])/20,
				100*float64(rest)/float64(len(names)-20), len(names)-20)
		})
	}
	taught, untaught := total["taught"], total["not taught"]
	t.Logf("escalated over %d files: %d taught by the answers, %d not", len(names), taught, untaught)
	if untaught < 10 {
		t.Fatalf("only %d files escalated without teaching: the test tests nothing", untaught)
	}
	if float64(taught) > 0.7*float64(untaught) {
		t.Errorf("the answers' teaching cut escalations from %d to %d only; want at most 70 %%", untaught, taught)
	}
}
