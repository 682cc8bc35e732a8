package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/meetings"
	"github.com/hcm-edu/vanban/org"
)

// The web pages of meetings: the calendar, the meeting page (agenda and
// packet, participants, check-in, requests to speak, comments, ballots,
// minutes and invitation) and the chair's console (attendance, speakers,
// ballots). Every form posts and comes back to its page; meeting.js keeps
// an open page current without reloading it: on each event of the
// meeting's live stream it fetches the page again and swaps the sections
// that changed.

// meetingView is what the meeting pages add to pageData.
type meetingView struct {
	// Calendar.
	MonthLabel            string
	Prev, Next, ThisMonth string
	PrevLabel, NextLabel  string
	Days                  []meetingDay
	CanOrganise           bool
	OpenCreate            bool
	People                []auth.Principal // the caller's unit, for the person fields
	Units                 []org.Unit       // for the participant unit field

	// One meeting.
	Meeting        *meetings.Meeting
	URL            string // the page to reload: the meeting's or its console
	Console        bool
	A              meetings.Actions // what the caller may do: the domain's rules
	Open           bool             // neither ended nor cancelled
	InProgress     bool
	Date           string // the meeting's day, for the time fields
	Me             *meetings.Attendee
	Attendance     meetings.Attendance
	Speakers       []meetings.SpeakRequest
	Speaking       *meetings.SpeakRequest
	MyRequest      *meetings.SpeakRequest
	MyTurn         int
	Comments       map[int64][]meetings.Comment
	Loose          []meetings.Comment // comments on no item
	Ballots        []ballotView
	OpenBallots    int
	Docs           []documents.Document // documents the caller may attach
	Issued         []documents.Document // the unit's issued documents, to choose the conclusion from
	CanDraft       bool
	CanSign        bool
	MinutesSHA     string
	MinutesSigners []string
}

type meetingDay struct {
	Label    string
	Today    bool
	Meetings []meetings.Meeting
}

// ballotView is a ballot with what its box shows.
type ballotView struct {
	meetings.Ballot
	ItemTitle string
	Rows      []optionRow
	Receipt   *meetings.VoteRecord // the caller's link in the chain
	Checked   bool                 // Results were read: ChainOK means something
	ChainOK   bool
	Votes     []meetings.VoteRecord // console: who voted (and what, when open)
}

type optionRow struct {
	Option  string
	Votes   int
	Percent int
	Lead    bool
}

var meetingStatusLabels = map[string]string{
	meetings.StatusScheduled: "Đã lên lịch", meetings.StatusInProgress: "Đang họp",
	meetings.StatusEnded: "Đã kết thúc", meetings.StatusCancelled: "Đã hủy",
}

var meetingRoleLabels = map[string]string{
	meetings.RoleOrganiser: "Người tổ chức", meetings.RoleChair: "Chủ trì",
	meetings.RoleSecretary: "Thư ký", meetings.RoleParticipant: "Đại biểu",
}

var weekdays = [...]string{"Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"}

// meetingFieldLabels name the fields of the meeting forms in the error
// list (the document forms' labels do not fit: "title" is a trích yếu
// there).
var meetingFieldLabels = map[string]string{
	"title": "Tên", "starts_at": "Bắt đầu", "ends_at": "Kết thúc", "place": "Địa điểm",
	"online_url": "Đường dẫn họp trực tuyến", "chair_id": "Chủ trì", "secretary_id": "Thư ký",
	"status": "Trạng thái", "presenter": "Người trình bày", "items": "Thứ tự chương trình",
	"document_id": "Văn bản", "version": "Phiên bản", "file": "Tệp PDF", "user_id": "Người dự họp",
	"unit_id": "Đơn vị dự họp", "role": "Vai trò", "item_id": "Mục chương trình", "state": "Trạng thái",
	"body": "Góp ý", "agenda_document_id": "Tài liệu", "question": "Nội dung biểu quyết",
	"options": "Phương án", "choice": "Lựa chọn",
}

