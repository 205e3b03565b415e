package powershell

// Get-CimInstance over the fleet model: Win32_Processor, Win32_Volume and
// the raw performance classes a language-independent sampler reads.
// Raw counters are cumulative (PERF_100NSEC_TIMER: 100 ns ticks busy; a
// virtual processor's CPUWaitTimePerDispatch, ns waited, over its base,
// dispatches) and integrated over simulated time from each host's rates,
// so two reads a sample interval apart give the rate the model reports.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/eval"
)

// perfState integrates one host's raw counters.
type perfState struct {
	mu   sync.Mutex
	last time.Time
	lp   float64          // busy ticks of each logical processor
	vp   map[string]vpRaw // by VP instance name
}

// vpRaw is one virtual processor's cumulative counters: guest run time
// (100 ns ticks), CPUWaitTimePerDispatch (ns waited) and its base
// (dispatches).
type vpRaw struct{ guest, wait, dispatches float64 }

// bootUptime is how long a host had been up when the simulator first read
// its counters: the raw values start from that much busy time.
const bootUptime = 240 * time.Hour

// advance integrates the counters to now at the host's current rates
// and returns them: the logical processors' busy ticks, and with withVP
// a copy of the virtual processors' counters (nil without).
func (p *perfState) advance(now time.Time, st model.HostState, vms []model.VMState, withVP bool) (lp float64, vp map[string]vpRaw) {
	p.mu.Lock()
	defer p.mu.Unlock()
	dt := float64(bootUptime / 100)
	if p.vp == nil {
		p.vp = map[string]vpRaw{}
	} else {
		dt = float64(now.Sub(p.last) / 100)
	}
	if dt < 0 {
		dt = 0
	}
	p.last = now
	p.lp += st.CPUPercent / 100 * dt
	for _, v := range vms {
		if v.State != model.VMRunning {
			continue
		}
		for i, g := range v.GuestRunTime {
			name := vpName(v.Name, i)
			r := p.vp[name]
			r.guest += g / 100 * dt
			if i < len(v.Dispatches) && i < len(v.WaitPerDispatch) {
				n := v.Dispatches[i] * dt / 1e7
				r.dispatches += n
				r.wait += n * v.WaitPerDispatch[i]
			}
			p.vp[name] = r
		}
	}
	if !withVP {
		return p.lp, nil
	}
	out := make(map[string]vpRaw, len(p.vp))
	for k, x := range p.vp {
		out[k] = x
	}
	return p.lp, out
}

// vpName is the instance name of VM vm's virtual processor i.
func vpName(vm string, i int) string { return vm + ":Hv VP " + strconv.Itoa(i) }

// cimClass builds the instances of one class.
type cimClass func(h *fleetHost, now time.Time) []*eval.Object

