package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/classifyd/classifyd/internal/api"
	"go.yaml.in/yaml/v3"
)

func TestDevOther(t *testing.T) {
	rp := os.Getenv("DEVRULES")
	if rp == "" {
		t.Skip()
	}
	var rf struct {
		Rules []api.Rule `yaml:"rules"`
	}
	b, _ := os.ReadFile(rp)
	yaml.Unmarshal(b, &rf)
	fs, _ := filepath.Glob("testdata/other/*")
	e := New()
	for _, f := range fs {
		b, _ := os.ReadFile(f)
		r := e.Classify(Doc{Text: string(b)}, rf.Rules)
		fmt.Printf("%-20s %-14s %.2f %v\n     %s\n", filepath.Base(f), r.Type, r.Confidence, r.Scores[:2], r.Reasoning)
	}
}