func meetingFuncs() template.FuncMap {
	vn := func(t time.Time) time.Time { return t.In(domain.VietnamTime) }
	return template.FuncMap{
		"mStatus":   func(s string) string { return meetingStatusLabels[s] },
		"mRole":     func(s string) string { return meetingRoleLabels[s] },
		"mPartRole": func(s string) string { return map[string]string{"member": "Thành viên", "guest": "Khách mời"}[s] },
		"mClock":    func(t time.Time) string { return vn(t).Format("15:04") },
		"mClockP": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return vn(*t).Format("15:04")
		},
		// mWhen is a meeting's time: "08:00–10:00, Thứ Ba 01/12/2026",
		// with the end's date when it ends on another day.
		"mWhen": func(m meetings.Meeting) string {
			s, e := vn(m.StartsAt), vn(m.EndsAt)
			end := e.Format("15:04")
			if e.Format(time.DateOnly) != s.Format(time.DateOnly) {
				end += " " + e.Format("02/01/2006")
			}
			return fmt.Sprintf("%s–%s, %s %s", s.Format("15:04"), end, weekdays[s.Weekday()], s.Format("02/01/2006"))
		},
		"mShort": func(h string) string {
			if len(h) > 16 {
				return h[:16] + "…"
			}
			return h
		},
		"mForm":  func(form map[string]string, name, key string) string { return form[name+"."+key] },
		"mLower": strings.ToLower,
		"inc":    func(i int) int { return i + 1 },
		"last":   func(i, n int) bool { return i == n-1 },

		"mEventKinds": meetings.EventKinds,
	}
}

// Calendar.

func (s *Server) meetingsPage(c *fiber.Ctx) error {
	d := s.page(c, "Lịch họp")
	if err := s.fillCalendar(c, d); err != nil {
		return err
	}
	d.M.OpenCreate = c.Query("new") == "1"
	if d.M.CanOrganise {
		now := time.Now().In(domain.VietnamTime)
		start := now.Truncate(time.Hour).Add(time.Hour)
		if m, err := time.ParseInLocation("2006-01", c.Query("month"), domain.VietnamTime); err == nil && m.After(now) {
			start = m.Add(8 * time.Hour)
		}
		d.Form["create.starts_at"] = start.Format("2006-01-02T15:04")
		d.Form["create.ends_at"] = start.Add(2 * time.Hour).Format("2006-01-02T15:04")
		if httpx.Principal(c).Has(auth.RoleSigner) {
			d.Form["create.chair"] = httpx.Principal(c).Username
		}
	}
	return s.render(c, fiber.StatusOK, "meetings", d)
}

// fillCalendar lists the caller's meetings of the month in ?month
// (YYYY-MM, Vietnam time; default this month), grouped by day.
func (s *Server) fillCalendar(c *fiber.Ctx, d *pageData) error {
	p := httpx.Principal(c)
	now := time.Now().In(domain.VietnamTime)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, domain.VietnamTime)
	if v := c.Query("month"); v != "" {
		m, err := time.ParseInLocation("2006-01", v, domain.VietnamTime)
		if err != nil {
			return httpx.BadRequest(fiber.StatusUnprocessableEntity, "validation_failed", "Tháng không hợp lệ: dùng dạng YYYY-MM, ví dụ 2026-05")
		}
		first = m
	}
	next := first.AddDate(0, 1, 0)
	prev := first.AddDate(0, -1, 0)
	mv := &meetingView{
		MonthLabel: fmt.Sprintf("Tháng %d/%d", first.Month(), first.Year()),
		Prev:       "/meetings?month=" + prev.Format("2006-01"), PrevLabel: fmt.Sprintf("Tháng %d/%d", prev.Month(), prev.Year()),
		Next: "/meetings?month=" + next.Format("2006-01"), NextLabel: fmt.Sprintf("Tháng %d/%d", next.Month(), next.Year()),
		CanOrganise: p.HasAny(auth.RoleClerk, auth.RoleSigner, auth.RoleStaff),
	}
	if first.Year() != now.Year() || first.Month() != now.Month() {
		mv.ThisMonth = "/meetings"
	}
	d.M = mv
	ms, err := s.meetings.ListMine(c.UserContext(), p, first, next)
	if err != nil {
		return err
	}
	today := now.Format(time.DateOnly)
	for _, m := range ms {
		day := m.StartsAt.In(domain.VietnamTime)
		label := weekdays[day.Weekday()] + ", " + day.Format("02/01/2006")
		if n := len(mv.Days); n == 0 || mv.Days[n-1].Label != label {
			mv.Days = append(mv.Days, meetingDay{Label: label, Today: day.Format(time.DateOnly) == today})
		}
		mv.Days[len(mv.Days)-1].Meetings = append(mv.Days[len(mv.Days)-1].Meetings, m)
	}
	if mv.CanOrganise {
		if mv.People, err = s.auth.UnitUsers(c.UserContext(), p.UnitID); err != nil {
			return err
		}
	}
	return nil
}

