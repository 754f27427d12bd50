package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

// The decision itself: a missing corpus fails under CI=true and skips
// elsewhere; a present one does neither.
func TestMissingCorpus(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "absent", "labels.csv")
	for _, tc := range []struct {
		ci                 string
		wantFail, wantSkip bool
	}{
		{ci: "true", wantFail: true},
		{ci: "1", wantFail: true},
		{ci: "", wantSkip: true},
		{ci: "false", wantSkip: true},
		{ci: "yes please", wantSkip: true},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			failed, skipped := probe(t, "absent", missing)
			if failed != tc.wantFail || skipped != tc.wantSkip {
				t.Fatalf("CI=%q: failed %v skipped %v, want failed %v skipped %v", tc.ci, failed, skipped, tc.wantFail, tc.wantSkip)
			}
		})
	}
	t.Run("present", func(t *testing.T) {
		t.Setenv("CI", "true")
		p := filepath.Join(t.TempDir(), "labels.csv")
		if err := os.WriteFile(p, []byte("path,type\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if failed, skipped := probe(t, "here", p); failed || skipped {
			t.Fatalf("a present file: failed %v skipped %v", failed, skipped)
		}
	})
}

// recorder is a testing.TB that notes Fatalf and Skipf instead of ending
// the goroutine; everything else is the real test's.
type recorder struct {
	testing.TB
	failed, skipped bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Skipf(string, ...any)  { r.skipped = true }

func probe(t *testing.T, name, path string) (failed, skipped bool) {
	r := &recorder{TB: t}
	need(r, name, path)
	return r.failed, r.skipped
}
