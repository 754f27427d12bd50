package daemon

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/client"
	"github.com/classifyd/classifyd/internal/cloudtest"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/sorter"
	"github.com/classifyd/classifyd/internal/state"
)

// A test document says what each side answers for it:
//
//	local: fruit 0.35
//	remote: vehicle 0.95
//
// (a missing type is "none"; "remote: fail" makes its remote job FAILED).

func answerLine(data []byte, side string) (typ string, conf float64, ok bool) {
	for _, l := range strings.Split(string(data), "\n") {
		rest, found := strings.CutPrefix(l, side+": ")
		if !found {
			continue
		}
		f := strings.Fields(rest)
		if len(f) > 0 {
			typ = f[0]
		}
		if len(f) > 1 {
			conf, _ = strconv.ParseFloat(f[1], 64)
		}
		if typ == "none" {
			typ = ""
		}
		return typ, conf, true
	}
	return "", 0, false
}

// labelClassifier is the embedded engine's stand-in: it answers the
// document's "local:" line.
type labelClassifier struct{}

func (labelClassifier) Classify(ctx context.Context, path string, rules []api.Rule, mode api.Mode, pc api.ParsingConfiguration) (api.ItemResult, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return api.ItemResult{}, err
	}
	typ, conf, _ := answerLine(data, "local")
	r := api.ItemResult{Confidence: conf, Reasoning: "local reasoning"}
	if typ != "" {
		r.Type = &typ
	}
	return r, nil
}

// remoteLabels answers from the document's "remote:" line.
func remoteLabels(name string, data []byte) cloudtest.Answer {
	typ, conf, _ := answerLine(data, "remote")
	if typ == "fail" {
		return cloudtest.Answer{Fail: "could not parse the document"}
	}
	return cloudtest.Answer{Type: typ, Confidence: conf, Reasoning: "remote reasoning for " + name}
}

// learnLog records what the daemon taught the engine.
type learnLog struct {
	mu      sync.Mutex
	learned map[string]string // base name → type
}

func (l *learnLog) Learn(ctx context.Context, typ, path string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.learned == nil {
		l.learned = map[string]string{}
	}
	l.learned[filepath.Base(path)] = typ
	return nil
}

func (l *learnLog) Correct(ctx context.Context, from, to, path string) error { return nil }

func (l *learnLog) Pages(ctx context.Context, path string, max int) (int, error) {
	return min(2, max), nil
}

