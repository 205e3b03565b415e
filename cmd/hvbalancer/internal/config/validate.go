package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
)

// Validate checks the whole configuration and returns every problem at once
// (errors.Join of *FieldError), in file order.
func (c *Config) Validate() error {
	var p problems
	if c.Version != Version {
		p.add("version", c.Version, "unsupported version, want %d", Version)
	}
	if loc, err := time.LoadLocation(c.TimeZone); err != nil {
		p.add("time_zone", c.TimeZone, "unknown time zone")
	} else {
		c.location = loc
	}
	if c.StateDir == "" {
		p.add("state_dir", nil, "required")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		p.add("log.level", c.Log.Level, "want debug, info, warn or error")
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		p.add("log.format", c.Log.Format, "want text or json")
	}
	c.validateHTTP(&p)
	c.validateFleet(&p)
	c.validateCollector(&p)
	c.validateDeadlines(&p)
	c.validatePolicy(&p)
	c.validatePlanner(&p)
	c.validateExecutor(&p)
	c.validateSigning(&p)
	c.validateRetention(&p)
	c.validateHA(&p)
	return errors.Join(p...)
}

func (c *Config) validateFleet(p *problems) {
	switch {
	case c.Simulator != nil && len(c.Clusters) > 0:
		p.add("simulator", nil, "cannot be used together with clusters")
	case c.Simulator == nil && len(c.Clusters) == 0:
		p.add("clusters", nil, "required: at least one cluster with hosts (or a simulator)")
	}
	if s := c.Simulator; s != nil {
		if s.Fleet == "" {
			p.add("simulator.fleet", nil, "required")
		} else if _, err := os.Stat(c.path(s.Fleet)); err != nil {
			p.add("simulator.fleet", s.Fleet, "%v", unwrapPathError(err))
		}
		p.floatIn("simulator.speed", s.Speed, 0, maxSimulatorSpeed, false)
	}
	c.validateWinRM(p, "winrm", c.WinRM)
	if c.Simulator != nil {
		c.validateSimulatorWinRM(p)
	}
	clusters := map[string]bool{}
	hosts := map[string]string{}
	for ci, cl := range c.Clusters {
		cp := fmt.Sprintf("clusters[%d]", ci)
		switch {
		case cl.Name == "":
			p.add(cp+".name", nil, "required")
		case clusters[strings.ToLower(cl.Name)]:
			p.add(cp+".name", cl.Name, "duplicate cluster name")
		default:
			if why := textProblem(cl.Name, maxGroupName); why != "" {
				p.add(cp+".name", shown(cl.Name), "%s", why)
			}
		}
		clusters[strings.ToLower(cl.Name)] = true
		c.validateWinRM(p, cp+".winrm", cl.WinRM)
		if len(cl.Hosts) == 0 {
			p.add(cp+".hosts", nil, "required: at least one host")
		}
		for hi, h := range cl.Hosts {
			hp := fmt.Sprintf("%s.hosts[%d]", cp, hi)
			switch {
			case h.Name == "":
				p.add(hp+".name", nil, "required")
			case hosts[strings.ToLower(h.Name)] != "":
				p.add(hp+".name", h.Name, "duplicate host name (also %s)", hosts[strings.ToLower(h.Name)])
			default:
				if why := computerNameProblem(h.Name); why != "" {
					p.add(hp+".name", shown(h.Name), "%s", why)
				}
			}
			if h.Name != "" && hosts[strings.ToLower(h.Name)] == "" {
				hosts[strings.ToLower(h.Name)] = hp
			}
			if h.Address == "" {
				p.add(hp+".address", nil, "required")
			} else if why := addressProblem(h.Address); why != "" {
				p.add(hp+".address", shown(h.Address), "%s", why)
			}
			validateGrouping(p, hp, h)
			if h.StoragePath != "" && !balancer.WindowsAbsPath(h.StoragePath) {
				p.add(hp+".storage_path", h.StoragePath, `want an absolute Windows directory such as D:\Hyper-V or \\fs01\vms`)
			}
			c.validateWinRM(p, hp+".winrm", h.WinRM)
			c.validateEndpoint(p, hp, c.endpoint(ci, hi))
		}
	}
}

