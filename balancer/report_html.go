package balancer

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"
)

// WriteHTML writes the plan as one self-contained HTML page: inline CSS,
// before/after bar charts per host as inline SVG for CPU and memory, the
// moves and the rejections. It needs no script and loads nothing; every
// name from the fleet is escaped by html/template.
func (p *Plan) WriteHTML(w io.Writer) error {
	t, err := template.New("plan").Funcs(template.FuncMap{
		"bytes":     formatBytes,
		"seconds":   formatSeconds,
		"f1":        func(v float64) string { return fmt.Sprintf("%.1f", v) },
		"f2":        func(v float64) string { return fmt.Sprintf("%.2f", v) },
		"join":      func(s []string) string { return strings.Join(s, "; ") },
		"inc":       func(i int) int { return i + 1 },
		"projected": func(h HostLoad) string { return h.projectedText() },
		"num":       number,
		"time":      func(t time.Time) string { return t.UTC().Format(time.DateTime + " MST") },
	}).Parse(planHTML)
	if err != nil {
		return fmt.Errorf("write plan html: %w", err)
	}
	if err := t.Execute(w, p.cleaned().htmlView()); err != nil {
		return fmt.Errorf("write plan html: %w", err)
	}
	return nil
}

// htmlView is what the template shows.
type htmlView struct {
	*Plan
	Incomplete     string // the incomplete-fleet warning, if any
	PolicyFailed   string // the policy's failures, if any
	History        string // the warning that the journal's history was not read, if any
	Aggressiveness string
	Verdict        string // balanced: yes, no or not known
	Changes        string // what the policy changed, in one line
	SettingRows    []settingRow
	Over           []htmlOver // hosts still over a threshold after the plan
	Charts         []chart    // CPU, memory
	Rejections     []htmlRejection
}

type htmlOver struct{ Name, Text string }

type htmlRejection struct {
	Where string
	Rejection
}

// chart is one resource's bar chart, laid out in Go so the template only
// places numbers.
type chart struct {
	Title         string
	Width, Height int
	Axis          []tick
	Rows          []bar
	Lines         []line
}

type tick struct {
	X     float64
	Label string
}

type bar struct {
	Y, AfterY, TextY float64
	Name, Title      string
	Before, After    float64 // bar widths
	ValueX           float64
	BeforeV, AfterV  float64
	Class            string
}

type line struct {
	X     float64
	Class string
	Label string
}

const (
	chartLabel = 150.0 // room for host names (the template's bars start here)
	chartPlot  = 420.0 // width of the axis' top value
	chartRow   = 24.0
	chartTop   = 24.0
)

func (p *Plan) htmlView() htmlView {
	v := htmlView{Plan: p, Incomplete: p.incompleteText(), PolicyFailed: p.policyErrorText(), History: p.historyText(), Aggressiveness: aggressivenessText(p.Settings),
		Verdict: balancedText(p), SettingRows: p.settingRows()}
	if len(p.SettingsChanged) > 0 {
		v.Changes = changesText(p.SettingsChanged, txt)
	}
	for _, h := range p.stillOver() {
		v.Over = append(v.Over, htmlOver{Name: h.Name, Text: p.overText(h)})
	}
	for i, m := range p.Moves {
		for _, r := range m.Rejected {
			v.Rejections = append(v.Rejections, htmlRejection{Where: fmt.Sprintf("#%d", i+1), Rejection: r})
		}
	}
	for _, r := range p.Rejected {
		v.Rejections = append(v.Rejections, htmlRejection{Where: "none", Rejection: r})
	}
	cpu := p.chart("CPU load (% of logical processors)", func(h HostLoad) (float64, float64) { return h.CPUBefore, h.CPUAfter },
		[]line{{X: p.Settings.CPUHigh, Class: "high", Label: "high"}, {X: p.Settings.CPUCeiling, Class: "ceiling", Label: "ceiling"}})
	mem := p.chart("Memory in use (% of capacity)", func(h HostLoad) (float64, float64) { return h.MemoryBefore, h.MemoryAfter },
		[]line{{X: p.Settings.MemoryHigh, Class: "high", Label: "high"}})
	v.Charts = []chart{cpu, mem}
	return v
}

