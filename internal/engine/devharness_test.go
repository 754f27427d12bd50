package engine

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/classifyd/classifyd/internal/api"
	"go.yaml.in/yaml/v3"
)

// TestDevHarness is a development aid over text dumps (DEVTXT=/tmp/devtxt).
func TestDevHarness(t *testing.T) {
	dir := os.Getenv("DEVTXT")
	if dir == "" {
		t.Skip("DEVTXT not set")
	}
	rulesPath := os.Getenv("DEVRULES")
	if rulesPath == "" {
		rulesPath = "/work/shared/corpus/dev/rules.yaml"
	}
	var rf struct {
		Rules []api.Rule `yaml:"rules"`
	}
	b, _ := os.ReadFile(rulesPath)
	if err := yaml.Unmarshal(b, &rf); err != nil {
		t.Fatal(err)
	}
	typeMap := map[string]string{}
	if m := os.Getenv("DEVMAP"); m != "" {
		for _, kv := range strings.Split(m, ",") {
			p := strings.SplitN(kv, "=", 2)
			typeMap[p[0]] = p[1]
		}
	}
	f, _ := os.Open("/work/shared/corpus/dev/labels.csv")
	recs, _ := csv.NewReader(f).ReadAll()
	e := New()
	correct, n := 0, 0
	conf := map[string]map[string]int{}
	for _, r := range recs[1:] {
		base := strings.TrimSuffix(filepath.Base(r[0]), filepath.Ext(r[0]))
		txt, err := os.ReadFile(filepath.Join(dir, base+".txt"))
		if err != nil {
			continue
		}
		want := r[1]
		if m, ok := typeMap[want]; ok {
			want = m
		}
		res := e.Classify(Doc{Text: string(txt), Format: r[2]}, rf.Rules)
		if os.Getenv("DEVLOW") != "" && res.Scores[0].Score < 0.3 {
			fmt.Printf("LOW %s %s %v conf=%.2f\n", base, want, res.Scores[:2], res.Confidence)
		}
		n++
		if conf[want] == nil {
			conf[want] = map[string]int{}
		}
		conf[want][res.Type]++
		if res.Type == want {
			correct++
		} else if os.Getenv("DEVV") != "" {
			fmt.Printf("WRONG %s want=%s got=%s %v\n   %s\n", base, want, res.Type, res.Scores[:3], res.Reasoning)
		}
	}
	fmt.Printf("accuracy %d/%d = %.3f\n", correct, n, float64(correct)/float64(n))
	var ks []string
	for k := range conf {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		fmt.Printf("  %-18s %v\n", k, conf[k])
	}
}
