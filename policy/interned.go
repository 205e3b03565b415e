package policy

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
)

// keyTerms build the terms of one conversion (one goroutine's share of
// it): the input's object keys, made once and shared by every object that
// has them, and the values that repeat across thousands of hosts and VMs:
// strings (host names, states, Notes, configuration versions, storage
// kinds, switch names, empty strings), lists of them (a VM's switches),
// tag sets ({"role": "web"}) and whole numbers. OPA never changes a value
// it evaluates, so one term serves every VM that has it. The terms it
// makes come from slabs, a block of them at a time rather than one
// allocation each: a fleet of 8,000 VMs is about a quarter of a million
// terms, and allocating and then marking each on its own was much of what
// a session's start cost.
type keyTerms struct {
	key     *inputKeys // shared by the goroutines of one conversion; read only
	strings map[string]*ast.Term
	lists   map[string]*ast.Term // by listKey
	tags    map[string]*ast.Term // by listKey of key, value, key, value ...
	ints    map[int64]*ast.Term  // sizes and counts: 8 GiB, 4 CPUs
	slab    []ast.Term           // the terms not yet handed out
	buf     []byte               // scratch for lookup keys and numbers
}

// slabTerms is how many terms a slab holds.
const slabTerms = 1024

func newKeyTerms(key *inputKeys) *keyTerms {
	return &keyTerms{key: key, strings: map[string]*ast.Term{}, lists: map[string]*ast.Term{},
		tags: map[string]*ast.Term{}, ints: map[int64]*ast.Term{}}
}

// term returns a new term of v from the slab.
func (k *keyTerms) term(v ast.Value) *ast.Term {
	if len(k.slab) == 0 {
		k.slab = make([]ast.Term, slabTerms)
	}
	t := &k.slab[0]
	k.slab = k.slab[1:]
	t.Value = v
	return t
}

// object returns a new object term of items.
func (k *keyTerms) object(items ...[2]*ast.Term) *ast.Term {
	return k.term(ast.NewObject(items...))
}

// str returns the string term of s, made once per conversion.
func (k *keyTerms) str(s string) *ast.Term {
	t, ok := k.strings[s]
	if !ok {
		t = k.term(ast.String(s))
		k.strings[s] = t
	}
	return t
}

// strs converts a list of strings, made once per conversion.
func (k *keyTerms) strs(ss []string) *ast.Term {
	b := k.buf[:0]
	for _, s := range ss {
		b = appendListKey(b, s)
	}
	k.buf = b
	if t, ok := k.lists[string(b)]; ok { // no allocation to look up
		return t
	}
	key := string(b)
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = k.str(s)
	}
	t := k.term(ast.NewArray(terms...))
	k.lists[key] = t
	return t
}

// tagsTerm converts a map of strings (a VM's tags), made once per
// conversion for each content.
func (k *keyTerms) tagsTerm(m map[string]string) *ast.Term {
	var small [8]string
	keys := small[:0]
	for key := range m {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	b := k.buf[:0]
	for _, key := range keys {
		b = appendListKey(appendListKey(b, key), m[key])
	}
	k.buf = b
	if t, ok := k.tags[string(b)]; ok {
		return t
	}
	lookup := string(b)
	items := make([][2]*ast.Term, len(keys))
	for i, key := range keys {
		items[i] = ast.Item(k.str(key), k.str(m[key]))
	}
	t := k.object(items...)
	k.tags[lookup] = t
	return t
}

// int converts a whole number, made once per conversion.
func (k *keyTerms) int(i int64) *ast.Term {
	t, ok := k.ints[i]
	if !ok {
		t = k.term(ast.Number(strconv.FormatInt(i, 10)))
		k.ints[i] = t
	}
	return t
}

// float converts f as floatTerm does, with the term from the slab.
func (k *keyTerms) float(f float64) (*ast.Term, error) {
	b, err := appendFloat(k.buf[:0], f)
	k.buf = b
	if err != nil {
		return nil, err
	}
	return k.term(ast.Number(b)), nil
}

// appendListKey appends s length-prefixed, so that different lists never
// share a key.
func appendListKey(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// intTerm converts a whole number.
func intTerm(i int64) *ast.Term {
	return ast.NumberTerm(json.Number(strconv.FormatInt(i, 10)))
}

// inputKeys are the input's object keys as terms, made once per
// conversion: looking each up by name for every object was a tenth of a
// VM's conversion.
type inputKeys struct {
	// the fleet and its hosts
	hosts, vms, vmsByTag, name, cluster, group, labels, health, maintenance, capacity, cpus,
	memoryBytes, cpu, memory, processorVendor, processorModel, configVersions,
	switches, vmPath, vhdPath, volumes, path, kind, sizeBytes, freeBytes *ast.Term
	// its VMs
	host, state, clustered, notes, tags, lastMigration, configVersion,
	processorCompatibility, storage, storageBytes, mean, p95, demand *ast.Term
	// the history
	moves, failures, movesByVM *ast.Term
}

func newInputKeys() *inputKeys {
	k := &inputKeys{}
	for _, f := range []struct {
		t   **ast.Term
		key string
	}{
		{&k.hosts, "hosts"}, {&k.vms, "vms"}, {&k.vmsByTag, "vms_by_tag"}, {&k.name, "name"}, {&k.cluster, "cluster"}, {&k.group, "group"},
		{&k.labels, "labels"}, {&k.health, "health"}, {&k.maintenance, "maintenance"}, {&k.capacity, "capacity"},
		{&k.cpus, "cpus"}, {&k.memoryBytes, "memory_bytes"}, {&k.cpu, "cpu"}, {&k.memory, "memory"},
		{&k.processorVendor, "processor_vendor"}, {&k.processorModel, "processor_model"},
		{&k.configVersions, "config_versions"}, {&k.switches, "switches"}, {&k.vmPath, "vm_path"},
		{&k.vhdPath, "vhd_path"}, {&k.volumes, "volumes"}, {&k.path, "path"}, {&k.kind, "kind"},
		{&k.sizeBytes, "size_bytes"}, {&k.freeBytes, "free_bytes"},
		{&k.host, "host"}, {&k.state, "state"}, {&k.clustered, "clustered"}, {&k.notes, "notes"}, {&k.tags, "tags"},
		{&k.lastMigration, "last_migration"}, {&k.configVersion, "config_version"},
		{&k.processorCompatibility, "processor_compatibility"}, {&k.storage, "storage"},
		{&k.storageBytes, "storage_bytes"}, {&k.mean, "mean"}, {&k.p95, "p95"}, {&k.demand, "demand"},
		{&k.moves, "moves"}, {&k.failures, "failures"}, {&k.movesByVM, "moves_by_vm"},
	} {
		*f.t = ast.StringTerm(f.key)
	}
	return k
}
