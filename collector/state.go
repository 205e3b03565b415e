package collector

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

// hostState is what the collector remembers of one host between rounds.
type hostState struct {
	facts      hyperv.HostInfo // from the last good poll
	haveFacts  bool
	sinceFacts int // good polls since the facts were read

	cpu, mem window    // percent
	lastGood time.Time // when the last good answers came in; zero = never
	failed   bool      // the latest poll failed
	lastErr  string    // why, one line
	cause    Cause     // and in a word

	vmIDs   []string // the VMs it reported at its last good poll, in its order
	listed  bool     // it has had a good poll, so vmIDs is what it held then
	changes []change // VMs that arrived or left since its window's oldest sample, oldest first

	clusterWarned string // the configured and reported clusters last warned about
	badIDs        badIDs // VMs its last good poll reported with IDs that are not GUIDs

	pollingSince time.Time // when its poll still under way began; zero when none is
	notPolled    bool      // the last round ended before its poll could start

	// demand is what its VMs wanted, percent, one sample beside each of
	// cpu's; waitUnknown, that its last good poll lacked some running
	// VM's CPU wait (demand.go).
	demand      window
	waitUnknown bool
}

// vmState is what the collector remembers of one VM, by ID, wherever it runs.
type vmState struct {
	vm   hyperv.VM // as last reported
	host string    // the target that last reported it
	seen time.Time // when that report came in
	cpu  window    // logical processors
	// demand is what it wanted, one sample beside each of cpu's (demand.go).
	demand window
}

// needFacts reports whether the host's facts must be read this round.
func (st *hostState) needFacts(every int) bool {
	return !st.haveFacts || st.failed || st.sinceFacts >= every
}

// health says whether the host is ok at now, and if not why and for
// what cause. A host that never answered is unreachable; one whose last
// good sample is older than staleAfter is stale; so is one whose poll is
// still under way when the snapshot is taken (its round ended before its
// answer came: what the snapshot holds of it is an earlier round's), with
// the cause timeout; one whose latest poll failed is unreachable; one
// whose poll the round had no time to start is stale, with the cause
// timeout; so is one whose last good answer came before roundStart. A
// host whose good answer came after roundStart is ok, however long the
// round took.
func (st *hostState) health(now, roundStart time.Time, staleAfter time.Duration) (Health, string, Cause) {
	polling := !st.pollingSince.IsZero()
	cause := st.cause
	if st.lastErr == "" {
		cause = ""
	}
	if polling && cause == "" {
		cause = CauseTimeout
	}
	switch {
	case st.lastGood.IsZero():
		switch {
		case st.lastErr != "":
			return HealthUnreachable, st.lastErr, cause
		case polling:
			return HealthUnreachable, "no answer yet" + st.waiting(now), cause
		}
		return HealthUnreachable, "not polled yet", ""
	case now.Sub(st.lastGood) > staleAfter && st.lastGood.Before(roundStart):
		reason := fmt.Sprintf("no good sample for %s", now.Sub(st.lastGood).Round(time.Second))
		if st.lastErr != "" {
			reason += ": " + st.lastErr
		}
		return HealthStale, reason + st.waiting(now), cause
	case polling:
		return HealthStale, fmt.Sprintf("no answer in this round; its last good sample is %s old", now.Sub(st.lastGood).Round(time.Second)) + st.waiting(now), cause
	case st.failed:
		return HealthUnreachable, st.lastErr, cause
	case st.notPolled:
		return HealthStale, fmt.Sprintf("not polled in this round: it ended before the host's turn; its last good sample is %s old", now.Sub(st.lastGood).Round(time.Second)), CauseTimeout
	case st.lastGood.Before(roundStart):
		// Its answer came before the round, after the round had chosen
		// its hosts: it was skipped as under way.
		return HealthStale, fmt.Sprintf("no answer in this round; its last good sample is %s old, from before it", now.Sub(st.lastGood).Round(time.Second)), CauseTimeout
	}
	return HealthOK, "", ""
}

// waiting says how long the host's poll under way has waited, if one is.
func (st *hostState) waiting(now time.Time) string {
	if st.pollingSince.IsZero() {
		return ""
	}
	return fmt.Sprintf(" (its poll has waited %s for an answer)", now.Sub(st.pollingSince).Round(time.Second))
}

