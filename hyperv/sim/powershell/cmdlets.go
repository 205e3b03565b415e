package powershell

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
)

// scriptRun is one run of one of hvbalancer's scripts on one host.
type scriptRun struct {
	fleet  *model.Fleet
	host   string
	script script
	params params
}

// The objects below have exactly the properties, in the order, that the
// scripts' Select-Object calls produce.

type hostObject struct {
	Name                                      string
	FullyQualifiedDomainName                  string
	LogicalProcessorCount                     int
	MemoryCapacity                            int64
	VirtualMachineMigrationEnabled            bool
	MaximumVirtualMachineMigrations           int
	VirtualMachineMigrationAuthenticationType int
	VirtualMachineMigrationPerformanceOption  int
	Cluster                                   *string
}

type vmObject struct {
	Id                   string //nolint:revive // the PowerShell property name
	Name                 string
	State                int
	CPUUsage             int
	ProcessorCount       int
	MemoryAssigned       int64
	MemoryDemand         int64
	MemoryStartup        int64
	DynamicMemoryEnabled bool
	IsClustered          bool
	Uptime               psTimeSpan
	Notes                string
	ComputerName         string
}

type locationObject struct {
	Id           string //nolint:revive // the PowerShell property name
	Name         string
	State        int
	Status       string
	ComputerName string
	IsClustered  bool
}

type counterObject struct {
	Path         string
	InstanceName string
	CookedValue  float64
	Timestamp    psDate
}

type clusterGroupObject struct {
	Name      string
	OwnerNode string
	State     int
}

func (r *scriptRun) getHost() ([]any, *psError) {
	h, ok := r.fleet.Host(r.host)
	if !ok {
		return nil, r.cmdletError("Get-VMHost", []string{"The operation on computer '" + r.host + "' failed: The WS-Management service cannot process the request."}, "NotSpecified: (:) [Get-VMHost], VirtualizationException", "Unspecified,Microsoft.HyperV.PowerShell.Commands.GetVMHost")
	}
	var cluster *string
	if h.Cluster != "" {
		c := h.Cluster
		cluster = &c
	}
	return []any{hostObject{
		Name:                                      h.Name,
		FullyQualifiedDomainName:                  h.FQDN,
		LogicalProcessorCount:                     h.LogicalProcessors,
		MemoryCapacity:                            h.MemoryCapacity,
		VirtualMachineMigrationEnabled:            h.MigrationEnabled,
		MaximumVirtualMachineMigrations:           h.MaxMigrations,
		VirtualMachineMigrationAuthenticationType: h.AuthType,
		VirtualMachineMigrationPerformanceOption:  h.PerformanceOption,
		Cluster:                                   cluster,
	}}, nil
}

func (r *scriptRun) getVMs() ([]any, *psError) {
	var out []any
	for _, v := range r.fleet.VMs(r.host) {
		out = append(out, vmObject{
			Id:                   v.ID,
			Name:                 v.Name,
			State:                int(v.State),
			CPUUsage:             v.CPUUsage,
			ProcessorCount:       v.CPUs,
			MemoryAssigned:       v.MemoryAssigned,
			MemoryDemand:         v.MemoryDemand,
			MemoryStartup:        v.MemoryStartup,
			DynamicMemoryEnabled: v.Dynamic,
			IsClustered:          v.Clustered,
			Uptime:               psTimeSpan(v.Uptime),
			Notes:                v.Notes,
			ComputerName:         r.hostName(),
		})
	}
	return out, nil
}

// hostName is the host's name as Windows spells it.
func (r *scriptRun) hostName() string {
	if h, ok := r.fleet.Host(r.host); ok {
		return h.Name
	}
	return r.host
}