// createMeetingSubmit takes the calendar's form; chair and secretary are
// given by user name.
func (s *Server) createMeetingSubmit(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), httpx.Principal(c)
	in := meetings.Input{Title: c.FormValue("title"), Place: c.FormValue("place"), OnlineURL: strings.TrimSpace(c.FormValue("online_url"))}
	bad := map[string]string{}
	in.StartsAt = parseLocal(c.FormValue("starts_at"), "starts_at", "thời gian bắt đầu", bad)
	in.EndsAt = parseLocal(c.FormValue("ends_at"), "ends_at", "thời gian kết thúc", bad)
	in.ChairID = s.userByName(c, c.FormValue("chair"), "chair_id", "người chủ trì", bad)
	in.SecretaryID = s.userByName(c, c.FormValue("secretary"), "secretary_id", "thư ký", bad)
	var err error
	var m meetings.Meeting
	if len(bad) > 0 {
		err = &domain.ValidationError{Fields: bad}
	} else {
		m, err = s.meetings.Create(ctx, p, in)
	}
	if err == nil {
		return c.Redirect(fmt.Sprintf("/meetings/%d?done=created", m.ID), fiber.StatusSeeOther)
	}
	return s.createMeetingFormError(c, err)
}

// createMeetingFormError shows the calendar again with the refused form
// open, its error and what was typed.
func (s *Server) createMeetingFormError(c *fiber.Ctx, err error) error {
	pr, ok := s.formProblem(err)
	if !ok {
		return err
	}
	d := s.page(c, "Lịch họp")
	if ferr := s.fillCalendar(c, d); ferr != nil {
		return ferr
	}
	d.M.OpenCreate = true
	d.Error, d.Fields = pr.Message, meetingFields(pr.Fields)
	keepMeetingForm(c, d, "create")
	return s.render(c, pr.Status, "meetings", d)
}

// parseLocal reads a datetime-local field in Vietnam time.
func parseLocal(v, field, what string, bad map[string]string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		bad[field] = "cần " + what
		return time.Time{}
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", v, domain.VietnamTime)
	if err != nil {
		bad[field] = what + " không hợp lệ (ngày và giờ, ví dụ 2026-05-04T08:00)"
	}
	return t
}

// userByName finds an account by user name for a person field.
func (s *Server) userByName(c *fiber.Ctx, username, field, what string, bad map[string]string) int64 {
	username = strings.TrimSpace(username)
	if username == "" {
		bad[field] = "cần chọn " + what + " (tên đăng nhập)"
		return 0
	}
	u, err := s.auth.PrincipalByUsername(c.UserContext(), username)
	if err != nil {
		bad[field] = fmt.Sprintf("không có tài khoản «%s»; hãy chọn trong danh sách hoặc gõ đúng tên đăng nhập", username)
		return 0
	}
	return u.UserID
}

// meetingFields names the fields of a refused meeting form.
func meetingFields(fields map[string]string) map[string]string {
	if len(fields) == 0 {
		return nil
	}
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		if l, ok := meetingFieldLabels[k]; ok {
			k = l
		}
		out[k] = v
	}
	return out
}

// keepMeetingForm keeps what was posted to the form that failed, under
// "form.field", so the page shows it again in that form only.
func keepMeetingForm(c *fiber.Ctx, d *pageData, form string) {
	d.Form["_form"] = form
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if key := string(k); key != "_csrf" {
			d.Form[form+"."+key] = string(v)
		}
	})
}

// One meeting.

var meetingFlashes = map[string]string{
	"created":     "Đã tạo cuộc họp. Hãy thêm chương trình, tài liệu và thành phần dự họp.",
	"in_progress": "Cuộc họp đã bắt đầu.",
	"ended":       "Cuộc họp đã kết thúc.",
	"cancelled":   "Đã hủy cuộc họp.",
	"item":        "Đã thêm mục chương trình.",
	"moved":       "Đã đổi thứ tự chương trình.",
	"attached":    "Đã đưa văn bản vào mục chương trình.",
	"doc-removed": "Đã gỡ tài liệu khỏi chương trình.",
	"replaced":    "Đã thay tài liệu.",
	"uploaded":    "Đã tải lên tài liệu họp.",
	"participant": "Đã thêm thành phần dự họp.",
	"removed":     "Đã bỏ thành phần dự họp; người đó không còn xem được cuộc họp.",
	"checked-in":  "Đã điểm danh.",
	"speak":       "Đã đăng ký phát biểu; chủ trì sẽ mời bạn.",
	"withdrawn":   "Đã rút đăng ký phát biểu.",
	"speaking":    "Đã mời phát biểu.",
	"spoke":       "Đã kết thúc lượt phát biểu.",
	"comment":     "Đã gửi góp ý.",
	"ballot":      "Đã mở biểu quyết.",
	"voted":       "Đã ghi nhận biểu quyết của bạn.",
	"closed":      "Đã kết thúc biểu quyết; kết quả là cuối cùng.",
	"minutes":     "Đã lập biên bản (dự thảo); thư ký và chủ trì ký số biên bản.",
	"signed":      "Đã ký số biên bản.",
	"conclusion":  "Đã gắn thông báo kết luận vào cuộc họp.",
	"invitation":  "Đã lập giấy mời (dự thảo); sau khi ký và đăng ký, văn thư phát hành cho các đơn vị dự họp.",
}

