package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/config"
)

func TestDebVersion(t *testing.T) {
	at := time.Date(2026, 12, 1, 1, 7, 3, 0, time.UTC)
	cases := []struct{ describe, want string }{
		{"v1.2.3", "1.2.3"},
		{"1.2.3", "1.2.3"},
		{"v1.2.3-4-gabc1234", "1.2.3+4.gabc1234"},
		{"v1.2.3-4-gabc1234-dirty", "1.2.3+4.gabc1234+dirty"},
		{"v2.0.0~rc1", "2.0.0~rc1"},
		{"aedb1de", "0.0~git20261201010703.aedb1de"},
		{"aedb1de-dirty", "0.0~git20261201010703.aedb1de+dirty"},
		{"123456", "0.0~git20261201010703.123456"}, // an abbreviated hash of digits is not a tag
	}
	for _, c := range cases {
		got, err := debVersion(c.describe, at)
		if err != nil || got != c.want {
			t.Errorf("debVersion(%q) = %q, %v; want %q", c.describe, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "release-1", "vX", "v1.2.3-x-gabc"} {
		if v, err := debVersion(bad, at); err == nil {
			t.Errorf("debVersion(%q) = %q, want an error", bad, v)
		}
	}
	// dpkg agrees on the order: before a tag < the tag < commits after it.
	if _, err := exec.LookPath("dpkg"); err == nil {
		order := []string{"0.0~git20261201010703.aedb1de", "0.1.0", "0.1.0+4.gabc1234", "0.1.0+4.gabc1234+dirty", "0.1.1"}
		for i := 1; i < len(order); i++ {
			if err := exec.Command("dpkg", "--compare-versions", order[i-1], "lt", order[i]).Run(); err != nil {
				t.Errorf("dpkg: %s is not before %s", order[i-1], order[i])
			}
		}
	}
}

// The packaged config is the documented example, pointed at the packaged
// folders, and loads as it is.
func TestPackagedConfig(t *testing.T) {
	rules, err := os.ReadFile("../../rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := packagedConfig(rules)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "classifyd.yaml")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Inbox != "/srv/classifyd/inbox" || c.Output != "/srv/classifyd/sorted" || c.State != "/var/lib/classifyd/classifyd.db" {
		t.Errorf("packaged config: inbox %s, output %s, state %s", c.Inbox, c.Output, c.State)
	}
	def, err := config.Load("../../rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) == 0 || len(c.Rules) != len(def.Rules) {
		t.Errorf("packaged config has %d rules, rules.yaml %d", len(c.Rules), len(def.Rules))
	}
	if _, err := packagedConfig([]byte("inbox: /x\n")); err == nil {
		t.Error("a rules.yaml without the three path lines: no error")
	}
}

func TestPackagedUnits(t *testing.T) {
	for _, u := range []string{"classifyd.service", "classifyd@.service"} {
		b, err := os.ReadFile(filepath.Join("../../systemd", u))
		if err != nil {
			t.Fatal(err)
		}
		p, err := packagedUnit(b)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(p), "\nExecStart=/usr/bin/classifyd run ") || strings.Contains(string(p), "ExecStart=/usr/local/") {
			t.Errorf("%s: ExecStart not pointed at /usr/bin/classifyd", u)
		}
	}
}

func TestMaintainerScripts(t *testing.T) {
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		p := filepath.Join("scripts", s)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable", p)
		}
		if out, err := exec.Command("sh", "-n", p).CombinedOutput(); err != nil {
			t.Errorf("sh -n %s: %v\n%s", p, err, out)
		}
	}
	// Neither enables nor starts the service on install.
	b, _ := os.ReadFile("scripts/postinst")
	var code []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			code = append(code, l)
		}
	}
	for _, bad := range []string{"systemctl enable", "systemctl start", "deb-systemd-invoke start"} {
		if strings.Contains(strings.Join(code, "\n"), bad) {
			t.Errorf("postinst runs %q", bad)
		}
	}
}

// The daemon does not carry the packaging tool.
func TestDaemonDoesNotImportNfpm(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/classifyd/classifyd/cmd/classifyd").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "goreleaser") {
		t.Error("cmd/classifyd imports goreleaser packages")
	}
}