// chart lays out a before/after bar chart of every host.
func (p *Plan) chart(title string, get func(HostLoad) (float64, float64), lines []line) chart {
	top := 100.0
	for _, h := range p.Hosts {
		b, a := get(h)
		top = math.Max(top, math.Max(b, a))
	}
	top = math.Ceil(top/25) * 25
	x := func(v float64) float64 { return decimals(chartLabel+math.Max(0, v)/top*chartPlot, 1) }
	c := chart{Title: title, Width: int(chartLabel + chartPlot + 90), Height: int(chartTop + chartRow*float64(len(p.Hosts)) + 8)}
	for v := 0.0; v <= top; v += 25 {
		c.Axis = append(c.Axis, tick{X: x(v), Label: fmt.Sprintf("%.0f%%", v)})
	}
	for _, l := range lines {
		l.X = x(l.X)
		c.Lines = append(c.Lines, l)
	}
	for i, h := range p.Hosts {
		b, a := get(h)
		y := chartTop + chartRow*float64(i)
		class := "ok"
		if !h.Eligible {
			class = "off"
		}
		c.Rows = append(c.Rows, bar{
			Y: y, AfterY: y + 10, TextY: y + 14, Name: truncate(h.Name, 22), Class: class,
			Title:  fmt.Sprintf("%s (%s): %.1f%% before, %.1f%% after", h.Name, h.Status, b, a),
			Before: decimals(x(b)-chartLabel, 1), After: decimals(x(a)-chartLabel, 1), ValueX: math.Max(x(a), x(b)) + 4, BeforeV: b, AfterV: a,
		})
	}
	return c
}

// cleaned returns a copy of the plan whose text has no control or
// bidirectional-override characters, which escaping leaves in place.
func (p *Plan) cleaned() *Plan {
	c := *p
	c.Message = txt(p.Message)
	c.BalancedReason = txt(p.BalancedReason)
	c.SettingsChanged = make([]SettingChange, len(p.SettingsChanged))
	for i, ch := range p.SettingsChanged {
		ch.By = txt(ch.By)
		c.SettingsChanged[i] = ch
	}
	c.PolicyDigest = txt(p.PolicyDigest)
	c.Search.Stopped = txt(p.Search.Stopped)
	c.PolicyError = txt(p.PolicyError)
	cleanRej := func(in []Rejection) []Rejection {
		out := make([]Rejection, len(in))
		for i, r := range in {
			r.VM, r.VMName, r.From, r.To = txt(r.VM), txt(r.VMName), txt(r.From), txt(r.To)
			r.Messages = make([]string, len(in[i].Messages))
			for j, m := range in[i].Messages {
				r.Messages[j] = txt(m)
			}
			out[i] = r
		}
		return out
	}
	c.Moves = make([]Move, len(p.Moves))
	for i, m := range p.Moves {
		m.VM, m.VMName, m.From, m.To, m.Reason, m.StoragePath = txt(m.VM), txt(m.VMName), txt(m.From), txt(m.To), txt(reasonText(m)), txt(m.StoragePath)
		m.Rejected = cleanRej(m.Rejected)
		c.Moves[i] = m
	}
	c.Rejected = cleanRej(p.Rejected)
	c.Limited = cleanRej(p.Limited)
	c.Missing = make([]MissingHost, len(p.Missing))
	for i, h := range p.Missing {
		h.Name, h.Problem = txt(h.Name), txt(h.Problem)
		c.Missing[i] = h
	}
	c.Hosts = make([]HostLoad, len(p.Hosts))
	for i, h := range p.Hosts {
		h.Name, h.Cluster = txt(h.Name), txt(h.Cluster)
		c.Hosts[i] = h
	}
	c.Efficacy.CPU.MaxHostBefore, c.Efficacy.CPU.MaxHostAfter = txt(p.Efficacy.CPU.MaxHostBefore), txt(p.Efficacy.CPU.MaxHostAfter)
	c.Efficacy.Memory.MaxHostBefore, c.Efficacy.Memory.MaxHostAfter = txt(p.Efficacy.Memory.MaxHostBefore), txt(p.Efficacy.Memory.MaxHostAfter)
	return &c
}

const planHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Migration plan {{.ID}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em auto;max-width:1100px;padding:0 .75em;color:#1f2328;overflow-wrap:break-word}
h1{font-size:1.5em;overflow-wrap:anywhere}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #d0d7de}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #d0d7de;padding:3px 8px;vertical-align:top}
th{background:#f6f8fa;text-align:left}td.n{text-align:right;white-space:nowrap}tr.over td{background:#fff8c5}tr.changed td{background:#fbefff}
.projected{color:#57606a}
.msg{font-size:1.1em;padding:.6em 1em;background:#f6f8fa;border-left:4px solid #0969da}
.balanced{border-left-color:#1a7f37}.unknown{border-left-color:#bf8700}
.incomplete,div.over{padding:.1em 1em;margin:.6em 0;border-left:4px solid #cf222e;background:#ffebe9}div.over{border-left-color:#bf8700;background:#fff8c5}
p.changed{padding:.4em 1em;margin:.6em 0;border-left:4px solid #8250df;background:#fbefff}
.mono{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all}
.charts{display:flex;flex-wrap:wrap;gap:2em}figure{margin:0;flex:1 1 520px;min-width:0}svg{max-width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#1f2328}
svg .before{fill:#afb8c1}svg .after.ok{fill:#0969da}svg .after.off{fill:#8c959f}svg .axis{stroke:#d0d7de}
svg .high{stroke:#bf8700;stroke-dasharray:4 3}svg .ceiling{stroke:#cf222e;stroke-dasharray:2 2}
.legend span{display:inline-block;width:12px;height:10px;margin:0 4px 0 12px}
</style>
</head>
<body>
<h1>Migration plan {{.ID}}</h1>
{{with .Incomplete}}<div class="incomplete"><p><b>{{.}}</b></p>
<ul>{{range $.Missing}}<li>{{.Name}} ({{.Health}}): {{.Problem}}</li>{{end}}</ul></div>
{{end}}{{with .History}}<div class="incomplete"><p><b>{{.}}</b></p></div>
{{end}}<p class="msg{{if .IsBalanced}} balanced{{else if not .Balanced}} unknown{{end}}">{{.Message}}</p>
{{with .PolicyFailed}}<div class="incomplete"><p><b>{{.}}</b></p></div>
{{end}}{{with .Over}}<div class="over"><p><b>Still over a threshold after this plan:</b></p>
<ul>{{range .}}<li>{{.Name}}: {{.Text}}</li>{{end}}</ul></div>
{{end}}{{with .Changes}}<p class="changed"><b>The policy changed settings for this plan:</b> {{.}}.</p>
{{end}}<div class="scroll"><table>
<tr><th>Balanced</th><td>{{.Verdict}}</td></tr>
<tr><th>Created</th><td>{{time .Created}}</td></tr>
<tr><th>Expires</th><td>{{time .Expires}}</td></tr>
<tr><th>Snapshot</th><td class="mono">{{.SnapshotDigest}}</td></tr>
<tr><th>Policy</th><td class="mono">{{.PolicyDigest}}</td></tr>
<tr><th>Aggressiveness</th><td>{{.Aggressiveness}}</td></tr>
<tr><th>Digest</th><td class="mono">{{.Digest}}</td></tr>
</table></div>

<h2>Settings</h2>
<p>The settings this plan was made with; a value the policy changed shows the configured one and what changed it.</p>
<div class="scroll"><table>
<tr><th>Setting</th><th>Value</th><th>Configured</th><th>Changed by</th></tr>
{{range .SettingRows}}{{if .Change}}<tr class="changed"><td>{{.Name}}</td><td><b>{{.Value}}</b></td><td class="n">{{num .Change.Configured}}</td><td>{{.Change.By}}</td></tr>
{{else}}<tr><td>{{.Name}}</td><td>{{.Value}}</td><td>same</td><td></td></tr>
{{end}}{{end}}</table></div>

<h2>Efficacy</h2>
<div class="scroll"><table>
<tr><th>Measure</th><th>Before</th><th>After</th></tr>
<tr><td>CPU spread</td><td class="n">{{f1 .Efficacy.CPU.SpreadBefore}} points</td><td class="n">{{f1 .Efficacy.CPU.SpreadAfter}} points</td></tr>
<tr><td>CPU busiest host</td><td class="n">{{f1 .Efficacy.CPU.MaxBefore}}% ({{.Efficacy.CPU.MaxHostBefore}})</td><td class="n">{{f1 .Efficacy.CPU.MaxAfter}}% ({{.Efficacy.CPU.MaxHostAfter}})</td></tr>
<tr><td>Memory spread</td><td class="n">{{f1 .Efficacy.Memory.SpreadBefore}} points</td><td class="n">{{f1 .Efficacy.Memory.SpreadAfter}} points</td></tr>
<tr><td>Memory fullest host</td><td class="n">{{f1 .Efficacy.Memory.MaxBefore}}% ({{.Efficacy.Memory.MaxHostBefore}})</td><td class="n">{{f1 .Efficacy.Memory.MaxAfter}}% ({{.Efficacy.Memory.MaxHostAfter}})</td></tr>
<tr><td>Weighted imbalance</td><td class="n">{{f2 .Efficacy.ObjectiveBefore}}</td><td class="n">{{f2 .Efficacy.ObjectiveAfter}}</td></tr>
</table></div>
<p>{{.Efficacy.Moves}} moves, {{bytes .Efficacy.Bytes}} of memory and {{bytes .Efficacy.StorageBytes}} of disks to copy, about {{seconds .Efficacy.EstimatedSeconds}} with at most {{.Settings.MaxConcurrent}} migrations at once and each host's own limit.</p>

<h2>Hosts</h2>
<p class="legend"><span style="background:#afb8c1"></span>before<span style="background:#0969da"></span>after<span style="background:#8c959f"></span>not eligible</p>
<div class="charts">
{{range $c := .Charts}}<figure>
<figcaption>{{$c.Title}}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="{{$c.Width}}" height="{{$c.Height}}" viewBox="0 0 {{$c.Width}} {{$c.Height}}" role="img" aria-label="{{$c.Title}}">
{{range $c.Axis}}<line class="axis" x1="{{.X}}" y1="16" x2="{{.X}}" y2="{{$c.Height}}"/><text x="{{.X}}" y="12" text-anchor="middle">{{.Label}}</text>
{{end}}{{range $c.Rows}}<g><title>{{.Title}}</title><text x="144" y="{{.TextY}}" text-anchor="end">{{.Name}}</text><rect class="before" x="150" y="{{.Y}}" width="{{.Before}}" height="9"/><rect class="after {{.Class}}" x="150" y="{{.AfterY}}" width="{{.After}}" height="9"/><text x="{{.ValueX}}" y="{{.TextY}}">{{f1 .BeforeV}} → {{f1 .AfterV}}</text></g>
{{end}}{{range $c.Lines}}<line class="{{.Class}}" x1="{{.X}}" y1="16" x2="{{.X}}" y2="{{$c.Height}}"><title>{{.Label}}</title></line>
{{end}}</svg>
</figure>
{{end}}</div>
<div class="scroll"><table>
<tr><th>Host</th><th>Status</th><th>CPU before</th><th>CPU after</th><th>Memory before</th><th>Memory after</th><th>VMs</th><th>In</th><th>Out</th></tr>
{{range .Hosts}}<tr{{if .HotAfter}} class="over"{{end}}><td>{{.Name}}</td><td>{{.Status}}{{if .Hot}}, hot{{end}}{{if .HotAfter}}, <b>still over after</b>{{end}}{{with projected .}}<br><small class="projected">{{.}}</small>{{end}}</td><td class="n">{{f1 .CPUBefore}}%</td><td class="n">{{f1 .CPUAfter}}%</td><td class="n">{{f1 .MemoryBefore}}%</td><td class="n">{{f1 .MemoryAfter}}%</td><td class="n">{{.VMsBefore}} → {{.VMsAfter}}</td><td class="n">{{.In}}</td><td class="n">{{.Out}}</td></tr>
{{end}}</table></div>

<h2>Moves</h2>
{{if .Moves}}<div class="scroll"><table>
<tr><th>#</th><th>VM</th><th>VM ID</th><th>From</th><th>To</th><th>Trigger</th><th>Reason</th><th>Gain</th><th>Memory</th><th>Storage</th><th>Est. time</th></tr>
{{range $i, $m := .Moves}}<tr><td class="n">{{inc $i}}</td><td>{{$m.VMName}}</td><td class="mono">{{$m.VM}}</td><td>{{$m.From}}</td><td>{{$m.To}}</td><td>{{$m.Trigger}}{{if eq $m.Trigger "request"}} (priority {{$m.Priority}}){{end}}</td><td>{{$m.Reason}}</td><td class="n">{{f2 $m.Gain}}</td><td class="n">{{bytes $m.Bytes}}</td><td>{{if $m.StoragePath}}{{bytes $m.StorageBytes}} to <span class="mono">{{$m.StoragePath}}</span>{{else}}stays{{end}}</td><td class="n">{{seconds $m.EstimatedSeconds}}</td></tr>
{{end}}</table></div>{{else}}<p>None.</p>{{end}}

<h2>Rejected candidates</h2>
{{if .Rejections}}<div class="scroll"><table>
<tr><th>Before move</th><th>VM</th><th>From</th><th>To</th><th>Trigger</th><th>Gain</th><th>Why</th></tr>
{{range .Rejections}}<tr><td>{{.Where}}</td><td title="{{.VM}}">{{.VMName}}</td><td>{{.From}}</td><td>{{if .To}}{{.To}}{{else}}none{{end}}</td><td>{{.Trigger}}</td><td class="n">{{f2 .Gain}}</td><td>{{join .Messages}}</td></tr>
{{end}}</table></div>{{if .RejectedOmitted}}<p>{{.RejectedOmitted}} more rejections are not listed.</p>{{end}}{{else}}<p>None.</p>{{end}}

<h2>Destinations refused by hard limits</h2>
{{if .Limited}}<div class="scroll"><table>
<tr><th>VM</th><th>From</th><th>To</th><th>Trigger</th><th>Why</th></tr>
{{range .Limited}}<tr><td title="{{.VM}}">{{.VMName}}</td><td>{{.From}}</td><td>{{if .To}}{{.To}}{{else}}none{{end}}</td><td>{{.Trigger}}</td><td>{{join .Messages}}</td></tr>
{{end}}</table></div>{{if .LimitedOmitted}}<p>{{.LimitedOmitted}} more refused destinations are not listed.</p>{{end}}{{else}}<p>None: no VM the search considered was refused a destination for its processor, configuration version, switches or storage.</p>{{end}}

<h2>Search</h2>
<p>VMs held in place: {{.Held.Frozen}} frozen by policy, {{.Held.Cooldown}} in cooldown, {{.Held.NotRunning}} not running, {{.Held.HostUnavailable}} on an unavailable host{{.Held.PolicyText}}.
{{.Search.Steps}} balancing steps scored {{.Search.Candidates}} candidates; the policy judged {{.Search.Judged}} and denied {{.Search.Denied}}. Search ended: {{.Search.Stopped}}.</p>
</body>
</html>
`
