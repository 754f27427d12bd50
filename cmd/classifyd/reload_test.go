package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/testutil"
)

// SIGHUP with a valid configuration: files not yet submitted follow the new
// rules (a template folder); with an invalid one: refused with the error in
// the log, the running configuration kept, the daemon still filing.
func TestRunReloadOnSIGHUP(t *testing.T) {
	e := newCmdEnv(t)
	orig, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr testutil.SyncBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- cmdRun(ctx, []string{"--config", e.config, "--log-format", "json"}, io.Discard, &stderr)
	}()
	at := func(rel string) func() bool {
		return func() bool { _, err := os.Stat(filepath.Join(e.out, rel)); return err == nil }
	}
	e.write("a.txt", "apple orchard harvest")
	eventually(t, "a.txt filed under fruit", at("fruit/a.txt"))

	newCfg := strings.Replace(string(orig), `description: "apple banana orchard fruit harvest"`,
		`description: "apple banana orchard fruit harvest"`+"\n    folder: \"Food/{year}\"", 1)
	if newCfg == string(orig) {
		t.Fatal("config not changed")
	}
	os.WriteFile(e.config, []byte(newCfg), 0o644)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	eventually(t, "reloaded", func() bool { return strings.Contains(stderr.String(), "configuration reloaded") })
	y := time.Now().Format("2006")
	e.write("b.txt", "banana fruit")
	eventually(t, "b.txt filed under Food/"+y, at("Food/"+y+"/b.txt"))

	os.WriteFile(e.config, []byte(newCfg+"bogus_key: 1\n"), 0o644)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	eventually(t, "refused", func() bool {
		s := stderr.String()
		return strings.Contains(s, "reload refused") && strings.Contains(s, "bogus_key: unknown key")
	})
	e.write("c.txt", "more apple fruit")
	eventually(t, "c.txt filed under Food/"+y+" (the kept configuration)", at("Food/"+y+"/c.txt"))
	select {
	case err := <-errc:
		t.Fatalf("run stopped: %v\n%s", err, stderr.String())
	default:
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// A missing inbox at start is an error, and "ready" is never logged.
func TestRunMissingInbox(t *testing.T) {
	e := newCmdEnv(t)
	os.Remove(e.in)
	var stderr testutil.SyncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := cmdRun(ctx, []string{"--config", e.config, "--log-format", "json"}, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "inbox") || !strings.Contains(err.Error(), e.in) {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(stderr.String(), `"msg":"ready"`) {
		t.Fatalf("ready logged:\n%s", stderr.String())
	}
}
