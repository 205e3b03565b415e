package powershell

// The Hyper-V module's read cmdlets over the fleet model.

import (
	"path"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/eval"
)

func (h *fleetHost) getVM(c *eval.Call) error {
	if id, ok := c.Params["Id"].(eval.Guid); ok {
		v, found := h.fleet.VM(string(id))
		if !found || !strings.EqualFold(v.Host, h.host) {
			me := model.VMNotFound(string(id))
			return c.WriteError(&eval.ErrorRecord{Command: me.Command, Message: me.Lines(), Category: me.Category, ErrorID: me.ErrorID, Pos: c.Pos, Len: c.NameLen})
		}
		c.Out(h.vmObject(v))
		return nil
	}
	vms, err := h.vmsByName(c, c.Strings("Name"))
	for _, v := range vms {
		c.Out(h.vmObject(v))
	}
	return err
}

func (h *fleetHost) getVMHost(c *eval.Call) error {
	st := h.state()
	c.Out(eval.NewObject("Microsoft.HyperV.PowerShell.VMHost",
		eval.Prop{Name: "ComputerName", Value: st.Name},
		eval.Prop{Name: "Name", Value: st.Name},
		eval.Prop{Name: "FullyQualifiedDomainName", Value: st.FQDN},
		eval.Prop{Name: "LogicalProcessorCount", Value: int32(st.LogicalProcessors)},
		eval.Prop{Name: "MemoryCapacity", Value: st.MemoryCapacity},
		eval.Prop{Name: "VirtualMachineMigrationEnabled", Value: st.MigrationEnabled},
		eval.Prop{Name: "MaximumVirtualMachineMigrations", Value: int32(st.MaxMigrations)},
		eval.Prop{Name: "VirtualMachineMigrationAuthenticationType", Value: enumOf("Microsoft.HyperV.PowerShell.MigrationAuthenticationType", st.AuthType, "CredSSP", "Kerberos")},
		eval.Prop{Name: "VirtualMachineMigrationPerformanceOption", Value: enumOf("Microsoft.HyperV.PowerShell.VMMigrationPerformance", st.PerformanceOption, "TCPIP", "Compression", "SMB")},
		eval.Prop{Name: "VirtualMachinePath", Value: st.VMPath},
		eval.Prop{Name: "VirtualHardDiskPath", Value: st.VHDPath},
	))
	return nil
}

// enumOf is value of an enum whose names are listed from 0.
func enumOf(typ string, value int, names ...string) eval.Enum {
	name := ""
	if value >= 0 && value < len(names) {
		name = names[value]
	}
	return eval.Enum{Type: typ, Name: name, Value: int64(value)}
}

// attached returns the disk files of v its drives are attached to: each
// chain's last file (a VM without checkpoints: every .vhdx).
func attached(v model.VMState) []model.Disk {
	parents := map[string]bool{}
	for _, d := range v.Disks {
		if d.ParentPath != "" {
			parents[strings.ToLower(d.ParentPath)] = true
		}
	}
	var out []model.Disk
	for _, d := range v.Disks {
		if !parents[strings.ToLower(d.Path)] {
			out = append(out, d)
		}
	}
	return out
}

func (h *fleetHost) getVMHardDiskDrive(c *eval.Call) error {
	vms, err := h.vmsOf(c)
	for _, v := range vms {
		for _, d := range attached(v) {
			c.Out(eval.NewObject("Microsoft.HyperV.PowerShell.HardDiskDrive",
				eval.Prop{Name: "Path", Value: d.Path},
				eval.Prop{Name: "VMName", Value: v.Name},
				eval.Prop{Name: "VMId", Value: eval.Guid(v.ID)},
				eval.Prop{Name: "ComputerName", Value: h.hostName(v.Host)},
				eval.Prop{Name: "IsDeleted", Value: false},
			))
		}
	}
	return err
}

