package policy

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestRunTestsExamples(t *testing.T) {
	var out bytes.Buffer
	passed, failed, err := RunTests(context.Background(), examplesDir, &out, false)
	if err != nil {
		t.Fatalf("RunTests: %v", err)
	}
	if failed != 0 || passed < 30 {
		t.Errorf("RunTests = %d passed, %d failed; want every one of at least 30 to pass\n%s", passed, failed, out.String())
	}
	if want := "PASS: " + strconv.Itoa(passed) + "/" + strconv.Itoa(passed) + "\n"; out.String() != want {
		t.Errorf("output %q, want only the summary %q", out.String(), want)
	}

	// Every production file has its tests beside it.
	files, _ := filepath.Glob(filepath.Join(examplesDir, "*.rego"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.rego") {
			continue
		}
		if _, err := os.Stat(strings.TrimSuffix(f, ".rego") + "_test.rego"); err != nil {
			t.Errorf("%s has no _test.rego beside it", f)
		}
	}
}

func TestRunTestsFailing(t *testing.T) {
	var out bytes.Buffer
	passed, failed, err := RunTests(context.Background(), "testdata/failing", &out, false)
	if err != nil {
		t.Fatalf("RunTests: %v", err)
	}
	if passed != 2 || failed != 2 {
		t.Errorf("RunTests = %d passed, %d failed; want 2, 2\n%s", passed, failed, out.String())
	}
	// As `opa test`: the failures with their place, then the summary.
	got := regexp.MustCompile(`\([0-9.]+[µmn]?s\)`).ReplaceAllString(out.String(), "(T)")
	want := "testdata/failing/rules_test.rego:16:\n" +
		"data.hvbalancer_test.test_wrong_message: FAIL (T)\n" +
		"testdata/failing/rules_test.rego:21:\n" +
		"data.hvbalancer_test.test_ok_denied: FAIL (T)\n" +
		strings.Repeat("-", 80) + "\n" +
		"PASS: 2/4\n" +
		"FAIL: 2/4\n"
	if got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestRunTestsVerbose(t *testing.T) {
	var out bytes.Buffer
	if _, _, err := RunTests(context.Background(), "testdata/failing", &out, true); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"data.hvbalancer_test.test_stale_denied: PASS",
		"data.hvbalancer_test.test_ok_allowed: PASS",
		"data.hvbalancer_test.test_ok_denied: FAIL",
		"FAILURES\n",
		"PASS: 2/4\nFAIL: 2/4\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("verbose output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunTestsCompileError(t *testing.T) {
	dir := writePolicy(t, map[string]string{
		"p.rego":      "package hvbalancer\n\nx := 1\n",
		"p_test.rego": "package hvbalancer_test\n\ntest_typo if {\n\tinput.fleet.hots\n}\n",
	})
	_, _, err := RunTests(context.Background(), dir, &bytes.Buffer{}, false)
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("RunTests = %v, want a *CompileError", err)
	}
	want := "policy: " + filepath.Join(dir, "p_test.rego") + `:4: rego_type_error: undefined ref: input.fleet.hots (want one of: "hosts", "vms", "vms_by_tag")`
	if err.Error() != want {
		t.Errorf("error %s\nwant %s", err, want)
	}
	dir = writePolicy(t, map[string]string{
		"p.rego":      "package hvbalancer\n\nx := 1\n",
		"p_test.rego": "package hvbalancer_test\n\ntest_typo if {\n\tsome h in input.fleet.hosts\n\th.helth == \"ok\"\n}\n",
	})
	_, _, err = RunTests(context.Background(), dir, &bytes.Buffer{}, false)
	want = "policy: " + filepath.Join(dir, "p_test.rego") + `:5: rego_type_error: undefined ref: h.helth (want one of: "capacity", "cluster", "config_versions", "cpu", "group", "health", "labels", "maintenance", "memory", "name", "processor_model", "processor_vendor", "switches", "vhd_path", "vm_path", "vms", "volumes")`
	if err == nil || err.Error() != want {
		t.Errorf("RunTests with a typo inside the hosts map = %v\nwant %s", err, want)
	}
	if _, _, err := RunTests(context.Background(), filepath.Join(dir, "none"), &bytes.Buffer{}, false); err == nil {
		t.Error("RunTests on a missing directory succeeded")
	}
}
