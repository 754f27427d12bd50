package main

// Help is written once, as each command's help text and flag set, and read
// three ways: --help prints it, "classifyd man" renders it as the manual
// page classifyd(1), "classifyd completion" turns its command and flag names
// into shell completion. None of them keeps a copy, so they cannot drift.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// printHelp writes a command's help text and flag defaults; given a
// *helpSink it hands them over instead.
func printHelp(w io.Writer, text string, fs *flag.FlagSet) {
	if s, ok := w.(*helpSink); ok {
		s.text = text
		fs.VisitAll(func(f *flag.Flag) { s.flags = append(s.flags, f) })
		s.got = true
		return
	}
	fmt.Fprint(w, text)
	fmt.Fprintln(w, "\nFlags:")
	fs.PrintDefaults()
}

// helpSink is the stderr of a command asked for its help by man and
// completion: printHelp fills it in; anything else written is dropped.
type helpSink struct {
	got   bool
	text  string
	flags []*flag.Flag
}

func (s *helpSink) Write(p []byte) (int, error) { return len(p), nil }

// topHelp is what "classifyd --help" prints.
func topHelp() string {
	var b strings.Builder
	b.WriteString(`classifyd sorts a drop folder by document type.

Usage:
  classifyd <command> [flags] [args]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString(`
Run "classifyd <command> --help" for a command's flags and examples.

Quick start (embedded engine, no account, no network):
  classifyd once --inbox ./inbox --out ./sorted
`)
	return b.String()
}

// cmdHelp is one command's help as data.
type cmdHelp struct {
	name, summary string
	text          string // the help text, without the flags
	flags         []*flag.Flag
}

// helpDocs asks every command for its help. The environment may change
// flag defaults (CLASSIFYD_ADMIN): build the manual page without it.
func helpDocs() ([]cmdHelp, error) {
	var docs []cmdHelp
	for _, c := range commands() {
		s := &helpSink{}
		err := c.run(context.Background(), []string{"--help"}, io.Discard, s)
		if !s.got {
			return nil, fmt.Errorf("%s --help printed no help (%v)", c.name, err)
		}
		docs = append(docs, cmdHelp{name: c.name, summary: c.summary, text: s.text, flags: s.flags})
	}
	return docs, nil
}

// flagValue is the name of a flag's value as PrintDefaults shows it ("" for
// a boolean flag) and its usage text.
func flagValue(f *flag.Flag) (name, usage string) {
	name, usage = flag.UnquoteUsage(f)
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		name = ""
	}
	return name, usage
}

// flagDefault is a flag's default as PrintDefaults shows it, "" when it
// shows none (the zero value of the flag's type).
func flagDefault(f *flag.Flag) string {
	switch f.DefValue {
	case "", "false", "0", "0s":
		return ""
	}
	return f.DefValue
}
