package api

import (
	"bytes"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/dashboard"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/routing"
)

// dashboardQuery reads unit, from and to (default: the last 12 months).
func dashboardQuery(c *fiber.Ctx) (int64, string, string) {
	now := time.Now().In(domain.VietnamTime)
	unit, _ := strconv.ParseInt(c.Query("unit"), 10, 64)
	return unit, c.Query("from", now.AddDate(0, -11, 0).Format("2006-01")), c.Query("to", now.Format("2006-01"))
}

// figuresJSON is Figures with its shares against the plan's targets; a
// share is null when there is no data.
type figuresJSON struct {
	routing.Figures
	SignedShare *float64 `json:"signed_share"`
	OnTimeShare *float64 `json:"on_time_share"`
	LeaderShare *float64 `json:"leader_share"`
}

func withShares(f routing.Figures) figuresJSON {
	ptr := func(v float64) *float64 {
		if v < 0 {
			return nil
		}
		return &v
	}
	return figuresJSON{Figures: f, SignedShare: ptr(f.SignedShare()), OnTimeShare: ptr(f.OnTimeShare()), LeaderShare: ptr(f.LeaderShare())}
}

func (s *Server) getDashboard(c *fiber.Ctx) error {
	unit, from, to := dashboardQuery(c)
	d, err := s.routing.Dashboard(c.UserContext(), httpx.Principal(c), unit, from, to)
	if err != nil {
		return err
	}
	type month struct {
		Month string `json:"month"`
		figuresJSON
	}
	type child struct {
		UnitID   int64  `json:"unit_id"`
		UnitName string `json:"unit_name"`
		Kind     string `json:"kind"`
		Units    int    `json:"units"`
		figuresJSON
	}
	trend := make([]month, len(d.Trend))
	for i, m := range d.Trend {
		trend[i] = month{m.Month, withShares(m.Figures)}
	}
	children := make([]child, len(d.Children))
	for i, u := range d.Children {
		children[i] = child{u.UnitID, u.UnitName, u.Kind, u.Units, withShares(u.Figures)}
	}
	return c.JSON(fiber.Map{
		"unit_id": d.UnitID, "unit_name": d.UnitName, "kind": d.Kind, "parent_id": d.ParentID, "from": d.From, "to": d.To,
		"targets": fiber.Map{"signed_share": routing.TargetSigned, "on_time_share": routing.TargetOnTime, "leader_share": routing.TargetLeaders},
		"totals":  withShares(d.Totals), "own": withShares(d.Own), "trend": trend, "children": children, "overdue": d.Overdue,
		"pending": d.Pending, "refreshed_at": d.RefreshedAt,
	})
}

// exportDashboard sends the dashboard of the same query as XLSX or as the
// PDF report.
func (s *Server) exportDashboard(c *fiber.Ctx) error {
	unit, from, to := dashboardQuery(c)
	format := c.Query("format", dashboard.FormatXLSX)
	if format != dashboard.FormatXLSX && format != dashboard.FormatPDF {
		return &domain.ValidationError{Fields: map[string]string{"format": "định dạng phải là xlsx hoặc pdf"}}
	}
	d, err := s.routing.Dashboard(c.UserContext(), httpx.Principal(c), unit, from, to)
	if err != nil {
		return err
	}
	r := dashboard.Build(d, c.Query("sort"), nil, time.Now())
	var b bytes.Buffer
	ctype, err := dashboard.Write(&b, r, format)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", dashboard.FileName(r, format)))
	return c.Send(b.Bytes())
}
