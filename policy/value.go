package policy

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// This file builds OPA's value form of the input directly from the Go types,
// with the same shape their JSON encoding has (and the schema describes), so
// no JSON round trip is needed. Nil maps and slices become empty objects and
// arrays, as the schema wants.

// inputTerms is the converted part of an Input that stays the same for a
// whole session.
type inputTerms struct {
	now, fleet, history *ast.Term
	// ids are the VMs' ID terms by ID, shared by the fleet's VM keys, its
	// hosts' VM lists and every candidate's projected VM lists; its keys
	// are the fleet's VMs.
	ids map[string]*ast.Term
	// onHost are each host's VMs as the input lists them, with their
	// terms: a candidate's projected host lists nearly the same VMs.
	onHost map[string]idList
}

// idList is a host's VM IDs, sorted, and their terms.
type idList struct {
	ids []string
	of  []*ast.Term // the term of each of ids
}

// object returns the input document with the optional move and projected
// parts (nil leaves them out). The session's terms are shared, not copied.
func (t inputTerms) object(move, projected *ast.Term) ast.Object {
	items := make([][2]*ast.Term, 0, 5)
	items = append(items,
		ast.Item(ast.StringTerm("now"), t.now),
		ast.Item(ast.StringTerm("fleet"), t.fleet),
		ast.Item(ast.StringTerm("history"), t.history))
	if move != nil {
		items = append(items, ast.Item(ast.StringTerm("move"), move))
	}
	if projected != nil {
		items = append(items, ast.Item(ast.StringTerm("projected"), projected))
	}
	return ast.NewObject(items...)
}

// parallelConversion is the fleet size, in VMs, from which convertInput
// converts the VMs on two goroutines.
const parallelConversion = 4096

// convertInput converts the session's part of in (not Move and Projected).
func convertInput(in *Input) (inputTerms, error) {
	key := newInputKeys()
	k := newKeyTerms(key)
	ids := make(map[string]*ast.Term, len(in.Fleet.VMs))
	vmIDs := sortedKeys(in.Fleet.VMs)
	for _, id := range vmIDs {
		ids[id] = k.term(ast.String(id))
	}
	// The VMs are most of the input: a large fleet's are converted in two
	// halves side by side, each with its own shared strings, while the
	// caller converts the hosts, so that a session on thousands of VMs
	// begins in about half the time when a second core is free.
	vms := make([][2]*ast.Term, len(vmIDs))
	parts := 1
	if len(vmIDs) >= parallelConversion {
		parts = 2
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*len(vmIDs)/parts, (p+1)*len(vmIDs)/parts
		wg.Go(func() {
			kp := newKeyTerms(key)
			for i := lo; i < hi; i++ {
				id := vmIDs[i]
				v := in.Fleet.VMs[id]
				t, err := vmTerm(kp, &v)
				if err != nil {
					errs[p] = fmt.Errorf("vm %s: %w", id, err)
					return
				}
				vms[i] = ast.Item(ids[id], t)
			}
		})
	}
	hosts := make([][2]*ast.Term, 0, len(in.Fleet.Hosts))
	onHost := make(map[string]idList, len(in.Fleet.Hosts))
	var hostErr error
	for _, name := range sortedKeys(in.Fleet.Hosts) {
		h := in.Fleet.Hosts[name]
		vms := idsTerms(ids, h.VMs)
		onHost[name] = idList{ids: h.VMs, of: vms}
		t, err := hostTerm(k, vms, &h)
		if err != nil {
			hostErr = fmt.Errorf("host %s: %w", name, err)
			break
		}
		hosts = append(hosts, ast.Item(k.term(ast.String(name)), t))
	}
	byTag := vmsByTagTerm(k, ids, vmIDs, in.Fleet.VMs)
	history := k.object(
		ast.Item(key.moves, eventsTerm(in.History.Moves)),
		ast.Item(key.failures, eventsTerm(in.History.Failures)),
		ast.Item(key.movesByVM, countsTerm(ids, in.History.MovesByVM)))
	wg.Wait()
	if hostErr != nil {
		return inputTerms{}, hostErr
	}
	for _, err := range errs { // the first in ID order, as one goroutine finds it
		if err != nil {
			return inputTerms{}, err
		}
	}
	fleet := k.object(
		ast.Item(key.hosts, k.object(hosts...)),
		ast.Item(key.vms, k.object(vms...)),
		ast.Item(key.vmsByTag, byTag))
	return inputTerms{now: ast.StringTerm(in.Now), fleet: fleet, history: history, ids: ids, onHost: onHost}, nil
}

