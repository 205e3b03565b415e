package fleet

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/collector"
)

// CollectorConfig turns the file's collector section into the collector's.
// The window and staleness are wall-clock settings, like the poll
// interval; on a simulated fleet whose clock runs faster they are scaled
// to the fleet's clock, which stamps the samples.
func (f *Fleet) CollectorConfig(c *config.Config) collector.Config {
	return collector.Config{
		Window:         f.Scale(c.Collector.Window),
		StaleAfter:     f.Scale(c.Collector.StaleAfter),
		Concurrency:    c.Collector.Concurrency,
		CallTimeout:    c.Collector.CallTimeout,
		RoundTimeout:   c.Collector.RoundTimeout,
		SampleInterval: c.Collector.SampleInterval,
		Now:            f.Now,
	}
}

// Collect polls the fleet samples times, every apart, and returns the last
// snapshot: enough samples for the smoothed loads to mean something.
func (f *Fleet) Collect(ctx context.Context, c *config.Config, samples int, every time.Duration, log *slog.Logger) (*collector.Snapshot, error) {
	col, err := collector.New(f.Targets, f.CollectorConfig(c), log, prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	var snap *collector.Snapshot
	for i := 0; i < samples; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(every):
			}
		}
		if snap, err = col.Poll(ctx); err != nil {
			return nil, err
		}
		log.Info("sampled the fleet", "sample", i+1, "of", samples, "hosts", len(snap.Hosts), "vms", len(snap.VMs))
	}
	return snap, nil
}
