// Command deb builds the Debian package of classifyd from the repository:
//
//	go run ./build/deb [--out DIR] [--arch ARCH]
//
// and prints the path of the .deb it wrote. It builds the binary (static,
// CGO_ENABLED=0, its version from git describe), generates the manual page
// and the shell completions with that binary ("classifyd man", "classifyd
// completion"), turns rules.yaml into /etc/classifyd/classifyd.yaml (the
// documented example, pointed at /srv/classifyd and /var/lib/classifyd), and
// packs them with the units, the sysusers entry and the maintainer scripts of
// build/deb/scripts with nfpm (github.com/goreleaser/nfpm/v2, a library here:
// nothing else to install). The daemon never imports this package.
//
// What the package puts where:
//
//	/usr/bin/classifyd                              0755
//	/usr/lib/systemd/system/classifyd.service       0644  ExecStart=/usr/bin/classifyd
//	/usr/lib/systemd/system/classifyd@.service      0644
//	/usr/lib/sysusers.d/classifyd.conf              0644  the user and group classifyd
//	/etc/classifyd/                                 0755  root
//	/etc/classifyd/classifyd.yaml                   0644  root, a conffile
//	/usr/share/man/man1/classifyd.1.gz              0644
//	/usr/share/bash-completion/completions/classifyd, /usr/share/zsh/vendor-completions/_classifyd
//	/usr/share/doc/classifyd/README.md, examples/rules.yaml
//
// and what postinst makes (once; an admin's later changes are kept), which
// no removal takes away:
//
//	/var/lib/classifyd                 classifyd:classifyd 0750  the state
//	/srv/classifyd                     root:root           0755
//	/srv/classifyd/inbox, .../sorted   classifyd:classifyd 2770  setgid, group-writable
package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "build/deb: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "dist", "folder to write the .deb into")
	arch := fs.String("arch", goEnv("GOARCH"), "Go architecture to build for (amd64, arm64, ...)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	ver, mtime, err := version(root)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "classifyd-deb-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	fmt.Fprintf(stderr, "classifyd %s for linux/%s\n", ver, *arch)
	bin := filepath.Join(tmp, "classifyd")
	if err := goBuild(root, bin, *arch, ver); err != nil {
		return err
	}
	gen := bin // generates the man page and completions: must run here
	if *arch != runtime.GOARCH {
		gen = filepath.Join(tmp, "classifyd-host")
		if err := goBuild(root, gen, runtime.GOARCH, ver); err != nil {
			return err
		}
	}

	// Generated files.
	man, err := output(gen, "man")
	if err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression) // no name, no time: reproducible
	zw.Write(man)
	zw.Close()
	bash, err := output(gen, "completion", "bash")
	if err != nil {
		return err
	}
	zsh, err := output(gen, "completion", "zsh")
	if err != nil {
		return err
	}
	rules, err := os.ReadFile(filepath.Join(root, "rules.yaml"))
	if err != nil {
		return err
	}
	conf, err := packagedConfig(rules)
	if err != nil {
		return err
	}
	generated := map[string][]byte{"classifyd.1.gz": gz.Bytes(), "classifyd.bash": bash, "_classifyd": zsh, "classifyd.yaml": conf}
	for _, u := range []string{"classifyd.service", "classifyd@.service"} {
		b, err := os.ReadFile(filepath.Join(root, "systemd", u))
		if err != nil {
			return err
		}
		if generated[u], err = packagedUnit(b); err != nil {
			return fmt.Errorf("%s: %w", u, err)
		}
	}
	for name, b := range generated {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return err
		}
	}

	t := func(name string) string { return filepath.Join(tmp, name) }
	r := func(name string) string { return filepath.Join(root, name) }
	file := func(src, dst string, mode os.FileMode) *files.Content {
		return &files.Content{Source: src, Destination: dst, FileInfo: &files.ContentFileInfo{Mode: mode, Owner: "root", Group: "root"}}
	}
	conffile := file(t("classifyd.yaml"), "/etc/classifyd/classifyd.yaml", 0o644)
	conffile.Type = files.TypeConfig
	contents := files.Contents{
		file(bin, "/usr/bin/classifyd", 0o755),
		file(t("classifyd.service"), "/usr/lib/systemd/system/classifyd.service", 0o644),
		file(t("classifyd@.service"), "/usr/lib/systemd/system/classifyd@.service", 0o644),
		file(r("systemd/classifyd.sysusers"), "/usr/lib/sysusers.d/classifyd.conf", 0o644),
		{Destination: "/etc/classifyd", Type: files.TypeDir, FileInfo: &files.ContentFileInfo{Mode: 0o755, Owner: "root", Group: "root"}},
		conffile,
		file(t("classifyd.1.gz"), "/usr/share/man/man1/classifyd.1.gz", 0o644),
		file(t("classifyd.bash"), "/usr/share/bash-completion/completions/classifyd", 0o644),
		file(t("_classifyd"), "/usr/share/zsh/vendor-completions/_classifyd", 0o644),
		file(r("README.md"), "/usr/share/doc/classifyd/README.md", 0o644),
		file(r("rules.yaml"), "/usr/share/doc/classifyd/examples/rules.yaml", 0o644),
	}
	scripts := filepath.Join(root, "build", "deb", "scripts")
	info := &nfpm.Info{
		Name:          "classifyd",
		Arch:          *arch,
		Platform:      "linux",
		Version:       ver,
		VersionSchema: "none", // already a Debian version
		Section:       "admin",
		Priority:      "optional",
		Maintainer:    "classifyd developers <classifyd@localhost>",
		Description: `sort a file server's drop folder by document type
 classifyd watches an inbox folder, classifies each new file by document
 type (invoice, receipt, contract, ...) with its embedded engine, offline, or
 the LlamaCloud classifier API, and moves it into a folder for its type. A
 state file records every file and job, so a crash or restart never loses,
 duplicates or re-bills a file.
 .
 The package installs the units classifyd.service and classifyd@.service, the
 user classifyd and the folders /srv/classifyd/inbox and /srv/classifyd/sorted,
 and does not start the service: edit /etc/classifyd/classifyd.yaml, then
 systemctl enable --now classifyd.`,
		MTime: mtime,
		Overridables: nfpm.Overridables{
			Recommends: []string{"tesseract-ocr", "poppler-utils"},
			Suggests:   []string{"tesseract-ocr-deu", "tesseract-ocr-fra", "tesseract-ocr-nld"},
			Contents:   contents,
			Scripts: nfpm.Scripts{
				PostInstall: filepath.Join(scripts, "postinst"),
				PreRemove:   filepath.Join(scripts, "prerm"),
				PostRemove:  filepath.Join(scripts, "postrm"),
			},
		},
	}
	info = nfpm.WithDefaults(info)
	if err := nfpm.Validate(info); err != nil {
		return err
	}
	pkg, err := nfpm.Get("deb")
	if err != nil {
		return err
	}
	info.Target = pkg.ConventionalFileName(info)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	path, err := filepath.Abs(filepath.Join(*out, info.Target))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pkg.Package(info, &buf); err != nil {
		return fmt.Errorf("package: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(stdout, path)
	return nil
}

// packagedConfig is rules.yaml pointed at the packaged folders.
func packagedConfig(rules []byte) ([]byte, error) {
	s := string(rules)
	for _, r := range []struct{ from, to string }{
		{"\ninbox: ./inbox\n", "\ninbox: /srv/classifyd/inbox\n"},
		{"\noutput: ./sorted\n", "\noutput: /srv/classifyd/sorted\n"},
		{"\nstate: ./classifyd.db\n", "\nstate: /var/lib/classifyd/classifyd.db\n"},
	} {
		if strings.Count(s, r.from) != 1 {
			return nil, fmt.Errorf("rules.yaml: want one line %q to point at the packaged folders", strings.TrimSpace(r.from))
		}
		s = strings.Replace(s, r.from, r.to, 1)
	}
	head := "# /etc/classifyd/classifyd.yaml: the configuration of classifyd.service.\n" +
		"# Edit the rules, then: systemctl enable --now classifyd (after a change:\n" +
		"# systemctl restart classifyd). Every key is documented in man classifyd\n" +
		"# and /usr/share/doc/classifyd/README.md.\n#\n"
	return []byte(head + s), nil
}

// packagedUnit is a unit of systemd/ with the packaged binary's path.
func packagedUnit(b []byte) ([]byte, error) {
	const manual, packaged = "ExecStart=/usr/local/bin/classifyd ", "ExecStart=/usr/bin/classifyd "
	if !bytes.Contains(b, []byte(manual)) {
		return nil, fmt.Errorf("no %q to point at %s", manual, packaged)
	}
	return bytes.ReplaceAll(b, []byte(manual), []byte(packaged)), nil
}

var (
	tagRE  = regexp.MustCompile(`^v?([0-9][0-9A-Za-z.~]*)(?:-([0-9]+)-g([0-9a-f]+))?(-dirty)?$`)
	hashRE = regexp.MustCompile(`^([0-9a-f]+)(-dirty)?$`)
)

// debVersion turns git describe --tags --always --dirty into a Debian
// version that sorts as the commits do: v1.2.3 → 1.2.3, 4 commits after it
// → 1.2.3+4.gHASH; before any tag: 0.0~gitDATE.HASH (DATE: the commit's, UTC
// YYYYMMDDhhmmss); a dirty tree adds +dirty.
func debVersion(describe string, commit time.Time) (string, error) {
	if m := tagRE.FindStringSubmatch(describe); m != nil && !hashRE.MatchString(describe) {
		v := m[1]
		if m[2] != "" {
			v += "+" + m[2] + ".g" + m[3]
		}
		if m[4] != "" {
			v += "+dirty"
		}
		return v, nil
	}
	if m := hashRE.FindStringSubmatch(describe); m != nil {
		v := "0.0~git" + commit.UTC().Format("20060102150405") + "." + m[1]
		if m[2] != "" {
			v += "+dirty"
		}
		return v, nil
	}
	return "", fmt.Errorf("git describe %q: want vX.Y.Z[-N-gHASH][-dirty] or HASH[-dirty]", describe)
}

// version is the package's version and the commit's time (the files' mtime).
func version(root string) (string, time.Time, error) {
	desc, err := git(root, "describe", "--tags", "--always", "--dirty", "--match", "v[0-9]*")
	if err != nil {
		return "", time.Time{}, err
	}
	ct, err := git(root, "log", "-1", "--format=%ct")
	if err != nil {
		return "", time.Time{}, err
	}
	sec, err := strconv.ParseInt(ct, 10, 64)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("commit time %q: %w", ct, err)
	}
	t := time.Unix(sec, 0).UTC()
	v, err := debVersion(desc, t)
	return v, t, err
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

func goEnv(key string) string {
	out, err := exec.Command("go", "env", key).Output()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		return runtime.GOARCH
	}
	return string(bytes.TrimSpace(out))
}

func goBuild(root, out, arch, ver string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+ver, "-o", out, "./cmd/classifyd")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for linux/%s: %w", arch, err)
	}
	return nil
}

// output runs the built classifyd with the environment that changes no
// flag default (so the man page says what an installed one does).
func output(bin string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "CLASSIFYD_") && !strings.HasPrefix(e, "LOG_LEVEL=") && !strings.HasPrefix(e, "LLAMA_CLOUD_") {
			env = append(env, e)
		}
	}
	cmd.Env = env
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("classifyd %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out, nil
}

// repoRoot is the folder of go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "cmd", "classifyd")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run it inside the classifyd repository")
		}
		dir = parent
	}
}
