package executor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// hostStub answers Locate as it is told; a hung one answers only when its
// context ends.
type hostStub struct {
	mu    sync.Mutex
	has   *hyperv.VMLocation
	hung  bool
	calls int
	sent  []string // the Move and Compare calls it saw: "<verb> <vm> <destination> <options>"
}

func (h *hostStub) Move(_ context.Context, vmID, dst string, opt hyperv.MoveOptions) (hyperv.VMLocation, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent = append(h.sent, fmt.Sprintf("move %s %s %+v", vmID, dst, opt))
	return hyperv.VMLocation{}, errors.New("stub: not moving")
}

func (h *hostStub) Compare(_ context.Context, vmID, dst string, opt hyperv.MoveOptions) ([]hyperv.Incompatibility, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent = append(h.sent, fmt.Sprintf("compare %s %s %+v", vmID, dst, opt))
	return []hyperv.Incompatibility{{MessageID: 33012, Message: "Could not find Ethernet switch 'LAN'.", Err: hyperv.ErrSwitchMissing}}, nil
}

func (h *hostStub) Locate(ctx context.Context, _ string) (hyperv.VMLocation, bool, error) {
	h.mu.Lock()
	h.calls++
	hung, has := h.hung, h.has
	h.mu.Unlock()
	if hung {
		<-ctx.Done()
		return hyperv.VMLocation{}, false, ctx.Err()
	}
	if has == nil {
		return hyperv.VMLocation{}, false, nil
	}
	return *has, true, nil
}

func (h *hostStub) called() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls
}

func at(state hyperv.VMState, status string) *hyperv.VMLocation {
	return &hyperv.VMLocation{ID: "vm", State: state, Status: status}
}

// TestLocateAsksTheLikelyHostsFirst: verifying a move asks its destination,
// then its source, and a hung host elsewhere holds nothing up; the search
// of the whole fleet is the fallback, bounded by its own deadline.
func TestLocateAsksTheLikelyHostsFirst(t *testing.T) {
	running, migrating, off := at(hyperv.VMStateRunning, "Operating normally"), at(hyperv.VMStateRunning, "Migrating - 40% complete"), at(hyperv.VMStateOff, "Operating normally")
	for _, tc := range []struct {
		name   string
		hosts  map[string]*hostStub
		likely []string
		want   string // host, or the error's text
		asked  []string
		never  []string
	}{
		{name: "on the destination", likely: []string{"DST", "SRC"}, want: "DST",
			hosts: map[string]*hostStub{"DST": {has: running}, "SRC": {}, "HUNG": {hung: true}},
			asked: []string{"DST"}, never: []string{"SRC", "HUNG"}},
		{name: "still on the source, the destination has none", likely: []string{"DST", "SRC"}, want: "SRC",
			hosts: map[string]*hostStub{"DST": {}, "SRC": {has: running}, "HUNG": {hung: true}},
			asked: []string{"DST", "SRC"}, never: []string{"HUNG"}},
		{name: "names match without regard to case", likely: []string{"dst"}, want: "DST",
			hosts: map[string]*hostStub{"DST": {has: off}, "HUNG": {hung: true}},
			asked: []string{"DST"}, never: []string{"HUNG"}},
		{name: "migrating on the destination, settled on the source", likely: []string{"DST", "SRC"}, want: "SRC",
			hosts: map[string]*hostStub{"DST": {has: migrating}, "SRC": {has: running}, "HUNG": {hung: true}},
			never: []string{"HUNG"}},
		{name: "elsewhere: the search returns once it is found running", likely: []string{"DST", "SRC"}, want: "OTHER",
			hosts: map[string]*hostStub{"DST": {}, "SRC": {}, "OTHER": {has: running}, "HUNG": {hung: true}}},
		{name: "nowhere, a host hung: its silence is said", likely: []string{"DST", "SRC"}, want: "locate vm vm: 1 of 3 hosts did not answer: HUNG: context deadline exceeded",
			hosts: map[string]*hostStub{"DST": {}, "SRC": {}, "HUNG": {hung: true}}},
		{name: "nowhere, every host answered", likely: []string{"DST"}, want: "locate vm vm: no host has the vm",
			hosts: map[string]*hostStub{"DST": {}, "SRC": {}, "OTHER": {}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clients := map[string]executor.HostClient{}
			for n, h := range tc.hosts {
				clients[n] = h
			}
			m := executor.NewHyperVHosts(func() map[string]executor.HostClient { return clients })
			m.SearchTimeout = 50 * time.Millisecond
			loc, err := m.Locate(context.Background(), "vm", tc.likely...)
			got := loc.Host
			if err != nil {
				got = err.Error()
			}
			if got != tc.want && !(err != nil && strings.HasPrefix(got, tc.want)) {
				t.Errorf("Locate = %q, want %q", got, tc.want)
			}
			for _, n := range tc.asked {
				if c := tc.hosts[n].called(); c != 1 {
					t.Errorf("%s asked %d times, want once", n, c)
				}
			}
			for _, n := range tc.never {
				if c := tc.hosts[n].called(); c != 0 {
					t.Errorf("%s asked %d times, want never", n, c)
				}
			}
		})
	}
}

// TestHyperVSendsTheMoveAsPlanned: Migrate and Compare go to the source's
// client (its name matched without regard to case) with the destination,
// the clustered flag and the storage path of the move, and Compare's
// report comes back as the client gave it.
func TestHyperVSendsTheMoveAsPlanned(t *testing.T) {
	src := &hostStub{}
	m := executor.NewHyperVHosts(func() map[string]executor.HostClient {
		return map[string]executor.HostClient{"HV01": src, "HV02": &hostStub{}}
	})
	mv := moves.Move{VM: "vm", From: "hv01", To: "HV02", StoragePath: `D:\Hyper-V`, StorageBytes: 1 << 30}
	report, err := m.Compare(t.Context(), mv)
	if err != nil || len(report) != 1 || !errors.Is(report[0], hyperv.ErrSwitchMissing) {
		t.Errorf("Compare = %+v, %v", report, err)
	}
	if err := m.Migrate(t.Context(), mv); err == nil {
		t.Error("Migrate: the stub's error was lost")
	}
	clustered := moves.Move{VM: "vm", From: "HV01", To: "HV02", Clustered: true}
	_, _ = m.Compare(t.Context(), clustered)
	want := []string{
		`compare vm HV02 {Clustered:false StoragePath:D:\Hyper-V}`,
		`move vm HV02 {Clustered:false StoragePath:D:\Hyper-V}`,
		`compare vm HV02 {Clustered:true StoragePath:}`,
	}
	if strings.Join(src.sent, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls sent:\n%s\nwant:\n%s", strings.Join(src.sent, "\n"), strings.Join(want, "\n"))
	}
	if _, err := m.Compare(t.Context(), moves.Move{VM: "vm", From: "HV09", To: "HV02"}); !errors.Is(err, hyperv.ErrInvalidArgument) {
		t.Errorf("Compare from an unknown host: %v", err)
	}
}
