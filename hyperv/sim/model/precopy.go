package model

// The arithmetic of a live migration: how long a pre-copy takes and how much
// it sends, and what the host's performance option does to bandwidth and
// CPU. Pure functions of their arguments; migrate.go applies them.

import (
	"math"
	"time"
)

// Pre-copy model.
const (
	precopyStopBytes = 64 * MiB               // stop iterating once less than this is dirty
	precopyMaxRounds = 10                     // then force the final round anyway
	blackoutPause    = 100 * time.Millisecond // device state and switch-over, on top of the final copy
	quickMoveTime    = 2 * time.Second        // moving a VM that is off or saved: configuration only
)

// precopy models a live migration of memory bytes over bandwidth bytes/s
// while the guest dirties dirty bytes/s. Round 0 copies all memory; each
// later round copies what the previous one let the guest dirty; it stops
// once less than precopyStopBytes is dirty or after precopyMaxRounds rounds
// (a copy that cannot converge is forced to end there), then the VM pauses
// to send the rest (the blackout). It returns the duration and bytes sent.
func precopy(memory int64, bandwidth, dirty float64) (time.Duration, int64) {
	mem := float64(memory)
	t := mem / bandwidth
	total, sent := t, mem
	remaining := math.Min(dirty*t, mem)
	for round := 1; round < precopyMaxRounds && remaining >= precopyStopBytes; round++ {
		t = remaining / bandwidth
		total += t
		sent += remaining
		remaining = math.Min(dirty*t, mem)
	}
	total += remaining / bandwidth
	sent += remaining
	return time.Duration(total*float64(time.Second)) + blackoutPause, int64(sent)
}

// performanceFactor is the effective bandwidth gain of a performance option.
func performanceFactor(p string) float64 {
	switch p {
	case "Compression":
		return 2
	case "SMB":
		return 1.5
	}
	return 1
}

// performanceCPU is the CPU, in LP-units, a migration takes on each end.
func performanceCPU(p string) float64 {
	switch p {
	case "Compression":
		return 2
	case "SMB":
		return 2.5
	}
	return 1
}

// storageCopy is how long a storage migration takes to copy bytes of files
// over bandwidth bytes/s: the same link and performance option as the
// memory copy that follows it (Hyper-V copies the disks first, mirroring
// the guest's writes, then live-migrates memory).
func storageCopy(bytes int64, bandwidth float64) time.Duration {
	if bytes <= 0 || bandwidth <= 0 {
		return 0
	}
	return time.Duration(float64(bytes) / bandwidth * float64(time.Second))
}