// validateWinRM checks the fields of one level as written.
func (c *Config) validateWinRM(p *problems, path string, w WinRM) {
	if w.Password != nil {
		p.add(path+".password", nil, "secrets are never read from the configuration; use password_file or password_env")
	}
	if w.PasswordFile != nil && w.PasswordEnv != nil {
		p.add(path, nil, "password_file and password_env exclude each other")
	}
	if w.Port != nil && (*w.Port < 1 || *w.Port > 65535) {
		p.add(path+".port", *w.Port, "must be 1..65535")
	}
	if w.Auth != nil {
		switch strings.ToLower(*w.Auth) {
		case "basic", "ntlm", "kerberos":
		default:
			p.add(path+".auth", *w.Auth, "want basic, ntlm or kerberos")
		}
	}
	if w.Encryption != nil {
		switch strings.ToLower(*w.Encryption) {
		case "auto", "never":
		default:
			p.add(path+".encryption", *w.Encryption, "want auto (seal messages over HTTP, as Windows requires by default) or never")
		}
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
	}{{"call_timeout", w.CallTimeout}, {"move_timeout", w.MoveTimeout}, {"operation_timeout", w.OperationTimeout}} {
		if d.v != nil && *d.v <= 0 {
			p.add(path+"."+d.name, *d.v, "must be > 0")
		}
	}
}

// validateEndpoint checks one host's merged settings.
func (c *Config) validateEndpoint(p *problems, hp string, e Endpoint) {
	secret := e.PasswordFile != "" || e.PasswordEnv != ""
	switch e.Auth {
	case "basic", "ntlm":
		if e.Username == "" {
			p.add(hp, nil, "no winrm.username for %s authentication", e.Auth)
		}
		if !secret {
			p.add(hp, nil, "no winrm.password_file or winrm.password_env for %s authentication", e.Auth)
		}
		if e.Kerberos.Keytab != "" {
			p.add(hp, nil, "winrm.kerberos.keytab is only for kerberos authentication")
		}
		if e.Auth == "basic" && !e.HTTPS && e.Encryption != "never" {
			p.add(hp, nil, "basic authentication cannot encrypt messages over plain HTTP: set winrm.https: true, or winrm.encryption: never for a host with AllowUnencrypted=true (the password then crosses the network in the clear)")
		}
	case "kerberos":
		keytab := e.Kerberos.Keytab != ""
		switch {
		case keytab && secret:
			p.add(hp, nil, "winrm.kerberos.keytab and a password_file or password_env exclude each other")
		case keytab && e.Kerberos.CCache != "":
			p.add(hp, nil, "winrm.kerberos.keytab and winrm.kerberos.ccache exclude each other")
		case e.Kerberos.CCache == "" && (e.Username == "" || !secret && !keytab):
			p.add(hp, nil, "kerberos authentication needs winrm.kerberos.ccache, or winrm.username with a password_file, password_env or kerberos.keytab")
		}
		if e.Kerberos.Realm == "" {
			p.add(hp, nil, "kerberos authentication needs winrm.kerberos.realm")
		}
		if e.Kerberos.ConfigFile == "" {
			p.add(hp, nil, "kerberos authentication needs winrm.kerberos.config_file (the krb5.conf naming the realm's KDCs)")
		}
	}
	for _, f := range []struct{ key, path string }{
		{"password_file", e.PasswordFile},
		{"ca_file", e.CAFile},
		{"kerberos.config_file", e.Kerberos.ConfigFile},
		{"kerberos.keytab", e.Kerberos.Keytab},
		{"kerberos.ccache", e.Kerberos.CCache},
	} {
		if f.path == "" {
			continue
		}
		if err := readable(c.path(f.path)); err != nil {
			p.add(hp+".winrm."+f.key, f.path, "%v", err)
		}
	}
	if e.InsecureSkipVerify && !e.HTTPS {
		p.add(hp, nil, "winrm.insecure_skip_verify needs winrm.https: true")
	}
}