func (r *scriptRun) getCounters(ctx context.Context) ([]any, *psError) {
	interval := 0
	if v, ok := r.params["SampleInterval"].(float64); ok {
		interval = int(v)
	}
	if interval < 1 {
		return nil, r.cmdletError("Get-Counter",
			[]string{fmt.Sprintf("Cannot validate argument on parameter 'SampleInterval'. The %d argument is less than the minimum allowed range of 1. Supply an argument that is greater than or equal to 1 and then try the command again.", interval)},
			"InvalidData: (:) [Get-Counter], ParameterBindingValidationException",
			"ParameterArgumentValidationError,Microsoft.PowerShell.Commands.GetCounterCommand")
	}
	// Get-Counter takes two readings SampleInterval apart for its rates.
	select {
	case <-r.fleet.Clock().After(time.Duration(interval) * time.Second):
	case <-ctx.Done():
		return nil, nil
	}
	h, ok := r.fleet.Host(r.host)
	if !ok {
		return nil, nil
	}
	ts := psDate(r.fleet.Clock().Now())
	prefix := `\\` + strings.ToLower(h.Name) + `\`
	row := func(object, instance, counter string, v float64) counterObject {
		path := prefix + object
		if instance != "" || object != "memory" {
			path += "(" + instance + ")"
		}
		return counterObject{Path: path + `\` + counter, InstanceName: instance, CookedValue: v, Timestamp: ts}
	}
	out := []any{row("hyper-v hypervisor logical processor", "_total", "% total run time", h.CPUPercent)}
	var vpTotal float64
	var vpCount int
	var pressure []any
	for _, v := range r.fleet.VMs(r.host) {
		if v.State != model.VMRunning {
			continue
		}
		name := strings.ToLower(v.Name)
		for i, g := range v.GuestRunTime {
			out = append(out, row("hyper-v hypervisor virtual processor", name+":hv vp "+strconv.Itoa(i), "% guest run time", g))
			vpTotal += g
			vpCount++
		}
		if v.Dynamic {
			pressure = append(pressure, row("hyper-v dynamic memory vm", name, "average pressure", float64(v.MemoryPressure)))
		}
	}
	if vpCount > 0 {
		out = append(out, row("hyper-v hypervisor virtual processor", "_total", "% guest run time", vpTotal/float64(vpCount)))
	}
	out = append(out, row("memory", "", "available mbytes", float64(h.AvailableMBytes)))
	return append(out, pressure...), nil
}

// vmID reads and validates the Id parameter as Get-VM -Id binds it.
func (r *scriptRun) vmID() (string, *psError) {
	raw, ok := r.params.str("Id")
	if !ok || raw == "" {
		return "", r.cmdletError("Get-VM",
			[]string{"Cannot validate argument on parameter 'Id'. The argument is null or empty. Provide an argument that is not null or empty, and then try the command again."},
			"InvalidData: (:) [Get-VM], ParameterBindingValidationException",
			"ParameterArgumentValidationError,Microsoft.HyperV.PowerShell.Commands.GetVM")
	}
	id, ok := parseGUID(raw)
	if !ok {
		return "", r.cmdletError("Get-VM",
			[]string{`Cannot bind parameter 'Id'. Cannot convert value "` + raw + `" to type "System.Guid". Error: "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."`},
			"InvalidArgument: (:) [Get-VM], ParameterBindingException",
			"CannotConvertArgumentNoMessage,Microsoft.HyperV.PowerShell.Commands.GetVM")
	}
	return id, nil
}

func (r *scriptRun) locateVM() ([]any, *psError) {
	id, pe := r.vmID()
	if pe != nil {
		return nil, pe
	}
	v, ok := r.fleet.VM(id)
	if !ok || !strings.EqualFold(v.Host, r.host) {
		return nil, nil // Get-VM -ErrorAction SilentlyContinue: no output
	}
	return []any{r.location(v)}, nil
}

func (r *scriptRun) location(v model.VMState) locationObject {
	host := v.Host
	if h, ok := r.fleet.Host(v.Host); ok {
		host = h.Name
	}
	return locationObject{Id: v.ID, Name: v.Name, State: int(v.State), Status: v.Status, ComputerName: host, IsClustered: v.Clustered}
}

func (r *scriptRun) moveVM(ctx context.Context) ([]any, *psError) {
	id, pe := r.vmID()
	if pe != nil {
		return nil, pe
	}
	if v, ok := r.fleet.VM(id); !ok || !strings.EqualFold(v.Host, r.host) {
		me := model.VMNotFound(id)
		return nil, r.cmdletError(me.Command, me.Lines(), me.Category, me.ErrorID)
	}
	dest, ok := r.params.str("DestinationHost")
	if !ok || dest == "" {
		return nil, r.cmdletError("Move-VM",
			[]string{"Cannot validate argument on parameter 'DestinationHost'. The argument is null or empty. Provide an argument that is not null or empty, and then try the command again."},
			"InvalidData: (:) [Move-VM], ParameterBindingValidationException",
			"ParameterArgumentValidationError,Microsoft.HyperV.PowerShell.Commands.MoveVM")
	}
	return r.migrate(ctx, "Move-VM", model.MigrationRequest{VMID: id, Source: r.host, Destination: dest}, func(v model.VMState) any { return r.location(v) })
}

func (r *scriptRun) moveClusterVM(ctx context.Context) ([]any, *psError) {
	const cmdlet = "Move-ClusterVirtualMachineRole"
	if h, ok := r.fleet.Host(r.host); !ok || h.Cluster == "" {
		e := r.script.notRecognized(cmdlet)
		return nil, &e
	}
	raw, _ := r.params.str("Id")
	id, ok := parseGUID(raw)
	if !ok {
		return nil, r.cmdletError(cmdlet,
			[]string{`Cannot bind parameter 'VMId'. Cannot convert value "` + raw + `" to type "System.Guid". Error: "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."`},
			"InvalidArgument: (:) ["+cmdlet+"], ParameterBindingException",
			"CannotConvertArgumentNoMessage,Microsoft.FailoverClusters.PowerShell.MoveClusterVirtualMachineRoleCommand")
	}
	dest, _ := r.params.str("DestinationHost")
	return r.migrate(ctx, cmdlet, model.MigrationRequest{VMID: id, Source: r.host, Destination: dest, Cluster: true}, func(v model.VMState) any {
		owner := v.Host
		if h, ok := r.fleet.Host(v.Host); ok {
			owner = h.Name
		}
		return clusterGroupObject{Name: v.Name, OwnerNode: owner, State: 0}
	})
}

// migrate runs a live migration on behalf of cmdlet and renders its result.
func (r *scriptRun) migrate(ctx context.Context, cmdlet string, req model.MigrationRequest, result func(model.VMState) any) ([]any, *psError) {
	v, err := r.fleet.Migrate(ctx, req)
	if err == nil {
		return []any{result(v)}, nil
	}
	if ctx.Err() != nil {
		return nil, nil
	}
	var me *model.MoveError
	if !errors.As(err, &me) {
		return nil, r.cmdletError(cmdlet, []string{err.Error()}, "NotSpecified: (:) ["+cmdlet+"], VirtualizationException", "OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM")
	}
	if me.Command != "" {
		cmdlet = me.Command
	}
	return nil, r.cmdletError(cmdlet, me.Lines(), me.Category, me.ErrorID)
}

// cmdletError builds the error record of a failing cmdlet, positioned at its
// first appearance in the script.
func (r *scriptRun) cmdletError(cmdlet string, msg []string, category, errorID string) *psError {
	line, char, src := r.script.lineOf(cmdlet)
	return &psError{Command: cmdlet, Message: msg, Line: line, Char: char, Source: src, Category: category, ErrorID: errorID}
}

// parseGUID accepts the forms System.Guid parses (with or without dashes or
// braces) and returns the lower-case dashed form.
func parseGUID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	hex := strings.ReplaceAll(s, "-", "")
	if len(hex) != 32 || (len(s) != 32 && len(s) != 36) {
		return "", false
	}
	if len(s) == 36 && (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') {
		return "", false
	}
	for _, c := range hex {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return "", false
		}
	}
	h := strings.ToLower(hex)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], true
}