// buildLocked makes a new snapshot of every configured host at now, the
// end of the round that began at roundStart. Every slice and map in it is
// new: nothing it holds is shared with the collector's state or an
// earlier snapshot. Hosts that are not ok keep their last known data and
// VMs.
func (c *Collector) buildLocked(now, roundStart time.Time) *Snapshot {
	targets := slices.Clone(c.targets)
	slices.SortFunc(targets, func(a, b Target) int { return strings.Compare(a.Name, b.Name) })
	s := &Snapshot{
		Version:       SnapshotVersion,
		Taken:         now,
		WindowSeconds: c.cfg.Window.Seconds(),
		Hosts:         make([]Host, 0, len(targets)),
		VMs:           make([]VM, 0, len(c.vms)),
	}
	for _, t := range targets {
		st := c.hosts[t.Name]
		h := Host{
			Name:        t.Name,
			Cluster:     t.Cluster,
			Group:       t.Group,
			Labels:      cloneTags(t.Labels),
			LastSeen:    st.lastGood.UTC(),
			Maintenance: t.Maintenance,
			Samples:     st.cpu.len(),
		}
		h.CPU, h.Memory, h.LoadModel, h.ProjectedUntil = c.loadLocked(st)
		h.CPUWaitUnknown = st.waitUnknown
		h.ProjectedUntil = h.ProjectedUntil.UTC()
		h.Health, h.Reason, h.Cause = st.health(now, roundStart, c.cfg.StaleAfter)
		if st.haveFacts { // the host's own answer wins over the configuration's
			h.Cluster = st.facts.Cluster
			h.LogicalProcessors = st.facts.LogicalProcessors
			h.MemoryBytes = st.facts.MemoryCapacity
			h.MigrationEnabled = st.facts.MigrationEnabled
			h.MaxMigrations = st.facts.MaxMigrations
			f := &st.facts
			h.ProcessorVendor, h.ProcessorModel = f.ProcessorVendor, f.ProcessorModel
			h.ConfigVersions, h.Switches = slices.Clone(f.ConfigVersions), slices.Clone(f.Switches)
			h.VMPath, h.VHDPath = f.VMPath, f.VHDPath
			for _, v := range f.Volumes {
				h.Volumes = append(h.Volumes, Volume{Path: v.Path, Kind: string(v.Kind), Size: v.Size, Free: v.Free})
			}
		}
		h.Attention = c.attentionLocked(t.Name, st)
		s.Hosts = append(s.Hosts, h)
		c.metrics.observeHost(&h)
		for _, id := range st.vmIDs {
			if vs := c.vms[id]; vs != nil && vs.host == t.Name {
				v := vs.snapshot(t.Name)
				v.ReportedBy = slices.Clone(c.conflicts[id])
				s.VMs = append(s.VMs, v)
			}
		}
	}
	slices.SortFunc(s.VMs, func(a, b VM) int { return strings.Compare(a.ID, b.ID) })
	return s
}

// snapshot returns the VM's snapshot entry on host.
func (vs *vmState) snapshot(host string) VM {
	v := vs.vm
	return VM{
		ID:             v.ID,
		Name:           v.Name,
		Host:           host,
		State:          v.State.String(),
		CPUs:           v.ProcessorCount,
		Clustered:      v.Clustered,
		Notes:          v.Notes,
		Tags:           cloneTags(v.Tags),
		MemoryAssigned: v.MemoryAssigned,
		MemoryStartup:  v.MemoryStartup,
		MemoryDemand:   v.MemoryDemand,
		DynamicMemory:  v.DynamicMemory,
		CPU:            vs.cpuStat(),
		UptimeSeconds:  v.Uptime.Seconds(),
		Samples:        vs.cpu.len(),

		ConfigVersion:          v.ConfigVersion,
		ProcessorCompatibility: v.ProcessorCompatibility,
		Switches:               slices.Clone(v.Switches),
		Path:                   v.Path,
		Disks:                  disksOf(v.Disks),
	}
}

// disksOf copies a VM's disks into the snapshot's form; nil when none.
func disksOf(ds []hyperv.Disk) []Disk {
	var out []Disk
	for _, d := range ds {
		out = append(out, Disk{Path: d.Path, Kind: string(d.Kind), FileSize: d.FileSize, Size: d.Size})
	}
	return out
}

// cloneTags copies m; nil when empty, as a snapshot read back from JSON has it.
func cloneTags(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
