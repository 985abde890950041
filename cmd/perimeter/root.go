package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/perimeter-dev/perimeter/internal/quote"
)

// Main runs the command line and returns the process exit code.
func Main() int {
	ctx, stop := notifyContext(context.Background())
	defer stop()
	return run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// run runs one command line. A signal that cancelled ctx decides the
// outcome, whatever the cancelled work returned. Every error is one
// printable line.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr, terminal{getenv: os.Getenv})
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if se, ok := interruption(ctx); ok {
		err = interruptedError{sig: se, partial: errors.Is(err, errInterrupted)}
	}
	if err != nil {
		fmt.Fprintf(stderr, "perimeter: %s\n", quote.Message(err.Error()))
	}
	return exitCode(err)
}

func newRootCmd(stdout, stderr io.Writer, term terminal) *cobra.Command {
	root := &cobra.Command{
		Use:           "perimeter",
		Short:         "Audit a Linux host's firewall against what the host really exposes",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newVersionCmd(), newAuditCmd(term), newRulesCmd(term), newListenersCmd(term), newProbeCmd(term))
	return root
}

// exactArgs is cobra.ExactArgs with the usage exit code.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
