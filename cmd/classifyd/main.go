// Command classifyd sorts a drop folder by document type.
//
// main is wiring only: each subcommand lives in its own file and has the
// signature of command.run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// errExit carries an exit code without printing anything more.
type errExit struct{ code int }

func (e errExit) Error() string { return fmt.Sprintf("exit %d", e.code) }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", "run as a daemon: watch the inbox and file every document", cmdRun},
		{"once", "file everything in the inbox, wait for it, print a summary and exit", cmdOnce},
		{"classify", "classify files and print one JSON line each (moves nothing)", cmdClassify},
		{"eval", "measure the engine against labelled documents", cmdEval},
		{"rules", "check what the engine makes of the rules: kinds, cues, words, overlaps", cmdRules},
		{"serve", "serve the local engine behind the LlamaCloud classifier API", cmdServe},
		{"status", "show queue counts, jobs in flight and recent failures", cmdStatus},
		{"undo", "move filed files back into the inbox", cmdUndo},
		{"retry", "send failed files through again", cmdRetry},
		{"version", "print the version", cmdVersion},
		{"man", "print the manual page classifyd(1) (roff)", cmdMan},
		{"completion", "print shell completion for bash or zsh", cmdCompletion},
	}
}

func usage(w io.Writer) { fmt.Fprint(w, topHelp()) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errExit{2}
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return nil
	case "-v", "--version":
		return cmdVersion(ctx, nil, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "classifyd: unknown command %q\n\n", args[0])
	usage(stderr)
	return errExit{2}
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		<-sigs
		fmt.Fprintln(os.Stderr, "classifyd: second signal, exiting at once")
		os.Exit(130)
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	var ee errExit
	switch {
	case err == nil:
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	default:
		fmt.Fprintf(os.Stderr, "classifyd: %v\n", err)
		os.Exit(1)
	}
}
