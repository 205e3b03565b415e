package balancer

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// A placement request: the VM an administrator is about to create, and
// how the policy sees it while Place judges where it should go.

// NewVMID is the ID of the VM being placed in the policy's input: its
// entry in input.fleet.vms and input.move.vm while deny and penalty judge
// a destination for it (input.move.from is then empty). Hyper-V's VM IDs
// are GUIDs, so no VM of a fleet has it.
const NewVMID = "new"

// DefaultNewVMName is the name a new VM has in the policy's messages when
// the request names none.
const DefaultNewVMName = "new-vm"

// Bounds of a placement request.
const (
	MaxPlaceCPUs        = 240               // Hyper-V's maximum virtual processors per VM
	MinPlaceMemoryBytes = int64(32) << 20   // 32 MiB, Hyper-V's minimum
	MaxPlaceMemoryBytes = int64(12) << 40   // 12 TiB, Hyper-V's maximum per VM
	maxPlaceName        = 100               // a Hyper-V VM name
	maxPlaceTagKey      = 63                // as the configuration bounds a label's name
	maxPlaceTagValue    = 256               // and a label's value
	maxPlaceTags        = 64                // tags of one request
	maxPlaceCluster     = 63                // as the configuration bounds a cluster's name
	maxPlaceVersion     = 16                // "9.0", "12.0", "254.0"
	MaxPlaceTop         = 1000              // ranked hosts an answer may be cut to
	defaultPlaceLoad    = 100.0             // percent of its virtual processors a new VM is taken to use
	placeMemoryUnits    = "MiB, GiB or TiB" // what ParseMemorySize accepts
	placeTagKeyChars    = "letters, digits and _.-/"
	placeBadRequest     = "placement request" // prefix of every request error
)

// ErrPlaceRequest is wrapped by every error of a placement request that
// is out of bounds or malformed: the caller's mistake, not the fleet's.
var ErrPlaceRequest = errors.New("bad placement request")

// PlaceRequest is a VM to place: what it needs and how the policy should
// see it. Validate bounds it; Place validates it too.
type PlaceRequest struct {
	// Name is the VM's name in the policy's messages (DefaultNewVMName
	// when empty).
	Name string `json:"name,omitempty"`
	// CPUs is its virtual processors, 1..MaxPlaceCPUs.
	CPUs int `json:"cpus"`
	// MemoryBytes is its startup memory, MinPlaceMemoryBytes..
	// MaxPlaceMemoryBytes.
	MemoryBytes int64 `json:"memory_bytes"`
	// CPULoad is the percent of its virtual processors it is expected to
	// keep busy, 1..100; 0 means 100 (every one busy: the cautious guess
	// for a VM never measured).
	CPULoad float64 `json:"cpu_load,omitempty"`
	// Tags are its Notes tags as the policy reads them (keys are
	// lower-cased, as the collector reads them from Notes).
	Tags map[string]string `json:"tags,omitempty"`
	// Cluster, when set, makes it a clustered role of that failover
	// cluster: only the cluster's nodes may take it.
	Cluster string `json:"cluster,omitempty"`
	// ConfigVersion, when set, is the VM configuration version it is
	// created with: only hosts that run it may take it (hosts that do
	// not report their versions are not refused for it).
	ConfigVersion string `json:"config_version,omitempty"`
	// Top cuts the ranked hosts to the best Top (0: all of them).
	Top int `json:"top,omitempty"`
}

// requestError is a placement request's error wrapping ErrPlaceRequest.
func requestError(format string, a ...any) error {
	return fmt.Errorf("%s: %s: %w", placeBadRequest, fmt.Sprintf(format, a...), ErrPlaceRequest)
}

// Validate checks the request's bounds, naming every problem.
func (r *PlaceRequest) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, requestError(format, a...)) }
	if why := placeTextProblem(r.Name, maxPlaceName); why != "" {
		bad("name: %s", why)
	}
	if r.CPUs < 1 || r.CPUs > MaxPlaceCPUs {
		bad("cpus %d: a VM has 1 to %d virtual processors", r.CPUs, MaxPlaceCPUs)
	}
	if r.MemoryBytes < MinPlaceMemoryBytes || r.MemoryBytes > MaxPlaceMemoryBytes {
		bad("memory %d bytes: a VM has 32 MiB to 12 TiB", r.MemoryBytes)
	}
	if math.IsNaN(r.CPULoad) || r.CPULoad < 0 || r.CPULoad > 100 || (r.CPULoad > 0 && r.CPULoad < 1) {
		bad("cpu_load %v: a percent from 1 to 100 (0 for 100)", r.CPULoad)
	}
	if len(r.Tags) > maxPlaceTags {
		bad("%d tags: at most %d", len(r.Tags), maxPlaceTags)
	} else {
		seen := make(map[string]bool, len(r.Tags))
		for _, k := range slices.Sorted(maps.Keys(r.Tags)) {
			if lk := strings.ToLower(k); seen[lk] {
				bad("tag %s given twice: a tag's name is read without regard to case", lk)
			} else {
				seen[lk] = true
			}
			if !placeTagKey(k) {
				bad("tag %q: a tag's name has 1 to %d %s", placeShort(k), maxPlaceTagKey, placeTagKeyChars)
			} else if why := placeTextProblem(r.Tags[k], maxPlaceTagValue); why != "" {
				bad("tag %s: %s", k, why)
			}
		}
	}
	if why := placeTextProblem(r.Cluster, maxPlaceCluster); why != "" {
		bad("cluster: %s", why)
	}
	if v := r.ConfigVersion; v != "" && !placeVersion(v) {
		bad("config_version %q: a version such as 9.0 or 12.0", placeShort(v))
	}
	if r.Top < 0 || r.Top > MaxPlaceTop {
		bad("top %d: 0 (all) to %d", r.Top, MaxPlaceTop)
	}
	return errors.Join(errs...)
}

