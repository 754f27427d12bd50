// Package harness is shared by the black-box test packages under test/
// (crash, faults, hostile). It builds the real classifyd binary, writes
// configurations and plain-text documents of obvious types, starts, stops and
// kill -9's the daemon, serves the classifier API in-process
// (internal/server over internal/local), puts a recording, fault-injecting
// reverse proxy in front of it, and checks an output folder against the
// contents that went into the inbox.
//
// Knobs, all from the environment so that CI and a person replaying a
// failure use the same ones:
//
//	CLASSIFYD_LONG=1     the long versions of the harnesses
//	CLASSIFYD_SEED=N     replay a run (every test logs its seed)
//	CLASSIFYD_BIN=PATH   use this binary instead of building one
//	CLASSIFYD_KEEP=1     keep work folders (logs, state, output) and log where
//
// The package owns nothing in the repository: it only reads the code it
// builds and writes under temporary folders.
package harness

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Long reports whether the long versions of the harnesses run (CLASSIFYD_LONG=1).
func Long() bool {
	v := os.Getenv("CLASSIFYD_LONG")
	return v != "" && v != "0" && v != "false"
}

// Seed returns the test's random seed: $CLASSIFYD_SEED, else the clock. It
// logs the seed, and again with a replay command when the test fails.
func Seed(t testing.TB) int64 {
	t.Helper()
	var seed int64
	if v := os.Getenv("CLASSIFYD_SEED"); v != "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("CLASSIFYD_SEED=%q: %v", v, err)
		}
		seed = s
	} else {
		seed = time.Now().UnixNano() % 1_000_000_000
	}
	t.Logf("seed %d", seed)
	t.Cleanup(func() {
		if t.Failed() {
			long := ""
			if Long() {
				long = "CLASSIFYD_LONG=1 "
			}
			t.Logf("FAILED with seed %d; replay: %sCLASSIFYD_SEED=%d go test -count=1 -run '^%s$' ./test/...",
				seed, long, seed, strings.SplitN(t.Name(), "/", 2)[0])
		}
	})
	return seed
}

// WorkDir returns a fresh folder for one test: t.TempDir(), or with
// CLASSIFYD_KEEP=1 a folder that survives the test (its path is logged).
// The folder is world-traversable so a daemon run as another user (see
// Unprivileged) can reach what the test gives it.
func WorkDir(t testing.TB) string {
	t.Helper()
	var dir string
	if os.Getenv("CLASSIFYD_KEEP") != "" {
		d, err := os.MkdirTemp("", "classifyd-"+sanitize(t.Name())+"-")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("work folder kept: %s", d)
		dir = d
	} else {
		dir = t.TempDir()
	}
	// t.TempDir's parents are 0700; open the path up for other users.
	for p := dir; p != os.TempDir() && p != "/" && p != "."; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o011 != 0o011 {
			os.Chmod(p, fi.Mode().Perm()|0o011)
		}
	}
	return dir
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == '\'' {
			return '_'
		}
		return r
	}, s)
}

// RepoRoot finds the module root (the folder with classifyd's go.mod) from
// the working directory up.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if f, err := os.Open(filepath.Join(dir, "go.mod")); err == nil {
			sc := bufio.NewScanner(f)
			ok := sc.Scan() && strings.TrimSpace(sc.Text()) == "module github.com/classifyd/classifyd"
			f.Close()
			if ok {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("harness: classifyd's go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Build builds the classifyd binary into dir and returns its path
// ($CLASSIFYD_BIN, when set, is used as it is).
func Build(dir string) (string, error) {
	if p := os.Getenv("CLASSIFYD_BIN"); p != "" {
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "classifyd")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/classifyd")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/classifyd: %v\n%s", err, out)
	}
	return bin, nil
}

// Main builds the binary into a temporary folder, stores its path in *bin,
// runs the tests and removes the folder. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(harness.Main(m, &bin)) }
func Main(m *testing.M, bin *string) int {
	dir, err := os.MkdirTemp("", "classifyd-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755) // a daemon run as another user must reach the binary
	p, err := Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*bin = p
	return m.Run()
}
