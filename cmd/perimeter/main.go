// Command perimeter audits a Linux host's firewall against what the host
// really exposes.
package main

import "os"

func main() {
	os.Exit(Main())
}
