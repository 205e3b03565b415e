package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// palette colours the contenders, in report order; a baseline held to the
// shipped policy takes its published method's colour (see marks).
var palette = []string{"#888888", "#1f77b4", "#0b3d91", "#ff7f0e", "#d62728", "#9467bd",
	"#2ca02c", "#17becf", "#e377c2", "#000000", "#bcbd22", "#8c564b", "#ff1493"}

// Chart geometry, in pixels.
const (
	panelW, panelH = 300, 220
	margin         = 40
	columns        = 3
)

// writeSVG draws one scatter panel per scenario, CPU spread (y) against
// moves (x), one dot per contender, and a legend below.
func writeSVG(w io.Writer, r *Report) error {
	rows := (len(r.Scenarios) + columns - 1) / columns
	var names []string
	var legend []string
	if len(r.Scenarios) > 0 {
		for _, x := range r.Scenarios[0].Results {
			names = append(names, x.Contender)
		}
		legend = marks(r.Scenarios[0].Results)
	}
	legendH := 18 * len(names)
	width, height := columns*panelW+margin, rows*panelH+legendH+margin
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	for i, s := range r.Scenarios {
		x0, y0 := (i%columns)*panelW+margin, (i/columns)*panelH+margin/2
		panel(&b, s, x0, y0)
	}
	ly := rows*panelH + margin/2
	for i, n := range names {
		fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="5" %s/><text x="%d" y="%d">%s</text>`+"\n",
			margin+5, ly+i*18, legend[i], margin+15, ly+i*18+4, esc(n))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// panel draws one scenario's scatter with its top-left corner at x0, y0.
func panel(b *strings.Builder, s ScenarioResult, x0, y0 int) {
	const pw, ph = panelW - margin - 10, panelH - margin - 20
	maxMoves, maxSpread := 1.0, 1.0
	for _, x := range s.Results {
		maxMoves = max(maxMoves, float64(x.Moves))
		maxSpread = max(maxSpread, x.CPUSpread)
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", x0, y0+10, esc(s.Name))
	top := y0 + 20
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#ccc"/>`+"\n", x0, top, pw, ph)
	fmt.Fprintf(b, `<text x="%d" y="%d">moves (0–%.0f)</text>`+"\n", x0, top+ph+14, maxMoves)
	fmt.Fprintf(b, `<text x="%d" y="%d" transform="rotate(-90 %d %d)">CPU spread (0–%.0f)</text>`+"\n", x0-6, top+ph, x0-6, top+ph, maxSpread)
	m := marks(s.Results)
	for i, x := range s.Results {
		cx := float64(x0) + float64(x.Moves)/maxMoves*float64(pw)
		cy := float64(top+ph) - x.CPUSpread/maxSpread*float64(ph)
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="4" %s><title>%s: %d moves, spread %.1f</title></circle>`+"\n",
			cx, cy, m[i], esc(x.Contender), x.Moves, x.CPUSpread)
	}
}

// marks returns each result's dot, as SVG attributes: a filled dot in a
// colour of its own, and for a baseline held to the shipped policy a ring
// in its published method's colour, so the two runs of a method read as
// one colour and the palette is not spent twice.
func marks(results []Result) []string {
	colour := map[string]string{}
	out := make([]string, len(results))
	next := 0
	for i, x := range results {
		if x.Kind == kindBound {
			continue
		}
		c := palette[next%len(palette)]
		next++
		colour[x.Contender] = c
		out[i] = fmt.Sprintf(`fill="%s" fill-opacity="0.8"`, c)
	}
	for i, x := range results {
		if x.Kind != kindBound {
			continue
		}
		c, ok := colour[strings.TrimSuffix(x.Contender, boundSuffix)]
		if !ok {
			c = palette[0]
		}
		out[i] = fmt.Sprintf(`fill="none" stroke="%s" stroke-width="2"`, c)
	}
	return out
}

// esc escapes text for XML.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}