// cloud starts the stand-in LlamaCloud and a client of it with short
// retries (Retry-After is capped at a few milliseconds).
func cloud(t *testing.T, o cloudtest.Options) (*cloudtest.Server, *client.Client) {
	t.Helper()
	if o.Label == nil {
		o.Label = remoteLabels
	}
	srv := cloudtest.New(o)
	ts := httptest.NewServer(srv)
	srv.SetURL(ts.URL)
	t.Cleanup(ts.Close)
	c, err := client.New(client.Options{BaseURL: ts.URL, APIKey: "k", RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
		MaxRetryAfter: 5 * time.Millisecond, MaxRetries: 2, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func (e *env) labelBackend(ctx context.Context) api.Backend {
	lb, err := local.New(local.Options{Classifier: labelClassifier{}, Workers: 2})
	if err != nil {
		e.t.Fatal(err)
	}
	go lb.Run(ctx)
	e.t.Cleanup(func() { lb.Close() })
	return lb
}

const escalateOn = "escalate: {enabled: true, below: 0.6, files_per_day: 100, pages_per_file: 2, tries: 2, wait: 1m, learn_above: 0.8}\n"

// jobNames lists the names of the files the remote has jobs for.
func jobNames(srv *cloudtest.Server) map[string]int {
	out := map[string]int{}
	for _, j := range srv.JobList() {
		out[srv.FileName(j.FileInput)]++
	}
	return out
}

// TestEscalateUnsure: files the engine is sure of are filed by its answer
// and never reach the remote; files under escalate.below, and files it gives
// no type, are filed by the remote's answer (one job each, max_pages
// pages_per_file), the journal records both answers and who decided, the
// reasoning says so, and only confident remote answers teach the engine.
// The remote is slow and throttles: the sure files are filed before it
// answers.
func TestEscalateUnsure(t *testing.T) {
	e := newEnv(t, escalateOn)
	e.write("sure1.txt", "local: fruit 0.9\nremote: vehicle 0.9\n")
	e.write("sure2.txt", "local: vehicle 0.75\nremote: fruit 0.9\n")
	e.write("unsure.txt", "local: fruit 0.35\nremote: vehicle 0.95\n")
	e.write("none.txt", "local: none 0.8\nremote: fruit 0.85\n")
	e.write("doubt.txt", "local: vehicle 0.2\nremote: fruit 0.7\n")
	const latency = 700 * time.Millisecond
	srv, c := cloud(t, cloudtest.Options{Latency: latency, Every429: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ll := &learnLog{}
	start := time.Now()
	var mu sync.Mutex
	at := map[string]time.Duration{}
	got, err := e.run(ctx, e.labelBackend(ctx), func(o *Options) {
		o.Remote, o.Learner = c, ll
		report := o.Report
		o.Report = func(en sorter.Entry) {
			mu.Lock()
			at[filepath.Base(en.Source)] = time.Since(start)
			mu.Unlock()
			report(en)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("filed %d files, want 5: %+v", len(got), got)
	}
	want := map[string]string{"sure1.txt": "fruit", "sure2.txt": "vehicle", "unsure.txt": "vehicle", "none.txt": "fruit", "doubt.txt": "fruit"}
	for name, typ := range want {
		if _, err := os.Stat(filepath.Join(e.out, e.cfg.Rules[ruleIndex(e, typ)].FolderOf(), name)); err != nil {
			t.Errorf("%s not in the %s folder: %v", name, typ, err)
		}
	}
	jobs := jobNames(srv)
	if len(jobs) != 3 || jobs["unsure.txt"] != 1 || jobs["none.txt"] != 1 || jobs["doubt.txt"] != 1 {
		t.Errorf("remote jobs by file: %v, want one each for unsure, none and doubt, none for the sure files", jobs)
	}
	for _, j := range srv.JobList() {
		if pc := j.Configuration.ParsingConfiguration; pc == nil || pc.MaxPages == nil || *pc.MaxPages != 2 {
			t.Errorf("job %s: parsing configuration %+v, want max_pages 2", j.ID, pc)
		}
		if j.TransactionID == nil || *j.TransactionID == "" {
			t.Errorf("job %s without a transaction_id", j.ID)
		}
	}
	if srv.Throttled() == 0 {
		t.Error("the stand-in never throttled: the test does not test 429s")
	}
	for _, s := range []string{"sure1.txt", "sure2.txt"} {
		if at[s] >= latency {
			t.Errorf("%s filed after %v: the slow remote held back a file the engine was sure of", s, at[s])
		}
	}
	byName := map[string]sorter.Entry{}
	for _, en := range e.journal() {
		byName[filepath.Base(en.Source)] = en
	}
	for _, s := range []string{"sure1.txt", "sure2.txt"} {
		if byName[s].Escalation != nil {
			t.Errorf("%s: journal escalation %+v, want none", s, byName[s].Escalation)
		}
	}
	u := byName["unsure.txt"]
	if x := u.Escalation; x == nil || x.Decided != state.DecidedRemote || x.LocalType != "fruit" || x.LocalConfidence != 0.35 ||
		x.RemoteType != "vehicle" || x.RemoteConfidence != 0.95 || x.JobID == "" || x.Pages != 2 || !x.Learned {
		t.Errorf("unsure.txt journal escalation %+v", x)
	}
	if !strings.HasPrefix(u.Reasoning, "Escalated to LlamaCloud: the engine was unsure (fruit at 0.35, below escalate.below 0.60)") ||
		!strings.Contains(u.Reasoning, "remote reasoning for unsure.txt") {
		t.Errorf("unsure.txt reasoning %q", u.Reasoning)
	}
	if x := byName["none.txt"].Escalation; x == nil || x.LocalType != "" || x.RemoteType != "fruit" {
		t.Errorf("none.txt journal escalation %+v", x)
	}
	if want := map[string]string{"unsure.txt": "vehicle", "none.txt": "fruit"}; fmt.Sprint(ll.learned) != fmt.Sprint(want) {
		t.Errorf("learned %v, want %v (doubt.txt's remote answer 0.7 is under learn_above 0.8)", ll.learned, want)
	}
	st, err := state.Open(e.state, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if day, _ := st.EscalationsOn(time.Now().Format(time.DateOnly)); day.Files != 3 || day.Pages != 6 {
		t.Errorf("budget used today %+v, want 3 files, 6 pages", day)
	}
}

func ruleIndex(e *env, typ string) int {
	for i, r := range e.cfg.Rules {
		if r.Type == typ {
			return i
		}
	}
	e.t.Fatalf("no rule %s", typ)
	return -1
}
