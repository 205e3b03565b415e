package executor

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/moves"
	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/internal/lockedbuf"
)

// maxSkipLine is how long a "move skipped" line may be in text, with the
// daemon's time stamp and component, a move ID of a manual plan's tenth
// move or later, and the longest cause (the reason keeps minSkipText).
const maxSkipLine = 212

func TestGist(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"short", "the source is no longer overloaded", "the source is no longer overloaded"},
		{"sentinel words go", "move is stale: destination HV02 is stale", "destination HV02 is stale"},
		{"wrapping ops go first", "move is stale: recheck small-03 to HV02: move breaks a hard limit: host HV02 is full",
			"host HV02 is full"},
		{"middle goes last", "move is stale: recheck small-03 to HV02: move breaks a hard limit: host HV02 memory in use would be 120.5 GiB, over its 128.0 GiB capacity minus the 8.0 GiB reserve",
			"host HV02…the 8.0 GiB reserve"},
		{"no op to drop", strings.Repeat("x", 60), strings.Repeat("x", 15) + "…" + strings.Repeat("x", 24)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := gist(tc.in, 40)
			if got != tc.want {
				t.Errorf("gist(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if n := len([]rune(got)); n > 40 {
				t.Errorf("gist is %d characters, cap 40", n)
			}
		})
	}
}

// TestSkipLinesStayShort skips moves with the long reasons the daemon
// meets (a re-check against a hard limit, a VM in cooldown refused before
// it takes slots, Compare-VM's words) under a manual plan's move IDs, and
// checks each "move skipped" line in text: at most maxSkipLine characters,
// with the start and the end of the reason, while the journal keeps the
// reason whole.
func TestSkipLinesStayShort(t *testing.T) {
	const limit = "move breaks a hard limit: host HV02 memory in use would be 120.5 GiB, over its 128.0 GiB capacity minus the 8.0 GiB reserve"
	v := &fakeValidator{stale: map[string]string{}}
	r := newRig(t, Config{Cooldown: time.Hour}, v)
	var out lockedbuf.Buffer
	r.e.log = slog.New(slog.NewTextHandler(&out, nil)).With("component", "executor")
	const plan = "plan-20260110-080000-1a2b3c4d#approved"
	var ms []moves.Move
	var whole []string
	for i := range 12 {
		name := fmt.Sprintf("small-%02d", i)
		r.vms(name + "@HV01")
		m := mv(name, "HV01", "HV02")
		ms = append(ms, m)
		switch i % 3 {
		case 0:
			why := fmt.Sprintf("recheck %s to HV02: %s", name, limit)
			v.stale[m.VM] = why
			whole = append(whole, ErrStale.Error()+": "+why)
		case 1:
			r.e.lastMoved[m.VM] = r.clock.Now() // in cooldown: refused before it takes slots
			whole = append(whole, "in cooldown until")
		case 2:
			r.fleet.report[m.VM] = []hyperv.Incompatibility{incompatible(hyperv.ErrIncompatibleHardware,
				"The virtual machine '"+name+"' is using processor-specific features not supported on physical computer 'HV02'. To allow for migration of this virtual machine to physical computers with different processors, modify the virtual machine settings to limit the processor features used by the virtual machine.")}
			whole = append(whole, "modify the virtual machine settings to limit the processor features used by the virtual machine.")
		}
	}
	ids := r.submit(plan, ms...)
	for range ms {
		r.pass()
	}
	for i, id := range ids {
		if en := r.entry(id); !strings.Contains(en.Error, whole[i]) {
			t.Errorf("%s: the journal's reason %q does not hold %q whole", id, en.Error, whole[i])
		}
	}
	skipped := 0
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.Contains(l, `msg="move skipped"`) {
			continue
		}
		skipped++
		if n := len([]rune(l)); n > maxSkipLine {
			t.Errorf("a skip line of %d characters, cap %d: %s", n, maxSkipLine, l)
		}
		for _, want := range []string{"move_id=" + plan + "/", "vm=small-", "cause="} {
			if !strings.Contains(l, want) {
				t.Errorf("skip line without %q: %s", want, l)
			}
		}
		switch {
		case strings.Contains(l, "cause=stale"):
			if !strings.Contains(l, "host HV02") || !strings.Contains(l, "GiB reserve") {
				t.Errorf("stale skip line lost the limit's host or its end: %s", l)
			}
		case strings.Contains(l, "cause=cooldown"):
			if !strings.Contains(l, `reason="the vm moved`) || !strings.Contains(l, "T11:00:00Z") {
				t.Errorf("cooldown skip line lost its end: %s", l)
			}
		default:
			if !strings.Contains(l, `reason="The virtual`) || !strings.Contains(l, `virtual machine."`) {
				t.Errorf("Compare-VM skip line lost its start or its end: %s", l)
			}
		}
		t.Logf("%d: %s", len([]rune(l)), l)
	}
	if skipped != len(ms) {
		t.Errorf("%d skip lines for %d skipped moves", skipped, len(ms))
	}
}
