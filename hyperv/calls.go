package hyperv

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// hostJSON is get-host's output.
type hostJSON struct {
	Name                                      string
	FullyQualifiedDomainName                  string
	LogicalProcessorCount                     int
	MemoryCapacity                            int64
	VirtualMachineMigrationEnabled            bool
	MaximumVirtualMachineMigrations           int
	VirtualMachineMigrationAuthenticationType int
	VirtualMachineMigrationPerformanceOption  int
	Cluster                                   string
	ProcessorManufacturer                     string
	ProcessorCaption                          string
	ConfigVersions                            psList[string]
	Switches                                  psList[string]
	VirtualMachinePath                        string
	VirtualHardDiskPath                       string
	Volumes                                   psList[volumeJSON]
}

// vmJSON is one VM of get-vms' output.
type vmJSON struct {
	ID                   string `json:"Id"`
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
	Version              string
	Path                 string
	// ProcessorCompatibility is null when Get-VMProcessor listed no
	// processor for the VM.
	ProcessorCompatibility *bool
	Switches               psList[string]
	Disks                  psList[diskJSON]
}

// locationJSON is locate-vm's and move-vm's output.
type locationJSON struct {
	ID           string `json:"Id"`
	Name         string
	State        int
	Status       string
	ComputerName string
	IsClustered  bool
	// Absent is locate-vm saying that Get-VM reported no VM with the id.
	Absent bool
}

// clusterMoveJSON is move-cluster-vm's output.
type clusterMoveJSON struct {
	Name      string
	OwnerNode string
	State     int
}

// Host returns the host's facts and live-migration settings.
func (c *Client) Host(ctx context.Context) (HostInfo, error) {
	out, err := c.call(ctx, "get host", ScriptGetHost, struct{}{}, c.cfg.CallTimeout)
	if err != nil {
		return HostInfo{}, err
	}
	h, err := parseHost(out)
	if err != nil {
		return HostInfo{}, fmt.Errorf("get host on %s: %w", c.addr, err)
	}
	return h, nil
}

func parseHost(out []byte) (HostInfo, error) {
	h, ok, err := decodeOne[hostJSON](ScriptGetHost, out)
	if err != nil {
		return HostInfo{}, err
	}
	if !ok {
		return HostInfo{}, fmt.Errorf("parse %s output: no output: %w", ScriptGetHost, ErrUnexpectedOutput)
	}
	return hostInfoOf(h)
}

// hostInfoOf converts get-host's decoded output.
func hostInfoOf(h hostJSON) (HostInfo, error) {
	vols, err := volumesOf(h.Volumes)
	if err != nil {
		return HostInfo{}, err
	}
	return HostInfo{
		Name:              h.Name,
		FQDN:              h.FullyQualifiedDomainName,
		Cluster:           h.Cluster,
		LogicalProcessors: h.LogicalProcessorCount,
		MemoryCapacity:    h.MemoryCapacity,
		MigrationEnabled:  h.VirtualMachineMigrationEnabled,
		MaxMigrations:     h.MaximumVirtualMachineMigrations,
		AuthType:          MigrationAuthType(h.VirtualMachineMigrationAuthenticationType),
		PerformanceOption: MigrationPerformance(h.VirtualMachineMigrationPerformanceOption),
		ProcessorVendor:   h.ProcessorManufacturer,
		ProcessorModel:    h.ProcessorCaption,
		ConfigVersions:    []string(h.ConfigVersions),
		Switches:          []string(h.Switches),
		VMPath:            h.VirtualMachinePath,
		VHDPath:           h.VirtualHardDiskPath,
		Volumes:           vols,
	}, nil
}

// VMs returns every VM on the host, in the host's order.
func (c *Client) VMs(ctx context.Context) ([]VM, error) {
	out, err := c.call(ctx, "get vms", ScriptGetVMs, struct{}{}, c.cfg.CallTimeout)
	if err != nil {
		return nil, err
	}
	vms, err := parseVMs(out)
	if err != nil {
		return nil, fmt.Errorf("get vms on %s: %w", c.addr, err)
	}
	return vms, nil
}

func parseVMs(out []byte) ([]VM, error) {
	list, err := decodeList[vmJSON](ScriptGetVMs, out)
	if err != nil {
		return nil, err
	}
	return vmsOf(list)
}

