package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hvbalancer/hvbalancer/policy"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "hvbench:", err)
		}
		os.Exit(2)
	}
}

// options are the command line's settings.
type options struct {
	Seed      uint64
	Quick     bool
	JSON      bool
	SVG       string
	PolicyDir string
	Rounds    int
	Hosts     int // 0: 16 with Quick, else 64
	// Trace, when not nil, receives each hvbalancer round's moves and why
	// its search stopped (--trace writes them to stderr).
	Trace io.Writer
}

// run parses args, runs every contender on every scenario and writes the
// report to stdout (and the chart to --svg).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hvbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the scenarios")
	fs.BoolVar(&o.Quick, "quick", false, "small scenarios (16 hosts, 24 in the dense one)")
	fs.BoolVar(&o.JSON, "json", false, "write JSON instead of Markdown")
	fs.StringVar(&o.SVG, "svg", "", "also write a chart of CPU spread against moves to this file")
	fs.StringVar(&o.PolicyDir, "policy", "examples/policies", "the shipped policy's directory")
	fs.IntVar(&o.Rounds, "rounds", 60, "most planning rounds hvbalancer gets to converge in (a plan with no move ends it sooner; the table says when the cap stopped it)")
	trace := fs.Bool("trace", false, "write each hvbalancer round's moves and why its search stopped to stderr")
	fs.IntVar(&o.Hosts, "hosts", 0, "hosts per scenario (default 64, 16 with --quick; the dense scenario has half as many again)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Hosts < 0 || o.Rounds < 1 {
		return fmt.Errorf("--hosts must be positive and --rounds at least 1")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	engine, err := policy.Load(policy.Options{Dir: o.PolicyDir})
	if err != nil {
		return fmt.Errorf("load the shipped policy (--policy): %w", err)
	}
	if *trace {
		o.Trace = stderr
	}
	rep, err := bench(ctx, o, engine)
	if err != nil {
		return err
	}
	if o.SVG != "" {
		fh, err := os.Create(o.SVG)
		if err != nil {
			return fmt.Errorf("svg: %w", err)
		}
		if err := writeSVG(fh, rep); err != nil {
			fh.Close()
			return fmt.Errorf("svg: %w", err)
		}
		if err := fh.Close(); err != nil {
			return fmt.Errorf("svg: %w", err)
		}
	}
	if o.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeMarkdown(stdout, rep)
}

// contenders returns every balancer under test, in report order. trace,
// when not nil, receives hvbalancer's rounds (see hvbalancerContender).
// Every baseline runs twice: as published, and held to the shipped
// policy's rules (see bound).
func contenders(engine *policy.Engine, rounds int, trace io.Writer) []contender {
	baselines := []contender{
		nodeFairness(1), nodeFairness(2), nodeFairness(3),
		proxLB(false, false), proxLB(false, true), proxLB(true, false), proxLB(true, true),
		sandpiper(75),
	}
	cs := []contender{
		asIs(),
		hvbalancerContender("hvbalancer allow-all", nil, rounds, trace),
		hvbalancerContender(shippedName, engine, rounds, trace),
	}
	cs = append(cs, baselines...)
	for _, b := range baselines {
		cs = append(cs, bound(b, engine))
	}
	return append(cs, repack())
}

// bench runs every contender on every scenario.
func bench(ctx context.Context, o options, engine *policy.Engine) (*Report, error) {
	rep := &Report{Schema: reportSchema, Seed: o.Seed, Quick: o.Quick, Limits: defaultLimits()}
	hosts := o.Hosts
	if hosts == 0 {
		hosts = map[bool]int{true: 16, false: 64}[o.Quick]
	}
	for _, s := range scenarios(o.Seed, hosts) {
		sr := ScenarioResult{Name: s.Name, Description: s.Description, Hosts: len(s.Snap.Hosts), VMs: len(s.Snap.VMs)}
		if o.Trace != nil {
			fmt.Fprintf(o.Trace, "== %s: %s (%d hosts, %d VMs)\n", s.Name, s.Description, len(s.Snap.Hosts), len(s.Snap.VMs))
		}
		for _, c := range contenders(engine, o.Rounds, o.Trace) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			sr.Results = append(sr.Results, measure(ctx, c, s, rep.Limits))
		}
		sr.Results = append(sr.Results, ideal(newFleet(s.Snap, rep.Limits)))
		var pin *Pinned
		if p, ok := pinnedHost(newFleet(s.Snap, rep.Limits)); ok {
			pin = &p
		}
		if t, ok := target(sr.Results, pin); ok {
			if !t.Met {
				if err := t.judgeBest(ctx, engine, s.Snap, rep.Limits, sr.Results); err != nil {
					return nil, err
				}
			}
			sr.Target = &t
		}
		rep.Scenarios = append(rep.Scenarios, sr)
	}
	return rep, nil
}
