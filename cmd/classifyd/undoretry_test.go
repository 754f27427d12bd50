package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/admin"
	"github.com/classifyd/classifyd/internal/testutil"
)

// TestOnceUndoRoundTrip: undo after once restores the inbox byte for byte;
// a second undo does nothing; once again files everything anew.
func TestOnceUndoRoundTrip(t *testing.T) {
	e := newCmdEnv(t)
	e.sample()
	before := testutil.Tree(t, e.in)
	ctx := context.Background()
	out, _, err := e.cmd(ctx, cmdOnce, "--config", e.config, "--quiet")
	var ee errExit
	if !errors.As(err, &ee) || ee.code != 1 { // blob.bin failed
		t.Fatalf("once: %v\n%s", err, out)
	}
	if len(testutil.Tree(t, e.in)) != 0 {
		t.Fatal("once left files in the inbox")
	}

	// status from the state file, daemon stopped.
	out, _, err = e.cmd(ctx, cmdStatus, "--config", e.config)
	if err != nil || !strings.Contains(out, "not running") || !strings.Contains(out, "  failed      1") || !strings.Contains(out, "  filed       4") {
		t.Fatalf("status: %v\n%s", err, out)
	}

	// Dry run: prints, moves nothing.
	out, _, err = e.cmd(ctx, cmdUndo, "--config", e.config, "--all", "--dry-run")
	if err != nil || strings.Count(out, "would move back") != 5 || len(testutil.Tree(t, e.in)) != 0 {
		t.Fatalf("undo --dry-run: %v\n%s", err, out)
	}
	out, _, err = e.cmd(ctx, cmdUndo, "--config", e.config, "--all")
	if err != nil || !strings.Contains(out, "5 files moved back") {
		t.Fatalf("undo: %v\n%s", err, out)
	}
	after := testutil.Tree(t, e.in)
	if len(after) != len(before) {
		t.Fatalf("inbox %v, want %v", after, before)
	}
	for k, v := range before {
		if after[k] != v {
			t.Fatalf("%s: %q, want %q", k, after[k], v)
		}
	}
	if _, err := os.Stat(filepath.Join(e.out, "_failed", "blob.bin.error.txt")); !os.IsNotExist(err) {
		t.Fatal("error note left behind")
	}
	out, _, err = e.cmd(ctx, cmdUndo, "--config", e.config, "--all")
	if err != nil || strings.TrimSpace(out) != "nothing to undo" {
		t.Fatalf("second undo: %v\n%s", err, out)
	}

	// Filed anew, not as duplicates of themselves.
	e.cmd(ctx, cmdOnce, "--config", e.config, "--quiet")
	got := testutil.Tree(t, e.out)
	for _, want := range []string{"fruit/apple.txt", "fruit/bananas.txt", "vehicle/car.txt", "_unmatched/nothing.txt", "_failed/blob.bin"} {
		if _, ok := got[want]; !ok {
			t.Fatalf("after undo and once: no %s in %v", want, got)
		}
	}
}

func TestUndoSelectorsCmd(t *testing.T) {
	e := newCmdEnv(t)
	e.sample()
	ctx := context.Background()
	e.cmd(ctx, cmdOnce, "--config", e.config, "--quiet")
	for _, tc := range []struct {
		name  string
		args  []string
		moved int
		code  int
	}{
		{"no selector", nil, 0, 2},
		{"bad since", []string{"--since", "yesterday-ish"}, 0, -1},
		{"since an hour", []string{"--since", "1h"}, 5, 0},
		{"since tomorrow", []string{"--since", time.Now().Add(24 * time.Hour).Format("2006-01-02")}, 0, 0},
		{"a folder, flags after it", []string{filepath.Join(e.out, "fruit"), "--json"}, 2, 0},
		{"a file by its inbox path", []string{filepath.Join(e.in, "sub", "car.txt")}, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--config", e.config, "--dry-run", "--json"}, tc.args...)
			out, _, err := e.cmd(ctx, cmdUndo, args...)
			var ee errExit
			switch {
			case tc.code == 0 && err != nil, tc.code > 0 && (!errors.As(err, &ee) || ee.code != tc.code), tc.code < 0 && err == nil:
				t.Fatalf("got %v, want code %d", err, tc.code)
			}
			if tc.code != 0 {
				return
			}
			var rep admin.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if rep.Moved() != tc.moved || !rep.DryRun {
				t.Fatalf("would move %d, want %d: %+v", rep.Moved(), tc.moved, rep)
			}
		})
	}
}

