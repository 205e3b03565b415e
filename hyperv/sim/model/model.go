package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// Memory units.
const (
	MiB = 1 << 20
	GiB = 1 << 30
)

// VMStateCode is a Hyper-V VMState value as Get-VM reports it.
type VMStateCode int

// VM states the simulator models.
const (
	VMRunning VMStateCode = 2
	VMOff     VMStateCode = 3
	VMSaved   VMStateCode = 6
	VMPaused  VMStateCode = 9
)

// String returns the state's name as PowerShell prints it.
func (s VMStateCode) String() string {
	switch s {
	case VMRunning:
		return "Running"
	case VMOff:
		return "Off"
	case VMSaved:
		return "Saved"
	case VMPaused:
		return "Paused"
	}
	return fmt.Sprintf("VMState(%d)", int(s))
}

func parseState(s string) VMStateCode {
	switch s {
	case "Off":
		return VMOff
	case "Saved":
		return VMSaved
	case "Paused":
		return VMPaused
	}
	return VMRunning
}

// StatusNormal is the Status of a VM that is not being migrated.
const StatusNormal = "Operating normally"

// VMState is one VM as Get-VM reports it at a moment of simulated time.
type VMState struct {
	ID             string        `json:"id"`
	Name           string        `json:"name"`
	Host           string        `json:"host"`
	State          VMStateCode   `json:"state"`
	Status         string        `json:"status"` // StatusNormal, or "Migrating - NN% complete" while it is migrated away
	CPUs           int           `json:"cpus"`
	CPUUsage       int           `json:"cpu_usage"`       // percent of the HOST's total capacity, as Get-VM reports
	GuestRunTime   []float64     `json:"guest_run_time"`  // per vCPU, percent 0..100
	MemoryAssigned int64         `json:"memory_assigned"` // bytes
	MemoryDemand   int64         `json:"memory_demand"`   // bytes
	MemoryStartup  int64         `json:"memory_startup"`  // bytes
	Dynamic        bool          `json:"dynamic"`
	MemoryPressure int           `json:"memory_pressure"` // dynamic only: demand/assigned×100
	Clustered      bool          `json:"clustered"`
	Uptime         time.Duration `json:"uptime"`
	Notes          string        `json:"notes"`
}

// HostState is one host at a moment of simulated time.
type HostState struct {
	Name              string            `json:"name"`
	FQDN              string            `json:"fqdn"`
	Cluster           string            `json:"cluster"`
	Group             string            `json:"group"`
	Labels            map[string]string `json:"labels"`
	LogicalProcessors int               `json:"logical_processors"`
	MemoryCapacity    int64             `json:"memory_capacity"` // bytes
	MemoryReserve     int64             `json:"memory_reserve"`  // bytes
	MemoryAssigned    int64             `json:"memory_assigned"` // bytes, sum over its VMs
	AvailableMBytes   int64             `json:"available_mbytes"`
	// CPUPercent is \Hyper-V Hypervisor Logical Processor(_Total)\% Total Run Time:
	// VM demand + overhead + migration CPU cost, over LPs, capped at 100.
	CPUPercent        float64          `json:"cpu_percent"`
	MigrationEnabled  bool             `json:"migration_enabled"`
	MaxMigrations     int              `json:"max_migrations"`
	AuthType          int              `json:"auth_type"`          // CredSSP=0, Kerberos=1
	PerformanceOption int              `json:"performance_option"` // TCPIP=0, Compression=1, SMB=2
	ActiveMigrations  int              `json:"active_migrations"`  // running, sending or receiving
	Faults            fleetfile.Faults `json:"faults"`
	VMIDs             []string         `json:"vm_ids"` // in the order of Fleet.VMs
}

// Fleet is a simulated Hyper-V fleet: hosts, VMs whose load follows their
// profiles on a Clock, live migrations and a ledger of them. All methods are
// safe for concurrent use.
type Fleet struct {
	mu      sync.Mutex
	spec    *fleetfile.FleetSpec
	clock   Clock
	hosts   map[string]*simHost // by lower-case name
	names   []string            // host names, sorted
	vms     map[string]*simVM   // by lower-case ID
	queue   []*migration        // queued and running, by Seq
	ledger  []LedgerEntry
	changed chan struct{} // closed and replaced on every migration change
	closed  bool
	wg      sync.WaitGroup // migration goroutines
}

type simHost struct {
	spec   fleetfile.HostSpec
	faults fleetfile.Faults
	vms    map[string]*simVM
	active int // running migrations, sending or receiving
	rng    *rand.Rand
	ledger HostLedger
}

type simVM struct {
	spec    fleetfile.VMSpec
	host    *simHost
	state   VMStateCode
	boot    time.Time
	key     uint64
	startup int64 // bytes
	min     int64 // bytes, dynamic only
	max     int64 // bytes, dynamic only
	moving  *migration
}

