package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifyd/classifyd/internal/cloudtest"
)

// TestOnceEscalates: once with escalate.enabled sends the files the engine
// is unsure of to the remote (escalate.backend, here the stand-in on
// loopback: no key needed) and files them by its answers; a dry run lists
// what it would send and its pages without sending; status shows today's
// escalations against the budget; run, once and classify --help document
// the settings.
func TestOnceEscalates(t *testing.T) {
	e := newCmdEnv(t)
	srv := cloudtest.New(cloudtest.Options{Label: func(name string, _ []byte) cloudtest.Answer {
		return cloudtest.Answer{Type: map[string]string{"apple.txt": "vehicle", "odd.txt": "fruit"}[name], Confidence: 0.9, Reasoning: "remote"}
	}})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	// The keyword engine is never this sure: every file with or without a type is
	// escalated, each counting pages_per_file pages (the keyword engine counts none).
	cfg = append(cfg, fmt.Sprintf("escalate: {enabled: true, below: 0.999, files_per_day: 7, backend: {base_url: %s}}\n", ts.URL)...)
	if err := os.WriteFile(e.config, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	e.write("apple.txt", "the apple harvest in the orchard, banana too")
	e.write("odd.txt", "nothing that any rule knows about")

	out, stderr, err := e.cmd(context.Background(), cmdOnce, "--config", e.config, "--quiet", "--dry-run")
	if err != nil {
		t.Fatalf("dry run: %v\n%s\n%s", err, out, stderr)
	}
	if strings.Count(out, "[escalate: 3 pages to LlamaCloud]") != 2 || !strings.Contains(out, "would escalate 2 files to LlamaCloud, 6 pages (budget: 7 files a day, 3 pages a file") {
		t.Errorf("dry run output:\n%s", out)
	}
	if srv.Jobs() != 0 {
		t.Fatalf("the dry run created %d remote jobs", srv.Jobs())
	}

	out, stderr, err = e.cmd(context.Background(), cmdOnce, "--config", e.config, "--quiet")
	if err != nil {
		t.Fatalf("once: %v\n%s\n%s", err, out, stderr)
	}
	if srv.Jobs() != 2 {
		t.Errorf("remote jobs %d, want 2", srv.Jobs())
	}
	for _, f := range []string{"vehicle/apple.txt", "fruit/odd.txt"} {
		if _, err := os.Stat(filepath.Join(e.out, f)); err != nil {
			t.Errorf("not filed by the remote's answer: %v", err)
		}
	}
	out, _, err = e.cmd(context.Background(), cmdStatus, "--config", e.config)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, ": 2 of 7 files (5 left), 6 pages; 0 waiting for LlamaCloud; threshold 1.00") {
		t.Errorf("status:\n%s", out)
	}
	for _, c := range []func(context.Context, []string, io.Writer, io.Writer) error{cmdRun, cmdOnce, cmdClassify} {
		_, help, _ := e.cmd(context.Background(), c, "--help")
		if !strings.Contains(help, "escalate.below") || !strings.Contains(help, "escalate.files_per_day") {
			t.Errorf("--help does not document escalation:\n%s", help)
		}
	}
}
