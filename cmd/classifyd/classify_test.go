package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testRulesYAML = `rules:
  - type: invoice
    description: "an invoice with an invoice number, line items, VAT and the amount due"
  - type: letter
    description: "a letter to a person, with a greeting and a signature"
`

const testInvoice = `ACME Supplies Ltd
INVOICE
Invoice number: 2024-117
Invoice date: 03/02/2024
Due date: 03/03/2024

Item              Qty   Unit price   Amount
Paper A4 box        4        21.00    84.00
Toner black         2        65.50   131.00

Subtotal                            215.00
VAT 20%                              43.00
Total amount due                    258.00
`

const testPoem = `The orchard in October

Apples fall where no one gathers,
wasps grow drunk on what remains.
`

// testTree writes a config (state under the temp dir) and an inbox.
func testTree(t *testing.T) (dir, cfg string) {
	t.Helper()
	dir = t.TempDir()
	cfg = filepath.Join(dir, "rules.yaml")
	yaml := "state: " + filepath.Join(dir, "state", "classifyd.db") + "\n" + testRulesYAML
	for name, text := range map[string]string{
		"rules.yaml":           yaml,
		"in/a-invoice.txt":     testInvoice,
		"in/b-poem.txt":        testPoem,
		"in/.hidden.txt":       testInvoice,
		"in/sub/c-invoice.txt": strings.Replace(testInvoice, "Toner black", "Toner cyan", 1),
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, cfg
}

func TestClassifyCommand(t *testing.T) {
	dir, cfg := testTree(t)
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"classify", "--config", cfg, filepath.Join(dir, "in")}, &out, &errb)
	if err != nil {
		t.Fatalf("classify: %v\n%s", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 JSON lines (hidden file skipped), got %d:\n%s", len(lines), out.String())
	}
	want := map[string]string{"a-invoice.txt": "invoice", "b-poem.txt": "", "c-invoice.txt": "invoice"}
	for _, l := range lines {
		var got map[string]any
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		for _, k := range []string{"file", "type", "confidence", "reasoning"} {
			if _, ok := got[k]; !ok {
				t.Errorf("line without %q: %s", k, l)
			}
		}
		name := filepath.Base(got["file"].(string))
		typ, _ := got["type"].(string)
		if typ != want[name] {
			t.Errorf("%s: type %v, want %q (%v)", name, got["type"], want[name], got["reasoning"])
		}
		if want[name] == "" && got["type"] != nil {
			t.Errorf("%s: type should be null, is %v", name, got["type"])
		}
	}
	// a file that cannot be read: an error line and exit status 1
	out.Reset()
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"classify", "--config", cfg, "--no-learned", empty}, &out, &errb)
	var ee errExit
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Errorf("unreadable file: err %v", err)
	}
	if !strings.Contains(out.String(), `"error"`) || !strings.Contains(out.String(), `"type":null`) {
		t.Errorf("no error line: %s", out.String())
	}
}

func TestClassifyCommandUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"classify", "--help"}, &out, &errb); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v", err)
	}
	if !strings.Contains(errb.String(), "Examples:") {
		t.Errorf("help without examples:\n%s", errb.String())
	}
	var ee errExit
	if err := run(context.Background(), []string{"classify"}, &out, &errb); !errors.As(err, &ee) || ee.code != 2 {
		t.Errorf("no paths: %v", err)
	}
	if err := run(context.Background(), []string{"classify", "/does/not/exist"}, &out, &errb); err == nil {
		t.Error("a missing path did not fail")
	}
	if err := run(context.Background(), []string{"classify", "--mode", "bogus", "."}, &out, &errb); err == nil {
		t.Error("a bad mode did not fail")
	}
}

func TestEvalCommand(t *testing.T) {
	dir, cfg := testTree(t)
	// labelled folder: one subfolder per type
	for name, text := range map[string]string{
		"lab/invoice/1.txt": testInvoice,
		"lab/invoice/2.txt": strings.Replace(testInvoice, "Paper A4 box", "Envelopes", 1),
		"lab/letter/1.txt":  "Dear Ms Smith,\n\nThank you for your letter of 3 May. I am glad to confirm our meeting next week.\n\nYours sincerely,\nJohn Brown",
		"lab/other/1.txt":   testPoem,
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"eval", "--config", cfg, filepath.Join(dir, "lab")}, &out, &errb); err != nil {
		t.Fatalf("eval: %v\n%s", err, errb.String())
	}
	for _, want := range []string{"Accuracy:  100.0% (4/4)", "ECE:", "precision", "Confusion", "invoice", "(none)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	// CSV labels, JSON report, examples
	csv := "path,type\nlab/invoice/1.txt,invoice\nlab/invoice/2.txt,invoice\nlab/letter/1.txt,letter\n"
	if err := os.WriteFile(filepath.Join(dir, "labels.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	args := []string{"eval", "--config", cfg, "--labels", filepath.Join(dir, "labels.csv"), "--json", "--examples", "1", "--runs", "2"}
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, errb.String())
	}
	var rep struct {
		Runs      int     `json:"runs"`
		Examples  int     `json:"examples_per_type"`
		Evaluated int     `json:"evaluated"`
		Accuracy  float64 `json:"accuracy"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	// one invoice learned per run, the other evaluated; the single letter stays in the test set
	if rep.Runs != 2 || rep.Examples != 1 || rep.Evaluated != 4 || rep.Accuracy != 1 {
		t.Errorf("report %+v", rep)
	}
	var ee errExit
	if err := run(context.Background(), []string{"eval", "--config", cfg}, &out, &errb); !errors.As(err, &ee) || ee.code != 2 {
		t.Errorf("no labels: %v", err)
	}
	if err := run(context.Background(), []string{"eval", "--map", "x", "--labels", "l.csv"}, &out, &errb); err == nil {
		t.Error("a bad --map did not fail")
	}
}
