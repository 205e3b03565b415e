package balancer

import (
	"fmt"
	"strings"

	"github.com/hvbalancer/hvbalancer/collector"
)

// Compatibility. A live migration needs the destination to run the VM as it
// is: the same processor vendor; the same processor family and model unless
// the VM has processor compatibility for migration turned on (steppings of
// one model count as the same); the VM's configuration version among the
// destination's supported ones; and every virtual switch its network
// adapters use (by name, case-insensitive). Data a host or VM does not report
// (an empty field, as in snapshots from before these facts were collected)
// refuses nothing: the check is for what is known to differ.

// hostOffers is what a host offers a VM, worked out once per pass.
type hostOffers struct {
	vendor, model string // "" unknown
	versions      bits
	versionsKnown bool
	switches      bits
	switchesKnown bool
	store         storeTarget
}

// vmNeeds is what a VM needs of a destination, worked out once per pass.
type vmNeeds struct {
	vendor, model string // its host's; "" unknown
	compat        bool   // processor compatibility for migration
	version       int    // interned configuration version; -1 unknown
	switches      bits
	storage       vmStorage
}

// offersOf works out what host h offers.
func offersOf(h *collector.Host, in *interners, cfg Config) hostOffers {
	o := hostOffers{vendor: h.ProcessorVendor, model: modelKey(h.ProcessorModel)}
	for _, v := range h.ConfigVersions {
		o.versions.add(in.versions.id(strings.TrimSpace(v)))
		o.versionsKnown = true
	}
	for _, s := range h.Switches {
		o.switches.add(in.switches.id(s))
		o.switchesKnown = true
	}
	o.store = storeTargetOf(h, in, cfg)
	return o
}

// needsOf works out what VM v needs, on a host that offers src (nil when
// its host is unknown): the host's processor is worked out once a host, not
// once a VM.
func needsOf(v *collector.VM, src *hostOffers, in *interners) vmNeeds {
	n := vmNeeds{compat: v.ProcessorCompatibility, version: -1}
	if src != nil {
		n.vendor, n.model = src.vendor, src.model
	}
	if cv := strings.TrimSpace(v.ConfigVersion); cv != "" {
		n.version = in.versions.id(cv)
	}
	for _, s := range v.Switches {
		if s != "" {
			n.switches.add(in.switches.id(s))
		}
	}
	n.storage = storageOf(v, in)
	return n
}

// modelKey is a processor's family and model: Win32_Processor's caption
// without its stepping ("Intel64 Family 6 Model 106").
func modelKey(caption string) string {
	c := caption
	if !singleSpaced(c) {
		c = strings.Join(strings.Fields(c), " ")
	}
	const stepping = " stepping"
	for i := 0; i+len(stepping) <= len(c); i++ {
		if c[i] == ' ' && strings.EqualFold(c[i:i+len(stepping)], stepping) {
			return c[:i]
		}
	}
	return c
}

// singleSpaced reports whether s is printable ASCII words, each apart from
// the next by one space: what strings.Fields and Join would leave as it
// is. A pass builds every VM's needs from its host's caption, and that
// caption is almost always so.
func singleSpaced(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return s == ""
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == ' ' && s[i+1] == ' ' {
			return false
		}
	}
	return true
}

// compatFault is the compatibility limit moving a VM with needs n to a host
// offering o breaks, or faultNone. No allocation.
func compatFault(n *vmNeeds, o *hostOffers) fault {
	switch {
	case n.vendor != "" && o.vendor != "" && n.vendor != o.vendor:
		return faultVendor
	case !n.compat && n.model != "" && o.model != "" && n.model != o.model:
		return faultModel
	case n.version >= 0 && o.versionsKnown && !o.versions.has(n.version):
		return faultVersion
	case o.switchesKnown && !n.switches.subsetOf(o.switches):
		return faultSwitch
	}
	return faultNone
}

// compatMessage says why f refuses moving VM v from host src to host dst.
func compatMessage(f fault, v *collector.VM, src, dst *collector.Host) string {
	switch f {
	case faultVendor:
		return fmt.Sprintf("incompatible processor: host %s has %s processors, the vm runs on %s ones (host %s)",
			dst.Name, dst.ProcessorVendor, src.ProcessorVendor, src.Name)
	case faultModel:
		return fmt.Sprintf("incompatible processor: host %s has a %s, the vm runs on a %s (host %s) without processor compatibility for migration",
			dst.Name, modelKey(dst.ProcessorModel), modelKey(src.ProcessorModel), src.Name)
	case faultVersion:
		return fmt.Sprintf("unsupported configuration version: host %s runs versions %s, not the vm's %s",
			dst.Name, strings.Join(dst.ConfigVersions, ", "), strings.TrimSpace(v.ConfigVersion))
	case faultSwitch:
		var missing []string
		for _, s := range v.Switches {
			if s != "" && !containsFold(dst.Switches, s) && !containsFold(missing, s) {
				missing = append(missing, s)
			}
		}
		return fmt.Sprintf("missing virtual switch: host %s has no switch %s", dst.Name, quoteList(missing))
	}
	return ""
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}
