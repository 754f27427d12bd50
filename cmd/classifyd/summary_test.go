package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOnceSummaryLeftInInbox: files once gave up moving (their type folder
// cannot be made) are counted as left in the inbox, not as filed, and the
// summary does not point at .error.txt notes that do not exist.
func TestOnceSummaryLeftInInbox(t *testing.T) {
	retryBase, retryMax = 5*time.Millisecond, 20*time.Millisecond
	t.Cleanup(func() { retryBase, retryMax = 0, 0 })
	e := newCmdEnv(t)
	os.MkdirAll(e.out, 0o755)
	os.WriteFile(filepath.Join(e.out, "fruit"), []byte("not a folder"), 0o644)
	e.write("apple.txt", "the apple harvest in the orchard, banana too")
	e.write("bananas.txt", "banana fruit, more fruit")
	e.write("car.txt", "my car engine needs new wheels from the garage")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, _, err := e.cmd(ctx, cmdOnce, "--config", e.config, "--quiet")
	if err == nil {
		t.Fatal("once exited 0 with files left in the inbox")
	}
	if !strings.Contains(out, "filed 1,") || !strings.Contains(out, "2 files left in the inbox") || strings.Contains(out, ".error.txt") {
		t.Errorf("summary:\n%s", out)
	}
}

// TestBadFlagNamesTheFlag: a bad flag value is an error of the flag, not of
// the configuration file.
func TestBadFlagNamesTheFlag(t *testing.T) {
	e := newCmdEnv(t)
	for _, args := range [][]string{
		{"--config", e.config, "--backend", "bogus"},
		{"--config", e.config, "--out", e.in},
	} {
		_, _, err := e.cmd(context.Background(), cmdOnce, append(args, "--quiet")...)
		if err == nil || !strings.HasPrefix(err.Error(), "flag --") || strings.Contains(err.Error(), e.config) {
			t.Errorf("%v: err = %v", args, err)
		}
	}
}
