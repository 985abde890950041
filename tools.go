//go:build tools

// Package tools pins the libraries the packages are being built on, so that
// go.mod keeps them while the code that imports them lands.
package tools

import (
	_ "github.com/coreos/go-iptables/iptables"
	_ "github.com/google/nftables"
	_ "github.com/olekukonko/tablewriter"
	_ "github.com/spf13/cobra"
	_ "github.com/vishvananda/netns"
	_ "golang.org/x/sys/unix"
)