// vmsOf converts get-vms' decoded output.
func vmsOf(list []vmJSON) ([]VM, error) {
	vms := make([]VM, 0, len(list))
	for i, v := range list {
		if v.ID == "" {
			return nil, fmt.Errorf("parse %s output: item %d: field Id: missing: %w", ScriptGetVMs, i, ErrUnexpectedOutput)
		}
		vms = append(vms, VM{
			ID:             v.ID,
			Name:           v.Name,
			State:          VMState(v.State),
			CPUUsage:       v.CPUUsage,
			ProcessorCount: v.ProcessorCount,
			MemoryAssigned: v.MemoryAssigned,
			MemoryDemand:   v.MemoryDemand,
			MemoryStartup:  v.MemoryStartup,
			DynamicMemory:  v.DynamicMemoryEnabled,
			Clustered:      v.IsClustered,
			Uptime:         time.Duration(v.Uptime),
			Notes:          v.Notes,
			Tags:           ParseTags(v.Notes),
			Host:           v.ComputerName,

			ConfigVersion:          v.Version,
			ProcessorCompatibility: v.ProcessorCompatibility != nil && *v.ProcessorCompatibility,
			Switches:               []string(v.Switches),
			Path:                   v.Path,
			Disks:                  disksOf(v.Disks),
		})
	}
	return vms, nil
}

// Counters samples the host's performance counters over sampleInterval
// (rounded up to whole seconds, at least one).
func (c *Client) Counters(ctx context.Context, sampleInterval time.Duration) (Counters, error) {
	secs := int((sampleInterval + time.Second - 1) / time.Second)
	secs = max(secs, 1)
	params := struct{ SampleInterval int }{secs}
	out, err := c.call(ctx, "get counters", ScriptGetCounters, params, c.cfg.CallTimeout+time.Duration(secs)*time.Second)
	if err != nil {
		return Counters{}, err
	}
	cs, err := parseCounters(out)
	if err != nil {
		return Counters{}, fmt.Errorf("get counters on %s: %w", c.addr, err)
	}
	return cs, nil
}

var guidRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

func checkVMID(id string) error {
	if !guidRE.MatchString(id) {
		return fmt.Errorf("vm id %q is not a GUID: %w", truncate(id, 64), ErrInvalidArgument)
	}
	return nil
}

// Locate finds a VM by id on this host. ok is false when the VM is not here.
func (c *Client) Locate(ctx context.Context, vmID string) (loc VMLocation, ok bool, err error) {
	op := "locate vm " + vmID
	if err := checkVMID(vmID); err != nil {
		return VMLocation{}, false, fmt.Errorf("locate vm on %s: %w", c.addr, err)
	}
	out, err := c.call(ctx, op, ScriptLocateVM, struct{ Id string }{vmID}, c.cfg.CallTimeout)
	if err != nil {
		return VMLocation{}, false, err
	}
	loc, ok, err = parseLocate(vmID, out)
	if err != nil {
		return VMLocation{}, false, fmt.Errorf("%s on %s: %w", op, c.addr, err)
	}
	return loc, ok, nil
}

// parseLocate reads locate-vm's answer. The script says "not here"
// explicitly ({"Id":…,"Absent":true}) when Get-VM failed with its
// VM-not-found error, and fails on any other error; anything else,
// including no output at all, is unexpected, so a failure is never read as
// the VM being elsewhere.
func parseLocate(vmID string, out []byte) (VMLocation, bool, error) {
	l, ok, err := decodeOne[locationJSON](ScriptLocateVM, out)
	switch {
	case err != nil:
		return VMLocation{}, false, err
	case !ok:
		return VMLocation{}, false, fmt.Errorf("parse %s output: no output, want the VM or an absence: %w", ScriptLocateVM, ErrUnexpectedOutput)
	case !strings.EqualFold(l.ID, vmID):
		return VMLocation{}, false, fmt.Errorf("parse %s output: vm id %q, want %s: %w", ScriptLocateVM, truncate(l.ID, 64), vmID, ErrUnexpectedOutput)
	case l.Absent:
		return VMLocation{}, false, nil
	}
	return locationOf(l), true, nil
}

func locationOf(l locationJSON) VMLocation {
	return VMLocation{
		ID:        l.ID,
		Name:      l.Name,
		Host:      l.ComputerName,
		State:     VMState(l.State),
		Status:    l.Status,
		Clustered: l.IsClustered,
	}
}

func parseLocation(script string, out []byte) (VMLocation, bool, error) {
	l, ok, err := decodeOne[locationJSON](script, out)
	if err != nil || !ok {
		return VMLocation{}, false, err
	}
	return locationOf(l), true, nil
}

