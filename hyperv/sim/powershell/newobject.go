package powershell

// New-Object: the COM file system object a script asks for a share's free
// space (Scripting.FileSystemObject's GetDrive takes a UNC root), and the
// plain .NET objects scripts build.

import (
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/eval"
)

// comError is a COM method's failure, in Windows' words.
type comError string

func (e comError) Error() string { return string(e) }

// errDeviceUnavailable is FSO's error for a drive the host cannot reach.
const errDeviceUnavailable = comError("Exception from HRESULT: 0x800A0044 (CTL_E_DEVICEUNAVAILABLE)")

func (h *fleetHost) newObject(c *eval.Call) error {
	if com := c.String("ComObject"); com != "" {
		if !strings.EqualFold(com, "Scripting.FileSystemObject") {
			return c.Fail(c.Record("ResourceUnavailable", ":", "COMException", "NoCOMClassIdentified",
				"Retrieving the COM class factory for component with CLSID {00000000-0000-0000-0000-000000000000} failed due to the following error: 80040154 Class not registered (Exception from HRESULT: 0x80040154 (REGDB_E_CLASSNOTREG))."))
		}
		fso := eval.NewObject("System.__ComObject#{2a0b9d10-4b87-11d3-a97a-00104b365c9f}")
		fso.Methods = map[string]func([]any) (any, error){"getdrive": h.getDrive}
		c.Out(fso)
		return nil
	}
	switch strings.ToLower(strings.TrimPrefix(strings.ToLower(c.String("TypeName")), "system.")) {
	case "collections.hashtable":
		c.Out(&eval.Hash{})
	case "object", "management.automation.psobject", "psobject":
		c.Out(eval.Custom())
	default:
		return c.Fail(c.Record("InvalidType", ":", "PSArgumentException", "TypeNotFound",
			"Cannot find type ["+c.String("TypeName")+"]: verify that the assembly containing this type is loaded."))
	}
	return nil
}

// getDrive is FileSystemObject.GetDrive for a share the host reaches.
func (h *fleetHost) getDrive(args []any) (any, error) {
	if len(args) != 1 {
		return nil, comError("Invalid procedure call or argument")
	}
	want := strings.TrimRight(toStr(args[0]), `\`)
	if s, ok := args[0].(string); ok {
		want = strings.TrimRight(s, `\`)
	}
	for _, v := range h.state().Volumes {
		if v.Kind == model.StorageSMB && strings.EqualFold(strings.TrimRight(v.Path, `\`), want) {
			return eval.NewObject("System.__ComObject#{c7c3f5a0-88a3-11d0-abcb-00a0c90fffc0}",
				eval.Prop{Name: "Path", Value: v.Path},
				eval.Prop{Name: "ShareName", Value: v.Path},
				eval.Prop{Name: "IsReady", Value: true},
				eval.Prop{Name: "TotalSize", Value: float64(v.Size)},
				eval.Prop{Name: "AvailableSpace", Value: float64(v.Free)},
				eval.Prop{Name: "FreeSpace", Value: float64(v.Free)},
			), nil
		}
	}
	return nil, errDeviceUnavailable
}
