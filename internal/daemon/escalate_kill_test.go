package daemon

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/client"
	"github.com/classifyd/classifyd/internal/cloudtest"
	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/state"
)

// escalateChild runs the daemon of the kill -9 test in a process of its
// own (this test binary, started again): once over the inbox of the config
// at $CLASSIFYD_ESC_CONFIG, escalating to $CLASSIFYD_ESC_URL.
func escalateChild(t *testing.T) {
	cfg, err := config.Load(os.Getenv("CLASSIFYD_ESC_CONFIG"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Options{BaseURL: os.Getenv("CLASSIFYD_ESC_URL"), APIKey: "k", RetryWaitMin: time.Millisecond,
		RetryWaitMax: 5 * time.Millisecond, MaxRetryAfter: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, cfg: cfg, in: cfg.Inbox, out: cfg.Output, state: cfg.State}
	ctx := context.Background()
	if _, err := e.run(ctx, e.labelBackend(ctx), func(o *Options) { o.Remote = c }); err != nil {
		t.Fatal(err)
	}
}

// TestEscalateKill9: the daemon killed with SIGKILL at random moments, again
// and again, then run to the end: the remote has no more jobs than the
// budget, one per transaction id, and every file is filed exactly once.
func TestEscalateKill9(t *testing.T) {
	if os.Getenv("CLASSIFYD_ESC_CHILD") != "" {
		escalateChild(t)
		return
	}
	if testing.Short() {
		t.Skip("kills processes")
	}
	const files, budget = 16, 10
	e := newEnv(t, strings.Replace(escalateOn, "files_per_day: 100", fmt.Sprintf("files_per_day: %d", budget), 1))
	cfgPath := filepath.Join(e.dir, "test.yaml")
	y := fmt.Sprintf("inbox: %s\noutput: %s\nstate: %s\nmin_confidence: 0\nbatch: {size: 2, window: 5ms, concurrency: 2}\n"+
		"poll: {min_interval: 5ms, max_interval: 30ms}\nwatch: {settle: 10ms, rescan_interval: 0s}\n%s%s",
		e.in, e.out, e.state, strings.Replace(escalateOn, "files_per_day: 100", fmt.Sprintf("files_per_day: %d", budget), 1), testRules)
	if err := os.WriteFile(cfgPath, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range files {
		e.write(fmt.Sprintf("u%02d.txt", i), fmt.Sprintf("local: fruit 0.%02d\nremote: vehicle 0.9\n", 10+i))
	}
	srv, _ := cloud(t, cloudtest.Options{Latency: 30 * time.Millisecond, CreateDelay: 40 * time.Millisecond})
	url := srv.URL()
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEscalateKill9$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CLASSIFYD_ESC_CHILD=1", "CLASSIFYD_ESC_CONFIG="+cfgPath, "CLASSIFYD_ESC_URL="+url)
		return cmd
	}
	kills := 0
	for range 12 {
		cmd := child()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(50+rand.IntN(150)) * time.Millisecond)
		if cmd.Process.Signal(syscall.SIGKILL) == nil {
			kills++
		}
		cmd.Wait()
	}
	if out, err := child().CombinedOutput(); err != nil {
		t.Fatalf("last run: %v\n%s", err, out)
	}
	if srv.Jobs() > budget {
		t.Errorf("%d remote jobs, budget %d", srv.Jobs(), budget)
	}
	tx := map[string]int{}
	for _, j := range srv.JobList() {
		tx[*j.TransactionID]++
	}
	if len(tx) != srv.Jobs() {
		t.Errorf("%d remote jobs for %d transaction ids: a crash paid twice", srv.Jobs(), len(tx))
	}
	filed := map[string]int{}
	for _, en := range e.journal() {
		filed[filepath.Base(en.Source)]++
	}
	if len(filed) != files {
		t.Errorf("%d files in the journal, want %d", len(filed), files)
	}
	for name, n := range filed {
		if n != 1 {
			t.Errorf("%s journaled %d times", name, n)
		}
	}
	if left, _ := os.ReadDir(e.in); len(left) != 0 {
		t.Errorf("%d files left in the inbox", len(left))
	}
	st, err := state.Open(e.state, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	day, _ := st.EscalationsOn(time.Now().Format(time.DateOnly))
	if day.Files > budget || day.Files < srv.Jobs() {
		t.Errorf("budget counted %d, remote jobs %d, budget %d", day.Files, srv.Jobs(), budget)
	}
	t.Logf("%d kills; remote jobs %d (creates %d), budget counted %d", kills, srv.Jobs(), srv.Creates(), day.Files)
}
