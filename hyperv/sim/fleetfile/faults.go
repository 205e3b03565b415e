package fleetfile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Faults are the failures injected into one host, from its fleet file or at
// run time (SetFaults, the admin API). Unreachable, Latency,
// WrongCredentials, Hang and DropConnection shape how the host answers WinRM;
// MoveFailureRate, MoveFailure, Hang and Crashed shape its migrations.
type Faults struct {
	Unreachable      bool     `yaml:"unreachable,omitempty" json:"unreachable"`
	Latency          Duration `yaml:"latency,omitempty" json:"latency"`                     // every WinRM response delayed
	WrongCredentials bool     `yaml:"wrong_credentials,omitempty" json:"wrong_credentials"` // the host refuses the account: 401, never counted toward its lockout
	MoveFailureRate  float64  `yaml:"move_failure_rate,omitempty" json:"move_failure_rate"` // 0..1
	MoveFailure      string   `yaml:"move_failure,omitempty" json:"move_failure"`           // HRESULT such as "0x8009030E" (the default)
	Hang             bool     `yaml:"hang,omitempty" json:"hang"`                           // commands never finish
	DropConnection   bool     `yaml:"drop_connection,omitempty" json:"drop_connection"`     // connection dropped while a migration runs
	Crashed          bool     `yaml:"crashed,omitempty" json:"crashed"`
	// PerfCountersMissing: the host's performance counter classes are
	// gone (a damaged counter registry, which lodctr /R rebuilds):
	// Get-CimInstance of a Win32_PerfRawData class fails with "Invalid
	// class" while everything else answers.
	PerfCountersMissing bool `yaml:"perf_counters_missing,omitempty" json:"perf_counters_missing"`
}

// DefaultMoveFailure is the HRESULT a failing move reports when the fleet
// file names none: no credentials for the second hop.
const DefaultMoveFailure = "0x8009030E"

// HRESULTs the simulator produces.
const (
	HResultNoCredentials   uint32 = 0x8009030E // double hop: no credentials in the security package
	HResultNoSuitableCreds uint32 = 0x8009030D // Kerberos delegation not configured
	HResultOutOfMemory     uint32 = 0x8007000E
	HResultTimeout         uint32 = 0x800705B4
	HResultRefused         uint32 = 0x8007274D // connection refused: host unknown, unreachable or down
	HResultNotConfigured   uint32 = 0x80042001 // live migration disabled
	HResultBusy            uint32 = 0x800700AA // already being migrated
	HResultInvalidArg      uint32 = 0x80070057
	HResultClusteredVM     uint32 = 0x8007139F // clustered VM moved with Move-VM
	HResultNodeNotFound    uint32 = 0x800713B2 // node outside the VM's cluster
	HResultNotClusterNode  uint32 = 0x800713BC
	HResultResourceMissing uint32 = 0x8007138F // no such clustered VM
)

// moveFailureCodes are the HRESULTs Faults.MoveFailure may name.
var moveFailureCodes = []uint32{HResultNoCredentials, HResultNoSuitableCreds, HResultTimeout, HResultRefused, HResultOutOfMemory}

// Normalize writes MoveFailure's HRESULT in its canonical form.
func (fl *Faults) Normalize() {
	if code, ok := ParseHResult(fl.MoveFailure); ok {
		fl.MoveFailure = FormatHResult(code)
	}
}

// Effective returns the faults with MoveFailure defaulted.
func (fl Faults) Effective() Faults {
	if fl.MoveFailure == "" {
		fl.MoveFailure = DefaultMoveFailure
	}
	fl.Normalize()
	return fl
}

// Validate reports every problem of faults given at run time, as an
// errors.Join of *FieldError under path, or nil.
func (fl *Faults) Validate(path string) error {
	var c checker
	fl.validate(&c, path)
	return errors.Join(c.errs...)
}

func (fl *Faults) validate(c *checker, p string) {
	if fl.Latency < 0 {
		c.add(p+".latency", "must be >= 0")
	}
	if !fraction(fl.MoveFailureRate) {
		c.add(p+".move_failure_rate", "must be between 0 and 1")
	}
	if fl.MoveFailure != "" {
		code, ok := ParseHResult(fl.MoveFailure)
		known := false
		for _, k := range moveFailureCodes {
			known = known || ok && code == k
		}
		if !known {
			names := make([]string, len(moveFailureCodes))
			for i, k := range moveFailureCodes {
				names[i] = FormatHResult(k)
			}
			c.add(p+".move_failure", "must be one of %s", strings.Join(names, ", "))
		}
	}
}

// ParseHResult reads an HRESULT written as 0x and eight hex digits.
func ParseHResult(s string) (uint32, bool) {
	if len(s) != 10 || !strings.HasPrefix(strings.ToLower(s), "0x") {
		return 0, false
	}
	v, err := strconv.ParseUint(s[2:], 16, 32)
	return uint32(v), err == nil
}

// FormatHResult writes an HRESULT as 0x and eight upper-case hex digits.
func FormatHResult(code uint32) string { return fmt.Sprintf("0x%08X", code) }
