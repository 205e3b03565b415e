package catalog

// Output object types: the .NET type each cmdlet writes and the properties
// the simulated host gives it, in the order ConvertTo-Json and Select-Object *
// list them. They are the properties of the real types the simulator can
// fill from the fleet model; a property the real type has and the model
// cannot know is left out rather than invented.

// Type is an output object type.
type Type struct {
	Name  string   // the .NET type name, first of its PSTypeNames
	Props []string // its properties, in order
}

// Types are the output types by the short name Cmdlet.Output uses.
var Types = map[string]Type{
	// https://learn.microsoft.com/en-us/dotnet/api/microsoft.hyperv.powershell.virtualmachine (Get-VM's output)
	"VirtualMachine": {Name: "Microsoft.HyperV.PowerShell.VirtualMachine", Props: []string{"VMName", "VMId", "Id", "Name", "State", "Status", "CPUUsage", "ProcessorCount", "MemoryAssigned", "MemoryDemand",
		"MemoryStartup", "DynamicMemoryEnabled", "IsClustered", "Uptime", "Notes", "ComputerName", "Path", "ConfigurationLocation", "Version"}},
	"VMHost": {Name: "Microsoft.HyperV.PowerShell.VMHost", Props: []string{"ComputerName", "Name", "FullyQualifiedDomainName", "LogicalProcessorCount", "MemoryCapacity",
		"VirtualMachineMigrationEnabled", "MaximumVirtualMachineMigrations",
		"VirtualMachineMigrationAuthenticationType", "VirtualMachineMigrationPerformanceOption",
		"VirtualMachinePath", "VirtualHardDiskPath"}},
	"HardDiskDrive": {Name: "Microsoft.HyperV.PowerShell.HardDiskDrive", Props: []string{"Path", "VMName", "VMId", "ComputerName", "IsDeleted"}},
	// https://learn.microsoft.com/en-us/powershell/module/hyper-v/get-vhd (Get-VHD's output): ParentPath is a
	// differencing disk's parent (a checkpoint's .avhdx names the file before it), VhdType Differencing (4)
	"VirtualHardDisk":        {Name: "Microsoft.Vhd.PowerShell.VirtualHardDisk", Props: []string{"ComputerName", "Path", "VhdFormat", "VhdType", "FileSize", "Size", "ParentPath", "Attached"}},
	"VMNetworkAdapter":       {Name: "Microsoft.HyperV.PowerShell.VMNetworkAdapter", Props: []string{"Name", "IsManagementOs", "VMName", "VMId", "SwitchName", "ComputerName", "IsDeleted"}},
	"VMProcessor":            {Name: "Microsoft.HyperV.PowerShell.VMProcessor", Props: []string{"Count", "CompatibilityForMigrationEnabled", "VMName", "VMId", "ComputerName", "IsDeleted"}},
	"VMSwitch":               {Name: "Microsoft.HyperV.PowerShell.VMSwitch", Props: []string{"Name", "ComputerName", "IsDeleted"}},
	"VMHostSupportedVersion": {Name: "Microsoft.HyperV.PowerShell.VMHostSupportedVersion", Props: []string{"Name", "Version", "IsDefault"}},
	"VMCompatibilityReport":  {Name: "Microsoft.HyperV.PowerShell.VMCompatibilityReport", Props: []string{"VM", "OperationType", "Destination", "Path", "Incompatibilities"}},
	"VMCompatibilityError":   {Name: "Microsoft.HyperV.PowerShell.VMCompatibilityError", Props: []string{"Message", "MessageId", "Source"}},
	// https://learn.microsoft.com/en-us/powershell/module/failoverclusters/get-cluster
	"Cluster":      {Name: "Microsoft.FailoverClusters.PowerShell.Cluster", Props: []string{"Name", "Domain"}},
	"ClusterGroup": {Name: "Microsoft.FailoverClusters.PowerShell.ClusterGroup", Props: []string{"Name", "OwnerNode", "State"}},
	"ClusterNode":  {Name: "Microsoft.FailoverClusters.PowerShell.ClusterNode", Props: []string{"Name", "State"}},
	// https://learn.microsoft.com/en-us/dotnet/api/microsoft.powershell.commands.getcounter.performancecountersampleset
	"PerformanceCounterSampleSet": {Name: "Microsoft.PowerShell.Commands.GetCounter.PerformanceCounterSampleSet", Props: []string{"Timestamp", "Timestamp100NSec", "CounterSamples"}},
	"PerformanceCounterSample":    {Name: "Microsoft.PowerShell.Commands.GetCounter.PerformanceCounterSample", Props: []string{"Path", "InstanceName", "CookedValue", "Timestamp", "Timestamp100NSec", "Status"}},
	// https://learn.microsoft.com/en-us/dotnet/api/microsoft.powershell.commands.genericmeasureinfo (5.1: no StandardDeviation)
	"GenericMeasureInfo": {Name: "Microsoft.PowerShell.Commands.GenericMeasureInfo", Props: []string{"Count", "Average", "Sum", "Maximum", "Minimum", "Property"}},
	// Get-CimInstance writes CIM instances whose properties are the class's
	// (see the evaluator's class table).
	"CimInstance": {Name: "Microsoft.Management.Infrastructure.CimInstance"},
	"CmdletInfo":  {Name: "System.Management.Automation.CmdletInfo", Props: []string{"CommandType", "Name", "Version", "Source", "ModuleName"}},
}
