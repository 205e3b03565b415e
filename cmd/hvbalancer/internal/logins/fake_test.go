package logins_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/logins"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// fakeFleet is a set of hosts that accept one password, or fail as told,
// and count the logins they see.
type fakeFleet struct {
	mu       sync.Mutex
	password string
	fail     map[string]error // by host: every call fails with it
	logins   map[string]int   // by host
	refused  map[string]int   // by host
	block    chan struct{}    // when set, calls wait for it to close
	hang     map[string]bool  // by host: calls wait for their deadline, as a hung host's do
	inFlight int
	maxIn    int
}

func newFakeFleet(password string) *fakeFleet {
	return &fakeFleet{password: password, fail: map[string]error{}, hang: map[string]bool{}, logins: map[string]int{}, refused: map[string]int{}}
}

func (f *fakeFleet) totalRefused() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.refused {
		n += v
	}
	return n
}

// dial returns the Dial func of host.
func (f *fakeFleet) dial(host string) func(string) (logins.Client, error) {
	return func(password string) (logins.Client, error) {
		return &fakeClient{f: f, host: host, password: password}, nil
	}
}

type fakeClient struct {
	f        *fakeFleet
	host     string
	password string
}

func (c *fakeClient) login(ctx context.Context) error {
	f := c.f
	f.mu.Lock()
	f.inFlight++
	f.maxIn = max(f.maxIn, f.inFlight)
	block := f.block
	hang := f.hang[c.host]
	f.mu.Unlock()
	if hang {
		<-ctx.Done()
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
		return fmt.Errorf("get host on %s:5985: %w", c.host, ctx.Err())
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight--
	f.logins[c.host]++
	if err := f.fail[c.host]; err != nil {
		if errorsIsUnauthorized(err) {
			f.refused[c.host]++
		}
		return err
	}
	if c.password != f.password {
		f.refused[c.host]++
		return fmt.Errorf("get host on %s:5985: wsman: %w: http status 401", c.host, hyperv.ErrUnauthorized)
	}
	return nil
}

func (c *fakeClient) Host(ctx context.Context) (hyperv.HostInfo, error) {
	return hyperv.HostInfo{Name: c.host}, c.login(ctx)
}

func (c *fakeClient) VMs(ctx context.Context) ([]hyperv.VM, error) { return nil, c.login(ctx) }

func (c *fakeClient) Counters(ctx context.Context, _ time.Duration) (hyperv.Counters, error) {
	return hyperv.Counters{}, c.login(ctx)
}

func (c *fakeClient) Locate(ctx context.Context, _ string) (hyperv.VMLocation, bool, error) {
	return hyperv.VMLocation{}, false, c.login(ctx)
}

func (c *fakeClient) Move(ctx context.Context, _, _ string, _ hyperv.MoveOptions) (hyperv.VMLocation, error) {
	return hyperv.VMLocation{}, c.login(ctx)
}

func (c *fakeClient) Compare(ctx context.Context, _, _ string, _ hyperv.MoveOptions) ([]hyperv.Incompatibility, error) {
	return nil, c.login(ctx)
}

// fakeClock is a settable fleet clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClient) Close() error { return nil }
