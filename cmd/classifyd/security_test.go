package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/classifyd/classifyd/internal/metrics"
	"github.com/classifyd/classifyd/internal/server"
)

// TestSecurityRecordsNotRateLimited: warnings marked security=true (a
// refused webhook target, a bad key) all pass the log rate limit, and do not
// use up the budget of other warnings.
func TestSecurityRecordsNotRateLimited(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(newRateLimited(slog.NewJSONHandler(&b, nil)))
	for i := range 20 {
		log.Warn("webhook target refused", metrics.SecurityAttr, true, "n", i)
	}
	log.Warn("webhook target refused", "url", "http://169.254.169.254/") // unmarked: limited as before
	if n := len(logLines(t, &b)); n != 21 {
		t.Errorf("%d lines, want all 20 security lines and the unmarked one", n)
	}
}

// TestAPIKeysSettings: a key setting that holds no key is an error, never
// "no auth"; key file lines name tenants and projects.
func TestAPIKeysSettings(t *testing.T) {
	for _, env := range []string{" , ", ",", " ", ",,,"} {
		if keys, err := apiKeys(env, ""); err == nil {
			t.Errorf("CLASSIFYD_API_KEY=%q: keys %v and no error", env, keys)
		}
	}
	if keys, err := apiKeys("", ""); err != nil || keys != nil {
		t.Errorf("unset: %v %v, want no keys (loopback only)", keys, err)
	}
	if keys, err := apiKeys(" a , b ", ""); err != nil || len(keys) != 2 || keys[0].Key != "a" || keys[1].Key != "b" {
		t.Errorf("two keys: %v %v", keys, err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("keys", "# KEY [tenant=NAME] [projects=ID,ID]\n\nk1 tenant=acme projects=p1,p2\nk2 tenant=acme\n  k3  \n")
	keys, err := apiKeys("", good)
	want := []server.Key{{Key: "k1", Tenant: "acme", Projects: []string{"p1", "p2"}}, {Key: "k2", Tenant: "acme"}, {Key: "k3"}}
	if err != nil || !reflect.DeepEqual(keys, want) {
		t.Errorf("key file: %+v %v, want %+v", keys, err, want)
	}
	for name, text := range map[string]string{"empty": "", "comments": "# only\n\n", "bad": "k1 team=acme\n"} {
		if keys, err := apiKeys("", write(name, text)); err == nil {
			t.Errorf("key file %q: %v and no error", name, keys)
		}
	}
}
