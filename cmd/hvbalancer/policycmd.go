package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

func policyCommand(ctx context.Context, args []string, e *env) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: policy test DIR | policy eval --snapshot FILE (--policy DIR | --config FILE)", errUsage)
	}
	switch args[0] {
	case "test":
		return policyTest(ctx, args[1:], e)
	case "eval":
		return policyEval(ctx, args[1:], e)
	}
	return fmt.Errorf("%w: unknown policy command %q (want test or eval)", errUsage, args[0])
}

// errTestsFailed makes `policy test` exit non-zero when a test fails.
type errTestsFailed struct{ failed, total int }

func (e errTestsFailed) Error() string {
	return fmt.Sprintf("%d of %d policy tests failed", e.failed, e.total)
}

func policyTest(ctx context.Context, args []string, e *env) error {
	fs := flags(e, "policy test", "policy test [-v] DIR")
	verbose := fs.Bool("v", false, "print every test")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: policy test takes one directory", errUsage)
	}
	passed, failed, err := policy.RunTests(ctx, fs.Arg(0), e.stdout, *verbose)
	if err != nil {
		return err
	}
	if failed > 0 {
		return errTestsFailed{failed: failed, total: passed + failed}
	}
	return nil
}

// decision is what `policy eval` prints.
type decision struct {
	PolicyDigest   string           `json:"policy_digest"`
	SnapshotDigest string           `json:"snapshot_digest"`
	Now            string           `json:"now"`
	Config         policy.Settings  `json:"config"`
	Requests       []policy.Request `json:"requests"`
	Frozen         []string         `json:"frozen"`
	Move           *policy.Move     `json:"move,omitempty"`
	Verdict        *policy.Verdict  `json:"verdict,omitempty"`
}

func policyEval(ctx context.Context, args []string, e *env) error {
	fs := flags(e, "policy eval", "policy eval --snapshot FILE (--policy DIR | --config FILE) [--vm ID --to HOST]")
	snapPath := fs.String("snapshot", "", "snapshot `file` to evaluate against")
	dir := fs.String("policy", "", "policy `dir`ectory (default: the configuration's)")
	cfgPath := fs.String("config", "", "configuration `file` (for the policy and time zone)")
	vm := fs.String("vm", "", "also judge moving this VM `id`")
	to := fs.String("to", "", "destination `host` for --vm")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *snapPath == "" || (*dir == "") == (*cfgPath == "") {
		return fmt.Errorf("%w: give --snapshot and one of --policy or --config", errUsage)
	}
	if (*vm == "") != (*to == "") {
		return fmt.Errorf("%w: --vm and --to go together", errUsage)
	}
	snap, err := collector.LoadSnapshot(*snapPath)
	if err != nil {
		return err
	}
	opts := policy.Options{Dir: *dir, Logger: e.log}
	in := balancer.PolicyInput(snap, policy.History{}, nil)
	if *cfgPath != "" {
		c, err := loadConfig(*cfgPath, e)
		if err != nil {
			return err
		}
		opts.Dir, opts.Bundle = c.Policy.Dir, c.Policy.Bundle
		in = balancer.PolicyInput(snap, policy.History{}, c.Location())
	}
	engine, err := policy.Load(opts)
	if err != nil {
		return err
	}
	round, err := engine.Begin(ctx, in)
	if err != nil {
		return err
	}
	d := decision{PolicyDigest: engine.Digest(), SnapshotDigest: snap.Digest(), Now: in.Now, Config: round.Settings(), Requests: round.Requests(), Frozen: []string{}}
	if d.Requests == nil {
		d.Requests = []policy.Request{}
	}
	for _, v := range snap.VMs {
		if round.Frozen(v.ID) {
			d.Frozen = append(d.Frozen, v.ID)
		}
	}
	if *vm != "" {
		m, p, err := balancer.Project(snap, *vm, *to)
		if err != nil {
			return err
		}
		verdict, err := round.Judge(ctx, m, p)
		if err != nil {
			return err
		}
		d.Move, d.Verdict = &m, &verdict
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}
