package main

import (
	"context"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/daemon"
)

// runCommand is `hvbalancer run`: the daemon, until a signal stops it.
func runCommand(ctx context.Context, args []string, e *env) error {
	fs := flags(e, "run", "run --config FILE [--check]")
	path := fs.String("config", "", "configuration `file`")
	checkOnly := fs.Bool("check", false, "validate the configuration and compile the policy, then exit")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *checkOnly {
		_, err := checkConfig(*path, e)
		return err
	}
	c, engine, err := loadConfigAndPolicy(*path, e)
	if err != nil {
		return err
	}
	for _, w := range c.Warnings() { // deadlines that work, but not as likely meant
		e.log.Warn("configuration", "key", w.Path, "value", w.Value, "problem", w.Err)
	}
	d, err := daemon.New(daemon.Options{
		ConfigPath: *path, Config: c, Engine: engine, Version: buildVersion(), Logger: e.log, Stdout: e.stdout,
	})
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Run(ctx)
}
