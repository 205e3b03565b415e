package policy

import (
	"slices"
	"testing"
)

// A candidate's projected VM lists convert to the same value with the
// session's host lists as without them, whatever they hold: the host's
// own VMs less one, more one from another host, an ID not in the fleet,
// a list out of order, an empty one, another host's.
func TestProjectedTermsFromTheHostLists(t *testing.T) {
	in := generatedInput(4, 40, 5)
	terms, err := convertInput(in)
	if err != nil {
		t.Fatal(err)
	}
	hosts := sortedKeys(in.Fleet.Hosts)
	from, to := hosts[0], hosts[1]
	own, other := in.Fleet.Hosts[from].VMs, in.Fleet.Hosts[to].VMs
	if len(own) < 3 || len(other) < 3 {
		t.Fatalf("hosts hold %d and %d VMs, want at least 3 each", len(own), len(other))
	}
	less := slices.Delete(slices.Clone(own), 1, 2)
	more := append(slices.Clone(own), other[0])
	slices.Sort(more)
	reversed := slices.Clone(own)
	slices.Reverse(reversed)
	for _, vms := range [][]string{own, less, more, append(slices.Clone(less), "not-in-the-fleet"), reversed, {}, other} {
		p := Projected{From: HostLoad{CPU: 10, Memory: 20, VMs: vms}, To: HostLoad{CPU: 30, Memory: 40, VMs: vms, VMMemoryBytes: 8}}
		m := Move{VM: own[1], From: from, To: to}
		got, err := projectedTerm(terms, m, p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := projectedTerm(inputTerms{}, m, p)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("VMs %v: projected\n got %s\nwant %s", vms, got, want)
		}
	}
}
