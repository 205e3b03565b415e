package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/daemon"
	"github.com/hvbalancer/hvbalancer/policy"
)

// errUsage marks a command-line mistake (exit code 2).
var errUsage = errors.New("usage")

// command is one subcommand.
type command func(ctx context.Context, args []string, env *env) error

// env is what every command gets: output streams and the logger.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
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

// loadConfigAndPolicy loads the configuration file and compiles its policy.
func loadConfigAndPolicy(path string, e *env) (*config.Config, *policy.Engine, error) {
	c, err := loadConfig(path, e)
	if err != nil {
		return nil, nil, err
	}
	engine, err := daemon.LoadPolicy(c, e.log)
	if err != nil {
		return nil, nil, err
	}
	return c, engine, nil
}
