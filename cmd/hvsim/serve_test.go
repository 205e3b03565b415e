//go:build !windows

package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// TestServeDemoFleet runs hvsim on the demo fleet as the README does, talks
// to one host with the real client, and stops it with SIGINT.
func TestServeDemoFleet(t *testing.T) {
	dir := t.TempDir()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run([]string{"--fleet", "../../examples/fleets/demo.yaml", "--state-dir", dir}, pw, io.Discard)
		pw.Close()
		done <- code
	}()
	lines := bufio.NewScanner(pr)
	var printed []string
	for lines.Scan() {
		printed = append(printed, lines.Text())
		if strings.HasPrefix(lines.Text(), "press Ctrl-C") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if len(printed) < 10 {
		t.Fatalf("hvsim printed %q", printed)
	}

	inv, err := sim.LoadInventory(dir + "/" + sim.InventoryFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Hosts) != 8 {
		t.Errorf("inventory has %d hosts, want 8", len(inv.Hosts))
	}
	if !strings.Contains(strings.Join(printed, "\n"), inv.Hosts[0].URL) {
		t.Errorf("endpoint %s not printed", inv.Hosts[0].URL)
	}
	password, err := os.ReadFile(inv.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Hosts[0].Auth != "ntlm" {
		t.Errorf("inventory says auth %q, want ntlm", inv.Hosts[0].Auth)
	}
	c, err := hyperv.New(hyperv.Config{Host: inv.Hosts[0].IP, Port: inv.Hosts[0].Port, Auth: hyperv.AuthNTLM, Username: inv.Username, Password: strings.TrimSpace(string(password))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	vms, err := c.VMs(ctx)
	if err != nil || len(vms) == 0 {
		t.Errorf("VMs of %s: %d, %v", inv.Hosts[0].Host, len(vms), err)
	}

	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 0 {
		t.Errorf("exit %d after SIGINT", code)
	}
}
