package eval

// The engine's own cmdlets (Microsoft.PowerShell.Core and .Utility).

import (
	"math"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// builtins are the cmdlets this package implements, by catalog name.
var builtins map[string]CmdletFunc

func init() {
	builtins = map[string]CmdletFunc{
		"Select-Object":     selectObject,
		"Where-Object":      whereObject,
		"ForEach-Object":    forEachObject,
		"Sort-Object":       sortObject,
		"Measure-Object":    measureObject,
		"ConvertTo-Json":    convertToJSON,
		"ConvertFrom-Json":  convertFromJSON,
		"Write-Output":      writeOutput,
		"Start-Sleep":       startSleep,
		"Out-Null":          func(*Call) error { return nil },
		"Get-Command":       getCommand,
		"Invoke-Expression": invokeExpression,
		"Out-String":        outString,
	}
}

// inputs is what a cmdlet processes: its pipeline input, or the value of
// its -InputObject parameter.
func (c *Call) inputs() []any {
	if c.HasInput {
		return c.Input
	}
	if v, ok := c.Params["InputObject"]; ok {
		return []any{v}
	}
	return nil
}

func convertToJSON(c *Call) error {
	items := c.inputs()
	if len(items) == 0 {
		return nil
	}
	depth := int64(2)
	if d, ok := c.Params["Depth"].(int64); ok {
		depth = d
	}
	v := collapse(items)
	s := toJSON(v, int(depth))
	if !c.Has("Compress") {
		s = prettyJSON(s)
	}
	c.Out(s)
	return nil
}

func convertFromJSON(c *Call) error {
	var parts []string
	for _, it := range c.inputs() {
		parts = append(parts, toString(it))
	}
	text := strings.Join(parts, "\n")
	if strings.TrimSpace(text) == "" {
		return nil
	}
	v, err := fromJSON(text)
	if err != nil {
		tok := strings.Fields(text)[0]
		return c.Fail(c.Record("NotSpecified", ":", "ArgumentException", "System.ArgumentException", "Invalid JSON primitive: "+tok+"."))
	}
	c.Out(v)
	return nil
}

func writeOutput(c *Call) error {
	if c.HasInput {
		for _, it := range c.Input {
			c.Out(it)
		}
		return nil
	}
	v := c.Params["InputObject"]
	if c.Has("NoEnumerate") {
		c.Out(v)
		return nil
	}
	for _, x := range enumerate(v) {
		for _, y := range enumerate(x) {
			c.Out(y)
		}
	}
	return nil
}

func startSleep(c *Call) error {
	var d time.Duration
	if s, ok := c.Params["Seconds"].(int64); ok {
		d = time.Duration(s) * time.Second
	}
	if ms, ok := c.Params["Milliseconds"].(int64); ok {
		d = time.Duration(ms) * time.Millisecond
	}
	if c.In.Sleep != nil {
		return c.In.Sleep(c.Ctx(), d)
	}
	select {
	case <-time.After(d):
		return nil
	case <-c.Ctx().Done():
		return c.Ctx().Err()
	}
}

func getCommand(c *Call) error {
	names := c.Strings("Name")
	if len(names) == 0 {
		names = []string{"*"}
	}
	for _, n := range names {
		found := false
		for _, cand := range c.In.Catalog.Names() {
			if !wildcard(n, false).MatchString(cand) {
				continue
			}
			cm, ok := c.In.Has(cand)
			if !ok {
				continue
			}
			found = true
			c.Out(NewObject("System.Management.Automation.CmdletInfo",
				Prop{"CommandType", Enum{Type: "System.Management.Automation.CommandTypes", Name: "Cmdlet", Value: 8}},
				Prop{"Name", cm.Name}, Prop{"Version", ""}, Prop{"Source", cm.Module}, Prop{"ModuleName", cm.Module}))
		}
		if !found && !strings.ContainsAny(n, "*?[") {
			rec := c.Record("ObjectNotFound", n+":String", "CommandNotFoundException", "CommandNotFoundException",
				"The term '"+n+"' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.")
			if err := c.WriteError(rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// mathCall runs [math]::Round, Floor, Ceiling, Abs, Max and Min.
func mathCall(name string, args []any, at lang.Pos) (any, error) {
	nums := make([]float64, len(args))
	for i, a := range args {
		_, f, _, ok := toNumber(a)
		if !ok {
			return nil, convertError(a, "System.Double", at)
		}
		nums[i] = f
	}
	switch {
	case name == "round" && len(nums) == 1:
		return math.RoundToEven(nums[0]), nil
	case name == "round" && len(nums) == 2:
		p := math.Pow(10, nums[1])
		return math.RoundToEven(nums[0]*p) / p, nil
	case name == "floor" && len(nums) == 1:
		return math.Floor(nums[0]), nil
	case name == "ceiling" && len(nums) == 1:
		return math.Ceil(nums[0]), nil
	case name == "abs" && len(nums) == 1:
		return math.Abs(nums[0]), nil
	case name == "max" && len(nums) == 2:
		return math.Max(nums[0], nums[1]), nil
	case name == "min" && len(nums) == 2:
		return math.Min(nums[0], nums[1]), nil
	}
	return nil, runtimeError(at, 1, "InvalidOperation", "MethodCountCouldNotFindBest", `Cannot find an overload for "`+name+`" and the argument count: "`+string(rune('0'+len(args)))+`".`)
}

// psVersionTable is $PSVersionTable of Windows PowerShell 5.1 on Windows
// Server 2019.
func psVersionTable() *Hash {
	h := &Hash{}
	h.Set("PSVersion", "5.1.17763.1")
	h.Set("PSEdition", "Desktop")
	h.Set("BuildVersion", "10.0.17763.1")
	h.Set("CLRVersion", "4.0.30319.42000")
	h.Set("WSManStackVersion", "3.0")
	h.Set("PSRemotingProtocolVersion", "2.3")
	h.Set("SerializationVersion", "1.1.0.1")
	return h
}
