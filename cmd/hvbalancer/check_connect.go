package main

import (
	"context"
	"fmt"
	"sync"
	"text/tabwriter"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/fleet"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// connectCheck is check --connect: it logs in to every host, through the
// login guard, and reads its facts (Get-VMHost, read-only) within the
// collector's call timeout, then prints one line per host. It fails with
// exit code 3 when a host does not answer.
func connectCheck(ctx context.Context, c *config.Config, e *env) error {
	f, err := fleet.Open(c, e.log, nil)
	if err != nil {
		return err
	}
	defer f.Close()
	results := make([]string, len(f.Targets))
	failed := 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, c.Collector.Concurrency)
	for i, t := range f.Targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cctx, cancel := context.WithTimeout(ctx, c.Collector.CallTimeout)
			defer cancel()
			info, err := t.Source.Host(cctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				results[i] = fleet.Failure(err)
				return
			}
			results[i] = facts(info)
		})
	}
	wg.Wait()
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "HOST\tADDRESS\tRESULT\n")
	for i, t := range f.Targets {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, f.Addrs[t.Name], results[i])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		return &fleet.Error{Head: fmt.Sprintf("%d of %d hosts failed the check", failed, len(f.Targets))}
	}
	if c.HA != nil {
		return connectEtcd(ctx, c, e)
	}
	return nil
}

// facts says what a host that answered is.
func facts(h hyperv.HostInfo) string {
	migration := "live migration off"
	if h.MigrationEnabled {
		migration = fmt.Sprintf("live migration on (%d at once)", h.MaxMigrations)
	}
	name := h.FQDN
	if name == "" {
		name = h.Name
	}
	return fmt.Sprintf("ok: %s, %d logical processors, %.0f GiB, %s", name, h.LogicalProcessors, float64(h.MemoryCapacity)/(1<<30), migration)
}
