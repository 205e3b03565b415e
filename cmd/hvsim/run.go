package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

const usage = `usage: hvsim [flags]

Serves a simulated Hyper-V fleet over WinRM, one endpoint per host, until
interrupted. The fleet comes from a YAML file (--fleet) or is generated
(--hosts, --vms, --seed). Endpoints are printed and written to an inventory
file in --state-dir that hvbalancer's configuration can read.

flags:
`

// config is hvsim's command line.
type config struct {
	fleet     string
	hosts     int
	vms       int
	seed      int64
	speed     float64
	listen    string
	basePort  int
	https     bool
	keytab    string
	admin     string
	stateDir  string
	writeOnly string
	logLevel  string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("hvsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	fs.StringVar(&c.fleet, "fleet", "", "fleet `file` (YAML); see examples/fleets/")
	fs.IntVar(&c.hosts, "hosts", 0, "generate a fleet of `N` hosts instead of reading --fleet")
	fs.IntVar(&c.vms, "vms", 0, "number of VMs in a generated fleet")
	fs.Int64Var(&c.seed, "seed", 1, "seed of a generated fleet")
	fs.Float64Var(&c.speed, "speed", 0, "simulated seconds per real second (default: the fleet's own, else 1)")
	fs.StringVar(&c.listen, "listen", "127.0.0.1", "IP `address` the hosts listen on")
	fs.IntVar(&c.basePort, "base-port", 0, "first host's `port`; host i listens on port+i (0: ephemeral)")
	fs.BoolVar(&c.https, "https", false, "serve WinRM over HTTPS with a generated CA, on hosts whose fleet file does not say (winrm.https)")
	fs.StringVar(&c.keytab, "keytab", "", "Kerberos keytab `file` with the hosts' HTTP/ and WSMAN/ keys: the hosts then take Kerberos tickets as domain members do")
	fs.StringVar(&c.admin, "admin", "127.0.0.1:0", "`address` of the admin API (ledger, faults, clock)")
	fs.StringVar(&c.stateDir, "state-dir", "hvsim-state", "`dir`ectory for the inventory, password and CA files")
	fs.StringVar(&c.writeOnly, "write-fleet", "", "write the fleet as YAML to `file` and exit (with --hosts to generate one)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case c.fleet != "" && c.hosts > 0:
		return c, errors.New("--fleet and --hosts exclude each other")
	case c.fleet == "" && c.hosts <= 0:
		return c, errors.New("give --fleet FILE or --hosts N --vms M")
	case c.hosts > 0 && c.vms < 0:
		return c, errors.New("--vms must be >= 0")
	case c.speed < 0:
		return c, errors.New("--speed must be > 0")
	}
	return c, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "hvsim:", err)
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		fmt.Fprintln(stderr, "hvsim: --log-level:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	spec, err := loadSpec(c)
	if err != nil {
		fmt.Fprintln(stderr, "hvsim:", err)
		return 1
	}
	if c.writeOnly != "" {
		data, err := spec.Marshal()
		if err == nil {
			err = os.WriteFile(c.writeOnly, data, 0o644)
		}
		if err != nil {
			fmt.Fprintln(stderr, "hvsim: write fleet:", err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %s: %d hosts, %d VMs\n", c.writeOnly, len(spec.Hosts), len(spec.VMs))
		return 0
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := start(spec, c, log)
	if err != nil {
		fmt.Fprintln(stderr, "hvsim:", err)
		return 1
	}
	defer srv.Close()
	inv, err := srv.WriteInventory(c.stateDir)
	if err != nil {
		fmt.Fprintln(stderr, "hvsim:", err)
		return 1
	}
	printEndpoints(stdout, srv, inv)
	<-ctx.Done()
	fmt.Fprintln(stdout, "hvsim: stopping")
	return 0
}

func loadSpec(c config) (*sim.FleetSpec, error) {
	if c.hosts > 0 {
		return sim.Generate(c.hosts, c.vms, c.seed), nil
	}
	return sim.LoadFleet(c.fleet)
}

func start(spec *sim.FleetSpec, c config, log *slog.Logger) (*sim.Server, error) {
	speed := c.speed
	if speed == 0 {
		speed = spec.Speed
	}
	if speed <= 0 {
		speed = 1
	}
	fleet, err := sim.NewFleet(spec, sim.NewScaledClock(spec.Start, speed))
	if err != nil {
		return nil, err
	}
	opts := sim.Options{
		Listen:   c.listen,
		BasePort: c.basePort,
		HTTPS:    c.https,
		Admin:    c.admin,
		Logger:   log,
	}
	if c.keytab != "" {
		kt, err := os.ReadFile(c.keytab)
		if err != nil {
			return nil, err
		}
		if opts.Kerberos, err = sim.KerberosKeytab(kt, spec.Domain); err != nil {
			return nil, err
		}
	}
	return sim.Serve(fleet, opts)
}

func printEndpoints(w io.Writer, srv *sim.Server, inventory string) {
	f := srv.Fleet()
	fmt.Fprintf(w, "hvsim: fleet %q, %d hosts, clock %s\n", f.Spec().Name, len(f.HostNames()), f.Clock().Now().Format(time.RFC3339))
	for _, ep := range srv.Endpoints() {
		h, _ := f.Host(ep.Host)
		fmt.Fprintf(w, "  %-12s %s  %s  (%d LPs, %d GiB, %d VMs)\n", ep.Host, ep.URL, ep.Auth, h.LogicalProcessors, h.MemoryCapacity>>30, len(h.VMIDs))
	}
	fmt.Fprintf(w, "admin API:  %s\ninventory:  %s\nuser:       %s (password in %s)\npress Ctrl-C to stop\n",
		srv.AdminURL(), inventory, f.Spec().Credentials.Username, sim.PasswordFile)
}
