//go:build windows

package main

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows/svc"
)

// serviceName is the name `sc.exe create` registers hvbalancer under.
const serviceName = "hvbalancer"

// runAsService runs the command line under the Windows service control
// manager when it started the process, and reports whether it did. Output
// goes to hvbalancer.log in %ProgramData%\hvbalancer, since a service has
// no console.
func runAsService(args []string, stdout, stderr io.Writer) (int, bool) {
	is, err := svc.IsWindowsService()
	if err != nil || !is {
		return 0, false
	}
	dir := filepath.Join(os.Getenv("ProgramData"), "hvbalancer")
	if err := os.MkdirAll(dir, 0o750); err == nil {
		if f, err := os.OpenFile(filepath.Join(dir, "hvbalancer.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640); err == nil {
			defer f.Close()
			stdout, stderr = f, f
		}
	}
	h := &service{args: args, stdout: stdout, stderr: stderr}
	if err := svc.Run(serviceName, h); err != nil {
		io.WriteString(stderr, "hvbalancer: service: "+err.Error()+"\n")
		return 1, true
	}
	return h.code, true
}

// service adapts the command line to the service control manager: Stop and
// Shutdown cancel it, which drains in-flight migrations before it returns.
type service struct {
	args           []string
	stdout, stderr io.Writer
	code           int
}

// Execute implements svc.Handler.
func (s *service) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- runContext(ctx, s.args, s.stdout, s.stderr) }()
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending}
				cancel()
				s.code = <-done
				return false, uint32(s.code)
			}
		case s.code = <-done:
			return false, uint32(s.code)
		}
	}
}