func parseClusterMove(vmID string, out []byte) (VMLocation, bool, error) {
	m, ok, err := decodeOne[clusterMoveJSON](ScriptMoveClusterVM, out)
	if err != nil || !ok {
		return VMLocation{}, false, err
	}
	st := ClusterGroupState(m.State)
	return VMLocation{ID: vmID, Name: m.Name, Host: m.OwnerNode, State: st.vmState(), Status: st.String(), Clustered: true}, true, nil
}

func checkDestination(dst, storage string) error {
	switch {
	case dst == "" || len(dst) > 255:
		return fmt.Errorf("destination %q: want a host name of 1-255 characters: %w", truncate(dst, 64), ErrInvalidArgument)
	case strings.ContainsFunc(dst, isSpaceOrControl):
		return fmt.Errorf("destination %q: white space or control characters: %w", truncate(dst, 64), ErrInvalidArgument)
	case len(storage) > 1024 || strings.ContainsFunc(storage, isControl):
		return fmt.Errorf("storage path %q: too long or control characters: %w", truncate(storage, 64), ErrInvalidArgument)
	}
	return nil
}

func isSpaceOrControl(r rune) bool { return isControl(r) || r == ' ' || r == '\u00a0' }

// Move live-migrates the VM to destination and returns where it is then.
// A failure that Hyper-V reported is a *MigrationError (the VM stayed).
// An error matching ErrOutcomeUnknown means the request went out but its
// result never came back: the migration may still be running, so the caller
// must reconcile with Locate before trying again.
func (c *Client) Move(ctx context.Context, vmID, destination string, opt MoveOptions) (VMLocation, error) {
	op := fmt.Sprintf("move vm %s to %s on %s", vmID, destination, c.addr)
	if err := checkVMID(vmID); err != nil {
		return VMLocation{}, fmt.Errorf("move vm on %s: %w", c.addr, err)
	}
	if err := checkDestination(destination, opt.StoragePath); err != nil {
		return VMLocation{}, fmt.Errorf("%s: %w", op, err)
	}
	script := ScriptMoveVM
	var params any = struct {
		Id, DestinationHost, DestinationStoragePath string
	}{vmID, destination, opt.StoragePath}
	if opt.Clustered {
		script = ScriptMoveClusterVM
		params = struct{ Id, DestinationHost string }{vmID, destination}
	}
	res, cerr := c.run(ctx, script, params, c.cfg.MoveTimeout)
	if cerr != nil {
		if cerr.phase == phaseShell || (cerr.phase == phaseCommand && notDelivered(cerr.err)) {
			return VMLocation{}, fmt.Errorf("%s: %w", op, cerr.err)
		}
		return VMLocation{}, fmt.Errorf("%s: %w: %w", op, ErrOutcomeUnknown, cerr.err)
	}
	if res.exitCode != 0 {
		// A terminating error: Move-VM failed and the VM stayed.
		ps := scriptError(script, res)
		ps.Message = redact(ps.Message, c.cfg.Password)
		code, cause := migrationCause(ps.Message)
		return VMLocation{}, &MigrationError{
			VMID: vmID, Source: c.cfg.Host, Destination: destination,
			HResult: code, Message: ps.Message, Err: cause, PowerShell: ps, addr: c.addr,
		}
	}
	var loc VMLocation
	var ok bool
	var err error
	if opt.Clustered {
		loc, ok, err = parseClusterMove(vmID, res.stdout)
	} else {
		loc, ok, err = parseLocation(script, res.stdout)
	}
	if err == nil && !ok {
		// Success without the moved VM: only a non-terminating error does
		// that, and it does not say where the VM is.
		detail := "no output"
		if msg := parseErrorText(stderrText(res.stderr)).Message; msg != "" {
			detail += ", stderr: " + redact(msg, c.cfg.Password)
		}
		err = fmt.Errorf("parse %s output: %s: %w", script, detail, ErrUnexpectedOutput)
	}
	if err != nil {
		return VMLocation{}, fmt.Errorf("%s: %w: %w", op, ErrOutcomeUnknown, err)
	}
	return loc, nil
}

// notDelivered reports whether a failed command request surely never
// reached the host's shell: the connection could not be made, or the host
// answered with an HTTP error instead of starting the command.
func notDelivered(err error) bool {
	if errors.Is(err, ErrUnreachable) || errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrCertificate) || errors.Is(err, ErrUnencryptedRefused) {
		return true
	}
	return httpRejectRE.MatchString(err.Error())
}

// httpRejectRE matches the host refusing a request outright: a client
// error, or a WS-Man fault (500). Gateway errors (502-504) do not count:
// a proxy may have passed the request on.
var httpRejectRE = regexp.MustCompile(`http (?:(?:response )?error:?|status) (?:4\d\d|500)\b`)
