package powershell

// Live migration and its checks: Move-VM, Compare-VM and the
// FailoverClusters cmdlets, over the fleet model.

import (
	"errors"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/eval"
)

// moveError turns a model error into the cmdlet's error record.
func moveError(c *eval.Call, err error) *eval.ErrorRecord {
	var me *model.MoveError
	if !errors.As(err, &me) {
		return c.Record("NotSpecified", ":", "VirtualizationException", "OperationFailed", err.Error())
	}
	cmd := me.Command
	if cmd == "" {
		cmd = c.Cmd.Name
	}
	return &eval.ErrorRecord{Command: cmd, Message: me.Lines(), Category: me.Category, ErrorID: me.ErrorID, Pos: c.Pos, Len: c.NameLen}
}

// targetVM is the VM a Move-VM or Compare-VM addresses: -VM (or the
// pipeline) or -Name on this host.
func (h *fleetHost) targetVM(c *eval.Call) (model.VMState, error) {
	if name := c.String("Name"); name != "" {
		for _, v := range h.fleet.VMs(h.host) {
			if strings.EqualFold(v.Name, name) {
				return v, nil
			}
		}
		return model.VMState{}, c.Fail(c.Record("InvalidArgument", name+":String", "VirtualizationException", "InvalidParameter", "Hyper-V was unable to find a virtual machine with name \""+name+"\"."))
	}
	vms, err := h.vmsOf(c)
	if err != nil {
		return model.VMState{}, err
	}
	if len(vms) == 0 {
		return model.VMState{}, c.Fail(c.Record("InvalidData", ":", "ParameterBindingValidationException", "ParameterArgumentValidationErrorNullNotAllowed",
			"Cannot validate argument on parameter 'VM'. The argument is null or empty. Provide an argument that is not null or empty, and then try the command again."))
	}
	return vms[0], nil
}

// request builds the migration Move-VM and Compare-VM ask for.
func (h *fleetHost) request(c *eval.Call) (model.MigrationRequest, error) {
	v, err := h.targetVM(c)
	if err != nil {
		return model.MigrationRequest{}, err
	}
	if !strings.EqualFold(v.Host, h.host) {
		me := model.VMNotFound(v.ID)
		return model.MigrationRequest{}, c.WriteError(&eval.ErrorRecord{Command: me.Command, Message: me.Lines(), Category: me.Category, ErrorID: me.ErrorID, Pos: c.Pos, Len: c.NameLen})
	}
	dest := c.String("DestinationHost")
	if dest == "" {
		return model.MigrationRequest{}, c.Fail(&eval.ErrorRecord{Command: c.Cmd.Name, Message: []string{"Cannot validate argument on parameter 'DestinationHost'. The argument is null or empty. Provide an argument that is not null or empty, and then try the command again."},
			Category: "InvalidData: (:) [" + c.Cmd.Name + "], ParameterBindingValidationException", ErrorID: "ParameterArgumentValidationError," + c.Cmd.Class, Pos: c.Pos, Len: c.NameLen})
	}
	return model.MigrationRequest{VMID: v.ID, Source: h.host, Destination: dest,
		IncludeStorage: c.Has("IncludeStorage"), DestinationStoragePath: c.String("DestinationStoragePath")}, nil
}

func (h *fleetHost) moveVM(c *eval.Call) error {
	req, err := h.request(c)
	if err != nil || req.VMID == "" {
		return err
	}
	v, err := h.fleet.Migrate(c.Ctx(), req)
	if err != nil {
		if c.Ctx().Err() != nil {
			return c.Ctx().Err()
		}
		return c.WriteError(moveError(c, err))
	}
	if c.Has("Passthru") {
		c.Out(h.vmObject(v))
	}
	return nil
}

func (h *fleetHost) compareVM(c *eval.Call) error {
	req, err := h.request(c)
	if err != nil || req.VMID == "" {
		return err
	}
	list, err := h.fleet.Compare(req)
	if err != nil {
		return c.WriteError(moveError(c, err))
	}
	v, _ := h.fleet.VM(req.VMID)
	incompat := []any{}
	for _, in := range list {
		incompat = append(incompat, eval.NewObject("Microsoft.HyperV.PowerShell.VMCompatibilityError",
			eval.Prop{Name: "Message", Value: in.Message},
			eval.Prop{Name: "MessageId", Value: in.MessageID},
			eval.Prop{Name: "Source", Value: sourceObject(in.Source)},
		))
	}
	c.Out(eval.NewObject("Microsoft.HyperV.PowerShell.VMCompatibilityReport",
		eval.Prop{Name: "VM", Value: h.vmObject(v)},
		eval.Prop{Name: "OperationType", Value: eval.Enum{Type: "Microsoft.HyperV.PowerShell.OperationType", Name: "MoveVirtualMachine", Value: 2}},
		eval.Prop{Name: "Destination", Value: req.Destination},
		eval.Prop{Name: "Path", Value: v.Path},
		eval.Prop{Name: "Incompatibilities", Value: incompat},
	))
	return nil
}

func (h *fleetHost) getCluster(c *eval.Call) error {
	st := h.state()
	domain := ""
	if _, d, ok := strings.Cut(st.FQDN, "."); ok {
		domain = d
	}
	c.Out(eval.NewObject("Microsoft.FailoverClusters.PowerShell.Cluster",
		eval.Prop{Name: "Name", Value: st.Cluster},
		eval.Prop{Name: "Domain", Value: domain},
	))
	return nil
}

func (h *fleetHost) moveClusterVM(c *eval.Call) error {
	id, _ := c.Params["VMId"].(eval.Guid)
	if id == "" {
		name := c.String("Name")
		for _, hn := range h.fleet.HostNames() {
			for _, v := range h.fleet.VMs(hn) {
				if strings.EqualFold(v.Name, name) && v.Clustered {
					id = eval.Guid(v.ID)
				}
			}
		}
	}
	v, err := h.fleet.Migrate(c.Ctx(), model.MigrationRequest{VMID: string(id), Source: h.host, Destination: c.String("Node"), Cluster: true})
	if err != nil {
		if c.Ctx().Err() != nil {
			return c.Ctx().Err()
		}
		return c.WriteError(moveError(c, err))
	}
	c.Out(eval.NewObject("Microsoft.FailoverClusters.PowerShell.ClusterGroup",
		eval.Prop{Name: "Name", Value: v.Name},
		eval.Prop{Name: "OwnerNode", Value: eval.NewObject("Microsoft.FailoverClusters.PowerShell.ClusterNode",
			eval.Prop{Name: "Name", Value: h.hostName(v.Host)},
			eval.Prop{Name: "State", Value: eval.Enum{Type: "Microsoft.FailoverClusters.PowerShell.ClusterNodeState", Name: "Up", Value: 0}})},
		eval.Prop{Name: "State", Value: eval.Enum{Type: "Microsoft.FailoverClusters.PowerShell.ClusterGroupState", Name: "Online", Value: 0}},
	))
	return nil
}

// sourceObject stands for the object an incompatibility concerns: only its
// type is known (the report's Source.GetType().FullName).
func sourceObject(typ string) any {
	if typ == "" {
		return nil
	}
	o := eval.NewObject(typ)
	o.Text = typ
	return o
}
