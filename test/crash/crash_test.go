// Package crash_test kill -9's the real classifyd binary at random moments
// while it files a few thousand documents (a backlog plus files dropped while
// it is being killed), restarts it each time, lets `classifyd once` finish,
// and then proves that nothing was lost, filed twice, journaled wrongly or
// (against an API server that outlives the kills) submitted again after it
// was filed.
//
// Short by default (about 150 files, 5 kills per backend); CLASSIFYD_LONG=1
// runs 3000 files and 50 kills per backend. CLASSIFYD_SEED replays a run.
package crash_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classifyd/classifyd/test/harness"
)

var bin string

func TestMain(m *testing.M) { os.Exit(harness.Main(m, &bin)) }

// plan is the size of one crash loop.
type plan struct {
	files   int // documents in all
	backlog int // of which in the inbox before the first start; the rest are dropped during the kills
	kills   int
	finish  time.Duration // bound on the final `classifyd once`
}

func sizes() plan {
	if harness.Long() {
		return plan{files: 3000, backlog: 2000, kills: 50, finish: 5 * time.Minute}
	}
	if testing.Short() {
		return plan{files: 80, backlog: 50, kills: 3, finish: time.Minute}
	}
	return plan{files: 150, backlog: 100, kills: 5, finish: time.Minute}
}

func TestCrashLoop(t *testing.T) {
	// serve: through Classify v2 (the default); serve-v1: through the v1
	// classifier jobs API, which has no idempotency key; crossfs: the output
	// on another filesystem.
	for _, backend := range []string{"local", "serve", "serve-v1", "crossfs"} {
		t.Run(backend, func(t *testing.T) { crashLoop(t, backend, sizes()) })
	}
}

// killer picks when to kill a running daemon.
type killer struct {
	name string
	wait func(rng *rand.Rand, p *harness.Proc) // returns when it is time to kill
}

var killers = []killer{
	{"right after start", func(rng *rand.Rand, p *harness.Proc) {
		time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
	}},
	{"at a random moment", func(rng *rand.Rand, p *harness.Proc) {
		time.Sleep(60*time.Millisecond + time.Duration(rng.IntN(1500))*time.Millisecond)
	}},
	{"just after a job was submitted", func(rng *rand.Rand, p *harness.Proc) {
		waitLine(p, `"job submitted"`, 1+rng.IntN(3), time.Duration(rng.IntN(30))*time.Millisecond)
	}},
	{"during submission", func(rng *rand.Rand, p *harness.Proc) {
		// The first create of a batch is recorded; the others are in flight.
		waitLine(p, `"job submitted"`, 1+rng.IntN(2), 0)
	}},
	{"while polling", func(rng *rand.Rand, p *harness.Proc) {
		waitLine(p, `"job submitted"`, 1, time.Duration(50+rng.IntN(200))*time.Millisecond)
	}},
	{"while moving files", func(rng *rand.Rand, p *harness.Proc) {
		waitLine(p, `"msg":"filed"`, 1+rng.IntN(30), time.Duration(rng.IntN(3))*time.Millisecond)
	}},
}

// waitLine waits for the n-th log line with substr (at most 4 s), then delay.
func waitLine(p *harness.Proc, substr string, n int, delay time.Duration) {
	select {
	case <-p.OnLine(substr, n):
	case <-p.Done():
	case <-time.After(4 * time.Second):
	}
	time.Sleep(delay)
}

