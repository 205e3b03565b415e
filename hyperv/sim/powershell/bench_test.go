package powershell

import (
	"bytes"
	"context"
	"io"
	"sort"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman"
)

// BenchmarkParse measures parsing each shipped script as sent (prologue
// and parameter line included).
func BenchmarkParse(b *testing.B) {
	names := make([]string, 0)
	for n := range hyperv.Scripts() {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		line, err := hyperv.EncodeCommand(n, struct{ Id, DestinationHost string }{"11111111-1111-4111-8111-111111111111", "HV02"})
		if err != nil {
			b.Fatal(err)
		}
		inv, _, _ := parseCommandLine(line)
		b.Run(n, func(b *testing.B) {
			for b.Loop() {
				if _, err := lang.Parse(inv.Text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRun measures a whole command (decode, parse, bind, run against
// the model, print) for the scripts that do not wait on the clock.
func BenchmarkRun(b *testing.B) {
	f := testFleet(b)
	sh := NewShell(f, "HV01")
	for _, n := range []string{hyperv.ScriptGetHost, hyperv.ScriptGetVMs, hyperv.ScriptLocateVM} {
		line, err := hyperv.EncodeCommand(n, struct{ Id string }{"11111111-1111-4111-8111-111111111111"})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(n, func(b *testing.B) {
			for b.Loop() {
				if code := sh.Run(b.Context(), wsman.Command{CommandID: "b", Line: line}, io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
		})
	}
}

// BenchmarkPollHost measures one poll of a host of 50 VMs as the
// collector sends it (poll-host over stdin, the facts read), the
// simulated clock moved on by each counter sample's wait: what a
// simulated host spends of its CPU on a poll.
func BenchmarkPollHost(b *testing.B) {
	spec := fleetfile.Generate(2, 100, 13)
	clk := model.NewManualClock(spec.Start)
	f, err := model.NewFleet(spec, clk)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	go func() {
		for clk.WaitForWaiters(ctx, 1) == nil {
			clk.Advance(time.Second)
		}
	}()
	line, stdin, err := hyperv.EncodeStdinCommand(hyperv.ScriptPollHost, struct {
		Facts          bool
		SampleInterval int
	}{true, 1})
	if err != nil {
		b.Fatal(err)
	}
	sh := NewShell(f, spec.Hosts[0].Name)
	b.ReportAllocs()
	for b.Loop() {
		cmd := wsman.Command{CommandID: "b", Line: line, Stdin: bytes.NewReader(stdin)}
		if code := sh.Run(ctx, cmd, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
