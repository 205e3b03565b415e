package fleet

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
)

// Open connects to the configured hosts, or starts the simulator. The
// login guard registers its metrics on reg (none when nil).
func Open(c *config.Config, log *slog.Logger, reg prometheus.Registerer) (*Fleet, error) {
	if c.Simulator != nil {
		return openSimulator(c, log, reg)
	}
	f := &Fleet{Now: time.Now, speed: 1, describe: configuredHosts}
	if err := f.open(c, log, reg); err != nil {
		return nil, err
	}
	return f, nil
}
