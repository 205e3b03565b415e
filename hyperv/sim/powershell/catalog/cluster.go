package catalog

// The FailoverClusters module's cmdlets, from
// https://learn.microsoft.com/en-us/powershell/module/failoverclusters/.
// They exist only on hosts with the Failover Clustering feature; the
// evaluator hides them elsewhere, as Windows does.

const fcDoc = "https://learn.microsoft.com/en-us/powershell/module/failoverclusters/"

// FailoverClusters is the module name of the cluster cmdlets.
const FailoverClusters = "FailoverClusters"

func clusterCmdlets() []*Cmdlet {
	return []*Cmdlet{
		{
			Name: "Get-Cluster", Module: FailoverClusters, Doc: fcDoc + "get-cluster",
			Class:      "Microsoft.FailoverClusters.PowerShell.GetClusterCommand",
			DefaultSet: "__AllParameterSets", Sets: []string{"__AllParameterSets"}, Output: "Cluster",
			Params: []Param{
				prm("Name", sString, use("__AllParameterSets", 0, false)),
				prm("Domain", sString),
				prm("InputObject", "System.Management.Automation.PSObject").pipe(),
			},
		},
		{
			Name: "Move-ClusterVirtualMachineRole", Module: FailoverClusters, Doc: fcDoc + "move-clustervirtualmachinerole",
			Class:      "Microsoft.FailoverClusters.PowerShell.MoveClusterVirtualMachineRoleCommand",
			DefaultSet: "__AllParameterSets", Sets: []string{"__AllParameterSets"}, Output: "ClusterGroup",
			Params: []Param{
				prm("Name", sString, use("__AllParameterSets", 0, false)),
				prm("Node", sString, use("__AllParameterSets", 1, false)),
				prm("MigrationType", "Microsoft.FailoverClusters.PowerShell.VmMigrationType"),
				prm("VMId", "System.Guid"),
				prm("Cluster", sString),
				prm("InputObject", "System.Management.Automation.PSObject").pipe(),
				prm("Wait", "System.Int32"),
				prm("IgnoreLocked", sSwitch),
				prm("Cancel", sSwitch),
			},
		},
	}
}