// vmsByTagTerm converts the fleet's tag index (Fleet.VMsByTag), vmIDs
// being the fleet's VM IDs sorted and ids their terms.
func vmsByTagTerm(k *keyTerms, ids map[string]*ast.Term, vmIDs []string, vms map[string]VM) *ast.Term {
	idx := vmsByTag(vmIDs, vms, func(id string) *ast.Term { return ids[id] })
	keys := make([][2]*ast.Term, 0, len(idx))
	for key, byValue := range idx {
		values := make([][2]*ast.Term, 0, len(byValue))
		for value, of := range byValue {
			values = append(values, ast.Item(k.str(value), ast.ArrayTerm(of...)))
		}
		keys = append(keys, ast.Item(k.str(key), k.object(values...)))
	}
	return k.object(keys...)
}

// hostTerm converts a host, whose VMs' ID terms are vms.
func hostTerm(k *keyTerms, vms []*ast.Term, h *Host) (*ast.Term, error) {
	key := k.key
	cpu, err := cpuTerm(k, h.CPU)
	if err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	mem, err := loadTerm(k, h.Memory)
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	return k.object(
		ast.Item(key.name, k.term(ast.String(h.Name))),
		ast.Item(key.cluster, k.str(h.Cluster)),
		ast.Item(key.group, k.str(h.Group)),
		ast.Item(key.labels, stringMapTerm(h.Labels)),
		ast.Item(key.health, k.str(h.Health)),
		ast.Item(key.maintenance, ast.InternedTerm(h.Maintenance)),
		ast.Item(key.capacity, k.object(
			ast.Item(key.cpus, k.int(int64(h.Capacity.CPUs))),
			ast.Item(key.memoryBytes, k.int(h.Capacity.MemoryBytes)))),
		ast.Item(key.cpu, cpu),
		ast.Item(key.memory, mem),
		ast.Item(key.vms, ast.ArrayTerm(vms...)),
		ast.Item(key.processorVendor, k.str(h.ProcessorVendor)),
		ast.Item(key.processorModel, k.str(h.ProcessorModel)),
		ast.Item(key.configVersions, k.strs(h.ConfigVersions)),
		ast.Item(key.switches, k.strs(h.Switches)),
		ast.Item(key.vmPath, k.term(ast.String(h.VMPath))),
		ast.Item(key.vhdPath, k.term(ast.String(h.VHDPath))),
		ast.Item(key.volumes, volumesTerm(k, h.Volumes)),
	), nil
}

func volumesTerm(k *keyTerms, vols []Volume) *ast.Term {
	key := k.key
	terms := make([]*ast.Term, len(vols))
	for i, v := range vols {
		terms[i] = k.object(
			ast.Item(key.path, k.term(ast.String(v.Path))),
			ast.Item(key.kind, k.term(ast.String(v.Kind))),
			ast.Item(key.sizeBytes, intTerm(v.SizeBytes)),
			ast.Item(key.freeBytes, intTerm(v.FreeBytes)))
	}
	return ast.ArrayTerm(terms...)
}

