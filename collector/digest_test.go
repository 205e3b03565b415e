package collector

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"
)

// recorder is a hash.Hash that keeps what was written to it.
type recorder struct{ bytes.Buffer }

func (r *recorder) Sum(b []byte) []byte { return append(b, r.Bytes()...) }
func (r *recorder) Size() int           { return 0 }
func (r *recorder) BlockSize() int      { return 1 }

// indented is what indentWriter makes of v's compact encoding, and what
// json.Encoder with the snapshot's indent writes.
func indented(t testing.TB, v any) (got, want []byte) {
	t.Helper()
	var compact, enc bytes.Buffer
	if err := json.NewEncoder(&compact).Encode(v); err != nil {
		t.Fatal(err)
	}
	e := json.NewEncoder(&enc)
	e.SetIndent("", "  ")
	if err := e.Encode(v); err != nil {
		t.Fatal(err)
	}
	var r recorder
	w := newIndentWriter(&r)
	w.write(compact.Bytes())
	w.flush()
	return r.Bytes(), enc.Bytes()
}

// randomValue makes nested objects and arrays (empty ones too) of strings
// full of what JSON escapes or indents around.
func randomValue(r *rand.Rand, depth int) any {
	pieces := []string{"a", `"`, `\`, "<", ">", "&", ",", ":", "{", "}", "[", "]", " ", "\n", "\t", "\u2028", "é", "\x01", "C:\\Hyper-V"}
	str := func() string {
		var b strings.Builder
		for range r.IntN(6) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	switch k := r.IntN(8); {
	case depth > 4 || k < 2:
		return str()
	case k == 2:
		return r.Float64()*1e6 - 5e5
	case k == 3:
		return r.IntN(3) == 0
	case k == 4:
		return nil
	case k == 5:
		arr := make([]any, r.IntN(4))
		for i := range arr {
			arr[i] = randomValue(r, depth+1)
		}
		return arr
	default:
		obj := map[string]any{}
		for range r.IntN(4) {
			obj[str()] = randomValue(r, depth+1)
		}
		return obj
	}
}

func TestIndentWriterIndentsAsEncoderDoes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 13))
	for i := range 3000 {
		v := randomValue(r, 0)
		got, want := indented(t, v)
		if !bytes.Equal(got, want) {
			t.Fatalf("value %d %#v:\ngot  %q\nwant %q", i, v, got, want)
		}
	}
}

// A value larger than the writer's buffer is hashed in pieces, none lost.
func TestIndentWriterLongerThanItsBuffer(t *testing.T) {
	long := make([]any, 0, 20000)
	for i := range 20000 {
		long = append(long, map[string]any{"id": fmt.Sprintf("vm-%d", i), "tags": map[string]string{}, "path": strings.Repeat(`\`, i%300)})
	}
	got, want := indented(t, long)
	if len(want) < 4*indentBufSize || !bytes.Equal(got, want) {
		t.Fatalf("%d bytes indented, want the %d bytes json.Encoder writes", len(got), len(want))
	}
}

func FuzzIndentWriter(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,{}],"b":"\"}"}`, `[[],[{}],""]`, `"x"`, `1`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		var v any
		if err := json.Unmarshal(src, &v); err != nil {
			return
		}
		got, want := indented(t, v)
		if !bytes.Equal(got, want) {
			t.Fatalf("%q:\ngot  %q\nwant %q", src, got, want)
		}
	})
}

// The digest is the SHA-256 of what Write writes, byte for byte.
func TestDigestIsTheHashOfTheWrittenSnapshot(t *testing.T) {
	golden, err := os.ReadFile("testdata/snapshot.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ReadSnapshot(bytes.NewReader(golden))
	if err != nil {
		t.Fatal(err)
	}
	odd := *s // names and notes with what JSON escapes, empty and absent parts
	odd.Taken = time.Date(2026, 3, 1, 12, 0, 0, 123, time.FixedZone("", -7*3600))
	odd.Hosts = append([]Host(nil), s.Hosts...)
	odd.Hosts[0].Labels = map[string]string{"rack": `a"b\c<d>&`, "": ""}
	odd.Hosts[0].Attention = []string{}
	odd.VMs = append([]VM(nil), s.VMs...)
	odd.VMs[0].Notes = "role=sql\n\"quoted\" \\ \u2028 é \x01"
	odd.VMs[0].Tags = map[string]string{"role": "sql"}
	for _, snap := range []*Snapshot{s, &odd, {Version: SnapshotVersion}} {
		var buf bytes.Buffer
		if err := snap.Write(&buf); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(buf.Bytes())
		if got, want := snap.Digest(), "sha256:"+hex.EncodeToString(sum[:]); got != want {
			t.Errorf("Digest() = %s, want %s (the hash of the written snapshot)", got, want)
		}
	}
}

// benchSnapshot is a snapshot of hosts × vms with the facts a collected one
// has: disks, switches, tags, loads.
func benchSnapshot(hosts, vms int) *Snapshot {
	s := &Snapshot{Version: SnapshotVersion, Taken: time.Date(2026, 1, 10, 2, 0, 0, 0, time.UTC), WindowSeconds: 300}
	for i := range hosts {
		s.Hosts = append(s.Hosts, Host{Name: fmt.Sprintf("HV%04d", i), Cluster: "cl1", Health: HealthOK, LogicalProcessors: 64, MemoryBytes: 1 << 40,
			Labels: map[string]string{"rack": "rack-a"}, ConfigVersions: []string{"9.0", "10.0"}, Switches: []string{"prod"},
			Volumes: []Volume{{Path: `D:\`, Kind: "local", Size: 8 << 40, Free: 3 << 40}}, CPU: Stat{Last: 51.5, Mean: 50.25, P95: 60.125, Max: 70}})
	}
	for i := range vms {
		name := fmt.Sprintf("vm-%05d", i)
		s.VMs = append(s.VMs, VM{ID: fmt.Sprintf("%08x-0000-0000-0000-000000000000", i), Name: name, Host: s.Hosts[i%hosts].Name, State: "Running",
			CPUs: 4, Notes: "role=web", Tags: map[string]string{"role": "web"}, MemoryAssigned: 8 << 30, ConfigVersion: "9.0", Switches: []string{"prod"},
			Path: `D:\Hyper-V\` + name, Disks: []Disk{{Path: `D:\Hyper-V\` + name + `\disk0.vhdx`, FileSize: 40 << 30, Size: 80 << 30}},
			CPU: Stat{Last: 0.5, Mean: 0.45, P95: 0.55, Max: 0.65}, UptimeSeconds: 86400, Samples: 20})
	}
	return s
}

// BenchmarkDigest compares the digest with hashing the snapshot Write
// writes, as the digest was made before.
func BenchmarkDigest(b *testing.B) {
	for _, size := range []struct{ hosts, vms int }{{64, 8000}, {1000, 50000}} {
		s := benchSnapshot(size.hosts, size.vms)
		b.Run(fmt.Sprintf("%dx%d/write-then-hash", size.hosts, size.vms), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var buf bytes.Buffer
				if err := s.Write(&buf); err != nil {
					b.Fatal(err)
				}
				sha256.Sum256(buf.Bytes())
			}
		})
		b.Run(fmt.Sprintf("%dx%d/Digest", size.hosts, size.vms), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Digest()
			}
		})
	}
}