func (s *Server) meetingPage(c *fiber.Ctx) error {
	return s.showMeeting(c, false)
}

// consolePage is the chair's: attendance, the speakers' queue, ballots.
func (s *Server) consolePage(c *fiber.Ctx) error {
	return s.showMeeting(c, true)
}

func (s *Server) showMeeting(c *fiber.Ctx, console bool) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	d := s.page(c, "Cuộc họp")
	if err := s.fillMeeting(c, d, id, console); err != nil {
		return err
	}
	d.Flash = meetingFlashes[c.Query("done")]
	return s.render(c, fiber.StatusOK, "meeting", d)
}

// fillMeeting loads what the meeting page, or the console, shows.
func (s *Server) fillMeeting(c *fiber.Ctx, d *pageData, id int64, console bool) error {
	ctx, p := c.UserContext(), httpx.Principal(c)
	m, err := s.meetings.Get(ctx, p, id)
	if err != nil {
		return err
	}
	if console && !m.Actions.Console {
		return domain.ErrForbidden
	}
	d.Title = m.Title
	d.Wide = true
	mv := &meetingView{Meeting: &m, Console: console, URL: fmt.Sprintf("/meetings/%d", id),
		A:          m.Actions,
		Open:       m.Status == meetings.StatusScheduled || m.Status == meetings.StatusInProgress,
		InProgress: m.Status == meetings.StatusInProgress,
		Date:       m.StartsAt.In(domain.VietnamTime).Format(time.DateOnly)}
	if console {
		mv.URL += "/console"
	}
	d.M = mv
	if mv.Attendance, err = s.meetings.Attendance(ctx, p, id); err != nil {
		return err
	}
	for i, a := range mv.Attendance.Present {
		if a.UserID == p.UserID {
			mv.Me = &mv.Attendance.Present[i]
		}
	}
	if mv.Speakers, err = s.meetings.SpeakQueue(ctx, p, id); err != nil {
		return err
	}
	waiting := 0
	for i, r := range mv.Speakers {
		if r.State == meetings.SpeakSpeaking {
			mv.Speaking = &mv.Speakers[i]
		} else {
			waiting++
		}
		if r.UserID == p.UserID {
			mv.MyRequest, mv.MyTurn = &mv.Speakers[i], waiting
		}
	}
	comments, err := s.meetings.Comments(ctx, p, id)
	if err != nil {
		return err
	}
	mv.Comments = map[int64][]meetings.Comment{}
	for _, cm := range comments {
		if cm.ItemID == nil {
			mv.Loose = append(mv.Loose, cm)
		} else {
			mv.Comments[*cm.ItemID] = append(mv.Comments[*cm.ItemID], cm)
		}
	}
	if err := s.fillBallots(c, mv, id); err != nil {
		return err
	}
	if (mv.A.ManageAgenda || mv.A.ManageParticipants) && !console {
		page, err := s.docs.List(ctx, p, documents.Filter{Limit: 50})
		if err != nil {
			return err
		}
		mv.Docs = page.Items
		if mv.People, err = s.auth.UnitUsers(ctx, p.UnitID); err != nil {
			return err
		}
		if mv.Units, err = s.units.List(ctx, org.Filter{Limit: 500}); err != nil {
			return err
		}
	}
	if !console && mv.A.OrganiserUnit {
		return s.fillMeetingDocuments(c, mv)
	}
	return nil
}

