package main

import (
	"context"
	"fmt"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/daemon"
)

// keyCommand prints the public half of the configuration's plan-signing
// key (making the key on first use), for the machines that must trust the
// plans it signs: they list the file among signing.trusted_keys.
func keyCommand(_ context.Context, args []string, e *env) error {
	fs := flags(e, "key", "key --config FILE > signing.pub")
	path := fs.String("config", "", "configuration `file`")
	if err := parse(fs, args); err != nil {
		return err
	}
	c, err := loadConfig(*path, e)
	if err != nil {
		return err
	}
	key, err := daemon.SigningKey(c)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "plan-signing key %s (%s); give its public half to the machines that run its plans:\n", key.Public().ID(), c.Signing.KeyFile)
	_, err = e.stdout.Write(key.Public().PEM())
	return err
}
