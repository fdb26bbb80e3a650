// Command kiln is a bake orchestrator: it reads docker-bake.hcl, docker-bake.json
// and compose files, evaluates them into a build plan, and runs that plan on
// BuildKit, embedded in the kiln process or on a pool of daemons.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/sirupsen/logrus"
	"github.com/spf13/pflag"
)

// command is one `kiln` subcommand.
type command struct {
	name  string
	usage string // the line after "kiln "
	short string
	run   func(ctx context.Context, args []string) error
}

// listedCommands are kiln's subcommands, in the order --help lists them;
// each file makes its own.
func listedCommands() []*command {
	return []*command{
		newBakeCommand(), newCompletionCommand(), newDuCommand(), newEngineCommand(),
		newPoolCommand(), newPruneCommand(), newVersionCommand(),
	}
}

// lookup finds a subcommand by name, listed or hidden (run but not listed).
func lookup(name string) *command {
	for _, c := range append(listedCommands(), newCompleteCommand()) {
		if c.name == name {
			return c
		}
	}
	return nil
}

// init sets up the process for BuildKit's packages, for every command (and
// for the tests that run one in-process): where its logs go, the version it
// reports.
func init() {
	setupLogging(logrus.StandardLogger(), os.Getenv("KILN_LOG_LEVEL"))
	setBuildKitVersion()
}

// exitError carries an exit status without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Which signal stopped the run decides the exit status, as a shell
	// reports a process killed by it: 130 for SIGINT, 143 for SIGTERM.
	var sig atomic.Value
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() { sig.Store(<-sigs) }()
	err := run(ctx, os.Args[1:])
	stop()
	if err == nil {
		return
	}
	if s, ok := sig.Load().(syscall.Signal); ok && ctx.Err() != nil {
		if !errors.As(err, new(exitError)) {
			fmt.Fprintf(os.Stderr, "ERROR: %v\n", err)
		}
		os.Exit(128 + int(s))
	}
	var ee exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	if errors.Is(err, pflag.ErrHelp) {
		return
	}
	fmt.Fprintf(os.Stderr, "ERROR: %v\n", err)
	os.Exit(1)
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		printUsage(os.Stderr)
		return exitError{2}
	}
	switch args[0] {
	case "-h", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			if c := lookup(args[1]); c != nil {
				return c.run(ctx, []string{"--help"})
			}
		}
		printUsage(os.Stdout)
		return nil
	case "-v", "--version":
		args = []string{"version"}
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(os.Stderr, "kiln: unknown command %q\n\n", args[0])
		printUsage(os.Stderr)
		return exitError{2}
	}
	return c.run(ctx, args[1:])
}

func printUsage(w *os.File) {
	fmt.Fprintln(w, "kiln builds the targets of docker-bake.hcl, docker-bake.json and compose files")
	fmt.Fprintln(w, "on BuildKit, embedded in kiln (no daemon needed) or on BuildKit daemons.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  kiln <command> [options]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range listedCommands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.short)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "kiln <command> --help" for a command's options.`)
}

// newFlags returns a flag set that prints the command's usage on --help.
func newFlags(c *command) *pflag.FlagSet {
	fs := pflag.NewFlagSet("kiln "+c.name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage:  kiln %s\n\n%s\n\nOptions:\n%s", c.usage, c.short, fs.FlagUsages())
	}
	return fs
}
