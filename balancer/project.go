package balancer

import (
	"context"
	"fmt"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// Project returns the candidate and the projected state a policy sees when
// asked about moving one VM to a host of the snapshot as it stands, with
// nothing else planned: what `hvbalancer policy eval --vm --to` judges.
func Project(s *collector.Snapshot, vmID, to string) (policy.Move, policy.Projected, error) {
	s, err := sortedSnapshot(s)
	if err != nil {
		return policy.Move{}, policy.Projected{}, err
	}
	st := newState(s, DefaultConfig(), noRules{}, nil)
	vi, ok := st.vmIdx[vmID]
	if !ok {
		return policy.Move{}, policy.Projected{}, fmt.Errorf("project %s to %s: no such vm in the snapshot", vmID, to)
	}
	hi, ok := st.hostIdx[to]
	if !ok {
		return policy.Move{}, policy.Projected{}, fmt.Errorf("project %s to %s: no such host in the snapshot", vmID, to)
	}
	if st.vms[vi].host < 0 || st.vms[vi].host == hi {
		return policy.Move{}, policy.Projected{}, fmt.Errorf("project %s to %s: the vm is not on another known host", vmID, to)
	}
	m := policy.Move{VM: vmID, From: st.hosts[st.vms[vi].host].h.Name, To: to}
	return m, st.projected(vi, hi), nil
}

// noRules is a policy that holds nothing back and demands nothing.
type noRules struct{}

func (noRules) Settings() policy.Settings  { return policy.Settings{} }
func (noRules) Requests() []policy.Request { return nil }
func (noRules) Frozen(string) bool         { return false }
func (noRules) Judge(context.Context, policy.Move, policy.Projected) (policy.Verdict, error) {
	return policy.Verdict{}, nil
}
