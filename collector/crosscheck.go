package collector

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

// Answers a host gives that cannot be true of the host the configuration
// names: the poll counts as failed, with its own cause, so that nothing is
// planned from or onto a host whose answer cannot be trusted.
var (
	// ErrWrongHost: the address answers as another computer (DNS or the
	// configuration points at the wrong machine).
	ErrWrongHost = errors.New("the address answers as another computer")
	// ErrBadAnswer: the host's facts cannot describe a Hyper-V host (no
	// logical processors, no memory).
	ErrBadAnswer = errors.New("the host's answer cannot be true")
)

// checkFacts refuses host facts that contradict the target: another
// computer name, or no capacity. An empty reported name is not checked.
func checkFacts(t Target, f hyperv.HostInfo) error {
	if f.Name != "" && !sameComputer(t.Name, f.Name) {
		return fmt.Errorf("%w: configured as %s, it says it is %s: check the address and DNS", ErrWrongHost, t.Name, f.Name)
	}
	if f.LogicalProcessors <= 0 || f.MemoryCapacity <= 0 {
		return fmt.Errorf("%w: it reports %d logical processors and %d bytes of memory", ErrBadAnswer, f.LogicalProcessors, f.MemoryCapacity)
	}
	return nil
}

// sameComputer compares a configured host name with the name a host
// reports, ignoring case and any domain on either side (HV01 is
// hv01.lab.example).
func sameComputer(configured, reported string) bool {
	first := func(s string) string { n, _, _ := strings.Cut(s, "."); return n }
	return strings.EqualFold(configured, reported) || strings.EqualFold(first(configured), first(reported))
}

// guidRE is a VM ID as Hyper-V gives it (VMId, without braces).
var guidRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// validVMID reports whether id is a GUID. Anything else (an empty ID, a
// path, markup) is not a Hyper-V VM ID and never enters a snapshot, where
// it would become a file name, a URL or a policy key.
func validVMID(id string) bool { return guidRE.MatchString(id) }

// badIDs records the VMs a host reported whose ID is not a GUID.
type badIDs struct {
	n       int
	example string // the first, quoted and bounded
}

// note is the host's attention line for them; empty when there are none.
func (b badIDs) note() string {
	if b.n == 0 {
		return ""
	}
	return fmt.Sprintf("%d VMs reported with an ID that is not a GUID (first: %s) are left out", b.n, b.example)
}

// add counts one bad ID.
func (b *badIDs) add(id string) {
	if b.n == 0 {
		r := []rune(id)
		if len(r) > 40 {
			r = append(r[:40], '…')
		}
		b.example = fmt.Sprintf("%q", string(r))
	}
	b.n++
}

// conflicts are the VM IDs more than one host reported in one poll, with
// those hosts in name order.
type conflicts map[string][]string

// add records that host reported id, which first claimed already.
func (cs conflicts) add(id, first, host string) {
	hosts := cs[id]
	if len(hosts) == 0 {
		hosts = []string{first}
	}
	if !slices.Contains(hosts, host) {
		hosts = append(hosts, host)
	}
	slices.Sort(hosts)
	cs[id] = hosts
}

// attention lists, per host, what in its answers needs an administrator:
// VMs it reports with IDs that are not GUIDs, and VMs another host reports
// too.
func (c *Collector) attentionLocked(name string, st *hostState) []string {
	var out []string
	if n := st.badIDs.note(); n != "" {
		out = append(out, n)
	}
	ids := make([]string, 0, len(c.conflicts))
	for id, hosts := range c.conflicts {
		if slices.Contains(hosts, name) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		others := slices.DeleteFunc(slices.Clone(c.conflicts[id]), func(h string) bool { return h == name })
		out = append(out, fmt.Sprintf("VM %s is also reported by %s: it is not planned until one host reports it", id, strings.Join(others, ", ")))
	}
	return out
}
