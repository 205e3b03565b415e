package policy

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/internal/lockedbuf"
)

func TestLoadExamples(t *testing.T) {
	e := mustLoad(t, Options{Dir: examplesDir})
	d := e.Digest()
	if !strings.HasPrefix(d, "sha256:") || len(d) != len("sha256:")+64 {
		t.Errorf("Digest() = %q, want sha256: and 64 hex digits", d)
	}
	if again := mustLoad(t, Options{Dir: examplesDir}).Digest(); again != d {
		t.Errorf("digest of the same sources changed: %s, then %s", d, again)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string // the error's lines
	}{{
		name: "typo in a fleet field",
		opts: Options{Dir: "testdata/compile/typo-fleet"},
		want: []string{`policy: testdata/compile/typo-fleet/hot.rego:10: rego_type_error: undefined ref: input.fleet.hots[input.move.to].cpu.mean (want one of: "hosts", "vms", "vms_by_tag")`},
	}, {
		name: "typo in a move field",
		opts: Options{Dir: "testdata/compile/typo-move"},
		want: []string{`policy: testdata/compile/typo-move/deny.rego:4: rego_type_error: undefined ref: input.move.too (want one of: "from", "to", "vm")`},
	}, {
		name: "typos inside host and VM maps",
		opts: Options{Dir: "testdata/compile/typo-map"},
		want: []string{
			`policy: testdata/compile/typo-map/deny.rego:7: rego_type_error: undefined ref: h.maintenanse (want one of: "capacity", "cluster", "config_versions", "cpu", "group", "health", "labels", "maintenance", "memory", "name", "processor_model", "processor_vendor", "switches", "vhd_path", "vm_path", "vms", "volumes")`,
			`policy: testdata/compile/typo-map/deny.rego:11: rego_type_error: undefined ref: data.hvbalancer.dest.helth (want one of: "capacity", "cluster", "config_versions", "cpu", "group", "health", "labels", "maintenance", "memory", "name", "processor_model", "processor_vendor", "switches", "vhd_path", "vm_path", "vms", "volumes")`,
			`policy: testdata/compile/typo-map/deny.rego:15: rego_type_error: undefined ref: v.tag (want one of: "clustered", "config_version", "cpu", "cpus", "host", "last_migration", "memory_bytes", "name", "notes", "path", "processor_compatibility", "state", "storage", "storage_bytes", "switches", "tags")`,
			`policy: testdata/compile/typo-map/deny.rego:20: rego_type_error: undefined ref: input.fleet.vms[id].stat (want one of: "clustered", "config_version", "cpu", "cpus", "host", "last_migration", "memory_bytes", "name", "notes", "path", "processor_compatibility", "state", "storage", "storage_bytes", "switches", "tags")`,
		},
	}, {
		name: "every problem at once",
		opts: Options{Dir: "testdata/compile/many"},
		want: []string{
			`policy: testdata/compile/many/a.rego:4: rego_type_error: undefined ref: input.move.form (want one of: "from", "to", "vm")`,
			`policy: testdata/compile/many/b.rego:4: rego_type_error: undefined ref: input.projected.to.mem (want one of: "cpu", "memory", "vm_memory_bytes", "vms")`,
			`policy: testdata/compile/many/b.rego:9: rego_type_error: undefined ref: e.when (want one of: "at", "error", "from", "to", "vm")`,
		},
	}, {
		name: "parse error",
		opts: Options{Dir: "testdata/compile/parse"},
		want: []string{
			`policy: testdata/compile/parse/broken.rego:4: rego_parse_error: non-terminated string`,
			`policy: testdata/compile/parse/broken.rego:4: rego_parse_error: illegal token`,
		},
	}, {
		name: "wrong package",
		opts: Options{Dir: "testdata/compile/package"},
		want: []string{`policy: testdata/compile/package/other.rego:1: rego_compile_error: package balancing: hvbalancer policies are package hvbalancer (or a subpackage)`},
	}, {
		name: "unavailable built-in",
		opts: Options{Dir: "testdata/compile/builtin"},
		want: []string{`policy: testdata/compile/builtin/now.rego:4: rego_type_error: undefined function time.now_ns (not available to hvbalancer policies: decisions depend only on input and data)`},
	}, {
		name: "data file not an object",
		opts: Options{Dir: "testdata/compile/data"},
		want: []string{`policy: testdata/compile/data/data.json: data_error: holds a array, want an object`},
	}, {
		name: "no policy",
		opts: Options{Dir: "testdata/failing/none"},
		want: []string{`read policy: lstat testdata/failing/none: no such file or directory`},
	}, {
		name: "tests only",
		opts: Options{Dir: "testdata/compile"},
		want: nil, // loads: every subdirectory merges into one policy, and fails
	}, {
		name: "neither directory nor bundle",
		opts: Options{},
		want: []string{`load policy: set exactly one of the directory and the bundle`},
	}, {
		name: "both directory and bundle",
		opts: Options{Dir: examplesDir, Bundle: "x.tar.gz"},
		want: []string{`load policy: set exactly one of the directory and the bundle`},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.opts)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if tc.want == nil {
				return
			}
			if diff := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompileErrorProblems(t *testing.T) {
	_, err := Load(Options{Dir: "testdata/compile/typo-move"})
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v is a %T, want a *CompileError", err, err)
	}
	want := []Problem{{
		File: "testdata/compile/typo-move/deny.rego", Line: 4, Code: "rego_type_error",
		Message: `undefined ref: input.move.too (want one of: "from", "to", "vm")`,
	}}
	if diff := cmp.Diff(want, ce.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestReloadKeepsLastGood(t *testing.T) {
	dir := copyDir(t, examplesDir)
	e := mustLoad(t, Options{Dir: dir})
	good := e.Digest()
	in := goldenInput()

	changed, err := e.Reload()
	if changed || err != nil {
		t.Fatalf("Reload of unchanged sources = %v, %v; want false, nil", changed, err)
	}

	// A test file is not part of the policy.
	write(t, filepath.Join(dir, "config_test.rego"), "package hvbalancer_test\n\ntest_x if true\n")
	if changed, err := e.Reload(); changed || err != nil {
		t.Fatalf("Reload after a test changed = %v, %v; want false, nil", changed, err)
	}

	// A broken policy is refused; the last good one stays.
	broken := "package hvbalancer\n\nconfig := {\"max_moves\": input.fleet.hots}\n"
	write(t, filepath.Join(dir, "config.rego"), broken)
	changed, err = e.Reload()
	wantErr := "policy: " + filepath.Join(dir, "config.rego") + `:3: rego_type_error: undefined ref: input.fleet.hots (want one of: "hosts", "vms", "vms_by_tag")`
	if changed || err == nil || err.Error() != wantErr {
		t.Fatalf("Reload of a broken policy = %v, %v; want false, %s", changed, err, wantErr)
	}
	if e.Digest() != good {
		t.Errorf("Digest() = %s after a failed reload, want the last good %s", e.Digest(), good)
	}
	if s := mustBegin(t, e, in).Settings(); s.MaxMoves == nil || *s.MaxMoves != 3 {
		t.Errorf("after a failed reload max_moves = %v, want the last good policy's 3", s.MaxMoves)
	}
	// Asking again gives the same error without compiling again.
	if _, err2 := e.Reload(); err2 == nil || err2.Error() != wantErr {
		t.Errorf("second Reload = %v, want %s", err2, wantErr)
	}

	// A fixed policy is taken, and a session begun before keeps its policy.
	old := mustBegin(t, e, in)
	write(t, filepath.Join(dir, "config.rego"), "package hvbalancer\n\nconfig := {\"cpu_high\": 75, \"memory_high\": 85, \"max_moves\": 7}\n")
	if changed, err := e.Reload(); !changed || err != nil {
		t.Fatalf("Reload of a fixed policy = %v, %v; want true, nil", changed, err)
	}
	if e.Digest() == good {
		t.Error("Digest() did not change with the policy")
	}
	if s := mustBegin(t, e, in).Settings(); s.MaxMoves == nil || *s.MaxMoves != 7 {
		t.Errorf("after reload max_moves = %v, want 7", s.MaxMoves)
	}
	if old.Digest() != good || *old.Settings().MaxMoves != 3 {
		t.Errorf("a session begun before the reload changed policy: digest %s", old.Digest())
	}
}

func TestReloadDataChange(t *testing.T) {
	dir := copyDir(t, examplesDir)
	e := mustLoad(t, Options{Dir: dir})
	write(t, filepath.Join(dir, "data.yaml"), "hvbalancer_settings:\n  config: {cpu_high: 60}\n  business_hours: {days: []}\n")
	if changed, err := e.Reload(); !changed || err != nil {
		t.Fatalf("Reload = %v, %v; want true, nil", changed, err)
	}
	s := mustBegin(t, e, goldenInput()).Settings()
	if *s.CPUHigh != 60 || *s.MaxMoves != 10 || s.Aggressiveness != nil {
		t.Errorf("settings = cpu_high %v, max_moves %v, aggressiveness %v; want 60, 10, nil", *s.CPUHigh, *s.MaxMoves, s.Aggressiveness)
	}
	write(t, filepath.Join(dir, "data.yaml"), "hvbalancer_settings: [\n")
	if _, err := e.Reload(); err == nil || !strings.Contains(err.Error(), "data.yaml: data_error: ") {
		t.Errorf("Reload of broken data = %v, want a data_error naming data.yaml", err)
	}
}

func TestWatch(t *testing.T) {
	dir := copyDir(t, examplesDir)
	var logs lockedbuf.Buffer
	e := mustLoad(t, Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	good := e.Digest()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Watch(ctx, 5*time.Millisecond)
	}()
	defer func() {
		cancel()
		<-done
	}()

	writeAtomic(t, filepath.Join(dir, "config.rego"), "package hvbalancer\n\nconfig := input.fleet.hots\n")
	waitFor(t, func() bool { return strings.Contains(logs.String(), "keeping the last good one") })
	if e.Digest() != good {
		t.Fatalf("Digest() changed to %s after a broken policy", e.Digest())
	}
	writeAtomic(t, filepath.Join(dir, "config.rego"), "package hvbalancer\n\nconfig := {\"cpu_high\": 75, \"memory_high\": 85, \"max_moves\": 1}\n")
	waitFor(t, func() bool { return e.Digest() != good })
	waitFor(t, func() bool { return strings.Contains(logs.String(), "policy reloaded") })
	if n := strings.Count(logs.String(), "keeping the last good one"); n != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", n, logs.String())
	}
}

func TestBundle(t *testing.T) {
	path := buildBundle(t, examplesDir)
	b := mustLoad(t, Options{Bundle: path})
	d := mustLoad(t, Options{Dir: examplesDir})
	in := goldenInput()
	rb, rd := mustBegin(t, b, in), mustBegin(t, d, in)
	if diff := cmp.Diff(rd.Settings(), rb.Settings()); diff != "" {
		t.Errorf("settings, directory vs bundle (-dir +bundle):\n%s", diff)
	}
	if diff := cmp.Diff(rd.Requests(), rb.Requests()); diff != "" {
		t.Errorf("requests, directory vs bundle (-dir +bundle):\n%s", diff)
	}
	for _, m := range candidates(in) {
		p := project(in, m)
		vd, err1 := rd.Judge(context.Background(), m, p)
		vb, err2 := rb.Judge(context.Background(), m, p)
		if err1 != nil || err2 != nil {
			t.Fatalf("Judge(%v): %v, %v", m, err1, err2)
		}
		if diff := cmp.Diff(vd, vb); diff != "" {
			t.Errorf("Judge(%v), directory vs bundle (-dir +bundle):\n%s", m, diff)
		}
	}
	if changed, err := b.Reload(); changed || err != nil {
		t.Errorf("Reload of an unchanged bundle = %v, %v; want false, nil", changed, err)
	}
}

func TestBundleErrors(t *testing.T) {
	notGzip := filepath.Join(t.TempDir(), "bad.tar.gz")
	write(t, notGzip, "not a bundle")
	_, err := Load(Options{Bundle: notGzip})
	if err == nil || !strings.HasPrefix(err.Error(), "read policy bundle "+notGzip+": ") {
		t.Errorf("Load(not a bundle) = %v, want a read policy bundle error", err)
	}
	typo := buildBundle(t, "testdata/compile/typo-move")
	_, err = Load(Options{Bundle: typo})
	want := "policy: " + typo + `/deny.rego:4: rego_type_error: undefined ref: input.move.too (want one of: "from", "to", "vm")`
	if err == nil || err.Error() != want {
		t.Errorf("Load(bundle with a typo) = %v, want %s", err, want)
	}
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeAtomic replaces a file at once, as a deployment would, so a watcher
// never sees it half-written.
func writeAtomic(t testing.TB, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	write(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline (this is not a timing assertion: it only bounds a hang).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(time.Millisecond)
	}
}
