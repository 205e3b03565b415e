package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/daemon"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha"
)

// connectEtcd is check --connect's part for an ha section: it reaches the
// etcd cluster as the daemon would, with its TLS files, and says how many
// members it has and which daemon leads under the prefix.
func connectEtcd(ctx context.Context, c *config.Config, e *env) error {
	hc, err := daemon.HAConfig(c)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, hc.DialTimeout+5*time.Second)
	defer cancel()
	leader, members, err := ha.Probe(cctx, hc)
	if err != nil {
		return fmt.Errorf("etcd %v: %w", hc.Endpoints, err)
	}
	who := "no daemon leads yet"
	if leader.Name != "" {
		who = "leader " + leader.String()
	}
	fmt.Fprintf(e.stdout, "etcd: %d members reached; under %s %s\n", members, hc.Prefix, who)
	return nil
}
