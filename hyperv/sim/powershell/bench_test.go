package powershell

import (
	"io"
	"sort"
	"testing"

	"github.com/hvbalancer/hvbalancer/hyperv"
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
