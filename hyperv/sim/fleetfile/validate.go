package fleetfile

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits a fleet file must stay within.
const (
	maxLogicalProcessors = 2048
	maxHostMemoryGiB     = 65536
	maxVMMemoryGiB       = 12288 // Hyper-V's own per-VM limit (12 TB)
	maxBandwidthGbps     = 1000
	maxDirtyRateMBps     = 1 << 20
	maxVMNameLength      = 100
	maxNotesLength       = 8192
)

// Validate reports every problem of a fleet whose defaults are set, as an
// errors.Join of *FieldError, or nil.
func (s *FleetSpec) Validate() error {
	var c checker
	if s.Name == "" {
		c.add("name", "must not be empty")
	}
	if !positive(s.Speed) {
		c.add("speed", "must be > 0")
	}
	if !validDomain(s.Domain) {
		c.add("domain", "must be a DNS name such as lab.example")
	}
	if s.Credentials.Username == "" {
		c.add("credentials.username", "must not be empty")
	}
	if s.Credentials.Password == "" {
		c.add("credentials.password", "must not be empty")
	}
	s.Credentials.Lockout.validate(&c, "credentials.lockout")
	s.WinRM.validate(&c, "winrm")
	if len(s.Hosts) == 0 {
		c.add("hosts", "must list at least one host")
	}
	hosts := make(map[string]int, len(s.Hosts))
	for i := range s.Hosts {
		p := fmt.Sprintf("hosts[%d]", i)
		s.Hosts[i].validate(&c, p)
		if len(s.HostWinRM(i).Auth) == 0 && s.Hosts[i].WinRM != nil && s.Hosts[i].WinRM.Basic != nil {
			c.add(p+".winrm.basic", "false leaves the host no authentication scheme")
		}
		key := strings.ToLower(s.Hosts[i].Name)
		if j, dup := hosts[key]; dup && validHostName(key) {
			c.add(p+".name", "duplicate host name %q (also hosts[%d])", s.Hosts[i].Name, j)
		} else if !dup {
			hosts[key] = i
		}
	}
	ids := make(map[string]int, len(s.VMs))
	need := make([]float64, len(s.Hosts))
	for i := range s.VMs {
		v := &s.VMs[i]
		p := fmt.Sprintf("vms[%d]", i)
		var host *HostSpec
		hi, ok := hosts[strings.ToLower(v.Host)]
		if ok {
			host = &s.Hosts[hi]
		}
		v.validate(&c, p, host)
		if j, dup := ids[strings.ToLower(v.ID)]; dup {
			c.add(p+".id", "duplicate VM id %q (also vms[%d])", v.ID, j)
		} else {
			ids[strings.ToLower(v.ID)] = i
		}
		if host != nil && (v.State == "Running" || v.State == "Paused") && positive(v.MemoryGiB) {
			need[hi] += v.MemoryGiB
		}
	}
	for i, h := range s.Hosts {
		free := h.MemoryGiB - h.ReserveGiB
		if positive(h.MemoryGiB) && h.ReserveGiB >= 0 && h.ReserveGiB < h.MemoryGiB && need[i] > free+1e-9 {
			c.add(fmt.Sprintf("hosts[%d].memory_gib", i), "running VMs need %s GiB of startup memory but only %s GiB is free after the reserve",
				formatGiB(need[i]), formatGiB(free))
		}
	}
	s.validateStorage(&c)
	return errors.Join(c.errs...)
}

func (h *HostSpec) validate(c *checker, p string) {
	if !validHostName(h.Name) {
		c.add(p+".name", "must be 1 to 15 letters, digits or hyphens")
	}
	if h.Cluster != "" && !validHostName(h.Cluster) {
		c.add(p+".cluster", "must be 1 to 15 letters, digits or hyphens")
	}
	for k := range h.Labels {
		if k == "" {
			c.add(p+".labels", "keys must not be empty")
		}
	}
	if h.LogicalProcessors < 1 || h.LogicalProcessors > maxLogicalProcessors {
		c.add(p+".logical_processors", "must be between 1 and %d", maxLogicalProcessors)
	}
	switch {
	case !positive(h.MemoryGiB):
		c.add(p+".memory_gib", "must be > 0")
	case h.MemoryGiB > maxHostMemoryGiB:
		c.add(p+".memory_gib", "must be at most %d", maxHostMemoryGiB)
	}
	switch {
	case !nonNegative(h.ReserveGiB):
		c.add(p+".reserve_gib", "must be >= 0")
	case positive(h.MemoryGiB) && h.ReserveGiB >= h.MemoryGiB:
		c.add(p+".reserve_gib", "must be less than memory_gib")
	}
	if h.MaxMigrations < 1 || h.MaxMigrations > 64 {
		c.add(p+".max_migrations", "must be between 1 and 64")
	}
	if h.Authentication != "Kerberos" && h.Authentication != "CredSSP" {
		c.add(p+".authentication", "must be Kerberos or CredSSP")
	}
	if h.Performance != "TCPIP" && h.Performance != "Compression" && h.Performance != "SMB" {
		c.add(p+".performance", "must be TCPIP, Compression or SMB")
	}
	if !positive(h.BandwidthGbps) || h.BandwidthGbps > maxBandwidthGbps {
		c.add(p+".bandwidth_gbps", "must be > 0 and at most %d", maxBandwidthGbps)
	}
	if !nonNegative(h.OverheadPercent) || h.OverheadPercent >= 100 {
		c.add(p+".overhead_percent", "must be >= 0 and below 100")
	}
	h.Faults.validate(c, p+".faults")
	h.WinRM.validate(c, p+".winrm")
}

