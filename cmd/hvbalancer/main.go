package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run runs one command line: as a Windows service when the service
// control manager started the process, otherwise until it finishes or an
// interrupt or SIGTERM stops it.
func run(args []string, stdout, stderr io.Writer) int {
	if code, ok := runAsService(args, stdout, stderr); ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdout, stderr)
}