func vmTerm(k *keyTerms, v *VM) (*ast.Term, error) {
	key := k.key
	cpu, err := cpuTerm(k, v.CPU)
	if err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	return k.object(
		ast.Item(key.name, k.term(ast.String(v.Name))),
		ast.Item(key.host, k.str(v.Host)),
		ast.Item(key.state, k.str(v.State)),
		ast.Item(key.cpus, k.int(int64(v.CPUs))),
		ast.Item(key.memoryBytes, k.int(v.MemoryBytes)),
		ast.Item(key.cpu, cpu),
		ast.Item(key.clustered, ast.InternedTerm(v.Clustered)),
		ast.Item(key.notes, k.str(v.Notes)),
		ast.Item(key.tags, k.tagsTerm(v.Tags)),
		ast.Item(key.lastMigration, k.str(v.LastMigration)),
		ast.Item(key.configVersion, k.str(v.ConfigVersion)),
		ast.Item(key.processorCompatibility, ast.InternedTerm(v.ProcessorCompatibility)),
		ast.Item(key.switches, k.strs(v.Switches)),
		ast.Item(key.path, k.term(ast.String(v.Path))),
		ast.Item(key.storage, k.str(v.Storage)),
		ast.Item(key.storageBytes, k.int(v.StorageBytes)),
	), nil
}

// loadTerm converts a memory load: its mean and 95th percentile.
func loadTerm(k *keyTerms, l LoadStat) (*ast.Term, error) {
	mean, p95, err := meanP95(k, l.Mean, l.P95)
	if err != nil {
		return nil, err
	}
	return k.object(ast.Item(k.key.mean, mean), ast.Item(k.key.p95, p95)), nil
}

// cpuTerm converts a CPU load: its mean and 95th percentile, and its
// demand where one was recorded.
func cpuTerm(k *keyTerms, l CPULoad) (*ast.Term, error) {
	mean, p95, err := meanP95(k, l.Mean, l.P95)
	if err != nil {
		return nil, err
	}
	if l.Demand == (LoadStat{}) {
		return k.object(ast.Item(k.key.mean, mean), ast.Item(k.key.p95, p95)), nil
	}
	dMean, dP95, err := meanP95(k, l.Demand.Mean, l.Demand.P95)
	if err != nil {
		return nil, fmt.Errorf("demand: %w", err)
	}
	demand := k.object(ast.Item(k.key.mean, dMean), ast.Item(k.key.p95, dP95))
	return k.object(ast.Item(k.key.mean, mean), ast.Item(k.key.p95, p95), ast.Item(k.key.demand, demand)), nil
}

// meanP95 converts a load's mean and 95th percentile.
func meanP95(k *keyTerms, m, p float64) (mean, p95 *ast.Term, err error) {
	if mean, err = k.float(m); err != nil {
		return nil, nil, fmt.Errorf("mean: %w", err)
	}
	if p95, err = k.float(p); err != nil {
		return nil, nil, fmt.Errorf("p95: %w", err)
	}
	return mean, p95, nil
}

func eventsTerm(events []Event) *ast.Term {
	terms := make([]*ast.Term, len(events))
	for i, e := range events {
		items := [][2]*ast.Term{
			ast.Item(ast.StringTerm("vm"), ast.StringTerm(e.VM)),
			ast.Item(ast.StringTerm("from"), ast.StringTerm(e.From)),
			ast.Item(ast.StringTerm("to"), ast.StringTerm(e.To)),
			ast.Item(ast.StringTerm("at"), ast.StringTerm(e.At)),
		}
		if e.Error != "" { // omitempty, as in JSON
			items = append(items, ast.Item(ast.StringTerm("error"), ast.StringTerm(e.Error)))
		}
		terms[i] = ast.ObjectTerm(items...)
	}
	return ast.ArrayTerm(terms...)
}

// countsTerm converts counts by VM ID, with the fleet's ID terms where the
// VM is in the fleet.
func countsTerm(ids map[string]*ast.Term, counts map[string]int) *ast.Term {
	items := make([][2]*ast.Term, 0, len(counts))
	for _, id := range sortedKeys(counts) {
		key := ids[id]
		if key == nil {
			key = ast.StringTerm(id)
		}
		items = append(items, ast.Item(key, intTerm(int64(counts[id]))))
	}
	return ast.ObjectTerm(items...)
}

