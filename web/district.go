package web

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/routing"
)

// districtPage is a district office's board of its schools: its own for
// its clerks and leaders, any district's (?unit=) for the department,
// which without ?unit= chooses one. Anyone else gets 404.
func (s *Server) districtPage(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), httpx.Principal(c)
	d := s.page(c, "Các trường trực thuộc")
	d.Wide = true
	d.F = &followupView{}
	unit, _ := strconv.ParseInt(c.Query("unit"), 10, 64)
	if unit == 0 && !d.District {
		return domain.ErrNotFound // neither a district office nor the department: no board
	}
	if unit == 0 && isDepartmentStaff(s, c) {
		// The department picks a district.
		units, err := s.units.List(ctx, org.Filter{Kind: org.KindDistrictOffice, Limit: 500})
		if err != nil {
			return err
		}
		for _, u := range units {
			d.F.Districts = append(d.F.Districts, districtLink{Name: u.Name, URL: "/district?unit=" + strconv.FormatInt(u.ID, 10)})
		}
		return s.render(c, fiber.StatusOK, "district", d)
	}
	now := time.Now().In(domain.VietnamTime)
	from := c.Query("from", now.AddDate(0, -2, 0).Format("2006-01"))
	to := c.Query("to", now.Format("2006-01"))
	d.Form["from"], d.Form["to"] = from, to
	b, err := s.routing.District(ctx, p, unit, from, to)
	if err != nil {
		pr, ok := s.formProblem(err)
		if !ok {
			return err
		}
		d.Error, d.Fields = pr.Message, pr.Fields
		return s.render(c, pr.Status, "district", d)
	}
	d.F.District = &b
	d.F.Remind = "/district/remind"
	if unit != 0 {
		d.F.Remind += "?unit=" + strconv.FormatInt(unit, 10)
		d.Form["unit"] = strconv.FormatInt(unit, 10)
	}
	if len(b.Indicators) > 1 {
		t := routing.Totals(b.Indicators)
		d.F.Total = &t
	}
	switch c.Query("done") {
	case "reminded":
		d.Flash = fmt.Sprintf("Đã nhắc %s trường chậm (%s thông báo đến văn thư).", c.Query("n"), c.Query("notified"))
		if c.Query("skipped") != "0" && c.Query("skipped") != "" {
			d.Flash += fmt.Sprintf(" %s trường đã được nhắc trong vòng một giờ qua nên không nhắc lại.", c.Query("skipped"))
		}
		if c.Query("no_clerk") != "0" && c.Query("no_clerk") != "" {
			d.Flash += fmt.Sprintf(" %s văn bản chậm ở trường chưa có tài khoản văn thư: không ai nhận được lời nhắc; hãy liên hệ trường hoặc tạo tài khoản văn thư cho trường.", c.Query("no_clerk"))
		}
	case "none":
		d.Flash = "Không có trường nào chậm cần nhắc."
	}
	return s.render(c, fiber.StatusOK, "district", d)
}

// isDepartmentStaff reports whether the user may choose any district:
// the department's clerks, leaders and admins.
func isDepartmentStaff(s *Server, c *fiber.Ctx) bool {
	p := httpx.Principal(c)
	if !p.HasAny("clerk", "signer", "admin") {
		return false
	}
	u, err := s.units.Get(c.UserContext(), p.UnitID)
	return err == nil && u.Kind == org.KindDepartment
}

// districtRemindSubmit reminds every late school of the board (or of one
// document, document_id) in one action.
func (s *Server) districtRemindSubmit(c *fiber.Ctx) error {
	unit, _ := strconv.ParseInt(c.Query("unit"), 10, 64)
	doc, _ := strconv.ParseInt(c.FormValue("document_id"), 10, 64)
	r, err := s.routing.RemindLaggards(c.UserContext(), httpx.Principal(c), unit, doc)
	if err != nil {
		return err
	}
	q := url.Values{}
	if unit != 0 {
		q.Set("unit", strconv.FormatInt(unit, 10))
	}
	if r.Deliveries == 0 && r.Skipped == 0 && r.NoClerk == 0 {
		q.Set("done", "none")
	} else {
		q.Set("done", "reminded")
		q.Set("n", strconv.Itoa(r.Deliveries))
		q.Set("notified", strconv.Itoa(r.Notified))
		q.Set("skipped", strconv.Itoa(r.Skipped))
		q.Set("no_clerk", strconv.Itoa(r.NoClerk))
	}
	return c.Redirect("/district?"+q.Encode(), fiber.StatusSeeOther)
}
