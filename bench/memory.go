package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// runMemory measures the memory of `classifyd once` over backlogs of small
// generated text files. The target is the process's own memory: its
// anonymous RSS (peak RssAnon, sampled from /proc), at most 60 MB at 100,000
// files and at most 1.2× what it is at 10,000. Peak RSS (VmHWM) is reported
// beside it: it also counts the clean pages of the mapped state file, which
// the kernel takes back when it needs them.
func runMemory(ctx context.Context, e *env) ([]*table, error) {
	t := &table{
		title:  "Memory: the process's own (anonymous) memory of `classifyd once` over backlogs of small text files, peak RSS beside it",
		header: []string{"files", "wall", "files/s", "CPU s", "anon RSS", "peak RSS", "file-mapped", "state file", "anon ≤ 60 MB"},
	}
	var first, last, firstAnon, lastAnon int64
	var firstN, lastN int
	for _, n := range e.sz.memSizes {
		if ctx.Err() != nil {
			return []*table{t}, ctx.Err()
		}
		res, dbSize, err := memoryRun(ctx, e, n)
		if err != nil {
			return []*table{t}, err
		}
		filed := filedCount(res.stdout)
		if filed != n {
			return []*table{t}, fmt.Errorf("classifyd once filed %d of %d files", filed, n)
		}
		t.add(fmtCount(n), fmtDur(res.wall), fmtRate(float64(n), res.wall), fmt.Sprintf("%.1f", res.cpu().Seconds()),
			fmtMB(res.peakAnon), fmtMB(res.maxRSSKB), fmtMB(res.peakFile+res.peakShmem), fmt.Sprintf("%.1f MB", float64(dbSize)/(1<<20)), verdict(res.peakAnon <= 60*1024))
		if first == 0 {
			first, firstAnon, firstN = res.maxRSSKB, res.peakAnon, n
		}
		last, lastAnon, lastN = res.maxRSSKB, res.peakAnon, n
	}
	if lastN > firstN && firstAnon > 0 {
		ga := float64(lastAnon) / float64(firstAnon)
		t.note("**Growth of the anonymous RSS from %s to %s files: %.2f×** (%s → %s; target ≤ 1.2×: %s).", fmtCount(firstN), fmtCount(lastN), ga, fmtMB(firstAnon), fmtMB(lastAnon), verdict(ga <= 1.2))
		if first > 0 {
			t.note("Peak RSS, beside it: %s → %s (%.2f×).", fmtMB(first), fmtMB(last), float64(last)/float64(first))
		}
	}
	t.note("Files of ~0.5 kB each (eight generated document types), in folders of 1,000; inbox and output on %s, the state file on %s. "+
		"Anon RSS is the child's peak RssAnon (its own memory: heap, stacks, runtime), peak RSS its VmHWM (resident high-water mark), file-mapped the peak of RssFile+RssShmem (the binary and the pages of the bbolt state file it touched: clean pages of a shared mapping, which the kernel reclaims under pressure), all read from /proc every 20 ms, so they need not add up.", where(e.shm), where(e.work))
	return []*table{t}, nil
}

func where(dir string) string {
	if strings.HasPrefix(dir, "/dev/shm") {
		return "tmpfs (/dev/shm)"
	}
	return "the temp folder's disk"
}

func memoryRun(ctx context.Context, e *env, n int) (procResult, int64, error) {
	dir, err := e.mkdir(e.shm, fmt.Sprintf("memory-%d", n))
	if err != nil {
		return procResult{}, 0, err
	}
	defer e.cleanup(dir)
	inbox := filepath.Join(dir, "inbox")
	e.logf("memory: writing %d files", n)
	if err := makeSmallTexts(inbox, n, uint64(n)); err != nil {
		return procResult{}, 0, err
	}
	// The state file lives on disk as in a real deployment (on tmpfs its
	// mapped pages would count as shared memory).
	stateDir, err := e.mkdir(e.work, fmt.Sprintf("memory-state-%d", n))
	if err != nil {
		return procResult{}, 0, err
	}
	defer e.cleanup(stateDir)
	bc := benchConfig{inbox: inbox, output: filepath.Join(dir, "out"), state: filepath.Join(stateDir, "classifyd.db")}
	cfgPath := filepath.Join(dir, "classifyd.yaml")
	if err := bc.write(cfgPath); err != nil {
		return procResult{}, 0, err
	}
	e.logf("memory: classifyd once over %d files", n)
	res, err := runOnce(ctx, e, cfgPath, filepath.Join(e.work, fmt.Sprintf("memory-%d.log", n)))
	var size int64
	if fi, err := os.Stat(bc.state); err == nil {
		size = fi.Size()
	}
	return res, size, err
}
