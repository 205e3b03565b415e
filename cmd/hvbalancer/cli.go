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
	"strings"
	"syscall"

	_ "time/tzdata" // time zones on hosts without a zoneinfo database (Windows, distroless)

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
)

const usage = `usage: hvbalancer <command> [flags]

commands:
  run        the daemon: sample, plan and balance on the configured interval
  apply      execute an approved plan file, re-checking every move first
  approve    approve a plan the daemon is holding for approval
  plan       collect the fleet (or read a snapshot), plan, and write the reports
  snapshot   collect the fleet once and save the snapshot
  check      validate a configuration file and exit
  policy     test: run a policy directory's unit tests; eval: print a policy's decision
  version    print the version

Run 'hvbalancer <command> -h' for a command's flags.
`

// errUsage marks a command-line mistake (exit code 2).
var errUsage = errors.New("usage")

// command is one subcommand.
type command func(ctx context.Context, args []string, env *env) error

// env is what every command gets: output streams and the logger.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
}

func run(args []string, stdout, stderr io.Writer) int {
	if code, ok := runAsService(args, stdout, stderr); ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdout, stderr)
}

// runContext runs one command line until it finishes or ctx ends.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	commands := map[string]command{
		"run":      runCommand,
		"apply":    applyCommand,
		"approve":  approveCommand,
		"plan":     planCommand,
		"snapshot": snapshotCommand,
		"check":    checkCommand,
		"policy":   policyCommand,
		"version":  versionCommand,
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
	case errors.Is(err, errIncomplete) && !errors.Is(err, errMovesFailed):
		fmt.Fprintln(stderr, "hvbalancer "+name+":", err)
		return 3
	default:
		fmt.Fprintln(stderr, "hvbalancer "+name+":", err)
		return 1
	}
}

// flags makes a command's flag set writing its help to stderr.
func flags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: hvbalancer %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args and rejects stray arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

// loadConfig loads the configuration and sets the logger from it.
func loadConfig(path string, e *env) (*config.Config, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: --config is required", errUsage)
	}
	c, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Log.Level)) // validated
	opts := &slog.HandlerOptions{Level: level}
	if c.Log.Format == "json" {
		e.log = slog.New(slog.NewJSONHandler(e.stderr, opts))
	} else {
		e.log = slog.New(slog.NewTextHandler(e.stderr, opts))
	}
	return c, nil
}
