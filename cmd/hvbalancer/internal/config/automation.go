package config

// Automation is how far the daemon acts on its own. Its values are the
// configuration file's automation key and the API's status mode.
type Automation string

// Automation levels, as in DRS.
const (
	AutomationManual  Automation = "manual"  // plans wait for approval
	AutomationPartial Automation = "partial" // policy requests run on their own, balancing waits
	AutomationFull    Automation = "full"    // everything runs within the limits
)

// Valid reports whether a is one of the automation levels.
func (a Automation) Valid() bool {
	switch a {
	case AutomationManual, AutomationPartial, AutomationFull:
		return true
	}
	return false
}
