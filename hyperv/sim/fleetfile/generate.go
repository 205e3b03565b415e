package fleetfile

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// hostClass is a size of host Generate picks from.
type hostClass struct {
	lps    int
	memory []float64 // GiB choices
}

var hostClasses = []hostClass{
	{lps: 16, memory: []float64{128, 192}},
	{lps: 32, memory: []float64{256, 384}},
	{lps: 64, memory: []float64{512, 768}},
}

// vmRole shapes the VMs Generate makes for one kind of workload.
type vmRole struct {
	name      string
	weight    int
	profile   string
	cpus      []int
	memPerCPU []float64  // GiB per vCPU
	cpu       [2]float64 // mean demand range
	amp       [2]float64
	dirty     float64 // MiB/s
	tier      string
}

var vmRoles = []vmRole{
	{name: "web", weight: 6, profile: ProfileDiurnal, cpus: []int{1, 2, 2, 4}, memPerCPU: []float64{1, 2}, cpu: [2]float64{0.15, 0.4}, amp: [2]float64{0.1, 0.3}, dirty: 40, tier: "web"},
	{name: "app", weight: 5, profile: ProfileRandomWalk, cpus: []int{2, 4, 4, 8}, memPerCPU: []float64{2, 4}, cpu: [2]float64{0.2, 0.45}, amp: [2]float64{0.05, 0.2}, dirty: 80, tier: "app"},
	{name: "sql", weight: 2, profile: ProfileSteady, cpus: []int{4, 8, 8, 16}, memPerCPU: []float64{4, 8}, cpu: [2]float64{0.35, 0.65}, dirty: 150, tier: "db"},
	{name: "cache", weight: 2, profile: ProfileSteady, cpus: []int{2, 4}, memPerCPU: []float64{4, 8}, cpu: [2]float64{0.1, 0.3}, dirty: 200, tier: "app"},
	{name: "build", weight: 2, profile: ProfileBursty, cpus: []int{4, 8, 16}, memPerCPU: []float64{1, 2}, cpu: [2]float64{0.05, 0.15}, amp: [2]float64{0.5, 0.8}, dirty: 60},
	{name: "lab", weight: 3, profile: ProfileRandomWalk, cpus: []int{1, 2, 4}, memPerCPU: []float64{1, 2}, cpu: [2]float64{0.05, 0.2}, amp: [2]float64{0.05, 0.15}, dirty: 20},
	{name: "file", weight: 1, profile: ProfileSteady, cpus: []int{2, 4}, memPerCPU: []float64{2, 4}, cpu: [2]float64{0.03, 0.1}, dirty: 30},
	{name: "dc", weight: 1, profile: ProfileSteady, cpus: []int{2}, memPerCPU: []float64{2, 4}, cpu: [2]float64{0.02, 0.08}, dirty: 10},
}

// Generate returns a deterministic fleet of hosts hosts and vms VMs for
// seed: mixed host sizes, a couple of hot hosts (high CPU, tight memory),
// one two-node cluster when there are four hosts or more, VMs of 1–16 vCPUs
// and 1–64 GiB in mixed roles and load profiles, Notes tags such as
// "role=sql", a few with dynamic memory and a few off. Every host's running
// VMs fit in its memory even when dynamic ones grow to their maximum; VMs
// that cannot fit on the largest host allowed are left off.
func Generate(hosts, vms int, seed int64) *FleetSpec {
	hosts = max(hosts, 1)
	vms = max(vms, 0)
	r := rand.New(rand.NewPCG(uint64(seed), 0x68767369)) // "hvsi"
	s := &FleetSpec{Name: fmt.Sprintf("generated-%d-hosts-%d-vms", hosts, vms), Seed: seed}
	hot := 0
	switch {
	case hosts >= 6:
		hot = 2
	case hosts >= 3:
		hot = 1
	}
	weights := make([]float64, hosts)
	for i := range hosts {
		c := hostClasses[r.IntN(len(hostClasses))]
		if i < hot {
			c = hostClasses[1] // hot hosts are mid-sized: easy to overload, worth relieving
		}
		rack := string(rune('a' + i%2))
		h := HostSpec{
			Name:              fmt.Sprintf("HV%02d", i+1),
			Group:             "rack-" + rack,
			Labels:            map[string]string{"rack": rack},
			LogicalProcessors: c.lps,
			MemoryGiB:         pick(r, c.memory),
			Performance:       []string{"Compression", "Compression", "Compression", "SMB", "TCPIP"}[r.IntN(5)],
		}
		if hosts >= 4 && i >= hosts-2 {
			h.Cluster = "CL01"
		}
		if r.IntN(8) == 0 {
			h.Authentication = "CredSSP"
		}
		weights[i] = float64(c.lps)
		if i < hot {
			weights[i] *= 1.8
		}
		s.Hosts = append(s.Hosts, h)
	}
	for i := range vms {
		s.VMs = append(s.VMs, generateVM(r, i, s.Hosts[pickWeighted(r, weights)]))
	}
	fitMemory(s, hot, r)
	scaleCPU(s, hot, r)
	s.SetDefaults()
	return s
}