// fillBallots reads the ballots with, for each, the caller's receipt and,
// on the console or once closed, the checked record.
func (s *Server) fillBallots(c *fiber.Ctx, mv *meetingView, id int64) error {
	ctx, p := c.UserContext(), httpx.Principal(c)
	bs, err := s.meetings.Ballots(ctx, p, id)
	if err != nil {
		return err
	}
	titles := map[int64]string{}
	for _, it := range mv.Meeting.Items {
		titles[it.ID] = it.Title
	}
	for _, b := range bs {
		v := ballotView{Ballot: b}
		if b.ItemID != nil {
			v.ItemTitle = titles[*b.ItemID]
		}
		if b.State == meetings.BallotOpen {
			mv.OpenBallots++
		}
		if b.Totals != nil {
			best := 0
			for _, o := range b.Options {
				best = max(best, b.Totals[o])
			}
			for _, o := range b.Options {
				r := optionRow{Option: o, Votes: b.Totals[o], Lead: best > 0 && b.Totals[o] == best}
				if b.Voted > 0 {
					r.Percent = (200*r.Votes + b.Voted) / (2 * b.Voted) // rounded
				}
				v.Rows = append(v.Rows, r)
			}
		}
		if b.HaveVoted || mv.Console || b.State == meetings.BallotClosed {
			res, err := s.meetings.Results(ctx, p, b.ID)
			if err != nil {
				return err
			}
			v.Checked, v.ChainOK = true, res.ChainOK
			for i, r := range res.Votes {
				if r.UserID == p.UserID {
					v.Receipt = &res.Votes[i]
				}
			}
			if mv.Console {
				v.Votes = res.Votes
			}
		}
		mv.Ballots = append(mv.Ballots, v)
	}
	return nil
}

// fillMeetingDocuments decides the invitation and minutes buttons, for
// the organiser unit's people (the documents are that unit's).
func (s *Server) fillMeetingDocuments(c *fiber.Ctx, mv *meetingView) error {
	ctx, p, m := c.UserContext(), httpx.Principal(c), mv.Meeting
	if mv.A.SetConclusion {
		page, err := s.docs.List(ctx, p, documents.Filter{Status: "issued", Limit: 50})
		if err != nil {
			return err
		}
		mv.Issued = page.Items
	}
	mv.CanDraft = mv.A.DraftMinutes
	if m.MinutesDocumentID == nil || mv.A.SignMinutesAs == "" || !s.docs.SigningEnabled() {
		return nil
	}
	doc, err := s.docs.Get(ctx, p, *m.MinutesDocumentID)
	if err != nil {
		return err
	}
	sigs, err := s.docs.Signatures(ctx, p, doc.ID)
	if err != nil {
		return err
	}
	mv.CanSign = len(doc.Versions) > 0
	for _, g := range sigs {
		if g.Kind == "person" {
			mv.MinutesSigners = append(mv.MinutesSigners, g.SignerName)
			mv.CanDraft = false // signed minutes are not drafted again
			if g.SignedBy == p.UserID {
				mv.CanSign = false
			}
		}
	}
	if mv.CanSign {
		mv.MinutesSHA = doc.Versions[0].SHA256
	}
	return nil
}

// ItemTitle is the title of an agenda item (nil: none).
func (v *meetingView) ItemTitle(id *int64) string {
	if id == nil || v.Meeting == nil {
		return ""
	}
	for _, it := range v.Meeting.Items {
		if it.ID == *id {
			return it.Title
		}
	}
	return ""
}

// viewMeetingDocument sends one of the meeting's documents, unmodified, to
// be shown in the browser's PDF viewer (in a new tab), or downloaded with
// ?download=1.
func (s *Server) viewMeetingDocument(c *fiber.Ctx) error {
	if c.Query("download") == "1" {
		return httpx.SendMeetingDocument(c, s.meetings, "attachment")
	}
	return httpx.SendMeetingDocument(c, s.meetings, "inline")
}

// meetingPacket sends the caller's copy of the packet, as the API does.
func (s *Server) meetingPacket(c *fiber.Ctx) error {
	return httpx.SendPacket(c, s.meetings)
}

// meetingAction runs one form of the meeting pages: back to the page (the
// console when the form says back=console) with a message and an anchor,
// or the page again with the error and what was typed.
func (s *Server) meetingAction(c *fiber.Ctx, form string, act func(id int64) (done, anchor string, err error)) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	console := c.FormValue("back") == "console"
	done, anchor, err := act(id)
	if err == nil {
		u := fmt.Sprintf("/meetings/%d", id)
		if console {
			u += "/console"
		}
		u += "?done=" + url.QueryEscape(done)
		if anchor != "" {
			u += "#" + anchor
		}
		return c.Redirect(u, fiber.StatusSeeOther)
	}
	return s.meetingFormError(c, id, form, console, err)
}

