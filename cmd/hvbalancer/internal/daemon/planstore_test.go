package daemon

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestOpenPlanStoreMovesTornRecordsAside proves that the store opens over
// records a crash left torn: each is moved aside (renamed with .torn, with
// a number when the name is taken) with a warning, the whole ones are
// served, and directories without a record or moved aside before are left
// alone.
func TestOpenPlanStoreMovesTornRecordsAside(t *testing.T) {
	dir := t.TempDir()
	write := func(name, record string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, name), 0o750); err != nil {
			t.Fatal(err)
		}
		if record != "" {
			if err := os.WriteFile(filepath.Join(dir, name, "record.json"), []byte(record), 0o640); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("plan-a", `{"id":"plan-a","state":"pending"}`)
	write("plan-b", `{"id":"plan-b","sta`)                    // cut short
	write("plan-c", `{"id":"plan-a","state":"pending"}`)      // names another plan
	write("plan-b.torn", `{"id":"plan-b","state":"pending"}`) // moved aside before
	write("plan-d", "")                                       // being written when the daemon stopped
	var logs bytes.Buffer
	s, err := openPlanStore(dir, nil, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, r := range s.records() {
		served = append(served, r.ID)
	}
	if !slices.Equal(served, []string{"plan-a"}) {
		t.Errorf("served %v, want plan-a", served)
	}
	es, _ := os.ReadDir(dir)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	if want := []string{"plan-a", "plan-b.1.torn", "plan-b.torn", "plan-c.torn", "plan-d"}; !slices.Equal(names, want) {
		t.Errorf("directories %v, want %v", names, want)
	}
	for _, want := range []string{"plan-b.1.torn", "plan-c.torn"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no warning names %s:\n%s", want, logs.String())
		}
	}
}