// TestUndoRefusesOverwrite: a file at the source stays; undo says so and
// exits 1; the rest is undone.
func TestUndoRefusesOverwrite(t *testing.T) {
	e := newCmdEnv(t)
	e.sample()
	ctx := context.Background()
	e.cmd(ctx, cmdOnce, "--config", e.config, "--quiet")
	e.write("apple.txt", "new content")
	out, _, err := e.cmd(ctx, cmdUndo, "--config", e.config, "--all")
	var ee errExit
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(out, "could not undo "+filepath.Join(e.out, "fruit", "apple.txt")+": "+admin.ErrSourceExists.Error()) ||
		!strings.Contains(out, "4 files moved back; 1 could not") {
		t.Fatalf("%v\n%s", err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(e.in, "apple.txt")); string(b) != "new content" {
		t.Fatal("overwritten")
	}
}

// TestRetryOffline: with the daemon stopped, retry moves the failed file back.
func TestRetryOffline(t *testing.T) {
	e := newCmdEnv(t)
	e.sample()
	ctx := context.Background()
	e.cmd(ctx, cmdOnce, "--config", e.config, "--quiet")
	failed := filepath.Join(e.out, "_failed", "blob.bin")
	out, _, err := e.cmd(ctx, cmdRetry, "--config", e.config, "--dry-run")
	if err != nil || !strings.Contains(out, "would go back "+failed+" -> "+filepath.Join(e.in, "blob.bin")) {
		t.Fatalf("retry --dry-run: %v\n%s", err, out)
	}
	out, _, err = e.cmd(ctx, cmdRetry, "--config", e.config)
	if err != nil || !strings.Contains(out, "1 files back in the inbox") {
		t.Fatalf("retry: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(e.in, "blob.bin")); err != nil || string(b) != "\x00\x01binary\x00" {
		t.Fatal("not back:", err)
	}
	if _, err := os.Stat(failed + ".error.txt"); !os.IsNotExist(err) {
		t.Fatal("note left")
	}
	out, _, err = e.cmd(ctx, cmdRetry, "--config", e.config)
	if err != nil || strings.TrimSpace(out) != "nothing to retry" {
		t.Fatalf("second retry: %v\n%s", err, out)
	}
	// Named file outside the output: refused, exit 1.
	out, _, err = e.cmd(ctx, cmdRetry, "--config", e.config, filepath.Join(e.in, "blob.bin"))
	var ee errExit
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(out, admin.ErrNotInOutput.Error()) {
		t.Fatalf("retry of an inbox file: %v\n%s", err, out)
	}
}

func TestStatusNoStateFile(t *testing.T) {
	e := newCmdEnv(t)
	_, _, err := e.cmd(context.Background(), cmdStatus, "--config", e.config)
	if err == nil || !strings.Contains(err.Error(), "no state file") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(e.state); !os.IsNotExist(err) {
		t.Fatal("status created the state file")
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.Local)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2h", now.Add(-2 * time.Hour)},
		{"-30m", now.Add(-30 * time.Minute)},
		{"2026-04-30", time.Date(2026, 4, 30, 0, 0, 0, 0, time.Local)},
		{"2026-04-30 14:30", time.Date(2026, 4, 30, 14, 30, 0, 0, time.Local)},
		{"2026-04-30T14:30:05Z", time.Date(2026, 4, 30, 14, 30, 5, 0, time.UTC)},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSince(tc.in, now)
			if err != nil || !got.Equal(tc.want) {
				t.Fatalf("got %v %v, want %v", got, err, tc.want)
			}
		})
	}
	if _, err := parseSince("soon", now); err == nil {
		t.Fatal("want an error")
	}
}
