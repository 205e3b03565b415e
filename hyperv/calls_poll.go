package hyperv

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// PollResult is one combined read of a host (Client.Poll): its facts when
// asked, its VMs and a counter sample, from one command. A part that
// failed on the host has its error here and no value; the others are
// whole.
type PollResult struct {
	Host     HostInfo // when facts were asked and HostErr is nil
	VMs      []VM
	Counters Counters
	// HostErr, VMsErr and CountersErr are the parts' own failures, each
	// "get host|get vms|get counters on ADDR: …" wrapping a *PartError
	// (or the parse error of its answer).
	HostErr, VMsErr, CountersErr error
}

// PartError is the PowerShell error that ended one part of poll-host
// while the other parts ran on.
type PartError struct {
	Part     string // Host, VMs or Counters
	Message  string
	Category string // CategoryInfo, e.g. "ObjectNotFound: (:) [Get-VM], …"
	ErrorID  string // FullyQualifiedErrorId
}

// Error implements error.
func (e *PartError) Error() string {
	s := fmt.Sprintf("script %s, part %s: %s", ScriptPollHost, e.Part, e.Message)
	if e.ErrorID != "" {
		s += " (" + e.ErrorID + ")"
	}
	return s
}

// pollJSON is poll-host's output.
type pollJSON struct {
	Host    json.RawMessage
	VMs     json.RawMessage
	Samples json.RawMessage
	Errors  psList[partErrorJSON]
}

// pollTypedJSON is poll-host's output as Windows PowerShell 5.1 prints it
// when every part answered in the usual shape: parsePoll decodes it in one
// pass, and only an answer that does not fit goes the careful way, part by
// part, so that an error names the part and the item.
type pollTypedJSON struct {
	Host    *hostJSON
	VMs     []vmJSON
	Samples compactSamples
	Errors  []partErrorJSON
}

// compactSampleJSON is a counter sample as poll-host prints it: get-counters'
// rawSampleJSON with one-letter names.
type compactSampleJSON struct {
	S          string
	I          int
	N          string
	V, T, W, D psInt64
}

// samplesOf turns poll-host's samples into get-counters' for rates.
func samplesOf(list []compactSampleJSON) []rawSampleJSON {
	out := make([]rawSampleJSON, len(list))
	for i, s := range list {
		out[i] = rawSampleJSON{Set: s.S, Sample: s.I, Name: s.N, Value: s.V, Timestamp: s.T, Wait: s.W, Dispatches: s.D}
	}
	return out
}

type partErrorJSON struct {
	Part, Message, Category string
	ID                      string `json:"Id"`
}

// Poll reads the host in one command (ScriptPollHost, sent over stdin):
// a first counter sample, the VMs, the facts when facts is set, and the
// second sample sampleInterval (whole seconds, at least one) after the
// reads. It fails only when the command as a whole did (no answer,
// transport, unparsable output); a part that failed on the host is in the
// result's part errors.
func (c *Client) Poll(ctx context.Context, facts bool, sampleInterval time.Duration) (PollResult, error) {
	secs := max(int((sampleInterval+time.Second-1)/time.Second), 1)
	params := struct {
		SampleInterval int
		Facts          bool
	}{secs, facts}
	out, err := c.call(ctx, "poll host", ScriptPollHost, params, c.cfg.CallTimeout+time.Duration(secs)*time.Second)
	if err != nil {
		return PollResult{}, err
	}
	r, err := parsePoll(out, facts, c.addr)
	if err != nil {
		return PollResult{}, fmt.Errorf("poll host on %s: %w", c.addr, err)
	}
	return r, nil
}

// parsePoll reads poll-host's answer from the host at addr; a part's
// error says "get host on ADDR: …" as the separate read's would.
func parsePoll(out []byte, facts bool, addr string) (PollResult, error) {
	if b := quoteNonFinite(trimOutput(out)); len(b) > 0 && b[0] == '{' {
		var t pollTypedJSON
		if json.Unmarshal(b, &t) == nil && (t.Host != nil || !facts) {
			return assemble(t.Errors, facts, addr,
				func() (HostInfo, error) { return hostInfoOf(*t.Host) },
				func() ([]VM, error) { return vmsOf(t.VMs) },
				func() (Counters, error) { return rates(samplesOf(t.Samples)) }), nil
		}
	}
	p, ok, err := decodeOne[pollJSON](ScriptPollHost, out)
	if err != nil {
		return PollResult{}, err
	}
	if !ok {
		return PollResult{}, fmt.Errorf("parse %s output: no output: %w", ScriptPollHost, ErrUnexpectedOutput)
	}
	return assemble(p.Errors, facts, addr,
		func() (HostInfo, error) { return parseHost(p.Host) },
		func() ([]VM, error) { return parseVMs(p.VMs) },
		func() (Counters, error) {
			list, err := decodeList[compactSampleJSON](ScriptPollHost, p.Samples)
			if err != nil {
				return Counters{}, err
			}
			return rates(samplesOf(list))
		}), nil
}

// assemble makes the result of a poll-host answer: each part's value, or
// its error, the host's when errs names the part, else its decoding's.
func assemble(errs []partErrorJSON, facts bool, addr string, host func() (HostInfo, error), vms func() ([]VM, error), counters func() (Counters, error)) PollResult {
	failed := map[string]*PartError{}
	for _, e := range errs {
		if _, seen := failed[e.Part]; !seen {
			failed[e.Part] = &PartError{Part: e.Part, Message: e.Message, Category: e.Category, ErrorID: e.ID}
		}
	}
	wrap := func(name, op string, err error) error {
		if pe := failed[name]; pe != nil {
			err = pe
		}
		if err == nil {
			return nil
		}
		return fmt.Errorf("%s on %s: %w", op, addr, err)
	}
	var r PollResult
	var err error
	if facts {
		if failed["Host"] == nil {
			r.Host, err = host()
		}
		r.HostErr = wrap("Host", "get host", err)
	}
	err = nil
	if failed["VMs"] == nil {
		r.VMs, err = vms()
	}
	r.VMsErr = wrap("VMs", "get vms", err)
	err = nil
	if failed["Counters"] == nil {
		r.Counters, err = counters()
	}
	r.CountersErr = wrap("Counters", "get counters", err)
	return r
}
