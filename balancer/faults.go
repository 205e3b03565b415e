package balancer

// fault is the hard limit a candidate move breaks.
type fault int

const (
	faultNone fault = iota
	faultMoved
	faultHeld
	faultSameHost
	faultIneligible
	faultNoCluster
	faultCluster
	faultVendor  // compatibility: processor vendor
	faultModel   // compatibility: processor family and model
	faultVersion // compatibility: configuration version
	faultSwitch  // compatibility: virtual switch
	faultRefused // Compare-VM refused this VM and destination lately
	faultCSV     // storage: on a cluster shared volume of another cluster
	faultInflow
	faultMemory        // memory: over capacity minus the reserve
	faultMemoryHigh    // memory: over memory_high
	faultCPU           // CPU: over cpu_high or the ceiling, whichever is lower
	faultStoragePath   // storage move: the destination has no storage path
	faultStorageVolume // storage move: no volume holds the destination's path
	faultStorageFull   // storage move: the volume would fall under the reserve
)

// cannotRun reports whether f says the VM cannot run on or reach the
// destination at all, or that its storage would not fit there: the
// limits a plan lists as refused destinations.
func (f fault) cannotRun() bool {
	switch f {
	case faultVendor, faultModel, faultVersion, faultSwitch, faultRefused, faultCSV,
		faultStoragePath, faultStorageVolume, faultStorageFull:
		return true
	}
	return false
}
