// Package dashboard turns routing's dashboard of the reform plan's
// indicators into what people look at and send upward: the figures
// against their targets, charts (SVG for the page, drawn again in the PDF
// report) and the XLSX and PDF exports.
package dashboard

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// NoData marks a value that cannot be computed: a share of nothing.
const NoData = -1.0

// Chart is a chart model the page (SVG) and the PDF report both draw:
// horizontal bars, or series over months, with a target line.
type Chart struct {
	ID    string // unique on the page: the ids of its title and description
	Title string
	Desc  string // what the chart shows, for screen readers
	// Percent: values are shares (0..1) shown as percentages; else counts.
	Percent bool
	// Target is the goal, drawn as a line, or NoData for none.
	Target      float64
	TargetLabel string
	Bars        []Bar    // a bar chart
	Months      []string // the series' x axis (YYYY-MM)
	Series      []Series
}

// Bar is one bar: a unit and its value (NoData: no bar, "no data").
type Bar struct {
	Label string
	Value float64
	Link  string // where a click goes; empty: none
	Note  string // shown after the value, e.g. "12/15 hồ sơ"
}

// Series is one line over the chart's months; NoData leaves a gap.
type Series struct {
	Name   string
	Values []float64
}

// Top is the end of the value axis: 100% for shares, else a round number
// above the largest value and the target.
func (c Chart) Top() float64 {
	if c.Percent {
		return 1
	}
	top := math.Max(c.Target, 0)
	for _, b := range c.Bars {
		top = math.Max(top, b.Value)
	}
	for _, s := range c.Series {
		for _, v := range s.Values {
			top = math.Max(top, v)
		}
	}
	if top <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(top)))
	for _, m := range []float64{1, 2, 5, 10} {
		if top <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// Value formats v as the chart shows it.
func (c Chart) Value(v float64) string {
	if v < 0 {
		return NoDataText
	}
	if c.Percent {
		return Percent(v)
	}
	return Number(v)
}

// SVG geometry, in user units of the viewBox.
const (
	svgW       = 640.0 // a line chart
	barsW      = 900.0 // a bar chart: room for the units' names
	barRowH    = 24.0
	barLabelW  = 300.0
	barValueW  = 140.0
	lineH      = 220.0
	plotLeft   = 44.0
	plotRight  = 16.0
	plotTop    = 16.0
	plotBottom = 40.0
	svgFont    = "font-family=\"system-ui, sans-serif\""
	colorBar   = "#0b4f8a"
	colorLow   = "#b3261e"
	colorLine  = "#0b4f8a"
	colorGoal  = "#b3261e"
	colorGrid  = "#dde3ea"
	colorText  = "#1f2933"
	colorMuted = "#5b6775"
)

// SVG renders the chart as inline SVG: scalable (viewBox, width 100%),
// with a title and description for screen readers; bars are links.
func (c Chart) SVG() template.HTML {
	var b strings.Builder
	w, h := c.size()
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 %g %g" width="100%%" preserveAspectRatio="xMinYMin meet" aria-labelledby="%s-title %s-desc" %s font-size="13" fill="%s">`,
		w, h, esc(c.ID), esc(c.ID), svgFont, colorText)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(c.ID), esc(c.Title), esc(c.ID), esc(c.Desc))
	if len(c.Bars) > 0 || len(c.Series) == 0 {
		c.barsSVG(&b)
	} else {
		c.linesSVG(&b)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func (c Chart) size() (float64, float64) {
	if len(c.Bars) > 0 || len(c.Series) == 0 {
		return barsW, float64(max(len(c.Bars), 1))*barRowH + 30
	}
	return svgW, lineH
}

func (c Chart) barsSVG(b *strings.Builder) {
	x0, w := barLabelW, barsW-barLabelW-barValueW
	top := c.Top()
	xOf := func(v float64) float64 { return x0 + w*math.Min(v, top)/top }
	if len(c.Bars) == 0 {
		fmt.Fprintf(b, `<text x="%g" y="18" text-anchor="middle" fill="%s" font-style="italic">%s</text>`, barsW/2, colorMuted, esc(NoDataText))
		return
	}
	bottom := float64(len(c.Bars)) * barRowH
	// The axis: 0, the middle and the top.
	for _, v := range []float64{0, top / 2, top} {
		x := xOf(v)
		fmt.Fprintf(b, `<line x1="%.1f" y1="0" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1"/>`, x, x, bottom, colorGrid)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text>`, x, bottom+14, colorMuted, esc(c.Value(v)))
	}
	for i, bar := range c.Bars {
		y := float64(i) * barRowH
		label := esc(clipRunes(ShortName(bar.Label), 38))
		if bar.Link != "" {
			fmt.Fprintf(b, `<a href="%s" class="bar-link" data-unit-label="%s">`, esc(bar.Link), esc(bar.Label))
		}
		fmt.Fprintf(b, `<g><title>%s: %s</title>`, esc(bar.Label), esc(c.Value(bar.Value)+noteSuffix(bar.Note)))
		// The whole row answers a tap, not only the bar.
		fmt.Fprintf(b, `<rect x="0" y="%.1f" width="%g" height="%g" fill="#ffffff" fill-opacity="0"/>`, y, barsW, barRowH)
		fmt.Fprintf(b, `<text x="%g" y="%.1f" text-anchor="end">%s</text>`, x0-6, y+barRowH/2+4, label)
		if bar.Value >= 0 {
			color := colorBar
			if c.Target >= 0 && c.below(bar.Value) {
				color = colorLow
			}
			bw := math.Max(xOf(bar.Value)-x0, 1)
			fmt.Fprintf(b, `<rect x="%g" y="%.1f" width="%.1f" height="%g" fill="%s" rx="2"/>`, x0, y+4, bw, barRowH-8, color)
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f">%s</text>`, x0+bw+4, y+barRowH/2+4, esc(c.Value(bar.Value)))
		} else {
			fmt.Fprintf(b, `<text x="%g" y="%.1f" fill="%s" font-style="italic">%s</text>`, x0+4, y+barRowH/2+4, colorMuted, esc(NoDataText))
		}
		b.WriteString(`</g>`)
		if bar.Link != "" {
			b.WriteString(`</a>`)
		}
	}
	if c.Target >= 0 {
		x := xOf(c.Target)
		fmt.Fprintf(b, `<line x1="%.1f" y1="0" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2" stroke-dasharray="6 3" pointer-events="none"/>`, x, x, bottom, colorGoal)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text>`, x, bottom+27, colorGoal, esc(c.TargetLabel))
	}
}

// below says whether v falls short of the target (for a count the target
// is a ceiling: more is worse).
func (c Chart) below(v float64) bool {
	if c.Percent {
		return v < c.Target-1e-9
	}
	return v > c.Target+1e-9
}

func (c Chart) linesSVG(b *strings.Builder) {
	x0, x1 := plotLeft, svgW-plotRight
	y0, y1 := plotTop, lineH-plotBottom
	top := c.Top()
	n := len(c.Months)
	xOf := func(i int) float64 {
		if n <= 1 {
			return (x0 + x1) / 2
		}
		return x0 + (x1-x0)*float64(i)/float64(n-1)
	}
	yOf := func(v float64) float64 { return y1 - (y1-y0)*math.Min(v, top)/top }
	for _, v := range []float64{0, top / 2, top} {
		y := yOf(v)
		fmt.Fprintf(b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s" stroke-width="1"/>`, x0, y, x1, y, colorGrid)
		fmt.Fprintf(b, `<text x="%g" y="%.1f" text-anchor="end" fill="%s">%s</text>`, x0-4, y+4, colorMuted, esc(c.Value(v)))
	}
	step := max(1, (n+11)/12)
	for i, m := range c.Months {
		if i%step == 0 || i == n-1 {
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text>`, xOf(i), y1+16, colorMuted, esc(tick(m, i == 0)))
		}
	}
	if c.Target >= 0 {
		y := yOf(c.Target)
		fmt.Fprintf(b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s" stroke-width="2" stroke-dasharray="6 3"/>`, x0, y, x1, y, colorGoal)
		fmt.Fprintf(b, `<text x="%g" y="%.1f" text-anchor="end" fill="%s">%s</text>`, x1, y-4, colorGoal, esc(c.TargetLabel))
	}
	empty := true
	for _, s := range c.Series {
		var pts []string
		flush := func() {
			if len(pts) > 1 {
				fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5"/>`, strings.Join(pts, " "), colorLine)
			}
			pts = pts[:0]
		}
		for i, v := range s.Values {
			if v < 0 {
				flush()
				continue
			}
			empty = false
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(i), yOf(v)))
		}
		flush()
		for i, v := range s.Values {
			if v >= 0 && i < n {
				fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s: %s</title></circle>`, xOf(i), yOf(v), colorLine, esc(MonthLabel(c.Months[i])), esc(c.Value(v)))
			}
		}
	}
	if empty {
		fmt.Fprintf(b, `<text x="%g" y="%g" text-anchor="middle" fill="%s" font-style="italic">%s</text>`, (x0+x1)/2, (y0+y1)/2, colorMuted, esc(NoDataText))
	}
	fmt.Fprintf(b, `<text x="%g" y="%g" text-anchor="end" fill="%s" font-size="12">Tháng</text>`, x1, lineH-4, colorMuted)
}

func noteSuffix(n string) string {
	if n == "" {
		return ""
	}
	return " (" + n + ")"
}

func esc(s string) string { return html.EscapeString(s) }

func clipRunes(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}

// tick is a month on the axis: its number, with the year at the first
// month shown and at each January ("1/2026", "2", "3", …).
func tick(m string, first bool) string {
	if len(m) != 7 {
		return m
	}
	n := strings.TrimPrefix(m[5:], "0")
	if first || n == "1" {
		return n + "/" + m[:4]
	}
	return n
}

// ShortName is a unit's name without the words every district office
// shares: "Phòng Giáo dục và Đào tạo Quận 1" → "Quận 1".
func ShortName(name string) string {
	if s, ok := strings.CutPrefix(name, "Phòng Giáo dục và Đào tạo "); ok && s != "" {
		return s
	}
	return name
}
