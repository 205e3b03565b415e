package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

func TestParseFlagsErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "give --fleet FILE or --hosts N --vms M"},
		{[]string{"--fleet", "a.yaml", "--hosts", "3"}, "--fleet and --hosts exclude each other"},
		{[]string{"--hosts", "3", "--vms", "-1"}, "--vms must be >= 0"},
		{[]string{"--hosts", "3", "--speed", "-2"}, "--speed must be > 0"},
		{[]string{"--hosts", "3", "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := parseFlags(tc.args, &bytes.Buffer{})
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRunRejectsBadFleetFile(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--fleet", "testdata/does-not-exist.yaml"}, &out, &errOut); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), "does-not-exist.yaml") {
		t.Errorf("stderr %q does not name the file", errOut.String())
	}
}

func TestWriteFleet(t *testing.T) {
	path := t.TempDir() + "/fleet.yaml"
	var out, errOut bytes.Buffer
	if code := run([]string{"--hosts", "4", "--vms", "40", "--seed", "3", "--write-fleet", path}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	spec, err := sim.LoadFleet(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.Hosts) != 4 || len(spec.VMs) != 40 {
		t.Errorf("wrote %d hosts, %d VMs", len(spec.Hosts), len(spec.VMs))
	}
	if want := "wrote " + path + ": 4 hosts, 40 VMs\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
}
