package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// helpOf runs "classifyd ARGS... --help" and returns what it printed.
func helpOf(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append(args, "--help"), &out, &errb)
	if len(args) == 0 {
		if err != nil {
			t.Fatalf("classifyd --help: %v", err)
		}
		return out.String()
	}
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("classifyd %s --help: %v, want flag.ErrHelp", args[0], err)
	}
	return errb.String()
}

func runOut(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("classifyd %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// helpCommands are the commands "classifyd --help" lists.
func helpCommands(t *testing.T) []string {
	t.Helper()
	top := helpOf(t)
	_, list, ok := strings.Cut(top, "\nCommands:\n")
	if !ok {
		t.Fatal("classifyd --help lists no commands")
	}
	var names []string
	for _, l := range strings.Split(list, "\n") {
		if !strings.HasPrefix(l, "  ") {
			break
		}
		names = append(names, strings.Fields(l)[0])
	}
	return names
}

var (
	helpFlagRE = regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	manFlagRE  = regexp.MustCompile(`(?m)^\\fB\\-((?:[a-z0-9]|\\-)+)\\fR`)
	manCmdRE   = regexp.MustCompile(`(?m)^\.SS "classifyd ([a-z]+)"$`)
)

// deroff turns roff back into the text it prints, one line per input line,
// with runs of blanks collapsed.
func deroff(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, ".") {
			lines = append(lines, l)
		}
	}
	s = regexp.MustCompile(`\\\[u([0-9A-F]{4})\]`).ReplaceAllStringFunc(strings.Join(lines, "\n"), func(m string) string {
		r, _ := strconv.ParseUint(m[3:7], 16, 32)
		return string(rune(r))
	})
	s = strings.NewReplacer(`\-`, `-`, `\(aq`, `'`, `\(ga`, "`", `\(dq`, `"`, `\&`, ``, `\fB`, ``, `\fI`, ``, `\fR`, ``, `\e`, `\`).Replace(s)
	lines = strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

// TestManPageSaysWhatHelpSays holds classifyd(1) against every --help: the
// same commands, the same flags with the same usage, every line of text.
func TestManPageSaysWhatHelpSays(t *testing.T) {
	man := runOut(t, "man")
	cmds := helpCommands(t)
	var manCmds []string
	for _, m := range manCmdRE.FindAllStringSubmatch(man, -1) {
		manCmds = append(manCmds, m[1])
	}
	if !slices.Equal(cmds, manCmds) {
		t.Fatalf("classifyd --help lists commands %v, the man page %v", cmds, manCmds)
	}
	// The top help is the page's DESCRIPTION.
	desc := deroff(man[strings.Index(man, ".SH DESCRIPTION"):strings.Index(man, ".SH COMMANDS")])
	for _, l := range strings.Split(helpOf(t), "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" && !strings.Contains(desc, l) {
			t.Errorf("classifyd --help says %q; the man page's DESCRIPTION does not", l)
		}
	}
	for i, name := range cmds {
		t.Run(name, func(t *testing.T) {
			sec := man[strings.Index(man, `.SS "classifyd `+name+`"`):]
			if i+1 < len(cmds) {
				sec = sec[:strings.Index(sec, `.SS "classifyd `+cmds[i+1]+`"`)]
			} else {
				sec = sec[:strings.Index(sec, ".SH FILES")]
			}
			help := helpOf(t, name)
			text, flags, ok := strings.Cut(help, "\nFlags:\n")
			if !ok {
				t.Fatalf("%s --help has no Flags: section", name)
			}
			plain := deroff(sec)
			for _, l := range strings.Split(text, "\n") {
				if l = strings.Join(strings.Fields(l), " "); l != "" && !strings.Contains(plain, l) {
					t.Errorf("%s --help says %q; the man page does not", name, l)
				}
			}
			var hf, mf []string
			for _, m := range helpFlagRE.FindAllStringSubmatch(flags, -1) {
				hf = append(hf, m[1])
			}
			for _, m := range manFlagRE.FindAllStringSubmatch(sec, -1) {
				mf = append(mf, strings.ReplaceAll(m[1], `\-`, "-"))
			}
			sort.Strings(hf)
			sort.Strings(mf)
			if !slices.Equal(hf, mf) {
				t.Errorf("%s --help has flags %v, the man page %v", name, hf, mf)
			}
			// Each flag's usage line (PrintDefaults: a tab, then the usage).
			for _, l := range strings.Split(flags, "\n") {
				u, ok := strings.CutPrefix(strings.TrimLeft(l, " "), "\t")
				if !ok {
					continue
				}
				if i := strings.LastIndex(u, " (default "); i >= 0 {
					u = u[:i]
				}
				if u = strings.Join(strings.Fields(u), " "); !strings.Contains(plain, u) {
					t.Errorf("%s --help says of a flag %q; the man page does not", name, u)
				}
			}
		})
	}
	if _, err := exec.LookPath("groff"); err == nil {
		cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-z")
		cmd.Stdin = strings.NewReader(man)
		out, err := cmd.CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("groff -man -ww: %v\n%s", err, out)
		}
	} else {
		t.Log("groff not installed: the page's roff is not checked")
	}
}

func TestCompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	script := runOut(t, "completion", "bash")
	if out, err := exec.Command(bash, "-n", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	// complete WORDS... prints what _classifyd offers for the last word.
	complete := func(words ...string) []string {
		t.Helper()
		q := make([]string, len(words))
		for i, w := range words {
			q[i] = "'" + w + "'"
		}
		prog := script + "\nCOMP_WORDS=(" + strings.Join(q, " ") + ")\nCOMP_CWORD=" +
			"$((${#COMP_WORDS[@]} - 1))\n_classifyd\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		out, err := exec.Command(bash, "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("completing %q: %v\n%s", words, err, out)
		}
		return strings.Fields(string(out))
	}
	cmds := helpCommands(t)
	if got := complete("classifyd", ""); !slices.Equal(got, cmds) {
		t.Errorf("classifyd <TAB>: %v, want every command %v", got, cmds)
	}
	if got := complete("classifyd", "ru"); !slices.Equal(got, []string{"rules", "run"}) && !slices.Equal(got, []string{"run", "rules"}) {
		t.Errorf("classifyd ru<TAB>: %v, want [run rules]", got)
	}
	if got := complete("classifyd", "ret"); !slices.Equal(got, []string{"retry"}) {
		t.Errorf("classifyd ret<TAB>: %v, want [retry]", got)
	}
	for _, name := range cmds {
		if name == "completion" {
			continue
		}
		var want []string
		for _, m := range helpFlagRE.FindAllStringSubmatch(helpOf(t, name), -1) {
			want = append(want, "--"+m[1])
		}
		got := complete("classifyd", name, "--")
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("classifyd %s --<TAB>: %v, want the flags of --help %v", name, got, want)
		}
	}
	if got := complete("classifyd", "once", "--config", ""); len(got) != 0 {
		t.Errorf("classifyd once --config <TAB> offers %v, want file names (nothing from the function)", got)
	}
	if got := complete("classifyd", "completion", ""); !slices.Equal(got, completionShells) {
		t.Errorf("classifyd completion <TAB>: %v, want %v", got, completionShells)
	}
}

func TestCompletionZsh(t *testing.T) {
	script := runOut(t, "completion", "zsh")
	for _, name := range helpCommands(t) {
		if !strings.Contains(script, "\n    '"+name+":") || !strings.Contains(script, "\n        "+name+") _arguments") {
			t.Errorf("the zsh completion lacks the command %s", name)
		}
	}
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		t.Skip("zsh not installed: the script's syntax is not checked")
	}
	if out, err := exec.Command(zsh, "-n", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("zsh -n: %v\n%s", err, out)
	}
	prog := "autoload -U compinit && compinit -u -d " + t.TempDir() + "/zcompdump\n" + script + "\nprint -r -- ${_comps[classifyd]}"
	out, err := exec.Command(zsh, "-f", "-c", prog).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "_classifyd" {
		t.Errorf("zsh: loading the completion: %v\n%s", err, out)
	}
}

func TestCompletionUnknownShell(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"completion", "fish"}, &out, &errb); err == nil {
		t.Error("completion fish: no error")
	}
	var ee errExit
	if err := run(context.Background(), []string{"completion"}, &out, &errb); !errors.As(err, &ee) || ee.code != 2 {
		t.Errorf("completion without a shell: %v, want exit 2", err)
	}
}