func (s *Server) meetingFormError(c *fiber.Ctx, id int64, form string, console bool, err error) error {
	pr, ok := s.formProblem(err)
	if !ok {
		return err
	}
	d := s.page(c, "Cuộc họp")
	if ferr := s.fillMeeting(c, d, id, console); ferr != nil {
		return ferr
	}
	d.Error, d.Fields = pr.Message, meetingFields(pr.Fields)
	if !httpx.IsUpload(c) {
		keepMeetingForm(c, d, form)
	} else {
		d.Form["_form"] = form
	}
	return s.render(c, pr.Status, "meeting", d)
}

func formID(c *fiber.Ctx, name string) int64 {
	id, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue(name)), 10, 64)
	return id
}

func (s *Server) meetingStatusSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "status", func(id int64) (string, string, error) {
		st := c.FormValue("status")
		_, err := s.meetings.Update(c.UserContext(), httpx.Principal(c), id, meetings.Input{Status: st})
		return st, "", err
	})
}

func (s *Server) addItemSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "item", func(id int64) (string, string, error) {
		ctx, p := c.UserContext(), httpx.Principal(c)
		m, err := s.meetings.Get(ctx, p, id)
		if err != nil {
			return "", "", err
		}
		day := m.StartsAt.In(domain.VietnamTime).Format(time.DateOnly)
		bad := map[string]string{}
		clock := func(field, what string) *time.Time {
			v := strings.TrimSpace(c.FormValue(field))
			if v == "" {
				return nil
			}
			t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+v, domain.VietnamTime)
			if err != nil {
				bad[field] = what + " dạng giờ:phút, ví dụ 08:30"
				return nil
			}
			return &t
		}
		in := meetings.ItemInput{Title: c.FormValue("title"), Presenter: c.FormValue("presenter"),
			StartsAt: clock("starts_at", "giờ bắt đầu"), EndsAt: clock("ends_at", "giờ kết thúc")}
		if len(bad) > 0 {
			return "", "", &domain.ValidationError{Fields: bad}
		}
		it, err := s.meetings.AddItem(ctx, p, id, in)
		return "item", fmt.Sprintf("item-%d", it.ID), err
	})
}

// moveItemSubmit moves an agenda item one place up or down.
func (s *Server) moveItemSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "move", func(id int64) (string, string, error) {
		ctx, p := c.UserContext(), httpx.Principal(c)
		item, err := httpx.PathID(c, "item")
		if err != nil {
			return "", "", err
		}
		m, err := s.meetings.Get(ctx, p, id)
		if err != nil {
			return "", "", err
		}
		order := make([]int64, len(m.Items))
		at := -1
		for i, it := range m.Items {
			order[i] = it.ID
			if it.ID == item {
				at = i
			}
		}
		if at < 0 {
			return "", "", domain.ErrNotFound
		}
		to := at - 1
		if c.FormValue("dir") == "down" {
			to = at + 1
		}
		if to >= 0 && to < len(order) {
			order[at], order[to] = order[to], order[at]
		}
		return "moved", fmt.Sprintf("item-%d", item), s.meetings.ReorderAgenda(ctx, p, id, order)
	})
}

func (s *Server) attachDocumentSubmit(c *fiber.Ctx) error {
	item, err := httpx.PathID(c, "item")
	if err != nil {
		return err
	}
	return s.meetingAction(c, fmt.Sprintf("attach-%d", item), func(id int64) (string, string, error) {
		doc := formID(c, "document_id")
		if doc <= 0 {
			return "", "", &domain.ValidationError{Fields: map[string]string{"document_id": "nhập mã số văn bản (số ở cuối địa chỉ trang văn bản) hoặc chọn trong danh sách"}}
		}
		_, err := s.meetings.AttachDocument(c.UserContext(), httpx.Principal(c), id, item, doc, 0)
		return "attached", fmt.Sprintf("item-%d", item), err
	})
}

// removeAgendaDocSubmit and replaceAgendaDocSubmit take an agenda
// document out, or put another document of the system in its place.
func (s *Server) removeAgendaDocSubmit(c *fiber.Ctx) error {
	doc, err := httpx.PathID(c, "doc")
	if err != nil {
		return err
	}
	return s.meetingAction(c, fmt.Sprintf("adoc-%d", doc), func(id int64) (string, string, error) {
		return "doc-removed", "agenda", s.meetings.RemoveAgendaDocument(c.UserContext(), httpx.Principal(c), id, doc)
	})
}

