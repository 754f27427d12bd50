package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// runState runs the state store's benchmark (go test -bench in
// internal/state) and reports transitions/s for each commit batch size.
func runState(ctx context.Context, e *env) ([]*table, error) {
	t := &table{
		title:  "State store: bbolt transitions/s (queued → submitted → classified → moving → filed)",
		header: []string{"files per commit", "fsync", "transitions/s", "ns/op"},
	}
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "^BenchmarkTransitions$", "-benchtime", e.sz.benchtime, "./internal/state")
	cmd.Dir = e.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go test -bench ./internal/state: %v\n%s", err, out)
	}
	// Lines look like:
	// BenchmarkTransitions/batch=50/fsync=true-2  100  1234 ns/op  51000 transitions/s
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasPrefix(f[0], "BenchmarkTransitions/") {
			continue
		}
		var batch, fsync, nsop, rate string
		for _, part := range strings.Split(strings.TrimPrefix(f[0], "BenchmarkTransitions/"), "/") {
			part, _, _ = strings.Cut(part, "-")
			if v, ok := strings.CutPrefix(part, "batch="); ok {
				batch = v
			}
			if v, ok := strings.CutPrefix(part, "fsync="); ok {
				fsync = v
			}
		}
		for i := 2; i+1 < len(f); i++ {
			switch f[i+1] {
			case "ns/op":
				nsop = f[i]
			case "transitions/s":
				rate = f[i]
			}
		}
		t.add(batch, fsync, rate, nsop)
	}
	if len(t.rows) == 0 {
		return nil, fmt.Errorf("no benchmark lines in:\n%s", out)
	}
	t.note("The daemon commits one transaction per transition of a whole batch (a job's files enter, leave and are filed together), each fsynced before the step it records is acted on; " +
		"batch 1 is the cost without that batching. fsync=false (bbolt NoSync) shows how much of the cost is the disk's flush; the daemon never runs so.")
	t.note("Measured on the temp folder's disk (go test's b.TempDir).")
	return []*table{t}, nil
}
