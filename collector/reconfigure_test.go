package collector_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
)

// TestReconfigureTakesNewSettingsBetweenPolls: new settings apply from the
// next poll; while a host's poll is under way (a hung host) they wait, and
// the error names the host; once it ends they apply.
func TestReconfigureTakesNewSettingsBetweenPolls(t *testing.T) {
	f := newFixture(t, collector.Config{Window: 5 * time.Minute, CallTimeout: time.Minute, RoundTimeout: 50 * time.Millisecond},
		collector.Target{Name: "HV01"}, collector.Target{Name: "HV02"})
	if s := f.poll(time.Second); s.WindowSeconds != 300 {
		t.Fatalf("window %v s, want 300", s.WindowSeconds)
	}
	if err := f.c.Reconfigure(context.Background(), collector.Config{Window: time.Minute, CallTimeout: time.Minute, RoundTimeout: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if s := f.poll(time.Second); s.WindowSeconds != 60 {
		t.Errorf("after reconfiguring, window %v s, want 60", s.WindowSeconds)
	}

	f.srcs["HV02"].Block() // its poll goes on past the round
	f.poll(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := f.c.Reconfigure(ctx, collector.Config{Window: 2 * time.Minute, CallTimeout: time.Minute, RoundTimeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "HV02") {
		t.Fatalf("reconfigure while HV02's poll is under way: %v, want an error naming HV02", err)
	}
	if s := f.poll(time.Second); s.WindowSeconds != 60 {
		t.Errorf("a refused reconfiguration changed the window to %v s", s.WindowSeconds)
	}
	f.srcs["HV02"].Unblock()
	if err := f.c.Reconfigure(context.Background(), collector.Config{Window: 2 * time.Minute, CallTimeout: time.Minute, RoundTimeout: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if s := f.poll(time.Second); s.WindowSeconds != 120 {
		t.Errorf("after HV02's poll ended, window %v s, want 120", s.WindowSeconds)
	}
	if err := f.c.Reconfigure(context.Background(), collector.Config{Window: -time.Second}); err == nil {
		t.Error("a negative window was taken")
	}
}
