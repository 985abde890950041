// Command rulegen writes the generated rulesets the scaling benchmarks
// read: rulegen kube SERVICES > FILE, or rulegen flat RULES > FILE.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/perimeter-dev/perimeter/internal/rulegen"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "rulegen:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: rulegen kube SERVICES | rulegen flat RULES")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 0 {
		return fmt.Errorf("count %q: want a whole number", args[1])
	}
	switch args[0] {
	case "kube":
		return rulegen.Kube{Services: n, Endpoints: 2, UDPEvery: 10}.WriteIPTablesSave(os.Stdout)
	case "flat":
		return rulegen.WriteOnePortEach(os.Stdout, n)
	}
	return fmt.Errorf("shape %q: want kube or flat", args[0])
}
