package web

import (
	"bytes"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/dashboard"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/routing"
)

// The dashboard of the reform plan's indicators: the figures against the
// targets, the monthly trend, the units under the scope to drill down
// into, the unit's overdue cases, and the exports.

// dashView is what the dashboard page adds to pageData.
type dashView struct {
	Report  *dashboard.Report // nil when the period or unit was refused
	Sorts   []dashboard.Choice
	Trends  []trendView
	Defs    []string
	Up      string // the dashboard one level up, or empty
	XLSX    string
	PDF     string
	Details string // the long table of /indicators for the period
	Fresh   string // when the figures were computed, Vietnam time
	// The same view with the units sorted by each indicator.
	SortLinks []sortLink
}

type sortLink struct {
	Code, Label, URL string
	Active           bool
}

// trendView is a trend chart with the numbers of its table.
type trendView struct {
	Chart dashboard.Chart
	Rows  []trendRow
}

type trendRow struct{ Month, Value, Detail string }

// dashboardQuery reads unit, from, to (default: the last 12 months) and sort.
func dashboardQuery(c *fiber.Ctx) (int64, string, string, string) {
	now := time.Now().In(domain.VietnamTime)
	unit, _ := strconv.ParseInt(c.Query("unit"), 10, 64)
	return unit, c.Query("from", now.AddDate(0, -11, 0).Format("2006-01")), c.Query("to", now.Format("2006-01")), c.Query("sort")
}

// dashboardLink is the address of a dashboard view; path is /dashboard or
// /dashboard/export.
func dashboardLink(path string, unit int64, from, to, sort string, extra ...string) string {
	q := url.Values{}
	if unit != 0 {
		q.Set("unit", strconv.FormatInt(unit, 10))
	}
	q.Set("from", from)
	q.Set("to", to)
	if sort != "" {
		q.Set("sort", sort)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return path + "?" + q.Encode()
}

func (s *Server) dashboardPage(c *fiber.Ctx) error {
	d := s.page(c, "Chỉ số")
	d.Wide = true
	unit, from, to, sort := dashboardQuery(c)
	d.Form["from"], d.Form["to"], d.Form["sort"] = from, to, sort
	if unit != 0 {
		d.Form["unit"] = strconv.FormatInt(unit, 10)
	}
	v := &dashView{Sorts: dashboard.Sorts, Defs: dashboard.Definitions}
	d.Dash = v
	dash, err := s.routing.Dashboard(c.UserContext(), httpx.Principal(c), unit, from, to)
	if err != nil {
		pr, ok := s.formProblem(err)
		if !ok {
			return err
		}
		// The period is one field of two months: say what is wrong with it
		// in one sentence rather than under the label of a date field.
		d.Error = pr.Message
		if msg := pr.Fields["from"]; msg != "" && len(pr.Fields) == 1 {
			d.Error = "Chưa xem được chỉ số: " + msg + "."
		} else {
			d.Fields = pr.Fields
		}
		return s.render(c, pr.Status, "dashboard", d)
	}
	r := dashboard.Build(dash, sort, func(id int64) string { return dashboardLink("/dashboard", id, dash.From, dash.To, sort) }, time.Now())
	d.Form["sort"] = r.Sort
	v.Report = &r
	d.Title = "Chỉ số: " + dash.UnitName
	if dash.ParentID != 0 {
		v.Up = dashboardLink("/dashboard", dash.ParentID, dash.From, dash.To, sort)
	}
	v.XLSX = dashboardLink("/dashboard/export", dash.UnitID, dash.From, dash.To, r.Sort, "format", dashboard.FormatXLSX)
	v.PDF = dashboardLink("/dashboard/export", dash.UnitID, dash.From, dash.To, r.Sort, "format", dashboard.FormatPDF)
	v.Details = "/indicators?" + url.Values{"from": {dash.From}, "to": {dash.To}}.Encode()
	v.Fresh = dashboard.Refreshed(dash.RefreshedAt)
	for _, o := range dashboard.Sorts {
		v.SortLinks = append(v.SortLinks, sortLink{Code: o.Code, Label: o.Label, Active: o.Code == r.Sort,
			URL: dashboardLink("/dashboard", dash.UnitID, dash.From, dash.To, o.Code) + "#units-heading"})
	}
	details := []func(routing.Figures) string{
		func(f routing.Figures) string {
			return strconv.Itoa(f.IssuedValid) + "/" + strconv.Itoa(f.Issued) + " văn bản"
		},
		func(f routing.Figures) string {
			return strconv.Itoa(f.CasesOnTime) + "/" + strconv.Itoa(f.CasesDue) + " hồ sơ"
		},
		func(f routing.Figures) string {
			return strconv.Itoa(f.LeadersActive) + "/" + strconv.Itoa(f.LeaderMonths) + " lượt"
		},
	}
	for i, ch := range r.Trends {
		tv := trendView{Chart: ch}
		for k, m := range dash.Trend {
			tv.Rows = append(tv.Rows, trendRow{Month: dashboard.MonthLabel(m.Month), Value: ch.Value(ch.Series[0].Values[k]), Detail: details[i](m.Figures)})
		}
		v.Trends = append(v.Trends, tv)
	}
	return s.render(c, fiber.StatusOK, "dashboard", d)
}

// dashboardExport sends the view of the same query as XLSX or PDF.
func (s *Server) dashboardExport(c *fiber.Ctx) error {
	unit, from, to, sort := dashboardQuery(c)
	format := c.Query("format", dashboard.FormatXLSX)
	if format != dashboard.FormatXLSX && format != dashboard.FormatPDF {
		return &domain.ValidationError{Fields: map[string]string{"format": "định dạng phải là xlsx hoặc pdf"}}
	}
	dash, err := s.routing.Dashboard(c.UserContext(), httpx.Principal(c), unit, from, to)
	if err != nil {
		return err
	}
	r := dashboard.Build(dash, sort, nil, time.Now())
	var b bytes.Buffer
	ctype, err := dashboard.Write(&b, r, format)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", dashboard.FileName(r, format)))
	return c.Send(b.Bytes())
}
