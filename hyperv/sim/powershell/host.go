package powershell

// The host's data cmdlets: what package eval asks of the fleet model.

import (
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/catalog"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/eval"
)

// fleetHost answers one command's cmdlets from the fleet, as host would.
type fleetHost struct {
	fleet *model.Fleet
	host  string
	shell *Shell
}

var _ eval.Host = (*fleetHost)(nil)

// Cmdlet implements eval.Host. The FailoverClusters cmdlets exist only on
// a cluster node, as the module is installed only there.
func (h *fleetHost) Cmdlet(name string) (eval.CmdletFunc, bool) {
	var fn eval.CmdletFunc
	switch name { // a switch, not a map literal: one is looked up per command run
	case "Get-VM":
		fn = h.getVM
	case "Get-VMHost":
		fn = h.getVMHost
	case "Get-VMHardDiskDrive":
		fn = h.getVMHardDiskDrive
	case "Get-VHD":
		fn = h.getVHD
	case "Get-VMNetworkAdapter":
		fn = h.getVMNetworkAdapter
	case "Get-VMProcessor":
		fn = h.getVMProcessor
	case "Get-VMSwitch":
		fn = h.getVMSwitch
	case "Get-VMHostSupportedVersion":
		fn = h.getVMHostSupportedVersion
	case "Get-Counter":
		fn = h.getCounter
	case "Get-CimInstance":
		fn = h.getCimInstance
	case "Move-VM":
		fn = h.moveVM
	case "Compare-VM":
		fn = h.compareVM
	case "Get-Cluster":
		fn = h.getCluster
	case "New-Object":
		fn = h.newObject
	case "Move-ClusterVirtualMachineRole":
		fn = h.moveClusterVM
	default:
		return nil, false
	}
	if cm, found := cmdlets.Lookup(name); found && cm.Module == catalog.FailoverClusters {
		if cl, ok := h.fleet.HostCluster(h.host); !ok || cl == "" {
			return nil, false
		}
	}
	return fn, true
}

// state is the host now.
func (h *fleetHost) state() model.HostState {
	st, ok := h.fleet.Host(h.host)
	if !ok {
		st.Name = h.host
	}
	return st
}

// stateAndVMs is the host now and its VMs, computed once.
func (h *fleetHost) stateAndVMs() (model.HostState, []model.VMState) {
	st, vms, ok := h.fleet.HostAndVMs(h.host)
	if !ok {
		st.Name = h.host
	}
	return st, vms
}

// vmStates enum values (Microsoft.HyperV.PowerShell.VMState).
func vmState(s model.VMStateCode) eval.Enum {
	return eval.Enum{Type: "Microsoft.HyperV.PowerShell.VMState", Name: s.String(), Value: int64(s)}
}

// hostName is the name Windows spells for a host of the fleet.
func (h *fleetHost) hostName(name string) string {
	if n, ok := h.fleet.HostName(name); ok {
		return n
	}
	return name
}

// vmObject is a VirtualMachine as Get-VM writes it.
func (h *fleetHost) vmObject(v model.VMState) *eval.Object {
	id := eval.Guid(v.ID)
	return eval.NewObject("Microsoft.HyperV.PowerShell.VirtualMachine",
		eval.Prop{Name: "VMName", Value: v.Name},
		eval.Prop{Name: "VMId", Value: id},
		eval.Prop{Name: "Id", Value: id},
		eval.Prop{Name: "Name", Value: v.Name},
		eval.Prop{Name: "State", Value: vmState(v.State)},
		eval.Prop{Name: "Status", Value: v.Status},
		eval.Prop{Name: "CPUUsage", Value: int32(v.CPUUsage)},
		eval.Prop{Name: "ProcessorCount", Value: int64(v.CPUs)},
		eval.Prop{Name: "MemoryAssigned", Value: v.MemoryAssigned},
		eval.Prop{Name: "MemoryDemand", Value: v.MemoryDemand},
		eval.Prop{Name: "MemoryStartup", Value: v.MemoryStartup},
		eval.Prop{Name: "DynamicMemoryEnabled", Value: v.Dynamic},
		eval.Prop{Name: "IsClustered", Value: v.Clustered},
		eval.Prop{Name: "Uptime", Value: v.Uptime},
		eval.Prop{Name: "Notes", Value: v.Notes},
		eval.Prop{Name: "ComputerName", Value: h.hostName(v.Host)},
		eval.Prop{Name: "Path", Value: v.Path},
		eval.Prop{Name: "ConfigurationLocation", Value: v.Path},
		eval.Prop{Name: "Version", Value: v.ConfigVersion},
	)
}

// vmsOf are the VMs a cmdlet with -VMName or -VM addresses: from the
// pipeline, -VM, or by name (wildcards allowed); a name matching none is a
// non-terminating error, as Hyper-V reports it.
func (h *fleetHost) vmsOf(c *eval.Call) ([]model.VMState, error) {
	var objs []any
	if c.HasInput {
		objs = c.Input
	} else if v, ok := c.Params["VM"]; ok {
		objs = flat(v)
	}
	if objs != nil {
		ids := make([]string, 0, len(objs))
		for _, o := range objs {
			ob, ok := o.(*eval.Object)
			if !ok {
				continue
			}
			id, _ := ob.Get("Id")
			ids = append(ids, toStr(id))
		}
		return h.fleet.VMsByID(ids), nil
	}
	return h.vmsByName(c, c.Strings("VMName"))
}

// vmsByName finds VMs of this host by name patterns; none given: all.
func (h *fleetHost) vmsByName(c *eval.Call, names []string) ([]model.VMState, error) {
	all := h.fleet.VMs(h.host)
	if len(names) == 0 {
		return all, nil
	}
	var out []model.VMState
	for _, n := range names {
		found := false
		for _, v := range all {
			if eval.Wildcard(n, v.Name) {
				out = append(out, v)
				found = true
			}
		}
		if !found && !strings.ContainsAny(n, "*?[") {
			rec := c.Record("InvalidArgument", n+":String", "VirtualizationException", "InvalidParameter",
				"Hyper-V was unable to find a virtual machine with name \""+n+"\".")
			if err := c.WriteError(rec); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func flat(v any) []any {
	if a, ok := v.([]any); ok {
		return a
	}
	return []any{v}
}

func toStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case eval.Guid:
		return string(x)
	}
	return ""
}
