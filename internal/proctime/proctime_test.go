package proctime

import (
	"crypto/sha256"
	"runtime"
	"sync"
	"testing"
)

// TestCPU proves that CPU counts the work of threads other than the
// caller's: a goroutine locked to its own thread hashes 64 MiB, and the
// process's CPU time grows while the caller only waits. Where it is not
// measured, CPU says so.
func TestCPU(t *testing.T) {
	before, ok := CPU()
	if ok != measured {
		t.Fatalf("CPU() ok = %v, want %v on %s", ok, measured, runtime.GOOS)
	}
	if !measured {
		if before != 0 {
			t.Errorf("CPU() = %v where it is not measured, want 0", before)
		}
		return
	}
	var wg sync.WaitGroup
	var sum [sha256.Size]byte
	wg.Go(func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		buf := make([]byte, 1<<20)
		for range 64 {
			sum = sha256.Sum256(buf)
			buf[0] = sum[0] // each round hashes what the last one made
		}
	})
	wg.Wait()
	after, ok := CPU()
	if !ok {
		t.Fatal("CPU() ok = false on the second read")
	}
	if after <= before {
		t.Errorf("CPU() went from %v to %v over 64 MiB hashed on another thread", before, after)
	}
}
