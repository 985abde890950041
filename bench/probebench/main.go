// Command probebench is the engine of bench/probe-vs-nmap.sh: it builds the
// lab, runs perimeter and nmap from its prober namespace, and compares.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == measureFlag {
		measureMode(os.Args[2:])
		return
	}
	cfg := config{}
	flag.StringVar(&cfg.perimeter, "perimeter", "perimeter", "perimeter binary")
	flag.StringVar(&cfg.nmap, "nmap", "nmap", "nmap binary")
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds per target (each runs both tools, alternating which goes first)")
	names := flag.String("targets", strings.Join(targetNames, ","), "targets to run: "+strings.Join(targetNames, ", "))
	hold := flag.Bool("hold", false, "build the first target's lab, print its namespaces and keep it until Ctrl-C")
	flag.Parse()
	cfg.targets = strings.Split(*names, ",")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	do := run
	if *hold {
		do = holdLab
	}
	if err := do(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "probebench: %v\n", err)
		os.Exit(1)
	}
}

type config struct {
	perimeter, nmap string
	rounds          int
	targets         []string
}

func run(ctx context.Context, cfg config, w io.Writer) error {
	var all []targetResult
	for _, name := range cfg.targets {
		tg, ok := targets[name]
		if !ok {
			return fmt.Errorf("unknown target %q (want one of %s)", name, strings.Join(targetNames, ", "))
		}
		res, err := benchTarget(ctx, cfg, tg, w)
		if err != nil {
			return err
		}
		all = append(all, res)
	}
	summarize(w, cfg, all)
	return nil
}

// holdLab keeps a lab up for trying commands by hand.
func holdLab(ctx context.Context, cfg config, w io.Writer) error {
	tg, ok := targets[cfg.targets[0]]
	if !ok {
		return fmt.Errorf("unknown target %q (want one of %s)", cfg.targets[0], strings.Join(targetNames, ", "))
	}
	l, err := newLab(ctx, tg)
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Fprintf(w, "%s lab (%s): target netns %s (%s), prober netns %s; Ctrl-C removes it\n", tg.name, tg.about, l.Target, l.TargetAddr(false), l.Prober)
	<-ctx.Done()
	return nil
}
