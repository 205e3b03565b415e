package main

import "testing"

// A swap cools its hotspot, leaves the other host cool, keeps every hard
// limit, and moves one hot VM against one to three cool ones.
func TestSandpiperSwap(t *testing.T) {
	swapped := 0
	for seed := uint64(1); seed <= 4; seed++ {
		s := scenarios(seed, 16)[3] // dense: hotspots everywhere
		for src := range s.Snap.Hosts {
			f := newFleet(s.Snap, defaultLimits())
			hot, volume, vsr := sandpiperMeasures(f, 75)
			if !hot(src) {
				continue
			}
			before := volume(src)
			rec := &recorder{f: f}
			if !sandpiperSwap(f, rec, src, hot, volume, vsr) {
				if rec.moves != 0 {
					t.Errorf("seed %d host %d: no swap but %d moves", seed, src, rec.moves)
				}
				continue
			}
			swapped++
			if rec.violations != 0 || rec.moves < 2 || rec.moves > 4 || volume(src) >= before {
				t.Errorf("seed %d host %d: %d moves, %d violations, volume %.2f → %.2f", seed, src, rec.moves, rec.violations, before, volume(src))
			}
			for hi := range s.Snap.Hosts {
				if hi != src && hot(hi) && !newFleetHot(s, hi) {
					t.Errorf("seed %d: the swap made host %d a hotspot", seed, hi)
				}
			}
		}
	}
	if swapped == 0 {
		t.Error("no swap on any dense fleet: the test proves nothing")
	}
}

// newFleetHot says whether host hi of s is a hotspot before any move.
func newFleetHot(s scenario, hi int) bool {
	hot, _, _ := sandpiperMeasures(newFleet(s.Snap, defaultLimits()), 75)
	return hot(hi)
}
