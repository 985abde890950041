package main

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/perimeter-dev/perimeter/exposure/sockets"
	"github.com/perimeter-dev/perimeter/internal/quote"
	"github.com/perimeter-dev/perimeter/report/render"
)

type listenersOptions struct {
	netns  string
	output string
	term   terminal
}

func newListenersCmd(term terminal) *cobra.Command {
	o := &listenersOptions{term: term}
	cmd := &cobra.Command{
		Use:   "listeners",
		Short: "List the listening TCP and bound UDP sockets, with their processes",
		Long: `Lists every listening TCP socket and every bound, unconnected UDP socket,
IPv4 and IPv6, from the kernel (sock_diag): bound address and port, whether
a [::] socket also serves IPv4 (v6only off), the interface it is bound to,
its user and the processes that hold it. Without root, the owners of other
users' sockets are hidden.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runListeners(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.netns, "netns", "", "network namespace to list: a name from `ip netns` or a path like /proc/PID/ns/net (default: this one)")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	return cmd
}

func runListeners(cmd *cobra.Command, o *listenersOptions) error {
	if o.output != "table" && o.output != "json" {
		return badInput("--output %q: want table or json", o.output)
	}
	l, err := sockets.List(cmd.Context(), sockets.Options{Netns: o.netns})
	if errors.Is(err, fs.ErrNotExist) && o.netns != "" {
		return badInput("--netns %s: no such network namespace", quote.Q(o.netns))
	}
	if errors.Is(err, syscall.EINVAL) && o.netns != "" {
		return badInput("--netns %s: not a network namespace (give a name from `ip netns` or a path such as /proc/PID/ns/net)", quote.Q(o.netns))
	}
	if cmd.Context().Err() != nil {
		return cmd.Context().Err()
	}
	if err != nil {
		return hostError{err}
	}
	if o.output == "json" {
		return render.WriteListenersJSON(cmd.OutOrStdout(), l)
	}
	return render.WriteListenersTable(cmd.OutOrStdout(), l, o.term.style(cmd.OutOrStdout()))
}