// ErrClosed is returned by Migrate once the fleet is closed.
var ErrClosed = errors.New("fleet closed")

// NewFleet builds a fleet from spec (which it copies, fills with defaults and
// validates). A nil clock means a ScaledClock at the spec's start and speed.
func NewFleet(spec *fleetfile.FleetSpec, clock Clock) (*Fleet, error) {
	s := spec.Clone()
	s.SetDefaults()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("new fleet: %w", err)
	}
	if clock == nil {
		clock = NewScaledClock(s.Start, s.Speed)
	}
	f := &Fleet{
		spec:    s,
		clock:   clock,
		hosts:   make(map[string]*simHost, len(s.Hosts)),
		vms:     make(map[string]*simVM, len(s.VMs)),
		changed: make(chan struct{}),
	}
	for _, hs := range s.Hosts {
		f.hosts[strings.ToLower(hs.Name)] = &simHost{
			spec:   hs,
			faults: hs.Faults.Effective(),
			vms:    make(map[string]*simVM),
			rng:    rand.New(rand.NewPCG(uint64(s.Seed), vmKey(0, strings.ToLower(hs.Name)))),
			ledger: HostLedger{Max: hs.MaxMigrations},
		}
		f.names = append(f.names, hs.Name)
	}
	sort.Strings(f.names)
	now := clock.Now()
	for _, vs := range s.VMs {
		v := &simVM{spec: vs, state: parseState(vs.State), key: vmKey(s.Seed, vs.ID), startup: gibBytes(vs.MemoryGiB)}
		if vs.Dynamic {
			v.min, v.max = gibBytes(vs.MemoryMinGiB), gibBytes(vs.MemoryMaxGiB)
		}
		up := time.Duration(vs.Uptime)
		if up == 0 {
			up = defaultUptime(v.key)
		}
		v.boot = now.Add(-up)
		f.vms[vs.ID] = v
		f.placeLocked(v, f.hosts[strings.ToLower(vs.Host)])
	}
	return f, nil
}

// Clock returns the fleet's clock.
func (f *Fleet) Clock() Clock { return f.clock }

// Spec returns the fleet as it was built, defaults filled in. It is shared:
// callers must not modify it. Run-time faults are in Faults and Host.
func (f *Fleet) Spec() *fleetfile.FleetSpec { return f.spec }

// HostNames returns every host name, sorted.
func (f *Fleet) HostNames() []string { return append([]string(nil), f.names...) }

// Host returns the host named name (case-insensitive, as Windows compares
// computer names) at the current simulated time.
func (f *Fleet) Host(name string) (HostState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[strings.ToLower(name)]
	if h == nil {
		return HostState{}, false
	}
	now := f.clock.Now()
	f.settleLocked(now)
	hs, _ := f.snapshotLocked(h, now)
	return hs, true
}

// VMs returns the VMs on host at the current simulated time, sorted by Name
// then ID; nil for an unknown host.
func (f *Fleet) VMs(host string) []VMState {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[strings.ToLower(host)]
	if h == nil {
		return nil
	}
	now := f.clock.Now()
	f.settleLocked(now)
	_, vms := f.snapshotLocked(h, now)
	return vms
}

// VM returns the VM with the given ID (a GUID, case-insensitive) at the
// current simulated time, wherever it is.
func (f *Fleet) VM(id string) (VMState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.vms[strings.ToLower(id)]
	if v == nil {
		return VMState{}, false
	}
	now := f.clock.Now()
	f.settleLocked(now)
	return f.vmStateLocked(v, now), true
}

func (f *Fleet) vmStateLocked(v *simVM, now time.Time) VMState {
	_, vms := f.snapshotLocked(v.host, now)
	for _, s := range vms {
		if s.ID == v.spec.ID {
			return s
		}
	}
	panic("sim: VM missing from its host") // placeLocked keeps both sides in step
}

// placeLocked moves v onto h.
func (f *Fleet) placeLocked(v *simVM, h *simHost) {
	if v.host != nil {
		delete(v.host.vms, v.spec.ID)
	}
	v.host = h
	v.spec.Host = h.spec.Name
	h.vms[v.spec.ID] = v
}

func (h *simHost) sortedVMs() []*simVM {
	out := make([]*simVM, 0, len(h.vms))
	for _, v := range h.vms {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].spec.Name != out[j].spec.Name {
			return out[i].spec.Name < out[j].spec.Name
		}
		return out[i].spec.ID < out[j].spec.ID
	})
	return out
}

func (f *Fleet) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func gibBytes(g float64) int64 { return int64(math.Round(g*GiB/MiB)) * MiB }

func sameCluster(a, b *simHost) bool {
	return a.spec.Cluster != "" && strings.EqualFold(a.spec.Cluster, b.spec.Cluster)
}