func (s *Server) replaceAgendaDocSubmit(c *fiber.Ctx) error {
	doc, err := httpx.PathID(c, "doc")
	if err != nil {
		return err
	}
	return s.meetingAction(c, fmt.Sprintf("replace-%d", doc), func(id int64) (string, string, error) {
		with := formID(c, "document_id")
		if with <= 0 {
			return "", "", &domain.ValidationError{Fields: map[string]string{"document_id": "nhập mã số văn bản thay thế (số ở cuối địa chỉ trang văn bản) hoặc chọn trong danh sách"}}
		}
		ad, err := s.meetings.ReplaceAgendaDocument(c.UserContext(), httpx.Principal(c), id, doc, meetings.Replacement{DocumentID: with})
		return "replaced", fmt.Sprintf("adoc-%d", ad.ID), err
	})
}

// uploadFileSubmit takes a PDF for an agenda item: the CSRF token first,
// then title and draft, then the file.
func (s *Server) uploadFileSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	item, err := httpx.PathID(c, "item")
	if err != nil {
		return err
	}
	_, err = httpx.ReceiveAgendaFile(c, s.docs, s.meetings, id, item, true)
	if err == nil {
		return c.Redirect(fmt.Sprintf("/meetings/%d?done=uploaded#item-%d", id, item), fiber.StatusSeeOther)
	}
	httpx.DrainUpload(c) // the page that answers must reach the browser
	return s.meetingFormError(c, id, fmt.Sprintf("upload-%d", item), false, err)
}

// addParticipantSubmit adds a person (by user name) or a unit (by its
// code, or a name that matches one unit only).
func (s *Server) addParticipantSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "participant", func(id int64) (string, string, error) {
		ctx := c.UserContext()
		in := meetings.ParticipantInput{Role: c.FormValue("role")}
		username, unit := strings.TrimSpace(c.FormValue("username")), strings.TrimSpace(c.FormValue("unit"))
		bad := map[string]string{}
		switch {
		case username == "" && unit == "":
			bad["user_id"] = "nhập tên đăng nhập của người dự họp, hoặc mã định danh của đơn vị dự họp"
		case username != "" && unit != "":
			bad["user_id"] = "mỗi lần thêm một người hoặc một đơn vị"
		case username != "":
			in.UserID = s.userByName(c, username, "user_id", "người dự họp", bad)
		default:
			u, err := s.units.GetByCode(ctx, unit)
			if errors.Is(err, org.ErrNotFound) {
				var found []org.Unit
				if found, err = s.units.List(ctx, org.Filter{Query: unit, Limit: 2}); err == nil {
					switch len(found) {
					case 1:
						u = found[0]
					case 0:
						bad["unit_id"] = fmt.Sprintf("không tìm thấy đơn vị «%s»", unit)
					default:
						bad["unit_id"] = fmt.Sprintf("có nhiều đơn vị khớp «%s»; hãy chọn trong danh sách hoặc nhập mã định danh", unit)
					}
				}
			}
			if err != nil {
				return "", "", err
			}
			in.UnitID = u.ID
		}
		if len(bad) > 0 {
			return "", "", &domain.ValidationError{Fields: bad}
		}
		_, err := s.meetings.AddParticipant(ctx, httpx.Principal(c), id, in)
		return "participant", "m-people", err
	})
}

func (s *Server) removeParticipantSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "remove", func(id int64) (string, string, error) {
		pid, err := httpx.PathID(c, "participant")
		if err != nil {
			return "", "", err
		}
		return "removed", "m-people", s.meetings.RemoveParticipant(c.UserContext(), httpx.Principal(c), id, pid)
	})
}

func (s *Server) checkInSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "check-in", func(id int64) (string, string, error) {
		_, err := s.meetings.CheckIn(c.UserContext(), httpx.Principal(c), id)
		return "checked-in", "m-me", err
	})
}

func (s *Server) speakSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "speak", func(id int64) (string, string, error) {
		_, err := s.meetings.RequestToSpeak(c.UserContext(), httpx.Principal(c), id, formID(c, "item_id"))
		return "speak", "m-me", err
	})
}

// speakerSubmit moves a request: the chair gives or closes the floor; its
// author withdraws it.
func (s *Server) speakerSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "speaker", func(id int64) (string, string, error) {
		req, err := httpx.PathID(c, "req")
		if err != nil {
			return "", "", err
		}
		ctx, p := c.UserContext(), httpx.Principal(c)
		if err := s.speakRequestOf(c, id, req); err != nil {
			return "", "", err
		}
		switch st := c.FormValue("state"); st {
		case meetings.SpeakWithdrawn:
			return "withdrawn", "m-me", s.meetings.WithdrawSpeak(ctx, p, req)
		case meetings.SpeakDone:
			_, err = s.meetings.SetSpeakState(ctx, p, req, st)
			return "spoke", "m-speakers", err
		default:
			_, err = s.meetings.SetSpeakState(ctx, p, req, st)
			return "speaking", "m-speakers", err
		}
	})
}

