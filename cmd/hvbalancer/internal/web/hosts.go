package web

import (
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
)

// HostHealth says whether a host can take part in a round, as GET
// /api/v1/hosts names it. Its values are the API's own: the collector may
// rename its constants without changing what clients read.
type HostHealth string

// Host health values.
const (
	HostOK          HostHealth = "ok"          // its latest poll succeeded: it may send and receive VMs
	HostStale       HostHealth = "stale"       // it answered before, but its last good sample is too old
	HostUnreachable HostHealth = "unreachable" // it never answered, or its latest poll failed
)

// HostCause names, in a word, why a host is not ok, as GET /api/v1/hosts
// names it; empty when the host is ok.
type HostCause string

// Host causes.
const (
	HostCauseUnauthorized       HostCause = "unauthorized"        // the host refused the credentials (HTTP 401)
	HostCauseUnencryptedRefused HostCause = "unencrypted_refused" // the host refused an unencrypted NTLM/Kerberos message
	HostCauseAuthNotOffered     HostCause = "auth_not_offered"    // the host does not offer the configured authentication method
	HostCauseCertificate        HostCause = "certificate"         // its TLS certificate was not accepted
	HostCauseUnreachable        HostCause = "unreachable"         // no connection to its WinRM port
	HostCauseTimeout            HostCause = "timeout"             // no answer within the call timeout
	HostCauseClockSkew          HostCause = "clock_skew"          // Kerberos: the clocks are too far apart
	HostCauseUnknownPrincipal   HostCause = "unknown_principal"   // Kerberos: no such user, or the host's SPN is missing
	HostCauseKDCUnreachable     HostCause = "kdc_unreachable"     // Kerberos: no KDC answered
	HostCauseShellQuota         HostCause = "shell_quota"         // the account has as many WinRM shells open on the host as it may
	HostCauseHeld               HostCause = "held"                // not tried: the daemon held the call back (after failed logins); reason says why
	HostCauseWrongHost          HostCause = "wrong_host"          // the address answers as another computer; reason says which
	HostCauseBadAnswer          HostCause = "bad_answer"          // the host's facts cannot be true (no processors, no memory); reason says what
	HostCauseError              HostCause = "error"               // anything else; reason says what
)

// hostHealths maps every collector health to the API's. A health missing
// here shows as HostUnreachable: a host the API cannot name is not one to
// migrate to.
var hostHealths = map[collector.Health]HostHealth{
	collector.HealthOK:          HostOK,
	collector.HealthStale:       HostStale,
	collector.HealthUnreachable: HostUnreachable,
}

// hostCauses maps every collector cause to the API's. A cause missing here
// shows as HostCauseError, whose reason says what happened.
var hostCauses = map[collector.Cause]HostCause{
	"":                                "",
	collector.CauseUnauthorized:       HostCauseUnauthorized,
	collector.CauseUnencryptedRefused: HostCauseUnencryptedRefused,
	collector.CauseAuthNotOffered:     HostCauseAuthNotOffered,
	collector.CauseCertificate:        HostCauseCertificate,
	collector.CauseUnreachable:        HostCauseUnreachable,
	collector.CauseTimeout:            HostCauseTimeout,
	collector.CauseClockSkew:          HostCauseClockSkew,
	collector.CauseUnknownPrincipal:   HostCauseUnknownPrincipal,
	collector.CauseKDCUnreachable:     HostCauseKDCUnreachable,
	collector.CauseShellQuota:         HostCauseShellQuota,
	collector.CauseHeld:               HostCauseHeld,
	collector.CauseWrongHost:          HostCauseWrongHost,
	collector.CauseBadAnswer:          HostCauseBadAnswer,
	collector.CauseError:              HostCauseError,
}

func hostHealth(h collector.Health) HostHealth {
	if v, ok := hostHealths[h]; ok {
		return v
	}
	return HostUnreachable
}

func hostCause(c collector.Cause) HostCause {
	if v, ok := hostCauses[c]; ok {
		return v
	}
	return HostCauseError
}

