package powershell

// Get-Counter over the fleet model, with the counter names of the host's
// display language: Windows resolves counter paths in its own language
// only, so an English path on a German host is "not found" (a
// non-terminating error, silent under -ErrorAction SilentlyContinue).

import (
	"fmt"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/eval"
)

// counterSet is one localized counter: its object and counter names.
type counterSet struct{ object, counter string }

// Counter identities the host serves.
const (
	ctrLP = iota
	ctrVP
	ctrMemory
	ctrPressure
	ctrWait
)

// counterNames are the counters' names per display language. The German
// names are those of a de-DE Windows Server's perfmon; they are the least
// certain data here (no public reference lists them all), and no public
// reference gives the German name of CPU Wait Time Per Dispatch, so a
// German host does not serve it here (the client reads the CIM raw
// class, whose names are never translated).
var counterNames = map[string][5]counterSet{
	"en-US": {
		{"Hyper-V Hypervisor Logical Processor", "% Total Run Time"},
		{"Hyper-V Hypervisor Virtual Processor", "% Guest Run Time"},
		{"Memory", "Available MBytes"},
		{"Hyper-V Dynamic Memory VM", "Average Pressure"},
		{"Hyper-V Hypervisor Virtual Processor", "CPU Wait Time Per Dispatch"},
	},
	"de-DE": {
		{"Hyper-V-Hypervisor - logischer Prozessor", "% Gesamtausführungszeit"},
		{"Hyper-V-Hypervisor - virtueller Prozessor", "% Gastausführungszeit"},
		{"Arbeitsspeicher", "Verfügbare MB"},
		{"Hyper-V - dynamischer Arbeitsspeicher (VM)", "Durchschnittlicher Druck"},
		{},
	},
}

// sample is one counter value.
type sample struct {
	kind     int
	instance string
	value    float64
}

// samples reads every counter of the host now, in the order Windows
// enumerates them.
func (h *fleetHost) samples(st model.HostState) []sample {
	out := []sample{{ctrLP, "_total", st.CPUPercent}}
	var vpTotal, waited, dispatches float64
	var vpCount int
	var pressure, wait []sample
	for _, v := range h.fleet.VMs(h.host) {
		if v.State != model.VMRunning {
			continue
		}
		name := strings.ToLower(v.Name)
		for i, g := range v.GuestRunTime {
			out = append(out, sample{ctrVP, fmt.Sprintf("%s:hv vp %d", name, i), g})
			vpTotal += g
			vpCount++
			if i < len(v.WaitPerDispatch) && i < len(v.Dispatches) {
				wait = append(wait, sample{ctrWait, fmt.Sprintf("%s:hv vp %d", name, i), v.WaitPerDispatch[i]})
				waited += v.WaitPerDispatch[i] * v.Dispatches[i]
				dispatches += v.Dispatches[i]
			}
		}
		if v.Dynamic {
			pressure = append(pressure, sample{ctrPressure, name, float64(v.MemoryPressure)})
		}
	}
	if vpCount > 0 {
		out = append(out, sample{ctrVP, "_total", vpTotal / float64(vpCount)})
	}
	if len(wait) > 0 { // an average counter's _Total: all the waits over all the dispatches
		total := 0.0
		if dispatches > 0 {
			total = waited / dispatches
		}
		out = append(append(out, wait...), sample{ctrWait, "_total", total})
	}
	out = append(out, sample{ctrMemory, "", float64(st.AvailableMBytes)})
	return append(out, pressure...)
}

