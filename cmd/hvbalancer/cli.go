package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	_ "time/tzdata" // time zones on hosts without a zoneinfo database (Windows, distroless)

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/daemon"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/fleet"
)

const usage = `usage: hvbalancer <command> [flags]

commands:
  run        the daemon: sample, plan and balance on the configured interval
  apply      execute an approved plan file, re-checking every move first
  approve    approve a plan the daemon is holding for approval
  maintenance  enter, exit or list: take a host out of the fleet's destinations and move its VMs off
  place      rank the hosts where a new VM should go (--name-only: the best one, for New-VM -ComputerName)
  plan       collect the fleet (or read a snapshot), plan, and write the reports
  snapshot   collect the fleet once and save the snapshot
  check      validate a configuration file and exit
  key        print the public half of the plan-signing key, for the machines that trust its plans
  policy     test: run a policy directory's unit tests; eval: print a policy's decision
  version    print the version

Run 'hvbalancer <command> -h' for a command's flags.
`

// runContext runs one command line until it finishes or ctx ends.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	commands := map[string]command{
		"run":         runCommand,
		"apply":       applyCommand,
		"approve":     approveCommand,
		"maintenance": maintenanceCommand,
		"place":       placeCommand,
		"plan":        planCommand,
		"snapshot":    snapshotCommand,
		"check":       checkCommand,
		"key":         keyCommand,
		"policy":      policyCommand,
		"version":     versionCommand,
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "hvbalancer: unknown command %q\n\n%s", name, usage)
		return 2
	}
	e := &env{stdout: stdout, stderr: stderr, log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	err := cmd(ctx, args[1:], e)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "hvbalancer "+name+":", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		return 2
	case errors.Is(err, fleet.ErrIncomplete) && !errors.Is(err, daemon.ErrMovesFailed):
		fmt.Fprintln(stderr, "hvbalancer "+name+":", err)
		return 3
	default:
		fmt.Fprintln(stderr, "hvbalancer "+name+":", err)
		return 1
	}
}