// HostInfo is one host in GET /api/v1/hosts.
type HostInfo struct {
	Name        string     `json:"name"`
	Cluster     string     `json:"cluster,omitempty"`
	Group       string     `json:"group,omitempty"`
	Health      HostHealth `json:"health"`
	Reason      string     `json:"reason,omitempty"`  // the last poll's error, as the host or the client said it
	Cause       HostCause  `json:"cause,omitempty"`   // why it is not ok, in a word
	Problem     string     `json:"problem,omitempty"` // and in an administrator's words
	LastSeen    time.Time  `json:"last_seen,omitzero"`
	Maintenance bool       `json:"maintenance"`
	// MaintenanceSources says why a host in maintenance is in it: its
	// configuration, its label, the API (with since, by and reason).
	MaintenanceSources []MaintenanceState `json:"maintenance_sources,omitempty"`
	CPU                Load               `json:"cpu"`    // percent of the host's logical processors
	Memory             Load               `json:"memory"` // percent of its memory in use
	VMs                int                `json:"vms"`
	// CPUDemand, on a saturated host only, is what its VMs wanted, in
	// percent of its logical processors (above 100 when they wanted more
	// than it has): the planner plans with it where it is set.
	CPUDemand *Load `json:"cpu_demand,omitempty"`
	// CPUWaitUnknown says the host's last good poll lacked some running
	// VM's CPU wait counter: those VMs count at the CPU they received.
	CPUWaitUnknown bool `json:"cpu_wait_unknown,omitempty"`
	// LoadModel says how CPU and Memory were made; ProjectedUntil, with
	// LoadProjected only, is when the window holds only samples taken
	// after the moves that made them projected.
	LoadModel      HostLoadModel `json:"load_model"`
	ProjectedUntil time.Time     `json:"projected_until,omitzero"`
}

// HostLoadModel says how a host's load in GET /api/v1/hosts was made. Its
// values are the API's own.
type HostLoadModel string

// Host load models.
const (
	// LoadMeasured: the window's samples as the host reported them.
	LoadMeasured HostLoadModel = "measured"
	// LoadProjected: VMs arrived or left within the window, so the
	// samples taken before are shifted by those VMs' demand: the load is
	// projected from the VMs the host now holds, until ProjectedUntil.
	LoadProjected HostLoadModel = "projected"
)

// hostLoadModel maps the collector's load model to the API's: any load
// that is not plainly measured shows as projected.
func hostLoadModel(m collector.LoadModel) HostLoadModel {
	if m == collector.LoadMeasured {
		return LoadMeasured
	}
	return LoadProjected
}

// Load is a host's smoothed load over the collector's window, in percent.
type Load struct {
	Mean float64 `json:"mean"`
	P95  float64 `json:"p95"`
}

// Hosts is the answer of GET /api/v1/hosts: the latest snapshot's hosts,
// none (and no time) before the first snapshot.
type Hosts struct {
	Taken         time.Time  `json:"taken,omitzero"`
	WindowSeconds float64    `json:"window_seconds,omitempty"`
	Hosts         []HostInfo `json:"hosts"`
}

// hostsOf summarizes a snapshot's hosts, with why each host in
// maintenance is in it (by host name); s may be nil.
func hostsOf(s *collector.Snapshot, maint map[string][]MaintenanceState) Hosts {
	out := Hosts{Hosts: []HostInfo{}}
	if s == nil {
		return out
	}
	out.Taken, out.WindowSeconds = s.Taken, s.WindowSeconds
	vms := make(map[string]int, len(s.Hosts))
	for _, v := range s.VMs {
		vms[v.Host]++
	}
	for _, h := range s.Hosts {
		hi := HostInfo{
			Name: h.Name, Cluster: h.Cluster, Group: h.Group,
			Health: hostHealth(h.Health), Reason: h.Reason, Cause: hostCause(h.Cause),
			LastSeen: h.LastSeen, Maintenance: h.Maintenance,
			CPU:       Load{Mean: h.CPU.Mean, P95: h.CPU.P95},
			Memory:    Load{Mean: h.Memory.Mean, P95: h.Memory.P95},
			VMs:       vms[h.Name],
			LoadModel: hostLoadModel(h.LoadModel),
		}
		if d := h.CPU.Demand; d != (collector.Demand{}) {
			hi.CPUDemand = &Load{Mean: d.Mean, P95: d.P95}
		}
		hi.CPUWaitUnknown = h.CPUWaitUnknown
		if m := maint[h.Name]; len(m) > 0 {
			hi.Maintenance, hi.MaintenanceSources = true, m
		}
		if hi.LoadModel == LoadProjected {
			hi.ProjectedUntil = h.ProjectedUntil.UTC()
		}
		if hi.Health != HostOK {
			hi.Problem = h.Problem()
		}
		out.Hosts = append(out.Hosts, hi)
	}
	return out
}
