package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// accessView is a document's restriction and access history on its page,
// and the administrator's access statistics.
type accessView struct {
	Restriction documents.Restriction
	Named       map[int64]bool // people named, for the form's boxes
	NamedSec    map[int64]bool
	People      []documents.Grantee // of the unit, when the reader may change it
	Sections    []documents.Grantee
	History     *documents.AccessPage // nil: not for this reader
	Stats       *documents.AccessStats
	Filter      documents.StatsFilter
	Units       []unitChoice
}

type unitChoice struct {
	ID   int64
	Name string
}

var restrictionFlash = map[string]string{
	"restricted":   "Đã lưu danh sách người được xem văn bản.",
	"unrestricted": "Đã bỏ hạn chế: mọi người trong đơn vị được xem văn bản.",
}

var accessKinds = map[string]string{documents.AccessView: "Xem", documents.AccessDownload: "Tải về", documents.AccessLink: "Lấy liên kết tải"}

// fillAccess adds the document page's restriction and, to those entitled,
// its access history (page ?history=N).
func (s *Server) fillAccess(c *fiber.Ctx, d *pageData, doc documents.Document) error {
	p := httpx.Principal(c)
	ctx := c.UserContext()
	r, err := s.docs.Restriction(ctx, p, doc.ID)
	if err != nil {
		return err
	}
	if doc.UnitID != p.UnitID {
		r = documents.Restriction{} // another unit's: who sees it there is not this unit's business
	}
	v := &accessView{Restriction: r, Named: map[int64]bool{}, NamedSec: map[int64]bool{}}
	for _, u := range r.Users {
		v.Named[u.ID] = true
	}
	for _, sc := range r.Sections {
		v.NamedSec[sc.ID] = true
	}
	if r.CanChange {
		if v.People, v.Sections, err = s.docs.Colleagues(ctx, p); err != nil {
			return err
		}
	}
	ok, err := s.docs.CanSeeHistory(ctx, p, doc)
	if err != nil {
		return err
	}
	if ok {
		page, _ := strconv.Atoi(c.Query("history"))
		h, err := s.docs.AccessHistoryPage(ctx, p, doc.ID, max(page, 1))
		if err != nil {
			return err
		}
		v.History = &h
	}
	d.Acc = v
	return nil
}

// restrictionSubmit changes who sees a document (the page's form): the
// boxes ticked are the names; "lift" lifts the restriction.
func (s *Server) restrictionSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	args := c.Request().PostArgs()
	ch := documents.RestrictionChange{Restricted: c.FormValue("action") != "lift"}
	for name, dst := range map[string]*[]int64{"users": &ch.Users, "sections": &ch.Sections} {
		for _, b := range args.PeekMulti(name) {
			n, err := strconv.ParseInt(string(b), 10, 64)
			if err != nil {
				return &domain.ValidationError{Fields: map[string]string{name: "lựa chọn không hợp lệ"}}
			}
			*dst = append(*dst, n)
		}
	}
	done := "restricted"
	if !ch.Restricted {
		done = "unrestricted"
	}
	_, err = s.docs.SetRestriction(c.UserContext(), httpx.Principal(c), id, ch)
	if err == nil {
		// Whoever left themselves out no longer sees the document.
		if _, gerr := s.docs.Get(c.UserContext(), httpx.Principal(c), id); gerr != nil {
			return c.Redirect("/documents?done=restricted", fiber.StatusSeeOther)
		}
	}
	return s.afterAction(c, id, done, err)
}

// accessStatsPage is the administrator's access statistics; ?format=csv
// downloads them (UTF-8 with a BOM, for Excel).
func (s *Server) accessStatsPage(c *fiber.Ctx) error {
	p := httpx.Principal(c)
	if !p.Has(auth.RoleAdmin) {
		return domain.ErrForbidden
	}
	f := documents.StatsFilter{From: c.Query("from"), To: c.Query("to")}
	if u := c.Query("unit"); u != "" {
		n, err := strconv.ParseInt(u, 10, 64)
		if err != nil {
			return &domain.ValidationError{Fields: map[string]string{"unit": "đơn vị không hợp lệ"}}
		}
		f.UnitID = n
	}
	st, err := s.docs.AccessStats(c.UserContext(), p, f)
	if err != nil {
		return err
	}
	if c.Query("format") == "csv" {
		return sendStatsCSV(c, st)
	}
	d := s.page(c, "Thống kê truy cập văn bản")
	d.Wide = true
	v := &accessView{Stats: &st, Filter: documents.StatsFilter{From: st.From, To: st.To, UnitID: st.UnitID}}
	for _, u := range st.Units {
		v.Units = append(v.Units, unitChoice{u.UnitID, u.UnitName})
	}
	d.Acc = v
	return s.render(c, fiber.StatusOK, "access_stats", d)
}

// sendStatsCSV writes the statistics as one CSV: a section per grouping.
// Cells that a spreadsheet would read as a formula are quoted with an
// apostrophe.
func sendStatsCSV(c *fiber.Ctx, st documents.AccessStats) error {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	n := func(x documents.StatsCount) []string {
		return []string{strconv.Itoa(x.Views), strconv.Itoa(x.Downloads), strconv.Itoa(x.Links), strconv.Itoa(x.Total)}
	}
	counts := []string{"Xem", "Tải về", "Liên kết", "Tổng"}
	w.Write([]string{"Thống kê truy cập văn bản", "Từ " + st.From, "Đến " + st.To})
	w.Write(append([]string{"Nhóm", "Mã", "Tên"}, counts...))
	w.Write(append([]string{"Tổng", "", ""}, n(st.Total)...))
	for _, u := range st.Units {
		w.Write(append([]string{"Đơn vị", strconv.FormatInt(u.UnitID, 10), safeCell(u.UnitName)}, n(u.StatsCount)...))
	}
	for _, d := range st.Documents {
		w.Write(append([]string{"Văn bản", strconv.FormatInt(d.DocumentID, 10), safeCell(d.NumberSymbol + " " + d.Title)}, n(d.StatsCount)...))
	}
	for _, d := range st.Days {
		w.Write(append([]string{"Ngày", d.Day, ""}, n(d.StatsCount)...))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="thong-ke-truy-cap-%s-%s.csv"`, st.From, st.To))
	return c.Send(b.Bytes())
}

// safeCell keeps a spreadsheet from running a cell as a formula.
func safeCell(v string) string {
	if v != "" && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r') {
		return "'" + v
	}
	return v
}

// accessFuncs are the template functions of the access sections.
func accessFuncs() map[string]any {
	return map[string]any{
		"accessKind": func(k string) string { return accessKinds[k] },
		"vnSeconds":  func(t time.Time) string { return t.In(domain.VietnamTime).Format("15:04:05 02/01/2006") },
		"prevPage":   func(n int) int { return n - 1 },
	}
}
