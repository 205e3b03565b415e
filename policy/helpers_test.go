package policy

import (
	"context"
	"flag"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const examplesDir = "../examples/policies"

// writePolicy writes files (name → content) into a new directory.
func writePolicy(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// copyDir copies the files of src into a new directory.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func mustLoad(t testing.TB, opts Options) *Engine {
	t.Helper()
	e, err := Load(opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return e
}

// mustBegin begins a session or fails the test.
func mustBegin(t testing.TB, e *Engine, in *Input) *Session {
	t.Helper()
	r, err := e.Begin(context.Background(), in)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	return r
}

// emptyInput is a fleet of two hosts and one VM, all defaults.
func emptyInput() *Input {
	return &Input{
		Now: "2026-01-10T12:00:00Z",
		Fleet: Fleet{
			Hosts: map[string]Host{"HV01": {Name: "HV01", Health: "ok", VMs: []string{"vm1"}}, "HV02": {Name: "HV02", Health: "ok"}},
			VMs:   map[string]VM{"vm1": {Name: "one", Host: "HV01", State: "Running"}},
		},
	}
}

const gib = int64(1) << 30

// project is the simple projection the tests use for a candidate: the VM's
// CPU and memory added to the destination's mean load and taken from the
// source's.
func project(in *Input, m Move) Projected {
	v := in.Fleet.VMs[m.VM]
	side := func(h Host, sign float64, vms []string) HostLoad {
		cpu := h.CPU.Mean + sign*v.CPU.Mean*float64(v.CPUs)/float64(max(h.Capacity.CPUs, 1))
		mem := h.Memory.Mean + sign*100*float64(v.MemoryBytes)/float64(max(h.Capacity.MemoryBytes, 1))
		return HostLoad{CPU: round2(cpu), Memory: round2(mem), VMs: vms}
	}
	var fromVMs []string
	for _, id := range in.Fleet.Hosts[m.From].VMs {
		if id != m.VM {
			fromVMs = append(fromVMs, id)
		}
	}
	toVMs := append([]string{m.VM}, in.Fleet.Hosts[m.To].VMs...)
	slices.Sort(toVMs)
	return Projected{From: side(in.Fleet.Hosts[m.From], -1, fromVMs), To: side(in.Fleet.Hosts[m.To], 1, toVMs)}
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func inf() float64 { return math.Inf(1) }

func nan() float64 { return math.NaN() }