// parsePath splits \Object(Instance)\Counter, an optional \\computer
// prefix removed.
func parsePath(p string) (object, instance, counter string, hasInstance, ok bool) {
	p = strings.TrimSpace(p)
	if strings.HasPrefix(p, `\\`) {
		if i := strings.Index(p[2:], `\`); i >= 0 {
			p = p[2+i:]
		}
	}
	if !strings.HasPrefix(p, `\`) {
		return "", "", "", false, false
	}
	i := strings.LastIndex(p, `\`)
	if i <= 0 {
		return "", "", "", false, false
	}
	object, counter = p[1:i], p[i+1:]
	if j := strings.LastIndex(object, "("); j >= 0 && strings.HasSuffix(object, ")") {
		instance, hasInstance = object[j+1:len(object)-1], true
		object = object[:j]
	}
	return object, instance, counter, hasInstance, true
}

func (h *fleetHost) getCounter(c *eval.Call) error {
	interval := int64(1)
	if v, ok := c.Params["SampleInterval"].(int64); ok {
		interval = v
	}
	if interval < 1 {
		return c.Fail(&eval.ErrorRecord{Command: "Get-Counter", Message: []string{fmt.Sprintf("Cannot validate argument on parameter 'SampleInterval'. The %d argument is less than the minimum allowed range of 1. Supply an argument that is greater than or equal to 1 and then try the command again.", interval)},
			Category: "InvalidData: (:) [Get-Counter], ParameterBindingValidationException", ErrorID: "ParameterArgumentValidationError,Microsoft.PowerShell.Commands.GetCounterCommand", Pos: c.Pos, Len: c.NameLen})
	}
	maxSamples := int64(1)
	if v, ok := c.Params["MaxSamples"].(int64); ok {
		maxSamples = v
	}
	st := h.state()
	names, ok := counterNames[st.Language]
	if !ok {
		names = counterNames["en-US"]
	}
	paths := c.Strings("Counter")
	if len(paths) == 0 {
		paths = []string{`\` + names[ctrLP].object + `(_Total)\` + names[ctrLP].counter}
	}
	type want struct {
		kind     int
		instance string
	}
	var wants []want
	for _, p := range paths {
		object, instance, counter, _, ok := parsePath(p)
		kind := -1
		for k, n := range names {
			if ok && n.object != "" && strings.EqualFold(n.object, object) && strings.EqualFold(n.counter, counter) {
				kind = k
			}
		}
		if kind < 0 {
			rec := c.Record("InvalidResult", ":", "Exception", "CounterApiError", "The specified object was not found on the computer.")
			if err := c.WriteError(rec); err != nil {
				return err
			}
			continue
		}
		wants = append(wants, want{kind, strings.ToLower(instance)})
	}
	if len(wants) == 0 {
		return nil
	}
	for n := int64(0); n < maxSamples || c.Has("Continuous"); n++ {
		// Get-Counter takes two readings SampleInterval apart for its rates.
		select {
		case <-h.fleet.Clock().After(time.Duration(interval) * time.Second):
		case <-c.Ctx().Done():
			return c.Ctx().Err()
		}
		st = h.state()
		now := h.fleet.Clock().Now()
		prefix := `\\` + strings.ToLower(st.Name) + `\`
		var rows []any
		for _, w := range wants {
			for _, s := range h.samples(st) {
				if s.kind != w.kind || (w.instance != "*" && w.instance != s.instance && !eval.Wildcard(w.instance, s.instance)) {
					continue
				}
				path := prefix + strings.ToLower(names[s.kind].object)
				if s.kind != ctrMemory {
					path += "(" + s.instance + ")"
				}
				rows = append(rows, eval.NewObject("Microsoft.PowerShell.Commands.GetCounter.PerformanceCounterSample",
					eval.Prop{Name: "Path", Value: path + `\` + strings.ToLower(names[s.kind].counter)},
					eval.Prop{Name: "InstanceName", Value: s.instance},
					eval.Prop{Name: "CookedValue", Value: s.value},
					eval.Prop{Name: "Timestamp", Value: now},
					eval.Prop{Name: "Timestamp100NSec", Value: fileTime(now)},
					eval.Prop{Name: "Status", Value: int64(0)},
				))
			}
		}
		c.Out(eval.NewObject("Microsoft.PowerShell.Commands.GetCounter.PerformanceCounterSampleSet",
			eval.Prop{Name: "Timestamp", Value: now},
			eval.Prop{Name: "Timestamp100NSec", Value: fileTime(now)},
			eval.Prop{Name: "CounterSamples", Value: rows},
		))
	}
	return nil
}

// fileTime is t in 100-nanosecond ticks since 1601-01-01 (FILETIME), as
// performance counters time-stamp samples.
func fileTime(t time.Time) int64 {
	const epochDiff = 116444736000000000 // 1601→1970 in 100 ns ticks
	return t.UnixNano()/100 + epochDiff
}