// validateSimulatorWinRM checks the top-level winrm settings a simulated
// fleet uses: a username needs a secret, and a named secret file must be
// readable.
func (c *Config) validateSimulatorWinRM(p *problems) {
	w := c.WinRM
	secret := w.PasswordFile != nil || w.PasswordEnv != nil
	if w.Username != nil && !secret {
		p.add("winrm", nil, "winrm.username needs winrm.password_file or winrm.password_env")
	}
	if w.PasswordFile != nil {
		if err := readable(c.path(*w.PasswordFile)); err != nil {
			p.add("winrm.password_file", *w.PasswordFile, "%v", err)
		}
	}
}

func (c *Config) validateCollector(p *problems) {
	k := c.Collector
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"interval", k.Interval}, {"window", k.Window}, {"stale_after", k.StaleAfter}, {"call_timeout", k.CallTimeout}, {"round_timeout", k.RoundTimeout}, {"sample_interval", k.SampleInterval}} {
		if d.v <= 0 {
			p.add("collector."+d.name, d.v, "must be > 0")
		}
	}
	if k.Window > 0 && k.Interval > 0 && k.Window < k.Interval {
		p.add("collector.window", k.Window, "must be at least the interval (%s)", k.Interval)
	}
	if k.SampleInterval > 0 && k.SampleInterval%time.Second != 0 {
		p.add("collector.sample_interval", k.SampleInterval, "must be whole seconds (Get-Counter -SampleInterval)")
	}
	p.intIn("collector.concurrency", k.Concurrency, 1, maxCollectorConcurrent)
	if !(k.MinAnsweringShare > 0 && k.MinAnsweringShare <= 1) {
		p.add("collector.min_answering_share", k.MinAnsweringShare, "must be a share in (0, 1], such as 0.5 for half the hosts")
	}
	if k.StopAfterFailedLogins < 1 || k.StopAfterFailedLogins > 10 {
		p.add("collector.stop_after_failed_logins", k.StopAfterFailedLogins, "must be 1..10, below the domain's account lockout threshold")
	}
	if k.LoginBackoffMax < time.Minute {
		p.add("collector.login_backoff_max", k.LoginBackoffMax, "must be at least 1m, the first wait after a failed login")
	}
}

func (c *Config) validatePolicy(p *problems) {
	switch {
	case c.Policy.Dir == "" && c.Policy.Bundle == "":
		p.add("policy", nil, "set dir or bundle")
	case c.Policy.Dir != "" && c.Policy.Bundle != "":
		p.add("policy", nil, "dir and bundle exclude each other")
	case c.Policy.Dir != "":
		if st, err := os.Stat(c.path(c.Policy.Dir)); err != nil {
			p.add("policy.dir", c.Policy.Dir, "%v", unwrapPathError(err))
		} else if !st.IsDir() {
			p.add("policy.dir", c.Policy.Dir, "not a directory")
		}
	default:
		if _, err := os.Stat(c.path(c.Policy.Bundle)); err != nil {
			p.add("policy.bundle", c.Policy.Bundle, "%v", unwrapPathError(err))
		}
	}
	if c.Policy.ReloadInterval <= 0 {
		p.add("policy.reload_interval", c.Policy.ReloadInterval, "must be > 0")
	}
}

