package balancer

import (
	"errors"
	"fmt"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// ErrLimit is wrapped by Recheck's error when a move breaks one of the
// planner's hard limits.
var ErrLimit = errors.New("move breaks a hard limit")

// Recheck applies the planner's hard limits to move m against snapshot s,
// with the same load model and the same code the planner plans with:
// the VM running and on m.From, its source healthy with live migration
// enabled, the destination eligible, in the VM's cluster, able to run it
// (processor, configuration version, virtual switches) and to reach its
// shared storage, receiving fewer than max_inflow_per_host moves, keeping
// memory_reserve_bytes free, staying at or below cpu_high (or, on a dense
// fleet, for a move off its busiest host, below the source's new load and
// at or below cpu_ceiling; see denseFill), and, for a
// VM on local storage, keeping storage_reserve_bytes free on the volume of
// its storage path. The move must still match the VM's storage: with a
// storage path exactly when the VM has files on local volumes.
//
// earlier are the moves of the same plan already started or done, in the
// order they started. Each one the snapshot still shows on its source is
// applied to the projected fleet first, as the planner applied it when it
// planned in order; one the snapshot already shows on its destination is
// in the loads already and only counts towards the destination's inflow.
// Others (their VM gone, or elsewhere) are ignored.
//
// The policy (frozen VMs, its deny rules) and cooldowns are not Recheck's:
// the caller asks the current policy itself, about the projection Recheck
// returns, which is what the planner showed the policy (both hosts after
// the earlier moves and this one). The error wraps ErrLimit when a limit is
// broken; it is another error when cfg is invalid or the snapshot does not
// show the VM on m.From.
func Recheck(s *collector.Snapshot, cfg Config, m Move, earlier []Move) (policy.Projected, error) {
	var none policy.Projected
	if s == nil {
		return none, errors.New("recheck: no snapshot")
	}
	if err := cfg.Validate(); err != nil {
		return none, fmt.Errorf("recheck: %w", err)
	}
	s, err := sortedSnapshot(s)
	if err != nil {
		return none, fmt.Errorf("recheck: %w", err)
	}
	st := newState(s, cfg, noRules{}, nil)
	for _, e := range earlier {
		st.replay(e)
	}
	vi, ok := st.vmIdx[m.VM]
	if !ok {
		return none, fmt.Errorf("recheck %s: the snapshot has no such vm", m.VMName)
	}
	from, ok := st.hostIdx[m.From]
	if !ok || st.vms[vi].host != from {
		return none, fmt.Errorf("recheck %s: the snapshot shows it on %s, not on %s", m.VMName, s.VMs[vi].Host, m.From)
	}
	to, ok := st.hostIdx[m.To]
	if !ok {
		return none, fmt.Errorf("recheck %s: %w: host %s is not in the fleet", m.VMName, ErrLimit, m.To)
	}
	if msg := st.check(vi, to); msg != "" {
		return none, fmt.Errorf("recheck %s to %s: %w: %s", m.VMName, m.To, ErrLimit, msg)
	}
	if msg := st.storageChanged(vi, m); msg != "" {
		return none, fmt.Errorf("recheck %s to %s: %w: %s", m.VMName, m.To, ErrLimit, msg)
	}
	return st.projected(vi, to), nil
}

// storageChanged says how the VM's storage no longer matches what move m
// does with it ("" when it does): a move planned without storage for a VM
// now on local volumes would fail, and one planned with storage for a VM
// now on shared storage would copy files the plan did not say it copies.
func (st *state) storageChanged(vi int, m Move) string {
	v := st.vms[vi].v
	local := st.vms[vi].need.storage.local
	switch {
	case local && m.StoragePath == "":
		return fmt.Sprintf("the plan moves memory only, but the vm now has files on local volumes of host %s", m.From)
	case !local && m.StoragePath != "" && v.Path == "" && len(v.Disks) == 0:
		return "the plan moves the vm's storage, but the snapshot no longer shows where its files are"
	case !local && m.StoragePath != "":
		return "the plan moves the vm's storage, but none of its files is on a local volume now"
	}
	return ""
}

// replay records an earlier move of the plan in the projected fleet: applied
// when the VM is still on its source, counted as inflow when it is already
// on its destination.
func (st *state) replay(e Move) {
	vi, ok := st.vmIdx[e.VM]
	if !ok {
		return
	}
	from, fok := st.hostIdx[e.From]
	to, tok := st.hostIdx[e.To]
	if !fok || !tok || from == to {
		return
	}
	vs := &st.vms[vi]
	switch {
	case vs.moved:
	case vs.host == to:
		st.hosts[to].inflow++
		st.hosts[from].outflow++
		vs.moved = true
	case vs.host == from:
		st.apply(vi, to)
	}
}
