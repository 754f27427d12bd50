package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With the embedded engine as shipped (the real pipeline), a batch with
// unreadable files files the others; each unreadable file fails alone, at
// once (no retry: another attempt would fail the same way), with only its
// own reason in its .error.txt; the summary counts filed and failed apart.
func TestOnceUnreadableFilesFailAlone(t *testing.T) {
	e := newCmdEnv(t)
	newLocalClassifier = realClassifier
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "job_retries: 0", "job_retries: 3", 1))
	if err := os.WriteFile(e.config, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	e.write("apple.txt", "the apple harvest in the orchard, banana too")
	e.write("car.txt", "my car engine needs new wheels from the garage")
	e.write("broken.pdf", "%PDF-1.4\n\x00\x01 not a pdf at all\n%%EOF\n")
	e.write("blob.bin", "\x00\x01binary\x00")
	out, stderr, err := e.cmd(context.Background(), cmdOnce, "--config", e.config, "--quiet")
	var ee errExit
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("once: %v\n%s\n%s", err, out, stderr)
	}
	if !strings.Contains(out, "4 files in") || !strings.Contains(out, ": filed 2, failed 2, duplicate 0") {
		t.Errorf("summary:\n%s", out)
	}
	for name, want := range map[string]string{"broken.pdf": "malformed file", "blob.bin": "unsupported file format"} {
		note, err := os.ReadFile(filepath.Join(e.out, "_failed", name+".error.txt"))
		if err != nil {
			t.Fatal(err)
		}
		other := map[string]string{"broken.pdf": "blob.bin", "blob.bin": "broken.pdf"}[name]
		if !strings.Contains(string(note), want) || !strings.Contains(string(note), name) || strings.Contains(string(note), other) ||
			strings.Contains(string(note), "(index") {
			t.Errorf("%s.error.txt holds more or less than its own reason:\n%s", name, note)
		}
	}
	if n := strings.Count(stderr, "file failed"); n != 2 {
		t.Errorf("%d failed attempts logged, want 2 (no retry):\n%s", n, stderr)
	}
	for _, f := range []string{"fruit/apple.txt", "vehicle/car.txt"} {
		if _, err := os.Stat(filepath.Join(e.out, f)); err != nil {
			t.Error(err)
		}
	}
}

// realClassifier is the embedded engine as shipped, before any test swaps it.
var realClassifier = newLocalClassifier
