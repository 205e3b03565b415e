package model

// VM load profiles: pure functions of a VM's noise key, its fleet-file load
// and a moment of simulated time. Nothing here reads or changes the fleet;
// snapshot.go turns these demands into what Get-VM and the counters report.

import (
	"hash/fnv"
	"math"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// Time scales of the profiles.
const (
	steadyNoiseScale = time.Minute      // knots of the tiny noise every profile carries
	steadyNoise      = 0.01             // ± that noise
	burstBucket      = 5 * time.Minute  // a burst lasts one bucket
	burstChance      = 0.15             // share of buckets that burst
	walkSlowScale    = 20 * time.Minute // random-walk knots, slow octave
	walkFastScale    = 4 * time.Minute  // random-walk knots, fast octave
	memoryNoiseScale = 90 * time.Minute // memory demand drifts slowly
	memoryNoise      = 0.1              // ± that drift, relative
	vcpuNoiseScale   = 2 * time.Minute  // per-vCPU spread
	vcpuSpread       = 0.1              // ± that spread, relative
)

// Salts that keep the noise streams of one VM apart.
const (
	saltSteady uint64 = iota + 1
	saltBurst
	saltWalkSlow
	saltWalkFast
	saltMemory
	saltVCPU
	saltUptime
)

// cpuDemand returns the CPU demand of a VM at t, as a fraction 0..1 of its
// vCPUs. It is a pure function of the VM's key (seed and ID), its load and t.
func cpuDemand(key uint64, l fleetfile.Load, t time.Time) float64 {
	d := l.CPU + steadyNoise*(2*valueNoise(key, saltSteady, t, steadyNoiseScale)-1)
	switch l.Profile {
	case fleetfile.ProfileDiurnal:
		period := time.Duration(l.Period)
		if period <= 0 {
			period = 24 * time.Hour
		}
		// Phase 0 at the Unix epoch (midnight UTC); the peak falls at 15/24 of the period.
		x := math.Mod(seconds(t), period.Seconds()) / period.Seconds()
		d += l.Amplitude * math.Sin(2*math.Pi*(x-9.0/24))
	case fleetfile.ProfileBursty:
		bucket := int64(math.Floor(seconds(t) / burstBucket.Seconds()))
		if unit(hash3(key, saltBurst, uint64(bucket))) < burstChance {
			d += l.Amplitude
		}
	case fleetfile.ProfileRandomWalk:
		n := 0.65*valueNoise(key, saltWalkSlow, t, walkSlowScale) + 0.35*valueNoise(key, saltWalkFast, t, walkFastScale)
		d += l.Amplitude * (2*n - 1)
	}
	return clamp(d, 0, 1)
}

// memoryFactor returns the slow relative drift of a VM's memory demand
// around its mean at t, in [1-memoryNoise, 1+memoryNoise].
func memoryFactor(key uint64, t time.Time) float64 {
	return 1 + memoryNoise*(2*valueNoise(key, saltMemory, t, memoryNoiseScale)-1)
}

// defaultUptime is the uptime a running VM has at the start when its spec
// names none: between one hour and 45 days, fixed per VM.
func defaultUptime(key uint64) time.Duration {
	span := float64(45*24*time.Hour - time.Hour)
	return time.Hour + time.Duration(unit(hash3(key, saltUptime, 0))*span).Round(time.Second)
}

// vmKey is the noise key of a VM: its seed and lower-case ID.
func vmKey(seed int64, id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return mix64(h.Sum64() ^ mix64(uint64(seed)))
}

// valueNoise is smooth, deterministic noise in [0,1): hashed values at knots
// scale apart, joined by smoothstep interpolation, so it is continuous in t.
func valueNoise(key, salt uint64, t time.Time, scale time.Duration) float64 {
	x := seconds(t) / scale.Seconds()
	i := math.Floor(x)
	frac := x - i
	a := unit(hash3(key, salt, uint64(int64(i))))
	b := unit(hash3(key, salt, uint64(int64(i)+1)))
	s := frac * frac * (3 - 2*frac)
	return a + (b-a)*s
}

// seconds since the Unix epoch, with millisecond resolution.
func seconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func hash3(a, b, c uint64) uint64 { return mix64(a ^ mix64(b^mix64(c))) }

// mix64 is the splitmix64 finalizer.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unit maps a hash to [0,1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
