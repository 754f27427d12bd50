package admin

import (
	"context"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/config"
	"github.com/classifyd/classifyd/internal/daemon"
	"github.com/classifyd/classifyd/internal/state"
	"github.com/classifyd/classifyd/internal/testutil"
)

var _ Daemon = (*daemon.Daemon)(nil)

// env is a real inbox, output and state file, filed by the real daemon with
// the keyword classifier.
type env struct {
	t                   *testing.T
	dir, in, out, state string
	cfg                 *config.Config
}

func newEnv(t *testing.T) *env {
	t.Helper()
	f := testutil.NewFolders(t)
	return &env{t: t, dir: f.Dir, in: f.In, out: f.Out, state: f.State,
		cfg: f.Config(t, testutil.Fast, testutil.Rules)}
}

func (e *env) write(rel, text string) string {
	e.t.Helper()
	return testutil.Write(e.t, e.in, rel, text)
}

// sample writes testutil.Sample's mixed inbox and a duplicate of its apple.
func (e *env) sample() {
	e.t.Helper()
	testutil.Sample(e.t, e.in)
	e.write("copy.txt", "the apple harvest in the orchard, banana too")
}

func (e *env) open() *state.Store {
	e.t.Helper()
	st, err := state.Open(e.state, state.Options{NoSync: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// once files the inbox with the real daemon in once mode.
func (e *env) once() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lb := testutil.KeywordBackend(e.t, ctx)
	st := e.open()
	defer st.Close()
	d, err := daemon.New(daemon.Options{Config: e.cfg, Backend: lb, Store: st, Once: true,
		RetryBase: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := d.Run(ctx); err != nil {
		e.t.Fatal(err)
	}
}
