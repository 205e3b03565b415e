package hyperv

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sampleJSON is one Get-Counter sample as get-counters prints it.
type sampleJSON struct {
	Path         string
	InstanceName string
	CookedValue  psFloat
	Timestamp    psDate
}

// Counter objects and names as Get-Counter prints them (lower-case).
const (
	objLogicalProcessor = "hyper-v hypervisor logical processor"
	objVirtualProcessor = "hyper-v hypervisor virtual processor"
	objMemory           = "memory"
	objDynamicMemory    = "hyper-v dynamic memory vm"
	vpSeparator         = ":hv vp "
	totalInstance       = "_total"
)

// parseCounters decodes get-counters output and groups the samples.
func parseCounters(out []byte) (Counters, error) {
	samples, err := decodeList[sampleJSON](ScriptGetCounters, out)
	if err != nil {
		return Counters{}, err
	}
	return groupCounters(samples)
}

type vpSample struct {
	index int
	value float64
}

// groupCounters turns samples into Counters: the host's CPU and free
// memory, and per VM name its virtual processors (by index) and memory
// pressure. VMs that share a name share an entry: their processors are all
// listed and the highest pressure is kept.
func groupCounters(samples []sampleJSON) (Counters, error) {
	c := Counters{VMs: map[string]VMCounters{}}
	var haveCPU, haveMem bool
	vps := map[string][]vpSample{}
	for _, s := range samples {
		obj, counter, inst := splitCounterPath(s.Path)
		if s.InstanceName != "" {
			inst = strings.ToLower(s.InstanceName)
		}
		v := float64(s.CookedValue)
		if t := time.Time(s.Timestamp); t.After(c.Time) {
			c.Time = t
		}
		switch {
		case obj == objLogicalProcessor && counter == "% total run time" && inst == totalInstance:
			if !finite(v) {
				return Counters{}, counterError("host cpu sample %v", v)
			}
			c.HostCPUPercent, haveCPU = v, true
		case obj == objMemory && counter == "available mbytes":
			if !finite(v) || v < 0 || v > math.MaxInt64/(1<<20) {
				return Counters{}, counterError("available memory sample %v", v)
			}
			c.AvailableMemory, haveMem = int64(v*(1<<20)), true
		case obj == objVirtualProcessor && counter == "% guest run time" && inst != totalInstance:
			i := strings.LastIndex(inst, vpSeparator)
			if i < 0 || !finite(v) {
				continue
			}
			n, err := strconv.Atoi(inst[i+len(vpSeparator):])
			if err != nil || n < 0 {
				continue
			}
			name := inst[:i]
			vps[name] = append(vps[name], vpSample{n, v})
		case obj == objDynamicMemory && counter == "average pressure" && inst != totalInstance && inst != "":
			if !finite(v) {
				continue
			}
			vc := c.VMs[inst]
			if !vc.HasPressure || v > vc.MemoryPressure {
				vc.MemoryPressure, vc.HasPressure = v, true
			}
			c.VMs[inst] = vc
		}
	}
	if !haveCPU {
		return Counters{}, counterError("no %s(_total) sample", objLogicalProcessor)
	}
	if !haveMem {
		return Counters{}, counterError("no available memory sample")
	}
	for name, list := range vps {
		slices.SortStableFunc(list, func(a, b vpSample) int { return cmp.Compare(a.index, b.index) })
		vc := c.VMs[name]
		vc.CPUPercent = make([]float64, len(list))
		var sum float64
		for i, s := range list {
			vc.CPUPercent[i] = s.value
			sum += s.value
		}
		vc.MeanCPUPercent = sum / float64(len(list))
		c.VMs[name] = vc
	}
	return c, nil
}

func counterError(format string, args ...any) error {
	return fmt.Errorf("parse %s output: %s: %w", ScriptGetCounters, fmt.Sprintf(format, args...), ErrUnexpectedOutput)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// splitCounterPath splits `\\host\object(instance)\counter` into its
// lower-case object, counter and instance ("" when there is none).
func splitCounterPath(path string) (object, counter, instance string) {
	p := strings.ToLower(path)
	if strings.HasPrefix(p, `\\`) {
		i := strings.IndexByte(p[2:], '\\')
		if i < 0 {
			return "", "", ""
		}
		p = p[2+i:]
	}
	p = strings.TrimPrefix(p, `\`)
	i := strings.LastIndexByte(p, '\\')
	if i < 0 {
		return "", "", ""
	}
	object, counter = p[:i], p[i+1:]
	if open := strings.IndexByte(object, '('); open >= 0 {
		if end := strings.LastIndexByte(object, ')'); end > open {
			instance = object[open+1 : end]
		}
		object = object[:open]
	}
	return object, counter, instance
}
