package admin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/daemon"
	"github.com/classifyd/classifyd/internal/testutil"
)

// The inbox removed under the running daemon: /healthz and /readyz answer
// 503 naming it; re-created, both are 200 again.
func TestInboxGoneHealthAndReadiness(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lb := testutil.KeywordBackend(t, ctx)
	st := e.open()
	defer st.Close()
	srv := New(Options{Config: e.cfg})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	ready := make(chan struct{})
	d, err := daemon.New(daemon.Options{Config: e.cfg, Backend: lb, Store: st, InboxCheck: 20 * time.Millisecond,
		Ready: func() { srv.SetReady(); close(ready) }})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetDaemon(d)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); d.Run(ctx) }()
	defer wg.Wait()
	defer cancel()
	<-ready
	status := func(path string) (int, string) { return get(t, hs.URL+path) }
	until := func(what string, cond func() bool) {
		t.Helper()
		end := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(end) {
				t.Fatalf("timed out: %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	until("healthy and ready", func() bool {
		h, _ := status("/healthz")
		r, _ := status("/readyz")
		return h == 200 && r == 200
	})
	if err := os.Rename(e.in, e.in+".gone"); err != nil {
		t.Fatal(err)
	}
	until("503 naming the inbox", func() bool {
		h, hb := status("/healthz")
		r, rb := status("/readyz")
		return h == http.StatusServiceUnavailable && strings.Contains(hb, e.in) && r == http.StatusServiceUnavailable && strings.Contains(rb, e.in)
	})
	if err := os.Mkdir(e.in, 0o755); err != nil {
		t.Fatal(err)
	}
	until("healthy and ready again", func() bool {
		h, _ := status("/healthz")
		r, _ := status("/readyz")
		return h == 200 && r == 200
	})
}