func (c *Config) validatePlanner(p *problems) {
	k := c.Planner
	if k.Aggressiveness < 1 || k.Aggressiveness > 5 {
		p.add("planner.aggressiveness", k.Aggressiveness, "must be 1..5")
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"cpu_high", k.CPUHigh}, {"memory_high", k.MemoryHigh}, {"cpu_ceiling", k.CPUCeiling}} {
		if !(f.v > 0 && f.v <= 100) { // NaN included
			p.add("planner."+f.name, f.v, "must be a percentage in (0, 100]")
		}
	}
	p.floatIn("planner.target_spread", k.TargetSpread, 0, 100, false)
	if !(k.Headroom >= 0) || k.Headroom >= k.CPUHigh || k.Headroom >= k.MemoryHigh {
		p.add("planner.headroom", k.Headroom, "must be >= 0 and below cpu_high and memory_high")
	}
	p.intIn("planner.max_moves", k.MaxMoves, 0, maxMaxMoves)
	p.floatIn("planner.memory_reserve_gib", k.MemoryReserveGiB, 0, maxMemoryReserveGiB, false)
	p.floatIn("planner.storage_reserve_gib", k.StorageReserveGiB, 0, maxStorageReserveGiB, false)
	p.intIn("planner.max_inflow_per_host", k.MaxInflowPerHost, 1, maxInflowPerHost)
	if k.Cooldown < 0 {
		p.add("planner.cooldown", k.Cooldown, "must be >= 0")
	}
	if k.RefusalMemory < 0 {
		p.add("planner.refusal_memory", k.RefusalMemory, "must be >= 0")
	}
	if k.PlanTTL <= 0 {
		p.add("planner.plan_ttl", k.PlanTTL, "must be > 0")
	}
	p.floatIn("planner.bandwidth_gbps", k.BandwidthGbps, 0, maxBandwidthGbps, true)
	p.floatIn("planner.weights.cpu", k.Weights.CPU, 0, maxWeight, false)
	p.floatIn("planner.weights.memory", k.Weights.Memory, 0, maxWeight, false)
	p.floatIn("planner.weights.migration_cost", k.Weights.MigrationCost, 0, maxWeight, false)
	if k.Weights.CPU == 0 && k.Weights.Memory == 0 {
		p.add("planner.weights", nil, "cpu and memory weights cannot both be 0")
	}
}

func (c *Config) validateExecutor(p *problems) {
	if !c.Automation.Valid() {
		p.add("automation", string(c.Automation), "want manual, partial or full")
	}
	if c.RoundInterval <= 0 {
		p.add("round_interval", c.RoundInterval, "must be > 0")
	}
	if c.RoundInterval > 0 && (c.RoundDeadline <= 0 || c.RoundDeadline > max(c.RoundInterval, minRoundDeadline)) {
		p.add("round_deadline", c.RoundDeadline, "must be > 0 and at most round_interval %s (or %s when that is shorter)", c.RoundInterval, minRoundDeadline)
	}
	k := c.Executor
	p.intIn("executor.max_concurrent", k.MaxConcurrent, 1, maxMaxConcurrent)
	p.intIn("executor.per_host_cap", k.PerHostCap, 1, maxPerHostCap)
	p.floatIn("executor.migrations_per_minute", k.MigrationsPerMinute, 0, maxMigrationsPerMinute, true)
	p.floatIn("executor.evacuation_per_minute", k.EvacuationPerMinute, 0, maxMigrationsPerMinute, true)
	p.intIn("executor.burst", k.Burst, 1, maxBurst)
	p.intIn("executor.breaker_threshold", k.BreakerThreshold, 1, maxBreakerThreshold)
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"hold_after_failure", k.HoldAfterFailure}, {"breaker_cooldown", k.BreakerCooldown}, {"drain_timeout", k.DrainTimeout}} {
		if d.v < 0 {
			p.add("executor."+d.name, d.v, "must be >= 0")
		}
	}
	if k.LocateTimeout <= 0 {
		p.add("executor.locate_timeout", k.LocateTimeout, "must be > 0")
	}
}

func (c *Config) validateSigning(p *problems) {
	for i, k := range c.Signing.TrustedKeys {
		path := fmt.Sprintf("signing.trusted_keys[%d]", i)
		switch _, err := os.Stat(c.path(k)); {
		case k == "":
			p.add(path, k, "a public key file is required")
		case err != nil:
			p.add(path, k, "%v", unwrapPathError(err))
		}
	}
}

func (c *Config) validateRetention(p *problems) {
	r := c.Retention
	if r.PlanAge <= 0 {
		p.add("retention.plan_age", r.PlanAge, "must be > 0")
	}
	p.intIn("retention.plans", r.Plans, 1, maxRetainedPlans)
	// The journal is the history the policy sees (a day), the cooldowns
	// and the holds after failures: it must outlive all of them.
	need := max(24*time.Hour, c.Planner.Cooldown, c.Planner.RefusalMemory, c.Executor.HoldAfterFailure)
	if r.JournalAge < need {
		p.add("retention.journal_age", r.JournalAge, "must be at least %s: the policy's history, the cooldown, the refusal memory and the hold after a failure read the journal", need)
	}
}
