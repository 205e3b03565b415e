package catalog

// CimCmdlets' Get-CimInstance, from
// https://learn.microsoft.com/en-us/powershell/module/cimcmdlets/get-ciminstance?view=powershell-5.1.

func cimCmdlets() []*Cmdlet {
	sets := []string{"ClassNameComputerSet", "ClassNameSessionSet", "QueryComputerSet", "QuerySessionSet"}
	return []*Cmdlet{{
		Name: "Get-CimInstance", Module: "CimCmdlets", Doc: doc("cimcmdlets", "get-ciminstance"),
		Class:      "Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand",
		DefaultSet: "ClassNameComputerSet", Sets: sets, Output: "CimInstance",
		Params: []Param{
			prm("ClassName", sString, use("ClassNameComputerSet", 0, true), use("ClassNameSessionSet", 0, true)),
			prm("Query", sString, use("QueryComputerSet", -1, true), use("QuerySessionSet", -1, true)),
			prm("QueryDialect", sString, named("QueryComputerSet", "QuerySessionSet")...),
			prm("Namespace", sString),
			prm("Filter", sString, named("ClassNameComputerSet", "ClassNameSessionSet")...),
			prm("Property", sStrArr, named("ClassNameComputerSet", "ClassNameSessionSet")...).alias("SelectProperties"),
			prm("KeyOnly", sSwitch, named("ClassNameComputerSet", "ClassNameSessionSet")...),
			prm("Shallow", sSwitch),
			prm("OperationTimeoutSec", "System.UInt32").alias("OT"),
			prm("ComputerName", sStrArr, named("ClassNameComputerSet", "QueryComputerSet")...).alias("CN", "ServerName"),
			prm("CimSession", "Microsoft.Management.Infrastructure.CimSession[]", use("ClassNameSessionSet", -1, true), use("QuerySessionSet", -1, true)),
		},
	}}
}
