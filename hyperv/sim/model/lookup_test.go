package model

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// VMsByID answers as VM does for each ID, in the order asked, whatever
// the case of the ID, and leaves unknown IDs out; HostName answers the
// configured name of any spelling of a host and nothing for another.
func TestVMsByIDAndHostName(t *testing.T) {
	f, err := NewFleet(fleetfile.Generate(3, 40, 5), NewManualClock(fleetfile.DefaultStart))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids []string
	var want []VMState
	for i, v := range f.Spec().VMs {
		if i%3 == 1 {
			continue
		}
		id := v.ID
		if i%2 == 0 {
			id = strings.ToUpper(id)
		}
		ids = append(ids, id)
		s, ok := f.VM(v.ID)
		if !ok {
			t.Fatalf("VM(%s): not found", v.ID)
		}
		want = append(want, s)
	}
	// Reverse order, so the answer cannot follow the hosts' order.
	for i, j := 0, len(ids)-1; i < j; i, j = i+1, j-1 {
		ids[i], ids[j] = ids[j], ids[i]
		want[i], want[j] = want[j], want[i]
	}
	got := f.VMsByID(append(ids, "00000000-0000-0000-0000-000000000000"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VMsByID differs from VM (-want +got):\n%s", diff)
	}
	if got := f.VMsByID(nil); got != nil {
		t.Errorf("VMsByID(nil) = %v, want nil", got)
	}
	h := f.Spec().Hosts[1].Name
	if got, ok := f.HostName(strings.ToLower(h)); !ok || got != h {
		t.Errorf("HostName(%q) = %q, %v; want %q", strings.ToLower(h), got, ok, h)
	}
	if got, ok := f.HostName("nohost"); ok {
		t.Errorf("HostName(nohost) = %q, want none", got)
	}
}
