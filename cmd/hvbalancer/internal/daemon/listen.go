package daemon

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// listen opens the daemon's HTTP listener and builds the server over it.
func (d *Daemon) listen(cfg *config.Config) (net.Listener, *http.Server, error) {
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           web.NewHandler(backend{d}, web.Options{TokenFile: cfg.HTTP.TokenFile, Gatherer: d.reg, Logger: d.log.With("component", "http"), ConfigPath: d.cfgPath}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	return ln, srv, nil
}
