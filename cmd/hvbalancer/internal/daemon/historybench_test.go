package daemon

import (
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/internal/proctime"
)

// BenchmarkRoundHistory makes a round's history from a journal of 100,000
// entries (1,000 outcomes over three days, the rest queued moves that
// never ran), on the local file and on one embedded etcd member, by a
// pass over the whole journal (as every round did) and from the history
// view (as a round does now), and reports the process's CPU per round:
// the embedded server runs in the benchmark's process, so its CPU is
// counted too.
func BenchmarkRoundHistory(b *testing.B) {
	const entries, outcomes = 100_000, 1000
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	memory := 6 * time.Hour
	for name, j := range historyStores(b) {
		fillHistory(b, j, now, entries-outcomes, outcomes)
		b.Run(name+"/whole-journal", func(b *testing.B) {
			benchHistory(b, func() error { _, _, _, err := readHistory(j, now, memory); return err })
		})
		b.Run(name+"/view", func(b *testing.B) {
			d := &Daemon{}
			d.keepHistory(j)
			if _, _, _, err := d.hist.read(now, memory, 0); err != nil { // read once, as at a start or a takeover
				b.Fatal(err)
			}
			benchHistory(b, func() error { _, _, _, err := d.hist.read(now, memory, 0); return err })
		})
	}
}

func benchHistory(b *testing.B, round func() error) {
	cpu0, cpuOK := proctime.CPU()
	b.ResetTimer()
	for range b.N {
		if err := round(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if cpu1, ok := proctime.CPU(); ok && cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
	}
}
