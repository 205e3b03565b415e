package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMaintenanceStore: entries and exits are written at once and read
// back by a new store (a restart); entering twice changes nothing; the
// record of who did what is bounded; a file that does not read stops the
// start rather than forget a host taken out of the fleet.
func TestMaintenanceStore(t *testing.T) {
	dir := t.TempDir()
	s, err := openMaintenance(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	if _, changed, err := s.enter("HV01", "alice", "firmware", now); err != nil || !changed {
		t.Fatalf("enter: changed %v, %v", changed, err)
	}
	if e, changed, err := s.enter("HV01", "bob", "again", now.Add(time.Minute)); err != nil || changed || e.By != "alice" {
		t.Errorf("second enter: %+v changed %v, %v; want alice's entry unchanged", e, changed, err)
	}
	if _, _, err := s.enter("HV02", "carol", "", now); err != nil {
		t.Fatal(err)
	}
	if changed, err := s.exit("HV02", "carol", "done", now); err != nil || !changed {
		t.Fatalf("exit: changed %v, %v", changed, err)
	}
	if changed, err := s.exit("HV03", "carol", "", now); err != nil || changed {
		t.Errorf("exit of a host not in maintenance: changed %v, %v", changed, err)
	}
	again, err := openMaintenance(dir)
	if err != nil {
		t.Fatal(err)
	}
	hosts, _ := again.entries()
	if len(hosts) != 1 || hosts["HV01"].By != "alice" || hosts["HV01"].Reason != "firmware" || !hosts["HV01"].Since.Equal(now) {
		t.Errorf("after a restart: %+v, want HV01 by alice", hosts)
	}
	if n := len(again.events); n != 3 {
		t.Errorf("%d events recorded, want 3 (two entries, one exit)", n)
	}
	for i := range maxMaintenanceEvents + 10 {
		host := "HV1" + string(rune('0'+i%10))
		if _, err := again.exit(host, "x", "", now); err != nil {
			t.Fatal(err)
		}
		if _, _, err := again.enter(host, "x", "", now); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(again.events); n != maxMaintenanceEvents {
		t.Errorf("%d events kept, want at most %d", n, maxMaintenanceEvents)
	}

	if err := os.WriteFile(filepath.Join(dir, maintenanceFileName), []byte(`{"version": 1, "hosts": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openMaintenance(dir); err == nil || !strings.Contains(err.Error(), maintenanceFileName) {
		t.Errorf("a torn file: %v, want an error naming it", err)
	}
}
