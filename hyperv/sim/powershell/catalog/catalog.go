package catalog

import (
	"sort"
	"strings"
)

// Cmdlet is one command's signature.
type Cmdlet struct {
	Name       string
	Module     string
	Doc        string // the Microsoft reference page
	Class      string // implementing class, as FullyQualifiedErrorIds end: "Microsoft.HyperV.PowerShell.Commands.MoveVM"
	DefaultSet string
	Sets       []string // every parameter set, DefaultSet first
	Params     []Param
	Output     string // the type of the objects it writes (see Types); "" for none
	// ShouldProcess marks cmdlets that take -WhatIf and -Confirm.
	ShouldProcess bool
}

// Param is one parameter.
type Param struct {
	Name    string
	Type    string // .NET type as the binder names it: "System.String[]", "System.Guid", "switch", …
	Aliases []string
	Use     []SetUse // the sets it belongs to; empty: every set, not positional, not mandatory
	// Pipeline marks a parameter bound from pipeline input (ValueFromPipeline).
	Pipeline bool
	// Remaining marks ValueFromRemainingArguments (Write-Output -InputObject).
	Remaining bool
}

// SetUse is a parameter's role in one parameter set.
type SetUse struct {
	Set       string
	Position  int // -1: named only
	Mandatory bool
}

// Switch reports a switch parameter.
func (p *Param) Switch() bool { return p.Type == "switch" }

// in reports whether p belongs to set, and how.
func (p *Param) in(set string) (SetUse, bool) {
	if len(p.Use) == 0 {
		return SetUse{Set: set, Position: -1}, true
	}
	for _, u := range p.Use {
		if u.Set == set {
			return u, true
		}
	}
	return SetUse{}, false
}

// prm builds a parameter in the given set roles.
func prm(name, typ string, uses ...SetUse) Param { return Param{Name: name, Type: typ, Use: uses} }

// alias returns p with aliases.
func (p Param) alias(a ...string) Param { p.Aliases = a; return p }

// pipe returns p bound from pipeline input.
func (p Param) pipe() Param { p.Pipeline = true; return p }

// named is a role in each of sets, named only and optional.
func named(sets ...string) []SetUse {
	out := make([]SetUse, len(sets))
	for i, s := range sets {
		out[i] = SetUse{Set: s, Position: -1}
	}
	return out
}

// use builds SetUse entries: use("Name", 0, true) is position 0, mandatory
// in set Name; position -1 is named only.
func use(set string, pos int, mandatory bool) SetUse {
	return SetUse{Set: set, Position: pos, Mandatory: mandatory}
}

// commonParams are the common parameters of every cmdlet (about_CommonParameters,
// https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/about/about_commonparameters?view=powershell-5.1).
var commonParams = []Param{
	{Name: "Verbose", Type: "switch", Aliases: []string{"vb"}},
	{Name: "Debug", Type: "switch", Aliases: []string{"db"}},
	{Name: "ErrorAction", Type: "System.Management.Automation.ActionPreference", Aliases: []string{"ea"}},
	{Name: "WarningAction", Type: "System.Management.Automation.ActionPreference", Aliases: []string{"wa"}},
	{Name: "InformationAction", Type: "System.Management.Automation.ActionPreference", Aliases: []string{"infa"}},
	{Name: "ErrorVariable", Type: "System.String", Aliases: []string{"ev"}},
	{Name: "WarningVariable", Type: "System.String", Aliases: []string{"wv"}},
	{Name: "InformationVariable", Type: "System.String", Aliases: []string{"iv"}},
	{Name: "OutVariable", Type: "System.String", Aliases: []string{"ov"}},
	{Name: "OutBuffer", Type: "System.Int32", Aliases: []string{"ob"}},
	{Name: "PipelineVariable", Type: "System.String", Aliases: []string{"pv"}},
}

// shouldProcessParams are -WhatIf and -Confirm of SupportsShouldProcess cmdlets.
var shouldProcessParams = []Param{
	{Name: "WhatIf", Type: "switch", Aliases: []string{"wi"}},
	{Name: "Confirm", Type: "switch", Aliases: []string{"cf"}},
}

// Catalog is a set of cmdlets by name.
type Catalog struct {
	byName map[string]*Cmdlet
}

// Default is every cmdlet this package describes.
func Default() *Catalog {
	c := &Catalog{byName: make(map[string]*Cmdlet)}
	for _, group := range [][]*Cmdlet{hyperVCmdlets(), clusterCmdlets(), utilityCmdlets(), cimCmdlets()} {
		for _, cm := range group {
			c.byName[strings.ToLower(cm.Name)] = cm
		}
	}
	return c
}

// Lookup finds a cmdlet by name, case-insensitively, with or without its
// module qualifier ("Hyper-V\Get-VM").
func (c *Catalog) Lookup(name string) (*Cmdlet, bool) {
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		mod := name[:i]
		cm, ok := c.byName[strings.ToLower(name[i+1:])]
		if !ok || !strings.EqualFold(cm.Module, mod) {
			return nil, false
		}
		return cm, true
	}
	cm, ok := c.byName[strings.ToLower(name)]
	return cm, ok
}

// Names lists every cmdlet name, sorted.
func (c *Catalog) Names() []string {
	var out []string
	for _, cm := range c.byName {
		out = append(out, cm.Name)
	}
	sort.Strings(out)
	return out
}

// AllParams is the cmdlet's parameters followed by the common ones.
func (cm *Cmdlet) AllParams() []Param {
	out := append([]Param(nil), cm.Params...)
	if cm.ShouldProcess {
		out = append(out, shouldProcessParams...)
	}
	return append(out, commonParams...)
}

func lower(s string) string { return strings.ToLower(s) }