var cimClasses = map[string]cimClass{
	"win32_processor": func(h *fleetHost, _ time.Time) []*eval.Object {
		st := h.state()
		return []*eval.Object{cim("Win32_Processor", "DeviceID", "CPU0", "Caption", st.ProcessorModel, "Manufacturer", st.ProcessorVendor,
			"NumberOfLogicalProcessors", int64(st.LogicalProcessors))}
	},
	"win32_volume": func(h *fleetHost, _ time.Time) []*eval.Object {
		var out []*eval.Object
		for _, v := range h.state().Volumes {
			// Win32_Volume lists the host's own volumes and the CSV mount
			// points (CSVFS); SMB shares are no volumes of it. Names end in '\'.
			if v.Kind == model.StorageLocal || v.Kind == model.StorageCSV {
				name := v.Path
				if !strings.HasSuffix(name, `\`) {
					name += `\`
				}
				out = append(out, cim("Win32_Volume", "Name", name, "Capacity", v.Size, "FreeSpace", v.Free))
			}
		}
		return out
	},
	"win32_perfrawdata_hvstats_hypervhypervisorlogicalprocessor": func(h *fleetHost, now time.Time) []*eval.Object {
		st, vms := h.stateAndVMs()
		lp, _ := h.shell.perf.advance(now, st, vms, false)
		ts := fileTime(now)
		out := make([]*eval.Object, 0, st.LogicalProcessors+1)
		for i := 0; i < st.LogicalProcessors; i++ {
			out = append(out, cim("Win32_PerfRawData_HvStats_HyperVHypervisorLogicalProcessor", "Name", "Hv LP "+strconv.Itoa(i),
				"PercentTotalRunTime", int64(lp), "Timestamp_Sys100NS", ts, "Frequency_Sys100NS", int64(10000000)))
		}
		return append(out, cim("Win32_PerfRawData_HvStats_HyperVHypervisorLogicalProcessor", "Name", "_Total",
			"PercentTotalRunTime", int64(lp)*int64(st.LogicalProcessors), "Timestamp_Sys100NS", ts, "Frequency_Sys100NS", int64(10000000)))
	},
	"win32_perfrawdata_hvstats_hypervhypervisorvirtualprocessor": func(h *fleetHost, now time.Time) []*eval.Object {
		st, vms := h.stateAndVMs()
		_, vp := h.shell.perf.advance(now, st, vms, true)
		ts := fileTime(now)
		var out []*eval.Object
		var total struct{ guest, wait, dispatches int64 }
		for _, v := range vms {
			if v.State != model.VMRunning {
				continue
			}
			for i := range v.GuestRunTime {
				name := vpName(v.Name, i)
				r := vp[name]
				total.guest += int64(r.guest)
				total.wait += int64(r.wait)
				total.dispatches += int64(r.dispatches)
				out = append(out, cim("Win32_PerfRawData_HvStats_HyperVHypervisorVirtualProcessor", "Name", name,
					"PercentGuestRunTime", int64(r.guest), "CPUWaitTimePerDispatch", int64(r.wait), "CPUWaitTimePerDispatch_Base", int64(r.dispatches),
					"Timestamp_Sys100NS", ts, "Frequency_Sys100NS", int64(10000000)))
			}
		}
		return append(out, cim("Win32_PerfRawData_HvStats_HyperVHypervisorVirtualProcessor", "Name", "_Total",
			"PercentGuestRunTime", total.guest, "CPUWaitTimePerDispatch", total.wait, "CPUWaitTimePerDispatch_Base", total.dispatches,
			"Timestamp_Sys100NS", ts, "Frequency_Sys100NS", int64(10000000)))
	},
	"win32_perfrawdata_perfos_memory": func(h *fleetHost, now time.Time) []*eval.Object {
		return []*eval.Object{cim("Win32_PerfRawData_PerfOS_Memory", "AvailableMBytes", h.state().AvailableMBytes, "Timestamp_Sys100NS", fileTime(now))}
	},
	"win32_perfrawdata_balancerstats_hypervdynamicmemoryvm": func(h *fleetHost, now time.Time) []*eval.Object {
		var out []*eval.Object
		for _, v := range h.fleet.VMs(h.host) {
			if v.State == model.VMRunning && v.Dynamic {
				out = append(out, cim("Win32_PerfRawData_BalancerStats_HyperVDynamicMemoryVM", "Name", v.Name,
					"AveragePressure", int64(v.MemoryPressure), "Timestamp_Sys100NS", fileTime(now)))
			}
		}
		return out
	},
}

// cim builds a CIM instance of class with name/value pairs.
func cim(class string, kv ...any) *eval.Object {
	o := &eval.Object{TypeNames: []string{"Microsoft.Management.Infrastructure.CimInstance#root/cimv2/" + class, "Microsoft.Management.Infrastructure.CimInstance", "System.Object"},
		Props: make([]eval.Prop, 0, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		o.Props = append(o.Props, eval.Prop{Name: kv[i].(string), Value: kv[i+1]})
	}
	o.Text = class
	return o
}

// filterRe reads the WQL filters Get-CimInstance -Filter takes here:
// Property = 'value' (or "value").
var filterRe = regexp.MustCompile(`(?i)^\s*(\w+)\s*=\s*['"]([^'"]*)['"]\s*$`)

func (h *fleetHost) getCimInstance(c *eval.Call) error {
	ns := strings.ToLower(strings.ReplaceAll(c.String("Namespace"), "/", `\`))
	if ns != "" && ns != `root\cimv2` {
		return c.WriteError(c.Record("MetadataError", c.String("Namespace")+":String", "CimException", "HRESULT 0x8004100e", "Invalid namespace "))
	}
	class := c.String("ClassName")
	if q := c.String("Query"); q != "" {
		m := regexp.MustCompile(`(?i)^\s*select\s+\*\s+from\s+(\w+)\s*$`).FindStringSubmatch(q)
		if m == nil {
			return c.WriteError(c.Record("InvalidArgument", ":", "CimException", "HRESULT 0x80041017", "Invalid query "))
		}
		class = m[1]
	}
	build, ok := cimClasses[strings.ToLower(class)]
	if fl, err := h.fleet.Faults(h.host); ok && err == nil && fl.PerfCountersMissing && strings.HasPrefix(strings.ToLower(class), "win32_perfrawdata_") {
		ok = false
	}
	if !ok {
		return c.WriteError(c.Record("ObjectNotFound", `root\cimv2:`+class+":String", "CimException", "HRESULT 0x80041010", "Invalid class "))
	}
	var prop, value string
	if f := c.String("Filter"); f != "" {
		m := filterRe.FindStringSubmatch(f)
		if m == nil {
			return c.WriteError(c.Record("InvalidArgument", ":", "CimException", "HRESULT 0x80041017", "Invalid query "))
		}
		prop, value = m[1], m[2]
	}
	keep := c.Strings("Property")
	for _, o := range build(h, h.fleet.Clock().Now()) {
		if prop != "" {
			v, _ := o.Get(prop)
			if !strings.EqualFold(fmt.Sprint(v), value) {
				continue
			}
		}
		if len(keep) > 0 {
			for i, p := range o.Props {
				wanted := false
				for _, k := range keep {
					wanted = wanted || eval.Wildcard(k, p.Name)
				}
				if !wanted {
					o.Props[i].Value = nil
				}
			}
		}
		c.Out(o)
	}
	return nil
}