func generateVM(r *rand.Rand, i int, h HostSpec) VMSpec {
	total := 0
	for _, role := range vmRoles {
		total += role.weight
	}
	n := r.IntN(total)
	role := vmRoles[0]
	for _, ro := range vmRoles {
		if n < ro.weight {
			role = ro
			break
		}
		n -= ro.weight
	}
	cpus := min(pick(r, role.cpus), h.LogicalProcessors)
	mem := math.Min(64, math.Max(1, float64(cpus)*pick(r, role.memPerCPU)))
	v := VMSpec{
		Name:          fmt.Sprintf("%s-%04d", role.name, i+1),
		Host:          h.Name,
		CPUs:          cpus,
		MemoryGiB:     mem,
		DirtyRateMBps: role.dirty * (0.5 + r.Float64()),
		Load: Load{
			Profile:   role.profile,
			CPU:       round2(role.cpu[0] + r.Float64()*(role.cpu[1]-role.cpu[0])),
			Amplitude: round2(role.amp[0] + r.Float64()*(role.amp[1]-role.amp[0])),
			Memory:    round2(0.4 + 0.5*r.Float64()),
		},
	}
	v.DirtyRateMBps = math.Round(v.DirtyRateMBps)
	tags := []string{"role=" + role.name, "env=" + []string{"prod", "prod", "prod", "test", "lab"}[r.IntN(5)]}
	if role.tier != "" {
		tags = append(tags, "tier="+role.tier)
	}
	if r.IntN(4) == 0 {
		tags = append(tags, "owner="+[]string{"db-team", "web-team", "platform", "qa"}[r.IntN(4)])
	}
	v.Notes = strings.Join(tags, "\n")
	switch x := r.IntN(100); {
	case x < 4:
		v.State = "Off"
	case x < 5:
		v.State = "Saved"
	}
	if role.name != "sql" && mem >= 2 && r.IntN(10) == 0 {
		v.Dynamic = true
		v.MemoryMinGiB = mem / 2
		v.MemoryMaxGiB = math.Min(64, mem*2)
	}
	if h.Cluster != "" && r.IntN(5) < 3 {
		v.Clustered = true
	}
	return v
}

// fitMemory sizes every host to hold its running VMs (dynamic ones at their
// maximum): hot hosts tightly, the others with room. VMs that still do not
// fit on the largest host allowed are turned off, largest first.
func fitMemory(s *FleetSpec, hot int, r *rand.Rand) {
	for i := range s.Hosts {
		h := &s.Hosts[i]
		var on []*VMSpec
		need := 0.0
		for j := range s.VMs {
			v := &s.VMs[j]
			if v.Host == h.Name && (v.State == "" || v.State == "Running" || v.State == "Paused") {
				on = append(on, v)
				need += vmPeakGiB(v)
			}
		}
		fill := 0.55 + 0.2*r.Float64()
		if i < hot {
			fill = 0.94
		}
		size := math.Ceil((need/fill+DefaultReserveGiB)/64) * 64
		h.MemoryGiB = math.Min(maxHostMemoryGiB, math.Max(h.MemoryGiB, size))
		sort.SliceStable(on, func(a, b int) bool { return vmPeakGiB(on[a]) > vmPeakGiB(on[b]) })
		for _, v := range on {
			if need <= h.MemoryGiB-DefaultReserveGiB {
				break
			}
			need -= vmPeakGiB(v)
			v.State = "Off"
		}
	}
}

// scaleCPU sets each host's mean CPU demand: about 92% of its logical
// processors on hot hosts (with overhead, over 85% busy), 20–50% elsewhere.
func scaleCPU(s *FleetSpec, hot int, r *rand.Rand) {
	for i, h := range s.Hosts {
		target := 0.2 + 0.3*r.Float64()
		if i < hot {
			target = 0.92
		}
		demand := 0.0
		for _, v := range s.VMs {
			if v.Host == h.Name && (v.State == "" || v.State == "Running") {
				demand += v.Load.CPU * float64(v.CPUs)
			}
		}
		if demand == 0 {
			continue
		}
		k := target * float64(h.LogicalProcessors) / demand
		for j := range s.VMs {
			if v := &s.VMs[j]; v.Host == h.Name {
				v.Load.CPU = round2(clamp(v.Load.CPU*k, 0.01, 0.95))
				if v.Load.CPU+v.Load.Amplitude > 1 {
					v.Load.Amplitude = round2(1 - v.Load.CPU)
				}
			}
		}
	}
}

func vmPeakGiB(v *VMSpec) float64 {
	if v.Dynamic {
		return v.MemoryMaxGiB
	}
	return v.MemoryGiB
}

func pick[T any](r *rand.Rand, choices []T) T { return choices[r.IntN(len(choices))] }

func pickWeighted(r *rand.Rand, weights []float64) int {
	var total float64
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