// ballotOf and speakRequestOf answer ErrNotFound unless the ballot or the
// request to speak the path names is one of the meeting's: the domain
// takes them by their own id, which the JSON API's paths name alone. A
// request to speak that is no longer open is not found either.
func (s *Server) ballotOf(c *fiber.Ctx, meetingID, ballotID int64) error {
	bs, err := s.meetings.Ballots(c.UserContext(), httpx.Principal(c), meetingID)
	if err != nil {
		return err
	}
	for _, b := range bs {
		if b.ID == ballotID {
			return nil
		}
	}
	return domain.ErrNotFound
}

func (s *Server) speakRequestOf(c *fiber.Ctx, meetingID, requestID int64) error {
	q, err := s.meetings.SpeakQueue(c.UserContext(), httpx.Principal(c), meetingID)
	if err != nil {
		return err
	}
	for _, r := range q {
		if r.ID == requestID {
			return nil
		}
	}
	return domain.ErrNotFound
}

func (s *Server) commentSubmit(c *fiber.Ctx) error {
	item := formID(c, "item_id")
	return s.meetingAction(c, fmt.Sprintf("comment-%d", item), func(id int64) (string, string, error) {
		_, err := s.meetings.AddComment(c.UserContext(), httpx.Principal(c), id, item, 0, c.FormValue("body"))
		anchor := "m-comments"
		if item != 0 {
			anchor = fmt.Sprintf("item-%d", item)
		}
		return "comment", anchor, err
	})
}

func (s *Server) openBallotSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "ballot", func(id int64) (string, string, error) {
		var options []string
		for _, l := range strings.Split(c.FormValue("options"), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				options = append(options, l)
			}
		}
		b, err := s.meetings.OpenBallot(c.UserContext(), httpx.Principal(c), id, meetings.BallotInput{
			ItemID: formID(c, "item_id"), Question: c.FormValue("question"), Options: options, Secret: c.FormValue("secret") == "1"})
		return "ballot", fmt.Sprintf("ballot-%d", b.ID), err
	})
}

func (s *Server) voteSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "vote", func(id int64) (string, string, error) {
		ballot, err := httpx.PathID(c, "ballot")
		if err != nil {
			return "", "", err
		}
		if err := s.ballotOf(c, id, ballot); err != nil {
			return "", "", err
		}
		_, err = s.meetings.CastVote(c.UserContext(), httpx.Principal(c), ballot, c.FormValue("choice"))
		return "voted", fmt.Sprintf("ballot-%d", ballot), err
	})
}

func (s *Server) closeBallotSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "close", func(id int64) (string, string, error) {
		ballot, err := httpx.PathID(c, "ballot")
		if err != nil {
			return "", "", err
		}
		if err := s.ballotOf(c, id, ballot); err != nil {
			return "", "", err
		}
		_, err = s.meetings.CloseBallot(c.UserContext(), httpx.Principal(c), ballot)
		return "closed", fmt.Sprintf("ballot-%d", ballot), err
	})
}

func (s *Server) minutesSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "minutes", func(id int64) (string, string, error) {
		_, err := s.meetings.DraftMinutes(c.UserContext(), httpx.Principal(c), id)
		return "minutes", "m-docs", err
	})
}

func (s *Server) signMinutesSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "sign", func(id int64) (string, string, error) {
		_, err := s.meetings.SignMinutes(c.UserContext(), httpx.Principal(c), id, c.FormValue("version_sha256"), c.FormValue("otp"))
		return "signed", "m-docs", err
	})
}

func (s *Server) conclusionSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "conclusion", func(id int64) (string, string, error) {
		doc, err := strconv.ParseInt(c.FormValue("document_id"), 10, 64)
		if err != nil || doc <= 0 {
			return "", "", &domain.ValidationError{Fields: map[string]string{"document_id": "chọn thông báo kết luận đã phát hành"}}
		}
		return "conclusion", "m-docs", s.meetings.SetConclusion(c.UserContext(), httpx.Principal(c), id, doc)
	})
}

func (s *Server) invitationSubmit(c *fiber.Ctx) error {
	return s.meetingAction(c, "invitation", func(id int64) (string, string, error) {
		_, err := s.meetings.CreateInvitation(c.UserContext(), httpx.Principal(c), id)
		return "invitation", "m-docs", err
	})
}
