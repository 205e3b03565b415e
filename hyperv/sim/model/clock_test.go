package model

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

func TestManualClockFiresInOrder(t *testing.T) {
	c := NewManualClock(fleetfile.DefaultStart)
	late, early, same := c.After(3*time.Second), c.After(time.Second), c.After(time.Second)
	now := c.After(0)
	if got := <-now; !got.Equal(fleetfile.DefaultStart) {
		t.Errorf("After(0) fired with %v", got)
	}
	if c.Waiters() != 3 {
		t.Fatalf("Waiters = %d, want 3", c.Waiters())
	}
	c.Advance(2 * time.Second)
	if got := []time.Time{<-early, <-same}; !cmp.Equal(got, []time.Time{fleetfile.DefaultStart.Add(time.Second), fleetfile.DefaultStart.Add(time.Second)}) {
		t.Errorf("fired with %v", got)
	}
	select {
	case <-late:
		t.Fatal("fired before it was due")
	default:
	}
	if c.Waiters() != 1 || !c.Now().Equal(fleetfile.DefaultStart.Add(2*time.Second)) {
		t.Errorf("Waiters %d, Now %v", c.Waiters(), c.Now())
	}
	c.Advance(time.Second)
	if got := <-late; !got.Equal(fleetfile.DefaultStart.Add(3 * time.Second)) {
		t.Errorf("late fired with %v", got)
	}
}

func TestManualClockWaitForWaiters(t *testing.T) {
	c := NewManualClock(fleetfile.DefaultStart)
	go c.After(time.Minute)
	if err := c.WaitForWaiters(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.WaitForWaiters(ctx, 2); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitForWaiters = %v", err)
	}
}

func TestScaledClock(t *testing.T) {
	c := NewScaledClock(fleetfile.DefaultStart, 60)
	if c.Speed() != 60 {
		t.Errorf("Speed = %v", c.Speed())
	}
	a := c.Now()
	b := c.Now()
	if a.Before(fleetfile.DefaultStart) || b.Before(a) {
		t.Errorf("Now went %v then %v", a, b)
	}
	if got := <-c.After(-time.Second); got.Before(fleetfile.DefaultStart) {
		t.Errorf("After(<0) fired with %v", got)
	}
	// One simulated millisecond is a sixtieth of a real one: fires without delay worth noticing.
	if got := <-c.After(time.Millisecond); got.Before(fleetfile.DefaultStart.Add(time.Millisecond)) {
		t.Errorf("After(1ms) fired at %v, before it was due", got)
	}
	if NewScaledClock(fleetfile.DefaultStart, 0).Speed() != 1 {
		t.Error("a speed of 0 is not taken as 1")
	}
}
