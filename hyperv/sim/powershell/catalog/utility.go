package catalog

// Cmdlets of Microsoft.PowerShell.Core, .Utility and .Management and
// Microsoft.PowerShell.Diagnostics, Windows PowerShell 5.1 editions, from
// https://learn.microsoft.com/en-us/powershell/module/<module>/<cmdlet>?view=powershell-5.1.

const psDoc = "https://learn.microsoft.com/en-us/powershell/module/"

func doc(module, cmdlet string) string {
	return psDoc + module + "/" + cmdlet + "?view=powershell-5.1"
}

const psClass = "Microsoft.PowerShell.Commands."

// whereOperators are Where-Object's comparison switches, each in its own
// parameter set, with the set's name (5.1's Where-Object reference).
var whereOperators = [][3]string{
	{"EQ", "EqualSet", "IEQ"}, {"CEQ", "CaseSensitiveEqualSet"}, {"NE", "NotEqualSet", "INE"}, {"CNE", "CaseSensitiveNotEqualSet"},
	{"GT", "GreaterThanSet", "IGT"}, {"CGT", "CaseSensitiveGreaterThanSet"}, {"LT", "LessThanSet", "ILT"}, {"CLT", "CaseSensitiveLessThanSet"},
	{"GE", "GreaterOrEqualSet", "IGE"}, {"CGE", "CaseSensitiveGreaterOrEqualSet"}, {"LE", "LessOrEqualSet", "ILE"}, {"CLE", "CaseSensitiveLessOrEqualSet"},
	{"Like", "LikeSet", "ILike"}, {"CLike", "CaseSensitiveLikeSet"}, {"NotLike", "NotLikeSet", "INotLike"}, {"CNotLike", "CaseSensitiveNotLikeSet"},
	{"Match", "MatchSet", "IMatch"}, {"CMatch", "CaseSensitiveMatchSet"}, {"NotMatch", "NotMatchSet", "INotMatch"}, {"CNotMatch", "CaseSensitiveNotMatchSet"},
	{"Contains", "ContainsSet", "IContains"}, {"CContains", "CaseSensitiveContainsSet"}, {"NotContains", "NotContainsSet", "INotContains"}, {"CNotContains", "CaseSensitiveNotContainsSet"},
	{"In", "InSet", "IIn"}, {"CIn", "CaseSensitiveInSet"}, {"NotIn", "NotInSet", "INotIn"}, {"CNotIn", "CaseSensitiveNotInSet"},
	{"Is", "IsSet"}, {"IsNot", "IsNotSet"},
}

func whereObject() *Cmdlet {
	sets := []string{"EqualSet", "ScriptBlockSet"}
	params := []Param{
		prm("InputObject", "System.Management.Automation.PSObject").pipe(),
		prm("FilterScript", "System.Management.Automation.ScriptBlock", use("ScriptBlockSet", 0, true)),
	}
	var propUse, valueUse []SetUse
	for _, op := range whereOperators {
		if op[1] != "EqualSet" {
			sets = append(sets, op[1])
		}
		p := prm(op[0], sSwitch, use(op[1], -1, op[1] != "EqualSet"))
		if op[2] != "" {
			p = p.alias(op[2])
		}
		params = append(params, p)
		propUse = append(propUse, use(op[1], 0, true))
		valueUse = append(valueUse, use(op[1], 1, false))
	}
	params = append(params, prm("Property", sString, propUse...), prm("Value", "System.Object", valueUse...))
	return &Cmdlet{Name: "Where-Object", Module: "Microsoft.PowerShell.Core", Doc: doc("microsoft.powershell.core", "where-object"),
		Class: psClass + "WhereObjectCommand", DefaultSet: "EqualSet", Sets: sets, Params: params}
}

