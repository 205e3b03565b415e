package collector

import (
	"context"
	"fmt"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

// Poller is a Source that reads a whole poll in one call, as
// hyperv.Client.Poll does: one command per host per poll that takes the
// first counter sample, reads the VMs (and the facts when facts is set)
// and takes the second sample sampleInterval later. A Source that is not
// a Poller is read with its three calls, the counter sample beside the
// others, and so is a Poller whose Poll answers errors.ErrUnsupported
// (a wrapper whose client cannot).
type Poller interface {
	Poll(ctx context.Context, facts bool, sampleInterval time.Duration) (hyperv.PollResult, error)
}

// The WinRM client reads a poll in one command.
var _ Poller = (*hyperv.Client)(nil)

// pollCombined reads one host with its Poller, under the call deadline.
// A part that failed on the host fails the poll with that part's error,
// the facts' first, then the VMs', then the counters': a host whose
// Get-CimInstance fails while Get-VM answers is failed with the counters'
// cause, as its separate counter read would have been, and nothing of
// that poll is merged (its VMs without a sample of the same instant
// would make a window of mixed moments).
func (c *Collector) pollCombined(ctx context.Context, p Poller, j job) result {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	r := result{done: true}
	pr, err := p.Poll(ctx, j.needFacts, c.cfg.SampleInterval)
	r.err = err
	if err == nil && j.needFacts {
		r.err = pr.HostErr
		if r.err == nil {
			r.err = checkFacts(j.target, pr.Host)
		}
		r.facts, r.readFacts = pr.Host, r.err == nil
	}
	if r.err == nil {
		r.err = pr.VMsErr
	}
	if r.err == nil {
		r.err = pr.CountersErr
	}
	if r.err == nil {
		r.vms, r.counters = pr.VMs, pr.Counters
	}
	if r.err == context.DeadlineExceeded { // bare, not wrapped: say how long
		r.err = fmt.Errorf("poll host: no answer within %s: %w", c.cfg.CallTimeout, r.err)
	}
	r.at = c.cfg.Now()
	return r
}
