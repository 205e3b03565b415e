package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
)

// The decoders in this file turn the values the decision rules produce
// (already converted by OPA to encoding/json's forms, numbers as json.Number)
// into the contract's Go types, strictly: an unknown key or a wrong type is
// an error that names it, so a typo in a policy does not pass silently.

// decodeSettings decodes data.hvbalancer.config.
func decodeSettings(v any) (Settings, error) {
	var s Settings
	obj, ok := v.(map[string]any)
	if !ok {
		return s, fmt.Errorf("config is a %s, want an object", typeName(v))
	}
	known := jsonFields(reflect.TypeFor[Settings]())
	var unknown []string
	for k := range obj {
		if !slices.Contains(known, k) {
			unknown = append(unknown, fmt.Sprintf("%q", k))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return s, fmt.Errorf("config: unknown key %s (known: %s)", strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	var errs []error
	rv := reflect.ValueOf(&s).Elem()
	t := rv.Type()
	for _, k := range sortedKeys(obj) {
		if obj[k] == nil {
			continue // null leaves the configured value
		}
		if k == "reasons" {
			var err error
			if s.Reasons, err = decodeReasons(obj[k], known); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if jsonName(f) != k {
				continue
			}
			raw, _ := json.Marshal(obj[k])
			ptr := reflect.New(f.Type.Elem())
			if err := json.Unmarshal(raw, ptr.Interface()); err != nil {
				want := "a number"
				if f.Type.Elem().Kind() == reflect.Int {
					want = "an integer"
				}
				errs = append(errs, fmt.Errorf("config: %s is %s, want %s", k, describe(obj[k]), want))
				continue
			}
			rv.Field(i).Set(ptr)
		}
	}
	if len(errs) > 0 {
		return Settings{}, errors.Join(errs...)
	}
	if err := s.validate(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// decodeReasons decodes config.reasons: an object from setting keys (of
// known, "reasons" aside) to strings; a null reason is left out.
func decodeReasons(v any, known []string) (map[string]string, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("config: reasons is %s, want an object of strings by setting", describe(v))
	}
	out := make(map[string]string, len(obj))
	var errs []error
	for _, k := range sortedKeys(obj) {
		if k == "reasons" || !slices.Contains(known, k) {
			errs = append(errs, fmt.Errorf("config: reasons: %q is not a setting", k))
			continue
		}
		if obj[k] == nil {
			continue // as a null setting: nothing to say
		}
		s, ok := obj[k].(string)
		if !ok {
			errs = append(errs, fmt.Errorf("config: reasons: %s is %s, want a string", k, describe(obj[k])))
			continue
		}
		out[k] = s
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// validate checks the ranges of the settings a policy set.
func (s Settings) validate() error {
	var errs []error
	percent := func(key string, v *float64) {
		if v != nil && (*v <= 0 || *v > 100) {
			errs = append(errs, fmt.Errorf("config: %s %v is not a percentage in (0, 100]", key, *v))
		}
	}
	nonNegative := func(key string, v *float64) {
		if v != nil && *v < 0 {
			errs = append(errs, fmt.Errorf("config: %s %v is negative", key, *v))
		}
	}
	percent("cpu_high", s.CPUHigh)
	percent("memory_high", s.MemoryHigh)
	nonNegative("target_spread", s.TargetSpread)
	nonNegative("cpu_weight", s.CPUWeight)
	nonNegative("memory_weight", s.MemoryWeight)
	nonNegative("migration_cost_weight", s.MigrationCostWeight)
	if s.MaxMoves != nil && *s.MaxMoves < 0 {
		errs = append(errs, fmt.Errorf("config: max_moves %d is negative", *s.MaxMoves))
	}
	if s.Aggressiveness != nil && (*s.Aggressiveness < 1 || *s.Aggressiveness > 5) {
		errs = append(errs, fmt.Errorf("config: aggressiveness %d is not in 1..5", *s.Aggressiveness))
	}
	return errors.Join(errs...)
}

// decodeRequests decodes data.hvbalancer.requests and checks them against
// the fleet: every problem is reported, naming the entry.
func decodeRequests(v any, in *Input) ([]Request, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("requests is a %s, want a set of objects", typeName(v))
	}
	var (
		out  []Request
		errs []error
	)
	for _, item := range items {
		r, err := decodeRequest(item, in)
		if err != nil {
			raw, _ := json.Marshal(item)
			errs = append(errs, fmt.Errorf("requests: %s: %w", raw, err))
			continue
		}
		out = append(out, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(out, func(a, b Request) int {
		if a.Priority != b.Priority {
			return b.Priority - a.Priority
		}
		if c := strings.Compare(a.VM, b.VM); c != 0 {
			return c
		}
		if c := strings.Compare(a.To, b.To); c != 0 {
			return c
		}
		if c := strings.Compare(a.Reason, b.Reason); c != 0 {
			return c
		}
		return strings.Compare(a.Kind, b.Kind)
	})
	return out, nil
}

func decodeRequest(item any, in *Input) (Request, error) {
	var r Request
	obj, ok := item.(map[string]any)
	if !ok {
		return r, fmt.Errorf("is a %s, want an object", typeName(item))
	}
	var errs []error
	for _, k := range sortedKeys(obj) {
		val := obj[k]
		switch k {
		case "vm", "to", "reason", "kind":
			s, ok := val.(string)
			if !ok {
				errs = append(errs, fmt.Errorf("%s is a %s, want a string", k, typeName(val)))
				continue
			}
			switch k {
			case "vm":
				r.VM = s
			case "to":
				r.To = s
			case "kind":
				r.Kind = s
			default:
				r.Reason = s
			}
		case "priority":
			n, ok := val.(json.Number)
			i, err := n.Int64()
			if !ok || err != nil || i < math.MinInt32 || i > math.MaxInt32 {
				errs = append(errs, fmt.Errorf("priority is %s, want an integer", describe(val)))
				continue
			}
			r.Priority = int(i)
		default:
			errs = append(errs, fmt.Errorf("unknown key %q (known: vm, to, reason, priority, kind)", k))
		}
	}
	switch _, found := in.Fleet.VMs[r.VM]; {
	case r.VM == "":
		errs = append(errs, errors.New("no vm"))
	case !found:
		errs = append(errs, fmt.Errorf("vm %q is not a VM in the fleet", r.VM))
	}
	if _, found := in.Fleet.Hosts[r.To]; r.To != "" && !found {
		errs = append(errs, fmt.Errorf("to %q is not a host in the fleet", r.To))
	}
	if r.Reason == "" {
		errs = append(errs, errors.New("no reason"))
	}
	if len(errs) == 0 {
		return r, nil
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return r, errors.New(strings.Join(msgs, "; "))
}

// decodeStrings decodes a set of strings (frozen, deny).
func decodeStrings(rule string, v any) ([]string, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s is a %s, want a set of strings", rule, typeName(v))
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		s, ok := item.(string)
		if !ok {
			return nil, fmt.Errorf("%s holds %s, want strings only", rule, describe(item))
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// decodeHeld decodes data.hvbalancer.held: an object of VM IDs, each an
// object of rule names to reasons (strings). A VM held by no rule is left
// out; a VM not in the fleet is kept (it holds nothing the planner moves).
func decodeHeld(v any) (map[string][]Hold, error) {
	vms, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("held is %s, want an object of VM IDs to objects of rule names to reasons", describe(v))
	}
	out := make(map[string][]Hold, len(vms))
	var errs []error
	for id, rules := range vms {
		byRule, ok := rules.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("held[%q] is %s, want an object of rule names to reasons", id, describe(rules)))
			continue
		}
		for rule, reason := range byRule {
			s, ok := reason.(string)
			if !ok || s == "" || rule == "" {
				errs = append(errs, fmt.Errorf("held[%q][%q] is %s, want a rule named and a reason (a string)", id, rule, describe(reason)))
				continue
			}
			out[id] = append(out[id], Hold{Rule: rule, Reason: s})
		}
		slices.SortFunc(out[id], func(a, b Hold) int { return strings.Compare(a.Rule, b.Rule) })
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// decodePenalty decodes data.hvbalancer.penalty: a finite number, not
// negative (a penalty is a cost; prefer a move by penalizing the others).
func decodePenalty(v any) (float64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("penalty is %s, want a number", describe(v))
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) {
		return 0, fmt.Errorf("penalty %s is not a finite number", n)
	}
	if f < 0 {
		return 0, fmt.Errorf("penalty %s is negative", n)
	}
	return f, nil
}

// describe names a value for an error: its type, and the value if short.
func describe(v any) string {
	raw, err := json.Marshal(v)
	if err != nil || len(raw) > 40 {
		return "a " + typeName(v)
	}
	return fmt.Sprintf("the %s %s", typeName(v), raw)
}

// jsonFields lists the JSON names of a struct's fields, in order.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if name := jsonName(t.Field(i)); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		return f.Name
	}
	return name
}
