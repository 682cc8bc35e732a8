package web

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/routing"
)

// The follow-up of incoming documents: the processing slip, the follow-up
// register (a kind of the registers page), the handling statistics, and
// a district office's board of its schools (district.go).

// followupView is what these pages add to pageData.
type followupView struct {
	FollowUp  *routing.FollowUpData
	Stats     []routing.HandlingStat
	CSV, PDF  string
	District  *routing.DistrictBoard
	Districts []districtLink // the department's choice of district
	Remind    string         // the reminder form's action
	Total     *routing.Indicator
}

type districtLink struct {
	Name, URL string
}

// registerFollowUp is the registers page's kind for the follow-up register.
const registerFollowUp = "followup"

// slipPDF sends the processing slip of a delivery (Appendix IV VII).
func (s *Server) slipPDF(c *fiber.Ctx) error { return httpx.SendSlip(c, s.routing) }

// followUpRegisterPage is the registers page for the follow-up register,
// over a year (year=) or a period (from=, to=, YYYY-MM-DD).
func (s *Server) followUpRegisterPage(c *fiber.Ctx) error {
	d := s.page(c, "Sổ theo dõi giải quyết văn bản đến")
	d.Wide = true
	d.R.Kinds = append(registerKinds, documents.Choice{Code: registerFollowUp, Label: "Sổ theo dõi giải quyết văn bản đến"})
	d.F = &followupView{}
	year := c.Query("year", strconv.Itoa(time.Now().In(domain.VietnamTime).Year()))
	d.Form["kind"], d.Form["year"] = registerFollowUp, year
	from, to := c.Query("from"), c.Query("to")
	if from == "" && to == "" {
		if y, err := strconv.Atoi(year); err == nil {
			from, to = fmt.Sprintf("%04d-01-01", y), fmt.Sprintf("%04d-12-31", y)
		}
	}
	f, t, err := routing.ParsePeriod(from, to, time.Now())
	var data routing.FollowUpData
	if err == nil {
		data, err = s.routing.FollowUpRegister(c.UserContext(), httpx.Principal(c), f, t)
	}
	if err != nil {
		return s.registerError(c, d, err)
	}
	d.F.FollowUp = &data
	d.R.RegisterName = "Sổ theo dõi giải quyết văn bản đến"
	q := url.Values{"from": {f.Format(time.DateOnly)}, "to": {t.Format(time.DateOnly)}}
	d.F.CSV = "/api/v1/followup/register?" + q.Encode() + "&format=csv"
	d.F.PDF = "/api/v1/followup/register?" + q.Encode() + "&format=pdf"
	return s.render(c, fiber.StatusOK, "registers", d)
}

// statsPage shows the handling statistics per unit, section and person;
// format=csv downloads them.
func (s *Server) statsPage(c *fiber.Ctx) error {
	d := s.page(c, "Thống kê giải quyết văn bản đến")
	d.Wide = true
	d.F = &followupView{}
	now := time.Now().In(domain.VietnamTime)
	from := c.Query("from", time.Date(now.Year(), 1, 1, 0, 0, 0, 0, domain.VietnamTime).Format(time.DateOnly))
	to := c.Query("to", now.Format(time.DateOnly))
	d.Form["from"], d.Form["to"] = from, to
	f, t, err := routing.ParsePeriod(from, to, now)
	var rows []routing.HandlingStat
	if err == nil {
		rows, err = s.routing.HandlingStats(c.UserContext(), httpx.Principal(c), f, t)
	}
	if err != nil {
		pr, ok := s.formProblem(err)
		if !ok {
			return err
		}
		d.Error, d.Fields = pr.Message, pr.Fields
		return s.render(c, pr.Status, "followup_stats", d)
	}
	if c.Query("format") == "csv" {
		var b bytes.Buffer
		if err := routing.WriteStatsCSV(&b, rows); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", "Thống kê giải quyết văn bản đến "+from+" "+to+".csv"))
		return c.Send(b.Bytes())
	}
	d.F.Stats = rows
	d.F.CSV = "/handling/stats?" + url.Values{"from": {from}, "to": {to}, "format": {"csv"}}.Encode()
	return s.render(c, fiber.StatusOK, "followup_stats", d)
}

// districts caches which units are district offices for a few minutes:
// the layout asks on every page, and a unit's kind hardly ever changes.
var districts sync.Map // districtKey → districtSeen

type districtKey struct {
	s    *Server
	unit int64
}

type districtSeen struct {
	is bool
	at time.Time
}

// isDistrict reports whether p's unit has district boards: a district
// office, or the department.
func (s *Server) isDistrict(c *fiber.Ctx, p auth.Principal) bool {
	k := districtKey{s, p.UnitID}
	if v, ok := districts.Load(k); ok && time.Since(v.(districtSeen).at) < 5*time.Minute {
		return v.(districtSeen).is
	}
	ok, err := s.routing.SeesDistricts(context.WithoutCancel(c.UserContext()), p.UnitID)
	if err != nil {
		s.log.Warn("unable to read the unit's kind", "request_id", httpx.RequestID(c), "error", err)
		return false
	}
	districts.Store(k, districtSeen{ok, time.Now()})
	return ok
}
