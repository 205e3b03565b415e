package collector

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// randomVM is a VM with every field drawn, empty and absent ones too, and
// strings and numbers full of what encoding/json escapes or formats apart.
func randomVM(r *rand.Rand) VM {
	pieces := []string{"a", "Z9", `"`, `\`, "<", ">", "&", "{", ",", " ", "\n", "\t", "\b", "\u2028", "\u2029", "é", "\x01", "\x7f", "\xff", "C:\\Hyper-V"}
	str := func() string {
		var b strings.Builder
		for range r.IntN(5) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	strs := func() []string {
		switch r.IntN(3) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, 1+r.IntN(3))
		for i := range out {
			out[i] = str()
		}
		return out
	}
	num := func() float64 {
		switch r.IntN(8) {
		case 0:
			return 0
		case 1:
			return math.Copysign(0, -1)
		case 2:
			return r.Float64() * 1e-7
		case 3:
			return -r.Float64() * 1e22
		case 4:
			return float64(r.IntN(1000))
		}
		return r.NormFloat64() * 100
	}
	stat := func() Stat {
		s := Stat{Last: num(), Mean: num(), P95: num(), Max: num()}
		switch r.IntN(3) {
		case 0:
			s.Demand = Demand{Last: num(), Mean: num(), P95: num(), Max: num()}
		case 1:
			s.Demand = Demand{Mean: math.Copysign(0, -1)}
		}
		return s
	}
	v := VM{ID: str(), Name: str(), Host: str(), State: str(), CPUs: r.IntN(3) - 1,
		Clustered: r.IntN(2) == 0, Notes: str(), ReportedBy: strs(),
		MemoryAssigned: r.Int64() - r.Int64(), MemoryStartup: r.Int64N(1 << 40), MemoryDemand: int64(r.IntN(3)),
		DynamicMemory: r.IntN(2) == 0, ConfigVersion: str(), ProcessorCompatibility: r.IntN(2) == 0,
		Switches: strs(), Path: str(), CPU: stat(), UptimeSeconds: num(), Samples: r.IntN(40)}
	switch r.IntN(3) {
	case 0:
		v.Tags = map[string]string{}
	case 1:
		v.Tags = map[string]string{str(): str(), str(): str(), "role": str()}
	}
	switch r.IntN(3) {
	case 0:
		v.Disks = []Disk{}
	case 1:
		v.Disks = []Disk{{Path: str(), Kind: str(), FileSize: r.Int64(), Size: -1}, {}}
	}
	return v
}

func TestAppendVMEncodesAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 17))
	for i := range 5000 {
		v := randomVM(r)
		want, err := json.Marshal(&v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendVM(nil, &v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("vm %d %#v:\ngot  %s\nwant %s", i, v, got, want)
		}
	}
}

func TestAppendVMRefusesWhatJSONCannotCarry(t *testing.T) {
	for _, v := range []VM{{CPU: Stat{Mean: math.NaN()}}, {UptimeSeconds: math.Inf(1)}, {CPU: Stat{Demand: Demand{Max: math.Inf(-1)}}}} {
		if _, err := appendVM(nil, &v); err == nil {
			t.Errorf("%+v: no error, want one (encoding/json has no form for it)", v)
		}
	}
}

// appendVM writes a VM as it is declared: a field added to VM, Stat,
// Demand or Disk, or a JSON method on them, must be written there too (the
// digest falls back to encoding/json for every VM until it is).
func TestVMLayoutIsTheOneAppendVMWrites(t *testing.T) {
	if why := vmLayoutChange(); why != "" {
		t.Errorf("the digest encodes VMs with encoding/json, slowly: %s; update appendVM and vmLayout", why)
	}
}

// Both ways of encoding the VMs give the hash of what Write writes, on
// snapshots of many VMs with every field drawn.
func TestDigestOfRandomSnapshots(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 29))
	for i := range 40 {
		s := &Snapshot{Version: SnapshotVersion, Taken: time.Unix(int64(r.IntN(1<<31)), 0).UTC(), WindowSeconds: 300,
			Hosts: []Host{{Name: "HV01<&>", Health: HealthOK, Labels: map[string]string{"rack": "a"}}, {Name: "HV02", Health: HealthStale}}}
		for range r.IntN(300) {
			s.VMs = append(s.VMs, randomVM(r))
		}
		if i%7 == 0 {
			s.VMs = []VM{}
		}
		var buf bytes.Buffer
		if err := s.Write(&buf); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(buf.Bytes())
		want := "sha256:" + hex.EncodeToString(sum[:])
		for _, fast := range []bool{true, false} {
			h := sha256.New()
			w := newIndentWriter(h)
			if err := writeCompact(w, s, fast); err != nil {
				t.Fatal(err)
			}
			w.flush()
			if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != want {
				t.Fatalf("snapshot %d (%d vms), fast %v: digest %s, want %s", i, len(s.VMs), fast, got, want)
			}
		}
	}
}
