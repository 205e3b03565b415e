package collector_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sample is a small fleet with a bit of everything: a cluster, labels,
// tags, a stopped VM, a host in maintenance and an unreachable one.
func sample() *collector.Snapshot {
	return collectortest.Snapshot(
		collectortest.HostSpec{Name: "HV02", Group: "rack-b", Labels: map[string]string{"rack": "b"}, LPs: 16, MemoryGiB: 128, VMs: []collectortest.VMSpec{
			{Name: "db <&> ü", CPUs: 4, CPU: 3.5, MemoryGiB: 32, Notes: "role=sql\ntier=db"},
			{Name: "old", State: "Off"},
		}},
		collectortest.HostSpec{Name: "HV01", Cluster: "CL1", Maintenance: true, VMs: []collectortest.VMSpec{
			{Name: "web01", CPU: 1.25, Tags: map[string]string{"role": "web"}, Clustered: true},
		}},
		collectortest.HostSpec{Name: "HV03", Health: collector.HealthUnreachable},
	)
}

func TestSnapshotGolden(t *testing.T) {
	s := sample()
	var buf bytes.Buffer
	if err := s.Write(&buf); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "snapshot.golden.json")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("snapshot JSON (-golden +got), rerun with -update if intended:\n%s", diff)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		snap *collector.Snapshot
	}{
		{"sample", sample()},
		{"empty fleet", collectortest.Snapshot()},
		{"from the collector", func() *collector.Snapshot {
			f := newFixture(t, collector.Config{}, collector.Target{Name: "HV01", Labels: map[string]string{"rack": "a"}}, collector.Target{Name: "HV02"})
			f.srcs["HV01"].SetVMs(running("00000000-0000-4000-8000-000000000001", "app", 2, 10))
			f.srcs["HV02"].Fail(os.ErrDeadlineExceeded)
			return f.poll(0)
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "snap.json")
			if err := tc.snap.Save(path); err != nil {
				t.Fatal(err)
			}
			got, err := collector.LoadSnapshot(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.snap, got); diff != "" {
				t.Errorf("loaded snapshot (-saved +loaded):\n%s", diff)
			}
			if a, b := tc.snap.Digest(), got.Digest(); a != b {
				t.Errorf("digest changed across save and load: %s, then %s", a, b)
			}
			left, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".snapshot-*"))
			if err != nil || len(left) != 0 {
				t.Errorf("temporary files left behind: %v %v", left, err)
			}
		})
	}
}