func (v *VMSpec) validate(c *checker, p string, host *HostSpec) {
	if !validGUID(v.ID) {
		c.add(p+".id", "must be a GUID such as 3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b")
	}
	switch {
	case strings.TrimSpace(v.Name) == "":
		c.add(p+".name", "must not be empty")
	case utf8.RuneCountInString(v.Name) > maxVMNameLength:
		c.add(p+".name", "must be at most %d characters", maxVMNameLength)
	case strings.IndexFunc(v.Name, unicode.IsControl) >= 0 || !utf8.ValidString(v.Name):
		c.add(p+".name", "must not contain control characters")
	}
	switch {
	case v.Host == "":
		c.add(p+".host", "must not be empty")
	case host == nil:
		c.add(p+".host", "unknown host %q", v.Host)
	}
	if v.State != "Running" && v.State != "Off" && v.State != "Saved" && v.State != "Paused" {
		c.add(p+".state", "must be Running, Off, Saved or Paused")
	}
	switch {
	case v.CPUs < 1:
		c.add(p+".cpus", "must be >= 1")
	case host != nil && host.LogicalProcessors >= 1 && v.CPUs > host.LogicalProcessors:
		c.add(p+".cpus", "%d exceed the %d logical processors of host %s", v.CPUs, host.LogicalProcessors, host.Name)
	}
	switch {
	case !positive(v.MemoryGiB):
		c.add(p+".memory_gib", "must be > 0")
	case v.MemoryGiB > maxVMMemoryGiB:
		c.add(p+".memory_gib", "must be at most %d", maxVMMemoryGiB)
	}
	if v.Dynamic {
		switch {
		case !positive(v.MemoryMinGiB):
			c.add(p+".memory_min_gib", "must be > 0")
		case v.MemoryMinGiB > v.MemoryGiB:
			c.add(p+".memory_min_gib", "must not exceed memory_gib")
		}
		switch {
		case !positive(v.MemoryMaxGiB) || v.MemoryMaxGiB < v.MemoryGiB:
			c.add(p+".memory_max_gib", "must be >= memory_gib")
		case v.MemoryMaxGiB > maxVMMemoryGiB:
			c.add(p+".memory_max_gib", "must be at most %d", maxVMMemoryGiB)
		}
	} else {
		if v.MemoryMinGiB != 0 {
			c.add(p+".memory_min_gib", "only valid with dynamic: true")
		}
		if v.MemoryMaxGiB != 0 {
			c.add(p+".memory_max_gib", "only valid with dynamic: true")
		}
	}
	if len(v.Notes) > maxNotesLength {
		c.add(p+".notes", "must be at most %d bytes", maxNotesLength)
	}
	if strings.IndexFunc(v.Notes, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0 || !utf8.ValidString(v.Notes) {
		c.add(p+".notes", "must not contain control characters other than tab and line breaks")
	}
	if v.Clustered && host != nil && host.Cluster == "" {
		c.add(p+".clustered", "host %s is in no cluster", host.Name)
	}
	v.Load.validate(c, p+".load")
	if !positive(v.DirtyRateMBps) || v.DirtyRateMBps > maxDirtyRateMBps {
		c.add(p+".dirty_rate_mbps", "must be > 0 and at most %d", maxDirtyRateMBps)
	}
	if v.Uptime < 0 {
		c.add(p+".uptime", "must be >= 0")
	}
}

func (l *Load) validate(c *checker, p string) {
	switch l.Profile {
	case ProfileSteady, ProfileDiurnal, ProfileBursty, ProfileRandomWalk:
	default:
		c.add(p+".profile", "must be steady, diurnal, bursty or randomwalk")
	}
	if !fraction(l.CPU) {
		c.add(p+".cpu", "must be between 0 and 1")
	}
	if !fraction(l.Amplitude) {
		c.add(p+".amplitude", "must be between 0 and 1")
	}
	switch {
	case l.Period < 0:
		c.add(p+".period", "must be >= 0")
	case l.Profile == ProfileDiurnal && l.Period < Duration(time.Minute):
		c.add(p+".period", "must be at least 1m")
	}
	if !positive(l.Memory) || l.Memory > 1 {
		c.add(p+".memory", "must be > 0 and at most 1")
	}
}

// validHostName accepts a NetBIOS-style computer name.
func validHostName(s string) bool {
	if len(s) < 1 || len(s) > 15 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func validDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || !validLabel(label) {
			return false
		}
	}
	return true
}

func validLabel(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return s[0] != '-' && s[len(s)-1] != '-'
}

// validGUID accepts the 8-4-4-4-12 hexadecimal form.
func validGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if ch != '-' {
				return false
			}
			continue
		}
		if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F') {
			return false
		}
	}
	return true
}