// moveTerm converts a candidate move.
func moveTerm(m Move) *ast.Term {
	return ast.ObjectTerm(
		ast.Item(ast.StringTerm("vm"), ast.StringTerm(m.VM)),
		ast.Item(ast.StringTerm("from"), ast.StringTerm(m.From)),
		ast.Item(ast.StringTerm("to"), ast.StringTerm(m.To)))
}

// projectedTerm converts a candidate's projected hosts, with the session's
// terms t (zero: new ones).
func projectedTerm(t inputTerms, m Move, p Projected) (*ast.Term, error) {
	from, err := hostLoadTerm(t, m.From, p.From)
	if err != nil {
		return nil, fmt.Errorf("projected from: %w", err)
	}
	to, err := hostLoadTerm(t, m.To, p.To)
	if err != nil {
		return nil, fmt.Errorf("projected to: %w", err)
	}
	return ast.ObjectTerm(ast.Item(ast.StringTerm("from"), from), ast.Item(ast.StringTerm("to"), to)), nil
}

// hostLoadTerm converts host's projection h.
func hostLoadTerm(t inputTerms, host string, h HostLoad) (*ast.Term, error) {
	cpu, err := floatTerm(h.CPU)
	if err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	mem, err := floatTerm(h.Memory)
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	items := make([][2]*ast.Term, 0, 4)
	items = append(items,
		ast.Item(ast.StringTerm("cpu"), cpu),
		ast.Item(ast.StringTerm("memory"), mem),
		ast.Item(ast.StringTerm("vms"), ast.ArrayTerm(t.onHost[host].terms(t.ids, h.VMs)...)))
	if h.VMMemoryBytes != 0 { // omitempty, as in JSON
		items = append(items, ast.Item(ast.StringTerm("vm_memory_bytes"), intTerm(h.VMMemoryBytes)))
	}
	return ast.ObjectTerm(items...), nil
}

// terms returns the terms of VM IDs ss, sorted, on the host whose VMs the
// input listed as l: the terms l has, found by walking both lists in
// order, and the fleet's own terms (ids) for the others. A candidate's
// projection lists its hosts' VMs, hundreds on a dense host, nearly all
// of them l's: looking each up in the fleet's map of thousands was most
// of what converting the projection cost. Unsorted IDs get the same
// terms, only found in the map more often.
func (l idList) terms(ids map[string]*ast.Term, ss []string) []*ast.Term {
	out := make([]*ast.Term, len(ss))
	j := 0
	for i, s := range ss {
		for j < len(l.ids) && l.ids[j] < s {
			j++
		}
		if j < len(l.ids) && l.ids[j] == s {
			out[i] = l.of[j]
			continue
		}
		if t, ok := ids[s]; ok {
			out[i] = t
		} else {
			out[i] = ast.StringTerm(s)
		}
	}
	return out
}

// idsTerms returns the terms of VM IDs, with the fleet's own terms where
// it has them.
func idsTerms(ids map[string]*ast.Term, ss []string) []*ast.Term {
	return idList{}.terms(ids, ss)
}

func stringMapTerm(m map[string]string) *ast.Term {
	items := make([][2]*ast.Term, 0, len(m))
	for k, v := range m {
		items = append(items, ast.Item(ast.StringTerm(k), ast.StringTerm(v)))
	}
	return ast.ObjectTerm(items...)
}

// floatTerm formats f as encoding/json does, so numbers print the same as
// in the input's JSON form; NaN and infinities have no JSON form.
func floatTerm(f float64) (*ast.Term, error) {
	b, err := appendFloat(make([]byte, 0, 24), f)
	if err != nil {
		return nil, err
	}
	return ast.NumberTerm(json.Number(b)), nil
}

// appendFloat appends f as encoding/json writes it.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, fmt.Errorf("%v is not a finite number", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // 1e-07 → 1e-7, as encoding/json writes it
		if n := len(b); n-start >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
