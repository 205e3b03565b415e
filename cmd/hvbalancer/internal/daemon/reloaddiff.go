package daemon

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
)

// changedSettings names every setting in which two configurations differ,
// by its key in the file ("executor.max_concurrent"); hosts by name
// ("hosts.HV02.maintenance", "hosts.HV08 added"). Unexported fields (the
// file's directory, the parsed time zone) are left out.
func changedSettings(old, cur *config.Config) []string {
	var out []string
	diffValues("", reflect.ValueOf(*old), reflect.ValueOf(*cur), &out)
	out = slices.DeleteFunc(out, func(k string) bool { return k == "clusters" || k == "version" })
	out = append(out, changedHosts(old, cur)...)
	return out
}

// diffValues appends the keys under prefix whose values differ: structs
// field by field (by yaml tag), anything else whole.
func diffValues(prefix string, a, b reflect.Value, out *[]string) {
	if a.Kind() != reflect.Struct || prefix != "" && a.Type().Name() == "Time" {
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			*out = append(*out, prefix)
		}
		return
	}
	t := a.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		if prefix != "" {
			name = prefix + "." + name
		}
		diffValues(name, a.Field(i), b.Field(i), out)
	}
}

// hostEntry is a configured host with the cluster that lists it.
type hostEntry struct {
	cluster string
	winrm   config.WinRM // the cluster's
	host    config.Host
}

func hostsOf(c *config.Config) map[string]hostEntry {
	out := map[string]hostEntry{}
	for _, cl := range c.Clusters {
		for _, h := range cl.Hosts {
			out[h.Name] = hostEntry{cl.Name, cl.WinRM, h}
		}
	}
	return out
}

// changedHosts names the hosts added or removed, and each changed setting
// of the others.
func changedHosts(old, cur *config.Config) []string {
	a, b := hostsOf(old), hostsOf(cur)
	var out []string
	for name, h := range b {
		was, ok := a[name]
		if !ok {
			out = append(out, fmt.Sprintf("hosts.%s added", name))
			continue
		}
		if was.cluster != h.cluster {
			out = append(out, fmt.Sprintf("hosts.%s.cluster", name))
		}
		if !reflect.DeepEqual(was.winrm, h.winrm) {
			out = append(out, fmt.Sprintf("hosts.%s.winrm (its cluster's)", name))
		}
		diffValues("hosts."+name, reflect.ValueOf(was.host), reflect.ValueOf(h.host), &out)
	}
	for name := range a {
		if _, ok := b[name]; !ok {
			out = append(out, fmt.Sprintf("hosts.%s removed", name))
		}
	}
	slices.Sort(out)
	return out
}

// atRestart says why a changed setting takes effect only when the daemon
// starts again, or "" when a reload applies it.
func atRestart(key string) string {
	head, _, _ := strings.Cut(key, ".")
	switch {
	case head == "http":
		return "the HTTP listener, its token and TLS are set up at start"
	case head == "state_dir":
		return "the journal, the plans and the signing key are opened there at start, and the journal stays locked"
	case head == "log":
		return "the logger is made at start"
	case head == "simulator":
		return "the simulated fleet is started with the daemon"
	case head == "signing":
		return "the plan-signing key and the trusted keys are loaded at start"
	case key == "collector.stop_after_failed_logins", key == "collector.login_backoff_max":
		return "the login guard's limits are set at start"
	case key == "executor.hold_after_failure", key == "executor.drain_timeout":
		return "the running executor reads it outside its lock"
	}
	return ""
}