// placeTextProblem says why s is not a short line of text of at most max
// characters, or "" when it is one.
func placeTextProblem(s string, max int) string {
	switch {
	case !utf8.ValidString(s):
		return "not UTF-8 text"
	case utf8.RuneCountInString(s) > max:
		return fmt.Sprintf("at most %d characters, not %d", max, utf8.RuneCountInString(s))
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "control characters are not allowed"
	}
	return ""
}

// placeTagKey reports whether k is a tag's name the collector would read
// from a VM's Notes and the configuration would take as a label's name.
func placeTagKey(k string) bool {
	if k == "" || len(k) > maxPlaceTagKey {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_.-/", c)) {
			return false
		}
	}
	return true
}

// placeVersion reports whether v is a VM configuration version: digits,
// a dot, digits.
func placeVersion(v string) bool {
	if len(v) > maxPlaceVersion {
		return false
	}
	major, minor, ok := strings.Cut(v, ".")
	_, err1 := strconv.ParseUint(major, 10, 16)
	_, err2 := strconv.ParseUint(minor, 10, 16)
	return ok && err1 == nil && err2 == nil
}

// placeShort is s cut for a message, so that a hostile value does not fill
// it.
func placeShort(s string) string {
	const keep = 40
	if utf8.RuneCountInString(s) <= keep {
		return s
	}
	return string([]rune(s)[:keep]) + "…"
}

// ParseMemorySize reads a memory size with its unit, as New-VM's
// -MemoryStartupBytes is written: "16GiB", "512 MiB", "1.5TiB" (MiB, GiB
// or TiB, also written MB, GB and TB as PowerShell does, all powers of
// two). The result is not bounded: PlaceRequest.Validate does that.
func ParseMemorySize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
	if i <= 0 || len(t) > 32 {
		return 0, requestError("memory %q: a size with its unit (%s), such as 16GiB", placeShort(s), placeMemoryUnits)
	}
	n, err := strconv.ParseFloat(t[:i], 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, requestError("memory %q: a size with its unit (%s), such as 16GiB", placeShort(s), placeMemoryUnits)
	}
	var shift uint
	switch strings.ToLower(strings.TrimSpace(t[i:])) {
	case "mib", "mb":
		shift = 20
	case "gib", "gb":
		shift = 30
	case "tib", "tb":
		shift = 40
	default:
		return 0, requestError("memory %q: unit %q, want %s", placeShort(s), placeShort(strings.TrimSpace(t[i:])), placeMemoryUnits)
	}
	b := n * float64(int64(1)<<shift)
	if b > float64(MaxPlaceMemoryBytes)*2 {
		return 0, requestError("memory %q: a VM has 32 MiB to 12 TiB", placeShort(s))
	}
	return int64(b), nil
}

// cpuLoad is the percent of its virtual processors the VM is taken to use.
func (r *PlaceRequest) cpuLoad() float64 {
	if r.CPULoad == 0 {
		return defaultPlaceLoad
	}
	return r.CPULoad
}

// name is the VM's name in messages.
func (r *PlaceRequest) name() string {
	if r.Name == "" {
		return DefaultNewVMName
	}
	return r.Name
}

// tags are the request's tags as the collector reads them from Notes:
// keys lower-cased, values trimmed; never nil.
func (r *PlaceRequest) tags() map[string]string {
	out := make(map[string]string, len(r.Tags))
	for k, v := range r.Tags {
		out[strings.ToLower(k)] = strings.TrimSpace(v)
	}
	return out
}

// PolicyVM is the new VM as the policy sees it: no host, Off (as New-VM
// creates it), its Notes the request's tags one key=value line each, its
// CPU the load it is expected to have, clustered when the request names a
// cluster.
func (r *PlaceRequest) PolicyVM() policy.VM {
	tags := r.tags()
	var notes strings.Builder
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		fmt.Fprintf(&notes, "%s=%s\n", k, tags[k])
	}
	load := r.cpuLoad()
	return policy.VM{
		Name:          r.name(),
		Host:          "",
		State:         "Off",
		CPUs:          r.CPUs,
		MemoryBytes:   r.MemoryBytes,
		CPU:           policy.CPULoad{Mean: load, P95: load},
		Clustered:     r.Cluster != "",
		Notes:         notes.String(),
		Tags:          tags,
		ConfigVersion: r.ConfigVersion,
		Switches:      []string{},
	}
}

// PlacementInput is the policy's input for placing r: PolicyInput of the
// snapshot and history, with the new VM in the fleet under NewVMID. A
// policy session begun on it judges Place's candidates.
func PlacementInput(s *collector.Snapshot, h policy.History, loc *time.Location, r *PlaceRequest) *policy.Input {
	in := PolicyInput(s, h, loc)
	in.Fleet.VMs[NewVMID] = r.PolicyVM()
	return in
}