// vhdObject is a VirtualHardDisk as Get-VHD writes it.
func (h *fleetHost) vhdObject(v model.VMState, d model.Disk) *eval.Object {
	format := enumOf("Microsoft.Vhd.PowerShell.VhdFormat", 3, "Unknown", "ISO", "VHD", "VHDX")
	if strings.EqualFold(path.Ext(strings.ReplaceAll(d.Path, `\`, "/")), ".vhd") {
		format = enumOf("Microsoft.Vhd.PowerShell.VhdFormat", 2, "Unknown", "ISO", "VHD", "VHDX")
	}
	typ := enumOf("Microsoft.Vhd.PowerShell.VhdType", 2, "Unknown", "None", "Fixed", "Dynamic", "Differencing")
	switch {
	case d.ParentPath != "":
		typ = enumOf("Microsoft.Vhd.PowerShell.VhdType", 4, "Unknown", "None", "Fixed", "Dynamic", "Differencing")
	case d.FileSize < d.Size:
		typ = enumOf("Microsoft.Vhd.PowerShell.VhdType", 3, "Unknown", "None", "Fixed", "Dynamic", "Differencing")
	}
	return eval.NewObject("Microsoft.Vhd.PowerShell.VirtualHardDisk",
		eval.Prop{Name: "ComputerName", Value: h.hostName(h.host)},
		eval.Prop{Name: "Path", Value: d.Path},
		eval.Prop{Name: "VhdFormat", Value: format},
		eval.Prop{Name: "VhdType", Value: typ},
		eval.Prop{Name: "FileSize", Value: d.FileSize},
		eval.Prop{Name: "Size", Value: d.Size},
		eval.Prop{Name: "ParentPath", Value: d.ParentPath},
		eval.Prop{Name: "Attached", Value: v.State == model.VMRunning},
	)
}

func (h *fleetHost) getVHD(c *eval.Call) error {
	vms := h.fleet.VMs(h.host)
	if ids, ok := c.Params["VMId"].([]eval.Guid); ok {
		for _, id := range ids {
			for _, v := range vms {
				if v.ID == string(id) {
					for _, d := range attached(v) {
						c.Out(h.vhdObject(v, d))
					}
				}
			}
		}
		return nil
	}
	var inputs []string
	if c.HasInput {
		for _, in := range c.Input {
			if o, ok := in.(*eval.Object); ok {
				p, _ := o.Get("Path")
				inputs = append(inputs, toStr(p))
			} else {
				inputs = append(inputs, toStr(in))
			}
		}
	} else {
		inputs = c.Strings("Path")
	}
	byPath := disksByPath(vms)
	for _, p := range inputs {
		found := false
		if byPath != nil && isASCII(p) {
			for _, vd := range byPath[strings.ToLower(p)] {
				c.Out(h.vhdObject(vd.vm, vd.disk))
				found = true
			}
		} else {
			for _, v := range vms {
				for _, d := range v.Disks {
					if strings.EqualFold(d.Path, p) {
						c.Out(h.vhdObject(v, d))
						found = true
					}
				}
			}
		}
		if !found {
			rec := c.Record("ObjectNotFound", p+":String", "VirtualizationException", "ObjectNotFound",
				"Getting the mounted storage instance for the path '"+p+"' failed.", "The operation cannot be performed while the object is in use.")
			if err := c.WriteError(rec); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *fleetHost) getVMNetworkAdapter(c *eval.Call) error {
	if c.Has("ManagementOS") {
		return nil
	}
	var vms []model.VMState
	var err error
	if c.Has("All") {
		vms = h.fleet.VMs(h.host)
	} else if vms, err = h.vmsOf(c); err != nil {
		return err
	}
	name := c.String("Name")
	for _, v := range vms {
		for _, sw := range v.Switches {
			if name != "" && !eval.Wildcard(name, "Network Adapter") {
				continue
			}
			c.Out(eval.NewObject("Microsoft.HyperV.PowerShell.VMNetworkAdapter",
				eval.Prop{Name: "Name", Value: "Network Adapter"},
				eval.Prop{Name: "IsManagementOs", Value: false},
				eval.Prop{Name: "VMName", Value: v.Name},
				eval.Prop{Name: "VMId", Value: eval.Guid(v.ID)},
				eval.Prop{Name: "SwitchName", Value: sw},
				eval.Prop{Name: "ComputerName", Value: h.hostName(v.Host)},
				eval.Prop{Name: "IsDeleted", Value: false},
			))
		}
	}
	return nil
}

func (h *fleetHost) getVMProcessor(c *eval.Call) error {
	vms, err := h.vmsOf(c)
	for _, v := range vms {
		c.Out(eval.NewObject("Microsoft.HyperV.PowerShell.VMProcessor",
			eval.Prop{Name: "Count", Value: int64(v.CPUs)},
			eval.Prop{Name: "CompatibilityForMigrationEnabled", Value: v.ProcessorCompatibility},
			eval.Prop{Name: "VMName", Value: v.Name},
			eval.Prop{Name: "VMId", Value: eval.Guid(v.ID)},
			eval.Prop{Name: "ComputerName", Value: h.hostName(v.Host)},
			eval.Prop{Name: "IsDeleted", Value: false},
		))
	}
	return err
}

func (h *fleetHost) getVMSwitch(c *eval.Call) error {
	st := h.state()
	name := c.String("Name")
	for _, sw := range st.Switches {
		if name != "" && !eval.Wildcard(name, sw) {
			continue
		}
		c.Out(eval.NewObject("Microsoft.HyperV.PowerShell.VMSwitch",
			eval.Prop{Name: "Name", Value: sw},
			eval.Prop{Name: "ComputerName", Value: st.Name},
			eval.Prop{Name: "IsDeleted", Value: false},
		))
	}
	return nil
}

// versionNames are the operating systems Get-VMHostSupportedVersion names
// for each configuration version.
var versionNames = map[string]string{
	"5.0": "Microsoft Windows Server 2012 R2/Windows 8.1", "6.2": "Microsoft Windows 10 1507/Server 2016 Technical Preview 3",
	"7.0": "Microsoft Windows 10 1511/Server 2016 Technical Preview 4", "7.1": "Microsoft Windows 10 Anniversary Update/Server 2016 Technical Preview 5",
	"8.0": "Microsoft Windows 10 Anniversary Update/Server 2016", "8.1": "Microsoft Windows 10 Creators Update",
	"8.2": "Microsoft Windows 10 Fall Creators Update/Server 1709", "8.3": "Microsoft Windows 10 April 2018 Update/Server 1803",
	"9.0": "Microsoft Windows 10 October 2018 Update/Server 2019", "9.1": "Microsoft Windows 10 May 2019 Update/Server 1903",
	"9.2": "Microsoft Windows 10 November 2019 Update/Server 1909", "9.3": "Microsoft Windows 10 May 2020 Update/Server 2004",
	"10.0": "Microsoft Windows Server 2022",
}

func (h *fleetHost) getVMHostSupportedVersion(c *eval.Call) error {
	vs := h.state().ConfigVersions
	for i, v := range vs {
		isDefault := i == len(vs)-1
		if c.Has("Default") && !isDefault {
			continue
		}
		c.Out(eval.NewObject("Microsoft.HyperV.PowerShell.VMHostSupportedVersion",
			eval.Prop{Name: "Name", Value: versionNames[v]},
			eval.Prop{Name: "Version", Value: versionObject(v)},
			eval.Prop{Name: "IsDefault", Value: isDefault},
		))
	}
	return nil
}

// versionObject is a System.Version.
func versionObject(v string) *eval.Object {
	major, minor, _ := strings.Cut(v, ".")
	n := func(s string) int32 {
		var x int32
		for _, r := range s {
			x = x*10 + int32(r-'0')
		}
		return x
	}
	o := eval.NewObject("System.Version",
		eval.Prop{Name: "Major", Value: n(major)}, eval.Prop{Name: "Minor", Value: n(minor)},
		eval.Prop{Name: "Build", Value: int32(-1)}, eval.Prop{Name: "Revision", Value: int32(-1)},
		eval.Prop{Name: "MajorRevision", Value: int32(-1)}, eval.Prop{Name: "MinorRevision", Value: int32(-1)})
	o.Text = v
	return o
}

// vmDisk is one disk of a VM.
type vmDisk struct {
	vm   model.VMState
	disk model.Disk
}

// disksByPath indexes the disks of vms by lower-case path, in the order
// of vms and their disks, so that Get-VHD of every disk of a host is not
// quadratic in its disks. It is nil when a path is not ASCII: lower-casing
// compares such paths otherwise than strings.EqualFold, and Get-VHD then
// compares each disk's path.
func disksByPath(vms []model.VMState) map[string][]vmDisk {
	m := make(map[string][]vmDisk)
	for _, v := range vms {
		for _, d := range v.Disks {
			if !isASCII(d.Path) {
				return nil
			}
			k := strings.ToLower(d.Path)
			m[k] = append(m[k], vmDisk{v, d})
		}
	}
	return m
}

// isASCII reports whether s has only ASCII characters.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