func TestDigestStability(t *testing.T) {
	a := sample()
	d := a.Digest()
	if !strings.HasPrefix(d, "sha256:") || len(d) != len("sha256:")+64 {
		t.Fatalf("digest %q is not sha256:<64 hex>", d)
	}
	if again := a.Digest(); again != d {
		t.Errorf("digest of the same snapshot changed: %s then %s", d, again)
	}
	// Order of input and of map insertion do not matter once sorted.
	b := sample()
	for i, j := 0, len(b.Hosts)-1; i < j; i, j = i+1, j-1 {
		b.Hosts[i], b.Hosts[j] = b.Hosts[j], b.Hosts[i]
	}
	for i, j := 0, len(b.VMs)-1; i < j; i, j = i+1, j-1 {
		b.VMs[i], b.VMs[j] = b.VMs[j], b.VMs[i]
	}
	b.Sort()
	if got := b.Digest(); got != d {
		t.Errorf("digest depends on input order: %s vs %s", got, d)
	}
	// The golden file is the same snapshot: same digest.
	g, err := collector.LoadSnapshot(filepath.Join("testdata", "snapshot.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Digest(); got != d {
		t.Errorf("golden file digest %s, built snapshot %s", got, d)
	}
	// Any change shows.
	c := sample()
	c.VMs[0].CPU.Mean += 0.001
	if c.Digest() == d {
		t.Error("a changed load kept the digest")
	}
}

func TestReadSnapshotRejects(t *testing.T) {
	want := map[string]string{
		"invalid-unknown-field.json":      `read snapshot: json: unknown field "comment"`,
		"invalid-unknown-host-field.json": `read snapshot: json: unknown field "cpus"`,
		"invalid-version.json":            "read snapshot: version 2, want 1",
		"invalid-no-version.json":         "read snapshot: version 0, want 1",
		"invalid-duplicate-host.json":     `read snapshot: host "HV01" twice`,
		"invalid-duplicate-vm.json":       "read snapshot: vm 00000000-0000-4000-8000-000000000001 twice",
		"invalid-vm-unknown-host.json":    `read snapshot: vm 00000000-0000-4000-8000-000000000002 is on unknown host "HV09"`,
		"invalid-host-no-name.json":       "read snapshot: hosts[1]: no name",
		"invalid-vm-no-id.json":           "read snapshot: vms[0]: no id",
		"invalid-health.json":             `read snapshot: host "HV01": unknown health "fine"`,
		"invalid-cause.json":              `read snapshot: host "HV01": unknown cause "gremlins"`,
		"invalid-trailing-data.json":      "read snapshot: data after the snapshot",
		"invalid-truncated.json":          "read snapshot: unexpected EOF",
		"invalid-time-offset.json":        "read snapshot: cannot be written back: json: error calling MarshalJSON for type time.Time: Time.MarshalJSON: timezone hour outside of range [0,23]",
		"invalid-wrong-type.json":         "read snapshot: json: cannot unmarshal string into Go struct field Snapshot.window_seconds of type float64",
	}
	files, err := filepath.Glob(filepath.Join("testdata", "invalid-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Errorf("%d invalid-*.json files, %d expected messages: every file needs one", len(files), len(want))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			msg, ok := want[name]
			if !ok {
				t.Fatalf("no expected message for %s", name)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			s, err := collector.ReadSnapshot(f)
			if err == nil {
				t.Fatalf("ReadSnapshot accepted it: %+v", s)
			}
			if err.Error() != msg {
				t.Errorf("error:\n%s\nwant:\n%s", err, msg)
			}
			if _, err := collector.LoadSnapshot(path); err == nil || err.Error() != path+": "+msg {
				t.Errorf("LoadSnapshot: %v, want %s: %s", err, path, msg)
			}
		})
	}
}

func TestReadSnapshotSorts(t *testing.T) {
	s := sample()
	want := s.Digest()
	s.Hosts[0], s.Hosts[1] = s.Hosts[1], s.Hosts[0]
	s.VMs[0], s.VMs[1] = s.VMs[1], s.VMs[0]
	got, err := collector.ReadSnapshot(jsonReader(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Digest(); d != want {
		t.Errorf("unsorted input read back with digest %s, want %s", d, want)
	}
	if _, ok := got.Host("HV02"); !ok {
		t.Error("Host lookup fails after reading unsorted input")
	}
}

func FuzzReadSnapshot(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"version":1,"hosts":[{"name":"a","health":"ok"}],"vms":[{"id":"x","host":"a"}]}`))
	f.Add([]byte("null"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := collector.ReadSnapshot(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever it accepts is sorted, writes, reads back and keeps its digest.
		for i := 1; i < len(s.Hosts); i++ {
			if s.Hosts[i-1].Name >= s.Hosts[i].Name {
				t.Fatalf("hosts not sorted and unique: %q, %q", s.Hosts[i-1].Name, s.Hosts[i].Name)
			}
		}
		for i := 1; i < len(s.VMs); i++ {
			if s.VMs[i-1].ID >= s.VMs[i].ID {
				t.Fatalf("vms not sorted and unique: %q, %q", s.VMs[i-1].ID, s.VMs[i].ID)
			}
		}
		var buf bytes.Buffer
		if err := s.Write(&buf); err != nil {
			t.Fatalf("write an accepted snapshot: %v", err)
		}
		again, err := collector.ReadSnapshot(&buf)
		if err != nil {
			t.Fatalf("read back an accepted snapshot: %v", err)
		}
		if a, b := s.Digest(), again.Digest(); a != b {
			t.Fatalf("digest changed across a round trip: %s, %s", a, b)
		}
	})
}