func utilityCmdlets() []*Cmdlet {
	const util, core, mgmt, diag = "Microsoft.PowerShell.Utility", "Microsoft.PowerShell.Core", "Microsoft.PowerShell.Management", "Microsoft.PowerShell.Diagnostics"
	all := "__AllParameterSets"
	one := func(name, module, class, output string, params ...Param) *Cmdlet {
		return &Cmdlet{Name: name, Module: module, Doc: doc(lower(module), lower(name)), Class: psClass + class,
			DefaultSet: all, Sets: []string{all}, Output: output, Params: params}
	}
	selectSets := []string{"DefaultParameter", "SkipLastParameter", "IndexParameter"}
	selectObject := &Cmdlet{Name: "Select-Object", Module: util, Doc: doc("microsoft.powershell.utility", "select-object"),
		Class: psClass + "SelectObjectCommand", DefaultSet: "DefaultParameter", Sets: selectSets,
		Params: []Param{
			prm("InputObject", "System.Management.Automation.PSObject").pipe(),
			prm("Property", "System.Object[]", use("DefaultParameter", 0, false), use("SkipLastParameter", 0, false)),
			prm("ExcludeProperty", sStrArr, named("DefaultParameter", "SkipLastParameter")...),
			prm("ExpandProperty", sString, named("DefaultParameter", "SkipLastParameter")...),
			prm("Unique", sSwitch),
			prm("Last", "System.Int32", named("DefaultParameter")...),
			prm("First", "System.Int32", named("DefaultParameter")...),
			prm("Skip", "System.Int32", named("DefaultParameter")...),
			prm("SkipLast", "System.Int32", named("SkipLastParameter")...),
			prm("Wait", sSwitch, named("DefaultParameter", "IndexParameter")...),
			prm("Index", "System.Int32[]", named("IndexParameter")...),
		}}
	measureObject := &Cmdlet{Name: "Measure-Object", Module: util, Doc: doc("microsoft.powershell.utility", "measure-object"),
		Class: psClass + "MeasureObjectCommand", DefaultSet: "GenericMeasure", Sets: []string{"GenericMeasure", "TextMeasure"}, Output: "GenericMeasureInfo",
		Params: []Param{
			prm("InputObject", "System.Management.Automation.PSObject").pipe(),
			prm("Property", sStrArr, use("GenericMeasure", 0, false), use("TextMeasure", 0, false)),
			prm("Sum", sSwitch, named("GenericMeasure")...),
			prm("Average", sSwitch, named("GenericMeasure")...),
			prm("Maximum", sSwitch, named("GenericMeasure")...),
			prm("Minimum", sSwitch, named("GenericMeasure")...),
			prm("Line", sSwitch, named("TextMeasure")...),
			prm("Word", sSwitch, named("TextMeasure")...),
			prm("Character", sSwitch, named("TextMeasure")...),
			prm("IgnoreWhiteSpace", sSwitch, named("TextMeasure")...),
		}}
	forEach := &Cmdlet{Name: "ForEach-Object", Module: core, Doc: doc("microsoft.powershell.core", "foreach-object"),
		Class: psClass + "ForEachObjectCommand", DefaultSet: "ScriptBlockSet", Sets: []string{"ScriptBlockSet", "PropertyAndMethodSet"},
		Params: []Param{
			prm("InputObject", "System.Management.Automation.PSObject").pipe(),
			prm("Begin", "System.Management.Automation.ScriptBlock", named("ScriptBlockSet")...),
			prm("Process", "System.Management.Automation.ScriptBlock[]", use("ScriptBlockSet", 0, true)),
			prm("End", "System.Management.Automation.ScriptBlock", named("ScriptBlockSet")...),
			prm("RemainingScripts", "System.Management.Automation.ScriptBlock[]", named("ScriptBlockSet")...),
			prm("MemberName", sString, use("PropertyAndMethodSet", 0, true)),
			prm("ArgumentList", "System.Object[]", named("PropertyAndMethodSet")...).alias("Args"),
		}}
	getCounter := &Cmdlet{Name: "Get-Counter", Module: diag, Doc: doc("microsoft.powershell.diagnostics", "get-counter"),
		Class: psClass + "GetCounterCommand", DefaultSet: "GetCounterSet", Sets: []string{"GetCounterSet", "ListSetSet"}, Output: "PerformanceCounterSampleSet",
		Params: []Param{
			prm("Counter", sStrArr, use("GetCounterSet", 0, false)),
			prm("ListSet", sStrArr, use("ListSetSet", 0, true)),
			prm("SampleInterval", "System.Int32", named("GetCounterSet")...),
			prm("MaxSamples", "System.Int64", named("GetCounterSet")...),
			prm("Continuous", sSwitch, named("GetCounterSet")...),
			prm("ComputerName", sStrArr).alias("Cn"),
		}}
	getCommand := &Cmdlet{Name: "Get-Command", Module: core, Doc: doc("microsoft.powershell.core", "get-command"),
		Class: psClass + "GetCommandCommand", DefaultSet: "CmdletSet", Sets: []string{"CmdletSet", "AllCommandSet"}, Output: "CmdletInfo",
		Params: []Param{
			prm("Name", sStrArr, use("AllCommandSet", 0, false)),
			prm("Verb", sStrArr, named("CmdletSet")...),
			prm("Noun", sStrArr, named("CmdletSet")...),
			prm("Module", sStrArr).alias("PSSnapin"),
			prm("CommandType", "System.Management.Automation.CommandTypes", named("AllCommandSet")...).alias("Type"),
			prm("TotalCount", "System.Int32"),
			prm("Syntax", sSwitch),
			prm("ShowCommandInfo", sSwitch),
			prm("ArgumentList", "System.Object[]", use("AllCommandSet", 1, false), use("CmdletSet", 1, false)).alias("Args"),
			prm("All", sSwitch),
			prm("ListImported", sSwitch),
			prm("ParameterName", sStrArr),
			prm("ParameterType", "System.Management.Automation.PSTypeName[]"),
		}}
	return []*Cmdlet{
		selectObject, whereObject(), measureObject, forEach, getCounter, getCommand,
		one("Sort-Object", util, "SortObjectCommand", "",
			prm("InputObject", "System.Management.Automation.PSObject").pipe(),
			prm("Property", "System.Object[]", use(all, 0, false)),
			prm("Descending", sSwitch), prm("Unique", sSwitch), prm("CaseSensitive", sSwitch), prm("Culture", sString)),
		one("ConvertTo-Json", util, "ConvertToJsonCommand", "",
			prm("InputObject", "System.Object", use(all, 0, true)).pipe(),
			prm("Depth", "System.Int32"), prm("Compress", sSwitch)),
		one("ConvertFrom-Json", util, "ConvertFromJsonCommand", "",
			prm("InputObject", sString, use(all, 0, true)).pipe()),
		one("Invoke-Expression", util, "InvokeExpressionCommand", "",
			prm("Command", sString, use(all, 0, true)).pipe()),
		one("Out-String", util, "OutStringCommand", "",
			prm("InputObject", "System.Management.Automation.PSObject").pipe(),
			prm("Width", "System.Int32"), prm("Stream", sSwitch)),
		{Name: "Start-Sleep", Module: util, Doc: doc("microsoft.powershell.utility", "start-sleep"), Class: psClass + "StartSleepCommand",
			DefaultSet: "Seconds", Sets: []string{"Seconds", "Milliseconds"},
			Params: []Param{
				prm("Seconds", "System.Int32", use("Seconds", 0, true)),
				prm("Milliseconds", "System.Int32", use("Milliseconds", -1, true)).alias("ms"),
			}},
		{Name: "Write-Output", Module: util, Doc: doc("microsoft.powershell.utility", "write-output"), Class: psClass + "WriteOutputCommand",
			DefaultSet: all, Sets: []string{all},
			Params: []Param{
				{Name: "InputObject", Type: "System.Management.Automation.PSObject[]", Use: []SetUse{use(all, 0, true)}, Pipeline: true, Remaining: true},
				prm("NoEnumerate", sSwitch),
			}},
		{Name: "New-Object", Module: util, Doc: doc("microsoft.powershell.utility", "new-object"), Class: psClass + "NewObjectCommand",
			DefaultSet: "Net", Sets: []string{"Net", "Com"},
			Params: []Param{
				prm("TypeName", sString, use("Net", 0, true)),
				prm("ArgumentList", "System.Object[]", use("Net", 1, false)).alias("Args"),
				prm("ComObject", sString, use("Com", 0, true)),
				prm("Strict", sSwitch, named("Com")...),
				prm("Property", "System.Collections.IDictionary"),
			}},
		one("Out-Null", core, "OutNullCommand", "", prm("InputObject", "System.Management.Automation.PSObject").pipe()),
	}
}
