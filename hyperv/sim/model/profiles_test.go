package model

import (
	"math"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

func TestProfiles(t *testing.T) {
	day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		load  fleetfile.Load
		check func(t *testing.T, samples []float64)
	}{
		{
			name: "steady stays within tiny noise of its mean",
			load: fleetfile.Load{Profile: fleetfile.ProfileSteady, CPU: 0.4},
			check: func(t *testing.T, s []float64) {
				lo, hi := minMax(s)
				if lo < 0.39 || hi > 0.41 {
					t.Errorf("range [%v, %v], want within 0.40±0.01", lo, hi)
				}
			},
		},
		{
			name: "diurnal peaks mid-afternoon and bottoms out at night",
			load: fleetfile.Load{Profile: fleetfile.ProfileDiurnal, CPU: 0.5, Amplitude: 0.3, Period: fleetfile.Duration(24 * time.Hour)},
			check: func(t *testing.T, s []float64) {
				peak, trough := argMax(s), argMax(negate(s))
				if h := peak / 60; h != 14 && h != 15 {
					t.Errorf("peak at %02d:%02d, want about 15:00", h, peak%60)
				}
				if h := trough / 60; h != 2 && h != 3 {
					t.Errorf("trough at %02d:%02d, want about 03:00", h, trough%60)
				}
				if lo, hi := minMax(s); lo > 0.22 || hi < 0.78 {
					t.Errorf("range [%v, %v], want about 0.2..0.8", lo, hi)
				}
			},
		},
		{
			name: "bursty jumps to mean+amplitude in short bursts",
			load: fleetfile.Load{Profile: fleetfile.ProfileBursty, CPU: 0.1, Amplitude: 0.6},
			check: func(t *testing.T, s []float64) {
				bursts := 0
				for _, v := range s {
					switch {
					case math.Abs(v-0.7) <= 0.01:
						bursts++
					case math.Abs(v-0.1) > 0.01:
						t.Fatalf("value %v is neither the mean nor a burst", v)
					}
				}
				if share := float64(bursts) / float64(len(s)); share < 0.05 || share > 0.3 {
					t.Errorf("bursting %.0f%% of the time, want about 15%%", share*100)
				}
			},
		},
		{
			name: "randomwalk wanders smoothly within its amplitude",
			load: fleetfile.Load{Profile: fleetfile.ProfileRandomWalk, CPU: 0.5, Amplitude: 0.3},
			check: func(t *testing.T, s []float64) {
				for i := 1; i < len(s); i++ {
					if d := math.Abs(s[i] - s[i-1]); d > 0.1 {
						t.Fatalf("jump of %v in one minute", d)
					}
				}
				if lo, hi := minMax(s); lo < 0.19 || hi > 0.81 || hi-lo < 0.1 {
					t.Errorf("range [%v, %v], want a wander within 0.5±0.31", lo, hi)
				}
			},
		},
		{
			name: "demand is clamped to 0..1",
			load: fleetfile.Load{Profile: fleetfile.ProfileDiurnal, CPU: 0.9, Amplitude: 0.9},
			check: func(t *testing.T, s []float64) {
				if lo, hi := minMax(s); lo != 0 || hi != 1 {
					t.Errorf("range [%v, %v], want [0, 1]", lo, hi)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := vmKey(42, "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b")
			samples := make([]float64, 24*60)
			for i := range samples {
				at := day.Add(time.Duration(i) * time.Minute)
				samples[i] = cpuDemand(key, tc.load, at)
				if again := cpuDemand(key, tc.load, at); again != samples[i] {
					t.Fatalf("demand at %v is %v then %v", at, samples[i], again)
				}
			}
			tc.check(t, samples)
		})
	}
}

func TestProfilesDifferPerVM(t *testing.T) {
	at := fleetfile.DefaultStart.Add(37 * time.Minute)
	l := fleetfile.Load{Profile: fleetfile.ProfileRandomWalk, CPU: 0.5, Amplitude: 0.4}
	a := cpuDemand(vmKey(1, "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b"), l, at)
	b := cpuDemand(vmKey(1, "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5c"), l, at)
	c := cpuDemand(vmKey(2, "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b"), l, at)
	if a == b || a == c {
		t.Errorf("demand %v, %v, %v: VM ID and seed must both matter", a, b, c)
	}
}

func TestVCPUWantsKeepTheVMsDemand(t *testing.T) {
	for _, tc := range []struct {
		demand float64
		cpus   int
	}{{3, 8}, {7.9, 8}, {8, 8}, {9, 8}, {0, 4}, {0.4, 1}} {
		wants := vcpuWants(99, tc.demand, tc.cpus, fleetfile.DefaultStart)
		var sum float64
		for _, w := range wants {
			sum += w
			if w < 0 || w > 1 {
				t.Errorf("%v over %d: a vCPU wants %v of its time", tc.demand, tc.cpus, w)
			}
		}
		if want := math.Min(tc.demand, float64(tc.cpus)); math.Abs(sum-want) > 1e-9 {
			t.Errorf("%v over %d: vCPUs want %v in all, want %v", tc.demand, tc.cpus, sum, want)
		}
	}
	wants := vcpuWants(99, 3, 8, fleetfile.DefaultStart)
	for _, w := range wants {
		if w < 0.375*0.89 || w > 0.375*1.11 {
			t.Errorf("vCPU wants %v, want within 10%% of 0.375", w)
		}
	}
}

func minMax(s []float64) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range s {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return lo, hi
}

func argMax(s []float64) int {
	best := 0
	for i, v := range s {
		if v > s[best] {
			best = i
		}
	}
	return best
}

func negate(s []float64) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = -v
	}
	return out
}
