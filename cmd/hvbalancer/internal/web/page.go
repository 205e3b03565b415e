package web

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"time"
)

// pageCSP allows the pages their inline CSS and nothing else: no script,
// no outside resource, no framing.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Thresholds used when the Status has none: the planner's defaults.
const (
	defaultCPUHigh    = 75
	defaultMemoryHigh = 85
)

//go:embed status.html
var statusHTML string

// parsePage parses the status page template; it is embedded, so an error
// is a bug caught by any test.
func parsePage() *template.Template {
	return template.Must(template.New("status").Funcs(template.FuncMap{
		"f0":      func(v float64) string { return fmt.Sprintf("%.0f", v) },
		"f1":      func(v float64) string { return fmt.Sprintf("%.1f", v) },
		"time":    formatTime,
		"seconds": formatSeconds,
		"bytes":   formatBytes,
		"took":    took,
		"count":   count,
	}).Parse(statusHTML))
}

// pageView is what the status page shows.
type pageView struct {
	Status     Status
	ConfigPath string // for the approve command the page suggests
	Taken      time.Time
	Hosts      []hostRow
	History    []HistoryEntry
	Plans      []PlanInfo
	MorePlans  int
	// Awaiting are the plans waiting for approval, of all plans kept;
	// States counts every kept plan by state.
	Awaiting []PlanInfo
	States   []stateCount
	// Balance is the fleet's balance figure and Verdict its word (balanced,
	// not balanced, not known); nil before the first planning pass.
	Balance *Balance
	Verdict string
}

// stateCount is how many kept plans are in one state.
type stateCount struct {
	State PlanState
	N     int
}

// planStates is the order the page counts plans in: waiting first, then
// running, then ended.
var planStates = []PlanState{PlanPending, PlanApproved, PlanExecuting, PlanDone, PlanPartlyDone, PlanFailed, PlanSuperseded, PlanExpired, PlanRefused}

// verdict says a balance's verdict in words.
func verdict(b *Balance) string {
	switch {
	case b.Balanced == nil:
		return "not known"
	case *b.Balanced:
		return "balanced"
	case b.Moves == 0:
		return "above the target, no move planned"
	}
	return "not balanced"
}

type hostRow struct {
	HostInfo
	CPUBar, MemoryBar loadBar
}

// loadBar is one load bar, laid out in Go so the template only places
// numbers: widths are clamped to 0..100.
type loadBar struct {
	Mean, P95, High    float64
	MeanW, P95W, HighW float64
	Class              string // ok, warn (p95 above the threshold), hot (mean above), off (host not ok)
}

func newBar(l Load, high float64, healthy bool) loadBar {
	b := loadBar{Mean: l.Mean, P95: l.P95, High: high, MeanW: clamp(l.Mean), P95W: clamp(l.P95), HighW: clamp(high)}
	switch {
	case !healthy:
		b.Class = "off"
	case l.Mean >= high:
		b.Class = "hot"
	case l.P95 >= high:
		b.Class = "warn"
	default:
		b.Class = "ok"
	}
	return b
}

func clamp(v float64) float64 {
	if !(v > 0) { // NaN too
		return 0
	}
	return min(v, 100)
}

func (s *server) view() pageView {
	st := s.status()
	cpuHigh, memHigh := st.CPUHigh, st.MemoryHigh
	if cpuHigh <= 0 {
		cpuHigh = defaultCPUHigh
	}
	if memHigh <= 0 {
		memHigh = defaultMemoryHigh
	}
	hosts := hostsOf(s.b.Snapshot(), s.b.Maintenance())
	v := pageView{Status: st, Taken: hosts.Taken, ConfigPath: s.config}
	for _, h := range hosts.Hosts {
		ok := h.Health == HostOK
		v.Hosts = append(v.Hosts, hostRow{
			HostInfo:  h,
			CPUBar:    newBar(h.CPU, cpuHigh, ok),
			MemoryBar: newBar(h.Memory, memHigh, ok),
		})
	}
	v.History = historyOf(s.b.History(pageHistory), pageHistory)
	v.Plans = s.b.Plans()
	if st.Balance != nil {
		v.Balance, v.Verdict = st.Balance, verdict(st.Balance)
	}
	counts := map[PlanState]int{}
	for _, p := range v.Plans {
		counts[p.State]++
		if p.State == PlanPending {
			v.Awaiting = append(v.Awaiting, p)
		}
	}
	for _, state := range planStates {
		if counts[state] > 0 {
			v.States = append(v.States, stateCount{state, counts[state]})
		}
	}
	if n := len(v.Plans); n > pagePlans {
		v.Plans, v.MorePlans = v.Plans[:pagePlans], n-pagePlans
	}
	return v
}

func (s *server) statusPage(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if err := s.page.Execute(&buf, s.view()); err != nil {
		s.log.Error("render status page", "error", err)
		writeText(w, http.StatusInternalServerError, "render status page: internal error (see the daemon log)\n")
		return
	}
	w.Header().Set("Content-Security-Policy", pageCSP)
	writeBody(w, "text/html; charset=utf-8", &buf)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.Format(time.DateTime + " MST")
}

func formatSeconds(s float64) string {
	if !(s >= 0) {
		return "–"
	}
	return (time.Duration(s+0.5) * time.Second).String()
}

func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}

// count writes a count and a noun: "1 move", "2 moves".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// took is how long a journaled migration ran, empty until it ended.
func took(e HistoryEntry) string {
	if e.Started.IsZero() || e.Ended.IsZero() {
		return ""
	}
	return formatSeconds(e.DurationSeconds)
}