func crashLoop(t *testing.T, backend string, pl plan) {
	seed := harness.Seed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 0xc1a55))
	dir := harness.WorkDir(t)
	cfg := harness.NewConfig(dir)
	logs := filepath.Join(dir, "logs")
	os.MkdirAll(logs, 0o755)

	var srv *harness.Server
	if strings.HasPrefix(backend, "serve") {
		var ok bool
		srv, ok = harness.StartServeProcess(t, bin, filepath.Join(dir, "serve-data"), filepath.Join(logs, "serve.log"))
		if ok {
			t.Logf("API server: classifyd serve at %s", srv.URL)
		} else {
			srv = harness.StartServer(t, filepath.Join(dir, "serve-data"))
			t.Logf("API server: classifyd serve is not ready; internal/server in-process at %s", srv.URL)
		}
		cfg.Backend, cfg.BaseURL = "llamacloud", srv.URL
		if backend == "serve-v1" {
			cfg.API = "v1"
		}
	}
	if backend == "crossfs" {
		// The output on another filesystem: every move is a copy, an fsync,
		// a rename and a remove, and a kill may cut a copy.
		if os.Geteuid() != 0 {
			t.Skip("needs root to mount a tmpfs for the output")
		}
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", cfg.Output).CombinedOutput(); err != nil {
			t.Skipf("cannot mount a tmpfs: %v %s", err, out)
		}
		t.Cleanup(func() { exec.Command("umount", "-l", cfg.Output).Run() })
		os.Chmod(cfg.Output, 0o777)
	}
	confPath := filepath.Join(dir, "classifyd.yaml")
	if err := cfg.Write(confPath); err != nil {
		t.Fatal(err)
	}

	docs := harness.NewDocs(rng, fmt.Sprintf("s%d", seed), pl.files)
	want := map[string]string{}
	prefixes := map[string]string{} // sha prefix (as in external_file_id) → sha
	for _, d := range docs {
		want[d.SHA] = d.Name
		prefixes[d.SHA[:12]] = d.SHA
	}
	for _, d := range docs[:pl.backlog] {
		if err := d.Write(cfg.Inbox); err != nil {
			t.Fatal(err)
		}
	}

	// Files dropped while the daemon is being killed, spread over the loop.
	late := docs[pl.backlog:]
	var dropWG sync.WaitGroup
	stopDrops := make(chan struct{})
	dropRng := rand.New(rand.NewPCG(uint64(seed), 0xd20b))
	dropWG.Go(func() {
		gap := time.Duration(pl.kills) * 700 * time.Millisecond / time.Duration(max(len(late), 1))
		for _, d := range late {
			select {
			case <-stopDrops:
			case <-time.After(time.Duration(dropRng.Int64N(int64(2*gap) + 1))):
			}
			if err := d.Write(cfg.Inbox); err != nil {
				t.Error(err)
				return
			}
		}
	})

	start := time.Now()
	kinds := map[string]int{}
	busy := 0 // kills with files still in the inbox
	for k := 0; k < pl.kills; k++ {
		logPath := filepath.Join(logs, fmt.Sprintf("run-%03d.log", k))
		p, err := harness.Start(bin, []string{"run", "--config", confPath, "--log-format", "json", "--log-level", "debug"}, logPath, harness.ProcOptions{})
		if err != nil {
			t.Fatal(err)
		}
		kl := killers[rng.IntN(len(killers))]
		kl.wait(rng, p)
		if p.Exited() {
			t.Fatalf("run %d: the daemon exited by itself (%v) before it was killed:\n%s", k, p.Err(), harness.Tail(logPath, 30))
		}
		if err := p.Kill(); err != nil {
			t.Fatal(err)
		}
		kinds[kl.name]++
		if n := countDir(cfg.Inbox); n > 0 {
			busy++
		}
		if k == pl.kills/2 {
			close(stopDrops) // the rest of the late files land now, mid-loop
		}
		time.Sleep(time.Duration(rng.IntN(50)) * time.Millisecond)
	}
	if pl.kills <= pl.kills/2 {
		close(stopDrops)
	}
	dropWG.Wait()
	killTime := time.Since(start)

	if backend == "crossfs" {
		// A copy cut by a kill for sure (the kills above cut one only now
		// and then: the documents are small).
		os.MkdirAll(filepath.Join(cfg.Output, "_unmatched"), 0o777)
		os.WriteFile(filepath.Join(cfg.Output, "_unmatched", ".classifyd-cut.part"), []byte("half a copy"), 0o644)
	}
	// Let it finish: `classifyd once` files the inbox and every record left.
	onceLog := filepath.Join(logs, "once.log")
	p, err := harness.Start(bin, []string{"once", "--config", confPath, "--quiet", "--log-format", "json", "--log-level", "info"}, onceLog, harness.ProcOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(pl.finish); err != nil {
		t.Errorf("classifyd once: %v\n%s", err, harness.Tail(onceLog, 40))
	}
	total := time.Since(start)

	c, err := harness.CheckOutput(cfg.Inbox, cfg.Output, want, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d kills (%d with files in the inbox) in %s (%s), then once; %s; total %s",
		pl.kills, busy, killTime.Round(time.Millisecond), kindList(kinds), c.Summary(), total.Round(time.Millisecond))
	for _, pr := range c.Problems(10) {
		t.Error(pr)
	}
	// Evidence that the kills landed mid-work: what the restarts repaired.
	evidence := map[string]int{}
	for _, what := range []string{"repaired moves interrupted by a restart", "job unknown to the backend", "job of the previous run re-queued", "file left the inbox before it was filed"} {
		for k := 0; k <= pl.kills; k++ {
			name := fmt.Sprintf("run-%03d.log", k)
			if k == pl.kills {
				name = "once.log"
			}
			evidence[what] += len(harness.Grep(filepath.Join(logs, name), what))
		}
	}
	// ("file left the inbox" after a restart is benign: the start-up rescan
	// hashed a file just before the mover filed it, so a second record was
	// made for a file already gone, and dropped.)
	t.Logf("restarts: %v", evidence)
	// No temporary file of a copy cut by a kill is left behind.
	var temps []string
	filepath.WalkDir(cfg.Output, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".classifyd-") && strings.HasSuffix(d.Name(), ".part") {
			temps = append(temps, p)
		}
		return nil
	})
	if len(temps) > 0 {
		t.Errorf("%d temporary files of cut copies left in the output: %v", len(temps), temps[:min(len(temps), 5)])
	}
	counts, err := harness.StateCounts(cfg.State)
	if err != nil {
		t.Fatal(err)
	}
	if n := harness.ActiveRecords(counts); n > 0 {
		t.Errorf("state still has %d active records after once: %v", n, counts)
	}
	t.Logf("state: %v", counts)

	if srv != nil {
		checkSubmissions(t, srv, c, prefixes, backend == "serve")
	}
}

