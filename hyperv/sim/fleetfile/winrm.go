package fleetfile

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// WinRMSpec configures a host's WinRM service, as winrm/config/service
// does on Windows. The fleet's winrm block applies to every host; a host's
// own block overrides it field by field. What neither says is Windows
// Server's default: Negotiate and Kerberos, no Basic, no unencrypted
// messages.
type WinRMSpec struct {
	// Auth lists the schemes the service accepts: negotiate (NTLM or
	// Kerberos through SPNEGO), kerberos and basic. Default [negotiate,
	// kerberos].
	Auth []string `yaml:"auth,omitempty"`
	// Basic turns Basic on (true) or off (false) in the list this block
	// inherits: a shorthand for writing auth out, so not both at once.
	Basic *bool `yaml:"basic,omitempty"`
	// AllowUnencrypted accepts unsealed messages, and Basic, over plain
	// HTTP. Default false.
	AllowUnencrypted *bool `yaml:"allow_unencrypted,omitempty"`
	// HTTPS serves the host over TLS only (port 5986's listener instead
	// of 5985's). Default: the simulator's --https flag.
	HTTPS *bool `yaml:"https,omitempty"`
}

// The schemes of WinRMSpec.Auth.
const (
	AuthNegotiate = "negotiate"
	AuthKerberos  = "kerberos"
	AuthBasic     = "basic"
)

// WinRMSettings is a host's WinRM service, resolved from the fleet file.
type WinRMSettings struct {
	Auth             []string // lower-case scheme names, in the order given
	AllowUnencrypted bool
	HTTPS            *bool // nil: the simulator's default
}

// Accepts reports whether the service takes scheme (e.g. AuthBasic).
func (w WinRMSettings) Accepts(scheme string) bool { return slices.Contains(w.Auth, scheme) }

func (w *WinRMSettings) apply(spec *WinRMSpec) {
	if spec == nil {
		return
	}
	if spec.Auth != nil {
		w.Auth = nil
		for _, a := range spec.Auth {
			w.Auth = append(w.Auth, strings.ToLower(a))
		}
	}
	if spec.Basic != nil {
		w.Auth = slices.DeleteFunc(slices.Clone(w.Auth), func(a string) bool { return a == AuthBasic })
		if *spec.Basic {
			w.Auth = append(w.Auth, AuthBasic)
		}
	}
	if spec.AllowUnencrypted != nil {
		w.AllowUnencrypted = *spec.AllowUnencrypted
	}
	if spec.HTTPS != nil {
		w.HTTPS = spec.HTTPS
	}
}

// validate checks one winrm block.
func (w *WinRMSpec) validate(c *checker, p string) {
	if w == nil {
		return
	}
	if w.Auth != nil && w.Basic != nil {
		c.add(p, "give basic or auth, not both: basic turns Basic on or off in the inherited auth list")
	}
	if w.Auth != nil && len(w.Auth) == 0 {
		c.add(p+".auth", "must list at least one of negotiate, kerberos, basic")
	}
	seen := map[string]bool{}
	for i, a := range w.Auth {
		name := strings.ToLower(a)
		switch {
		case name == "ntlm":
			c.add(fmt.Sprintf("%s.auth[%d]", p, i), "ntlm is not a WinRM service scheme: NTLM is accepted through negotiate")
		case name != AuthNegotiate && name != AuthKerberos && name != AuthBasic:
			c.add(fmt.Sprintf("%s.auth[%d]", p, i), "unknown scheme %q (want negotiate, kerberos or basic)", a)
		case seen[name]:
			c.add(fmt.Sprintf("%s.auth[%d]", p, i), "%s is listed twice", name)
		}
		seen[name] = true
	}
}

// Lockout is the account lockout policy of the fleet's domain, applied as
// Active Directory applies it to the fleet's account on the fleet's
// simulated clock: each bad logon within Window of the previous one adds
// to the account's count (a longer pause starts it again), Threshold of
// them lock the account for Duration, during which even the right
// password is refused, and a good logon resets the count. The count is
// the domain's, so bad logons on every host add up.
type Lockout struct {
	// Threshold is the number of bad logons that locks the account
	// ("Account lockout threshold"); 0 never locks. Default 5, the most
	// the CIS benchmarks allow.
	Threshold *int `yaml:"threshold,omitempty"`
	// Window is "Reset account lockout counter after". Default 30m, what
	// Windows suggests once a threshold is set.
	Window Duration `yaml:"window,omitempty"`
	// Duration is "Account lockout duration". Default 30m, likewise.
	Duration Duration `yaml:"duration,omitempty"`
}

// Defaults of Lockout.
const (
	DefaultLockoutThreshold = 5
	DefaultLockoutWindow    = 30 * time.Minute
	DefaultLockoutDuration  = 30 * time.Minute
)

// maxLockoutMinutes is what Windows accepts for both durations.
const maxLockoutMinutes = 99999

func (l *Lockout) setDefaults() {
	if l.Threshold == nil {
		n := DefaultLockoutThreshold
		l.Threshold = &n
	}
	if l.Window == 0 {
		l.Window = Duration(DefaultLockoutWindow)
	}
	if l.Duration == 0 {
		l.Duration = Duration(DefaultLockoutDuration)
	}
}

func (l *Lockout) validate(c *checker, p string) {
	if l.Threshold != nil && (*l.Threshold < 0 || *l.Threshold > 999) {
		c.add(p+".threshold", "must be between 0 (never lock) and 999")
	}
	limit := Duration(maxLockoutMinutes * time.Minute)
	for _, d := range []struct {
		name  string
		value Duration
	}{{"window", l.Window}, {"duration", l.Duration}} {
		if d.value < Duration(time.Minute) || d.value > limit {
			c.add(p+"."+d.name, "must be between 1m and %dm, as Windows allows", maxLockoutMinutes)
		}
	}
	if l.Window > l.Duration {
		c.add(p+".window", "must not be longer than duration (%s), as Windows requires", l.Duration)
	}
}
