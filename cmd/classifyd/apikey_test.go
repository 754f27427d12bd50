package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLlamaCloudWithoutKeyRefused: run and once with backend.kind
// llamacloud, a server elsewhere and no API key refuse to start, naming
// the variable to set (the default one, or backend.api_key_env's).
func TestLlamaCloudWithoutKeyRefused(t *testing.T) {
	t.Setenv("LLAMA_CLOUD_API_KEY", "")
	t.Setenv("MY_LLAMA_KEY", "")
	t.Setenv("LLAMA_CLOUD_BASE_URL", "")
	t.Setenv("CREDENTIALS_DIRECTORY", "")
	for _, cmd := range []string{"run", "once"} {
		for env, backend := range map[string]string{
			"LLAMA_CLOUD_API_KEY": "backend:\n  kind: llamacloud\n  base_url: https://api.cloud.llamaindex.ai\n",
			"MY_LLAMA_KEY":        "backend:\n  kind: llamacloud\n  base_url: https://classify.example.com\n  api_key_env: MY_LLAMA_KEY\n",
		} {
			t.Run(cmd+" "+env, func(t *testing.T) {
				dir := t.TempDir()
				cfg := filepath.Join(dir, "rules.yaml")
				yaml := "inbox: " + filepath.Join(dir, "in") + "\noutput: " + filepath.Join(dir, "out") +
					"\nstate: " + filepath.Join(dir, "state", "classifyd.db") + "\n" + backend + testRulesYAML
				if err := os.MkdirAll(filepath.Join(dir, "in"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				var out, errb bytes.Buffer
				err := run(ctx, []string{cmd, "--config", cfg}, &out, &errb)
				if err == nil || !strings.Contains(err.Error(), "$"+env) || !strings.Contains(err.Error(), "needs an API key") {
					t.Fatalf("%s: %v (stderr %s), want a refusal naming $%s", cmd, err, errb.String(), env)
				}
				if ctx.Err() != nil {
					t.Fatal("it started instead of refusing")
				}
			})
		}
	}
}
