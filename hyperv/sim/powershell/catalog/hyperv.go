package catalog

// The Hyper-V module's cmdlets (Windows Server 2016 and later), from
// https://learn.microsoft.com/en-us/powershell/module/hyper-v/.

const (
	hvDoc   = "https://learn.microsoft.com/en-us/powershell/module/hyper-v/"
	hvClass = "Microsoft.HyperV.PowerShell.Commands."
	sString = "System.String"
	sStrArr = "System.String[]"
	sSwitch = "switch"
)

// remoting are the parameters every Hyper-V cmdlet takes to reach another
// host; the simulated host answers only for itself.
func remoting(sets ...string) []Param {
	return []Param{
		prm("CimSession", "Microsoft.Management.Infrastructure.CimSession[]", named(sets...)...),
		prm("ComputerName", sStrArr, named(sets...)...),
		prm("Credential", "System.Management.Automation.PSCredential[]", named(sets...)...),
	}
}

func hyperVCmdlets() []*Cmdlet {
	vmSets := []string{"Name", "Id", "ClusterObject"}
	getVM := &Cmdlet{
		Name: "Get-VM", Module: "Hyper-V", Doc: hvDoc + "get-vm", Class: hvClass + "GetVM",
		DefaultSet: "Name", Sets: vmSets, Output: "VirtualMachine",
		Params: append([]Param{
			prm("Name", sStrArr, use("Name", 0, false)).alias("VMName"),
			prm("Id", "System.Nullable[System.Guid]", use("Id", 0, false)),
			prm("ClusterObject", "System.Management.Automation.PSObject", use("ClusterObject", 0, true)).pipe(),
		}, remoting("Name", "Id")...),
	}
	getVMHost := &Cmdlet{
		Name: "Get-VMHost", Module: "Hyper-V", Doc: hvDoc + "get-vmhost", Class: hvClass + "GetVMHost",
		DefaultSet: "ComputerName", Sets: []string{"ComputerName", "CimSession"}, Output: "VMHost",
		Params: []Param{
			prm("ComputerName", sStrArr, use("ComputerName", 0, false)),
			prm("Credential", "System.Management.Automation.PSCredential[]", named("ComputerName")...),
			prm("CimSession", "Microsoft.Management.Infrastructure.CimSession[]", use("CimSession", 0, true)),
		},
	}
	single := []string{"NameSingleDestination", "VMSingleDestination"}
	multi := []string{"NameMultipleDestinations", "VMMultipleDestinations"}
	moveSets := []string{"NameSingleDestination", "NameMultipleDestinations", "VMSingleDestination", "VMMultipleDestinations", "CompatibilityReport"}
	moveVM := &Cmdlet{
		Name: "Move-VM", Module: "Hyper-V", Doc: hvDoc + "move-vm", Class: hvClass + "MoveVM",
		DefaultSet: "NameSingleDestination", Sets: moveSets, Output: "VirtualMachine", ShouldProcess: true,
		Params: append([]Param{
			prm("Name", sString, use("NameSingleDestination", 0, true), use("NameMultipleDestinations", 0, true)).alias("VMName"),
			prm("VM", "Microsoft.HyperV.PowerShell.VirtualMachine", use("VMSingleDestination", 0, true), use("VMMultipleDestinations", 0, true)).pipe(),
			prm("CompatibilityReport", "Microsoft.HyperV.PowerShell.VMCompatibilityReport", use("CompatibilityReport", 0, true)).pipe(),
			prm("DestinationHost", sString, use("NameSingleDestination", 1, true), use("NameMultipleDestinations", 1, true), use("VMSingleDestination", 1, true), use("VMMultipleDestinations", 1, true)),
			prm("DestinationCredential", "System.Management.Automation.PSCredential", named(moveSets[:4]...)...),
			prm("DestinationCimSession", "Microsoft.Management.Infrastructure.CimSession", named(moveSets[:4]...)...),
			prm("IncludeStorage", sSwitch, named(moveSets[:4]...)...),
			prm("DestinationStoragePath", sString, named(single...)...),
			prm("ResourcePoolName", sString, named(moveSets[:4]...)...),
			prm("RetainVhdCopiesOnSource", sSwitch, named(moveSets...)...),
			prm("RemoveSourceUnmanagedVhds", sSwitch, named(moveSets...)...),
			prm("VirtualMachinePath", sString, named(multi...)...),
			prm("SnapshotFilePath", sString, named(multi...)...),
			prm("SmartPagingFilePath", sString, named(multi...)...),
			prm("Vhds", "System.Collections.Hashtable[]", named(multi...)...).alias("VHDMigrationMapping"),
			prm("AsJob", sSwitch),
			prm("Passthru", sSwitch),
		}, remoting(moveSets...)...),
	}
	compareSets := []string{"NameSingleDestination", "VMSingleDestination", "NameMultipleDestinations", "VMMultipleDestinations"}
	compareVM := &Cmdlet{
		Name: "Compare-VM", Module: "Hyper-V", Doc: hvDoc + "compare-vm", Class: hvClass + "CompareVM",
		DefaultSet: "NameSingleDestination", Sets: compareSets, Output: "VMCompatibilityReport",
		Params: append([]Param{
			prm("Name", sString, use("NameSingleDestination", 0, true), use("NameMultipleDestinations", 0, true)).alias("VMName"),
			prm("VM", "Microsoft.HyperV.PowerShell.VirtualMachine", use("VMSingleDestination", 0, true), use("VMMultipleDestinations", 0, true)).pipe(),
			prm("DestinationHost", sString, use("NameSingleDestination", 1, true), use("NameMultipleDestinations", 1, true), use("VMSingleDestination", 1, true), use("VMMultipleDestinations", 1, true)),
			prm("DestinationCredential", "System.Management.Automation.PSCredential"),
			prm("DestinationCimSession", "Microsoft.Management.Infrastructure.CimSession"),
			prm("IncludeStorage", sSwitch),
			prm("DestinationStoragePath", sString, named("NameSingleDestination", "VMSingleDestination")...),
			prm("ResourcePoolName", sString),
			prm("RetainVhdCopiesOnSource", sSwitch),
			prm("VirtualMachinePath", sString, named(multi...)...),
			prm("SnapshotFilePath", sString, named(multi...)...),
			prm("SmartPagingFilePath", sString, named(multi...)...),
			prm("Vhds", "System.Collections.Hashtable[]", named(multi...)...).alias("VHDMigrationMapping"),
			prm("AsJob", sSwitch),
		}, remoting(compareSets...)...),
	}
	byVM := func(name, page, class, output string, extra ...Param) *Cmdlet {
		return &Cmdlet{
			Name: name, Module: "Hyper-V", Doc: hvDoc + page, Class: hvClass + class,
			DefaultSet: "VMName", Sets: []string{"VMName", "VMObject"}, Output: output,
			Params: append(append([]Param{
				prm("VMName", sStrArr, use("VMName", 0, true)),
				prm("VM", "Microsoft.HyperV.PowerShell.VirtualMachine[]", use("VMObject", 0, true)).pipe(),
			}, extra...), remoting("VMName")...),
		}
	}
	return []*Cmdlet{
		getVM, getVMHost, moveVM, compareVM,
		byVM("Get-VMHardDiskDrive", "get-vmharddiskdrive", "GetVMHardDiskDrive", "HardDiskDrive",
			prm("ControllerType", "Microsoft.HyperV.PowerShell.ControllerType"),
			prm("ControllerNumber", "System.Int32"),
			prm("ControllerLocation", "System.Int32")),
		byVM("Get-VMProcessor", "get-vmprocessor", "GetVMProcessor", "VMProcessor"),
		{
			Name: "Get-VMNetworkAdapter", Module: "Hyper-V", Doc: hvDoc + "get-vmnetworkadapter", Class: hvClass + "GetVMNetworkAdapter",
			DefaultSet: "VMName", Sets: []string{"VMName", "VMObject", "All", "ManagementOS"}, Output: "VMNetworkAdapter",
			Params: append([]Param{
				prm("VMName", sStrArr, use("VMName", 0, true)),
				prm("VM", "Microsoft.HyperV.PowerShell.VirtualMachine[]", use("VMObject", 0, true)).pipe(),
				prm("All", sSwitch, use("All", -1, true)),
				prm("ManagementOS", sSwitch, use("ManagementOS", -1, true)),
				prm("Name", sString, named("VMName", "VMObject", "ManagementOS")...).alias("VMNetworkAdapterName"),
				prm("SwitchName", sString, named("VMName", "VMObject", "ManagementOS")...),
				prm("IsLegacy", "System.Boolean", named("VMName", "VMObject")...),
			}, remoting("VMName", "All", "ManagementOS")...),
		},
		{
			Name: "Get-VHD", Module: "Hyper-V", Doc: hvDoc + "get-vhd", Class: "Microsoft.Vhd.PowerShell.Cmdlets.GetVHD",
			DefaultSet: "Path", Sets: []string{"Path", "DiskNumber", "VMId"}, Output: "VirtualHardDisk",
			Params: append([]Param{
				prm("Path", sStrArr, use("Path", 0, true)).alias("FullName").pipe(),
				prm("DiskNumber", "System.UInt32", use("DiskNumber", -1, true)).alias("Number"),
				prm("VMId", "System.Guid[]", use("VMId", -1, true)),
			}, remoting("Path", "DiskNumber", "VMId")...),
		},
		{
			Name: "Get-VMSwitch", Module: "Hyper-V", Doc: hvDoc + "get-vmswitch", Class: hvClass + "GetVMSwitch",
			DefaultSet: "Name", Sets: []string{"Name", "Id"}, Output: "VMSwitch",
			Params: append([]Param{
				prm("Name", sString, use("Name", 0, false)).alias("SwitchName"),
				prm("Id", "System.Nullable[System.Guid]", use("Id", 0, false)),
				prm("ResourcePoolName", sStrArr),
				prm("SwitchType", "Microsoft.HyperV.PowerShell.VMSwitchType[]"),
			}, remoting("Name", "Id")...),
		},
		{
			Name: "Get-VMHostSupportedVersion", Module: "Hyper-V", Doc: hvDoc + "get-vmhostsupportedversion", Class: hvClass + "GetVMHostSupportedVersion",
			DefaultSet: "ComputerName", Sets: []string{"ComputerName"}, Output: "VMHostSupportedVersion",
			Params: append([]Param{prm("Default", sSwitch)}, remoting("ComputerName")...),
		},
	}
}