// checkSubmissions lists the server's files and proves that no content was
// uploaded again after it was filed.
//
// Each v2 job (one file) of classifyd serve is also a v1 job with one
// result, so the v1 listing counts the classifications of both APIs. With
// strict (Classify v2) a content classified twice fails the test: the
// transaction id recorded before each create makes a create sent again
// after a kill return the first job. v1 has no idempotency key, so there a
// kill between the create and its record can classify a batch again; that
// is reported, not failed.
func checkSubmissions(t *testing.T, srv *harness.Server, c *harness.Check, prefixes map[string]string, strict bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	files, err := srv.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ups, err := harness.Uploads(files)
	if err != nil {
		t.Fatal(err)
	}
	filedAt := c.FiledAt()
	perContent := map[string]int{}
	var after []string
	for _, u := range ups {
		sum, ok := prefixes[u.SHAPrefix]
		if !ok {
			t.Errorf("server holds an upload of unknown content (external id prefix %s, record %d)", u.SHAPrefix, u.Record)
			continue
		}
		perContent[sum]++
		if at, ok := filedAt[sum]; ok && u.Created.After(at) {
			after = append(after, fmt.Sprintf("%s: uploaded %s, filed %s (record %d)", c.Want[sum],
				u.Created.Format(time.StampMilli), at.Format(time.StampMilli), u.Record))
		}
	}
	sort.Strings(after)
	if len(after) > 0 {
		t.Errorf("%d uploads of content that was already filed:\n  %s", len(after), strings.Join(after[:min(len(after), 10)], "\n  "))
	}
	never := 0
	for sum := range c.Want {
		if perContent[sum] == 0 {
			never++
		}
	}
	if never > 0 {
		t.Errorf("%d filed contents were never uploaded to the server", never)
	}
	t.Logf("server: %d uploads for %d contents (%.2f per content; extra uploads come from kills between upload and the job's record)",
		len(ups), len(c.Want), float64(len(ups))/float64(max(len(c.Want), 1)))

	// Classifications billed per content: every result of every job.
	jobs, err := harness.ListJobs(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	byFile := map[string]string{} // server file id → content
	for _, u := range ups {
		byFile[u.FileID] = prefixes[u.SHAPrefix]
	}
	billed := map[string]int{}
	results := 0
	for _, j := range jobs {
		items, err := harness.JobResults(ctx, srv.URL, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.FileID != nil {
				billed[byFile[*it.FileID]]++
				results++
			}
		}
	}
	again := 0
	for _, n := range billed {
		if n > 1 {
			again++
		}
	}
	t.Logf("server: %d jobs, %d results for %d contents; %d contents classified more than once",
		len(jobs), results, len(c.Want), again)
	if strict && again > 0 {
		t.Errorf("%d contents were classified more than once (two remote jobs for one file)", again)
	}
	if strict && len(jobs) != len(c.Want) {
		t.Errorf("%d remote jobs for %d contents, want one each", len(jobs), len(c.Want))
	}
}

func countDir(dir string) int {
	es, _ := os.ReadDir(dir)
	return len(es)
}

func kindList(m map[string]int) string {
	var out []string
	for k, n := range m {
		out = append(out, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
