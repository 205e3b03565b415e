package model

// The Fleet itself: its hosts and VMs built from a fleet file, and where
// each VM is.

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

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
	spec    fleetfile.HostSpec
	faults  fleetfile.Faults
	vms     map[string]*simVM
	sorted  []*simVM // vms by name then ID; nil once they change (placeLocked)
	active  int      // running migrations, sending or receiving
	rng     *rand.Rand
	ledger  HostLedger
	layout  fleetfile.HostLayout // processor, versions, switches, language, default paths
	volumes []*simVolume         // its own, then the shares and CSVs it reaches
}

type simVM struct {
	spec          fleetfile.VMSpec
	host          *simHost
	state         VMStateCode
	boot          time.Time
	key           uint64
	startup       int64 // bytes
	min           int64 // bytes, dynamic only
	max           int64 // bytes, dynamic only
	moving        *migration
	configVersion string
	compat        bool     // processor compatibility for migration
	switches      []string // one per network adapter
	path          string   // folder of its configuration
	disks         []simDisk
}

// Errors of the fleet's methods.
var (
	// ErrClosed is returned by Migrate once the fleet is closed.
	ErrClosed = errors.New("fleet closed")
	// ErrUnknownHost is returned for a host name the fleet does not have.
	ErrUnknownHost = errors.New("unknown host")
)

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
	f.buildStorageLocked(s.Layout())
	return f, nil
}

// Clock returns the fleet's clock.
func (f *Fleet) Clock() Clock { return f.clock }

// Spec returns the fleet as it was built, defaults filled in. It is shared:
// callers must not modify it. Run-time faults are in Faults and Host.
func (f *Fleet) Spec() *fleetfile.FleetSpec { return f.spec }

// HostNames returns every host name, sorted.
func (f *Fleet) HostNames() []string { return append([]string(nil), f.names...) }

// placeLocked moves v onto h.
func (f *Fleet) placeLocked(v *simVM, h *simHost) {
	if v.host != nil {
		delete(v.host.vms, v.spec.ID)
		v.host.sorted = nil
	}
	v.host = h
	v.spec.Host = h.spec.Name
	h.vms[v.spec.ID] = v
	h.sorted = nil
}

// sortedVMs returns h's VMs by name, then ID. The slice is kept until a
// VM comes or goes (a VM's name and ID never change), as every read of
// the host sorted them: callers must not modify it.
func (h *simHost) sortedVMs() []*simVM {
	if h.sorted != nil && len(h.sorted) == len(h.vms) {
		return h.sorted
	}
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
	h.sorted = out
	return out
}

func (f *Fleet) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func sameCluster(a, b *simHost) bool {
	return a.spec.Cluster != "" && strings.EqualFold(a.spec.Cluster, b.spec.Cluster)
}

// buildStorageLocked makes the fleet's volumes from its layout, gives each
// host the volumes it has or reaches and each VM its files, and accounts
// the space they use.
func (f *Fleet) buildStorageLocked(l fleetfile.Layout) {
	for i, hs := range f.spec.Hosts {
		h := f.hosts[strings.ToLower(hs.Name)]
		h.layout = l.Hosts[i]
		for _, vs := range h.layout.Volumes {
			h.volumes = append(h.volumes, &simVolume{path: vs.Path, kind: StorageLocal, size: gibBytes(vs.SizeGiB)})
		}
	}
	for _, sh := range l.Shares {
		vol := &simVolume{path: sh.Path, kind: StorageSMB, size: gibBytes(sh.SizeGiB)}
		for _, name := range sh.Hosts {
			if h := f.hosts[strings.ToLower(name)]; h != nil {
				h.volumes = append(h.volumes, vol)
			}
		}
	}
	for _, c := range l.CSVs {
		vol := &simVolume{path: c.Path, kind: StorageCSV, size: gibBytes(c.SizeGiB)}
		for _, h := range f.hosts {
			if strings.EqualFold(h.spec.Cluster, c.Cluster) {
				h.volumes = append(h.volumes, vol)
			}
		}
	}
	for i, vs := range f.spec.VMs {
		v := f.vms[vs.ID]
		vl := l.VMs[i]
		v.configVersion, v.compat, v.switches, v.path = vl.ConfigVersion, vl.ProcessorCompatibility, vl.Switches, vl.Path
		for _, d := range vl.Disks {
			disk := simDisk{path: d.Path, vol: volumeOf(v.host.volumes, d.Path), fileSize: gibBytes(d.FileGiB), size: gibBytes(d.MaxGiB), parent: -1}
			for j, o := range v.disks {
				if d.Parent != "" && strings.EqualFold(o.path, d.Parent) {
					disk.parent = j
				}
			}
			if disk.vol != nil {
				disk.vol.used += disk.fileSize
			}
			v.disks = append(v.disks, disk)
		}
	}
}
