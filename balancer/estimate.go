package balancer

import (
	"math"
	"sort"
)

// Pre-copy model of a live migration, as Hyper-V runs one: copy all
// memory, then repeatedly copy what the VM dirtied meanwhile, until little
// is left or the round limit is reached; then pause the VM, copy the rest
// and switch over.
const (
	dirtyBaseBytesPerSecond    = 16 << 20 // a VM dirties this much even when idle
	dirtyPerCoreBytesPerSecond = 32 << 20 // and this much more per busy logical processor
	precopyStopBytes           = 64 << 20 // stop iterating once less than this is dirty
	precopyMaxRounds           = 10       // then force the final round anyway
	switchOverSeconds          = 0.1      // pause, device state, switch-over
)

// migrationSeconds estimates a running VM's live migration: its assigned
// memory over the bandwidth, stretched by the dirty-page factor
// 1 + r + r² + … (r = dirty rate / bandwidth) for as many pre-copy rounds
// as it takes to leave under 64 MiB dirty (at most 10), plus 0.1 s of
// switch-over. The dirty rate is 16 MiB/s plus 32 MiB/s per logical
// processor the VM keeps busy.
func migrationSeconds(bytes int64, cores, bandwidth float64) float64 {
	if bytes <= 0 || bandwidth <= 0 {
		return switchOverSeconds
	}
	mem := float64(bytes)
	dirty := dirtyBaseBytesPerSecond + dirtyPerCoreBytesPerSecond*math.Max(0, cores)
	t := mem / bandwidth
	total := t
	remaining := math.Min(dirty*t, mem)
	for round := 1; round < precopyMaxRounds && remaining >= precopyStopBytes; round++ {
		t = remaining / bandwidth
		total += t
		remaining = math.Min(dirty*t, mem)
	}
	return total + remaining/bandwidth + switchOverSeconds
}

// moveSeconds estimates a move: a shared-nothing live migration first
// copies the VM's disks (storage bytes) at the same bandwidth, then
// migrates its memory as migrationSeconds does.
func moveSeconds(memory, storage int64, cores, bandwidth float64) float64 {
	t := migrationSeconds(memory, cores, bandwidth)
	if storage > 0 && bandwidth > 0 {
		t += float64(storage) / bandwidth
	}
	return t
}

// scheduleSeconds estimates the time to run moves under the executor's
// limits: at most maxConcurrent at once, and at most a host's own
// migration limit (limits[name], default 2) touching any one host, sending
// or receiving. Moves start in plan order as soon as the limits allow; one
// that must wait does not hold back later moves that can start.
func scheduleSeconds(moves []Move, limits map[string]int, maxConcurrent int) float64 {
	if maxConcurrent < 1 {
		maxConcurrent = 1
	}
	limit := func(h string) int {
		if l := limits[h]; l > 0 {
			return l
		}
		return DefaultMaxMigrations
	}
	type run struct {
		end      float64
		from, to string
	}
	busy := make(map[string]int)
	started := make([]bool, len(moves))
	var running []run
	now, left := 0.0, len(moves)
	for left > 0 || len(running) > 0 {
		for i, m := range moves {
			if started[i] || len(running) >= maxConcurrent || busy[m.From] >= limit(m.From) || busy[m.To] >= limit(m.To) {
				continue
			}
			started[i] = true
			left--
			busy[m.From]++
			busy[m.To]++
			running = append(running, run{end: now + m.EstimatedSeconds, from: m.From, to: m.To})
		}
		if len(running) == 0 {
			break // cannot happen: an idle fleet can always start a move
		}
		sort.SliceStable(running, func(i, j int) bool { return running[i].end < running[j].end })
		now = running[0].end
		for len(running) > 0 && running[0].end <= now {
			busy[running[0].from]--
			busy[running[0].to]--
			running = running[1:]
		}
	}
	return now
}
