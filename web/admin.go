package web

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/admin"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/org"
)

// The administration pages: units, their sections and people, within the
// admin's scope (admin.Scope); anything outside it is 404.

// adminView is what the administration and account pages add to pageData.
type adminView struct {
	Scope                  admin.Scope
	ScopeText              string
	CanCreate              bool // may add units
	Units                  []admin.Unit
	Unit                   *admin.Unit
	Parents                []admin.Unit // units a unit may be put under
	Choices                []admin.Unit // units a person may be put in
	Sections               []admin.Section
	Members                []admin.Person // people of the unit, for section heads
	People                 []admin.Person
	Person                 *admin.Person
	Link                   *admin.LinkResult
	Selected               map[string]bool // the roles ticked on a form that comes back
	Kinds                  []choice
	Levels                 []choice
	Roles                  []choice
	Mail                   bool // links are e-mailed
	UnitCount, PeopleCount int  // the overview
	// The account pages.
	Token string
	Done  bool
}

type choice struct{ Code, Label string }

func init() {
	for k, v := range map[string]string{"code": "Mã định danh", "name": "Tên", "abbreviation": "Tên viết tắt",
		"unit_kind": "Loại", "school_level": "Cấp học", "parent_id": "Đơn vị cấp trên", "email": "Thư điện tử",
		"full_name": "Họ và tên", "position": "Chức vụ", "unit_id": "Đơn vị", "section_id": "Phòng ban, tổ",
		"roles": "Vai trò", "head_user_id": "Trưởng phòng ban, tổ", "password2": "Nhập lại mật khẩu",
		"who": "Tên đăng nhập hoặc thư điện tử"} {
		if _, ok := fieldLabels[k]; !ok {
			fieldLabels[k] = v
		}
	}
}

var (
	unitKinds = []choice{{org.KindDepartment, "Sở"}, {org.KindOffice, "Phòng thuộc Sở"},
		{org.KindDistrictOffice, "Phòng GD&ĐT"}, {org.KindSchool, "Trường học"}}
	schoolLevels = []choice{{"mam_non", "Mầm non"}, {"tieu_hoc", "Tiểu học"}, {"thcs", "THCS"}, {"thpt", "THPT"}}
	roleChoices  = []choice{{auth.RoleAdmin, "Quản trị"}, {auth.RoleClerk, "Văn thư"}, {auth.RoleSigner, "Lãnh đạo (ký)"},
		{auth.RoleStaff, "Chuyên viên"}, {auth.RoleArchivist, "Lưu trữ"}}
)

// KindLabel names a unit kind in Vietnamese.
func (v *adminView) KindLabel(code string) string { return label(unitKinds, code) }

// LevelLabel names a school level in Vietnamese.
func (v *adminView) LevelLabel(code string) string { return label(schoolLevels, code) }

// RoleLabel names a role in Vietnamese.
func (v *adminView) RoleLabel(code string) string { return label(roleChoices, code) }

// HasRole reports whether the person shown holds role.
func (v *adminView) HasRole(p admin.Person, role string) bool {
	for _, r := range p.Roles {
		if r == role {
			return true
		}
	}
	return false
}

func label(cs []choice, code string) string {
	for _, c := range cs {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

// adminPage starts an administration page: 404 for anyone who is not an
// administrator.
func (s *Server) adminPage(c *fiber.Ctx, title string) (*pageData, *adminView, error) {
	p := httpx.Principal(c)
	sc, err := s.admin.ScopeOf(c.UserContext(), p)
	if err != nil {
		return nil, nil, err
	}
	d := s.page(c, title)
	d.Wide = true
	av := &adminView{Scope: sc, Kinds: unitKinds, Levels: schoolLevels, Roles: roleChoices, Selected: map[string]bool{},
		Mail: s.admin.MailEnabled(), CanCreate: sc.All || sc.Children}
	switch {
	case sc.All:
		av.ScopeText = "toàn bộ các đơn vị của Sở"
	case sc.Children:
		av.ScopeText = "phòng GD&ĐT của mình và các trường trực thuộc"
	default:
		av.ScopeText = "đơn vị của mình"
	}
	d.Adm = av
	return d, av, nil
}

// keepAdminForm puts the submitted fields back on the page with the problem.
func keepAdminForm(c *fiber.Ctx, d *pageData, pr httpx.Problem) {
	d.Error, d.Fields = pr.Message, map[string]string{}
	for k, v := range pr.Fields {
		if k == "kind" {
			k = "unit_kind" // "kind" is the register's kind elsewhere
		}
		d.Fields[k] = v
	}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) == "roles" {
			d.Adm.Selected[string(v)] = true
			return
		}
		if string(k) != "_csrf" {
			d.Form[string(k)] = string(v)
		}
	})
}

// adminFail shows a refused form again on its page; 404, 401 and server
// errors go to the error page.
func (s *Server) adminFail(c *fiber.Ctx, err error, again func(pr *httpx.Problem) error) error {
	pr := s.toProblem(err)
	if pr.Status >= 500 || pr.Status == 401 || pr.Status == 404 {
		return err
	}
	return again(&pr)
}

func (s *Server) adminHome(c *fiber.Ctx) error {
	d, av, err := s.adminPage(c, "Quản trị")
	if err != nil {
		return err
	}
	if av.UnitCount, av.PeopleCount, err = s.admin.Counts(c.UserContext(), httpx.Principal(c)); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "admin_home", d)
}

// Units.

func unitInput(c *fiber.Ctx) admin.UnitInput {
	parent, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue("parent_id")), 10, 64)
	return admin.UnitInput{Code: c.FormValue("code"), Name: c.FormValue("name"), Abbreviation: c.FormValue("abbreviation"),
		Kind: c.FormValue("kind"), SchoolLevel: c.FormValue("school_level"), ParentID: parent, Email: c.FormValue("email")}
}

func (s *Server) adminUnitsPage(c *fiber.Ctx) error {
	return s.renderAdminUnits(c, fiber.StatusOK, "", nil)
}

func (s *Server) renderAdminUnits(c *fiber.Ctx, status int, flash string, pr *httpx.Problem) error {
	d, av, err := s.adminPage(c, "Đơn vị")
	if err != nil {
		return err
	}
	d.Flash = flash
	for _, k := range []string{"q", "kind", "closed"} {
		d.Form[k] = c.Query(k)
	}
	if pr != nil {
		keepAdminForm(c, d, *pr)
	}
	p := httpx.Principal(c)
	f := admin.UnitFilter{Query: c.Query("q"), Kind: c.Query("kind"), Closed: c.Query("closed") != "", Limit: 500}
	if av.Units, err = s.admin.Units(c.UserContext(), p, f); err != nil {
		return err
	}
	if av.Parents, err = s.parents(c, p); err != nil {
		return err
	}
	return s.render(c, status, "admin_units", d)
}

// parents are the open units in scope that may hold others.
func (s *Server) parents(c *fiber.Ctx, p auth.Principal) ([]admin.Unit, error) {
	all, err := s.admin.Units(c.UserContext(), p, admin.UnitFilter{})
	if err != nil {
		return nil, err
	}
	var out []admin.Unit
	for _, u := range all {
		if u.Kind != org.KindSchool {
			out = append(out, u)
		}
	}
	return out, nil
}

func (s *Server) adminCreateUnitSubmit(c *fiber.Ctx) error {
	u, err := s.admin.CreateUnit(c.UserContext(), httpx.Principal(c), unitInput(c))
	if err != nil {
		return s.adminFail(c, err, func(pr *httpx.Problem) error { return s.renderAdminUnits(c, pr.Status, "", pr) })
	}
	return c.Redirect(fmt.Sprintf("/admin/units/%d?done=created", u.ID), fiber.StatusSeeOther)
}

var doneMessages = map[string]string{
	"created": "Đã tạo.", "saved": "Đã lưu thay đổi.", "closed": "Đã đóng đơn vị; văn bản của đơn vị vẫn giữ nguyên.",
	"reopened": "Đã mở lại.", "left": "Đã ghi nhận nghỉ việc; các phiên đăng nhập đã kết thúc, văn bản vẫn ở lại đơn vị.",
	"reactivated": "Tài khoản làm việc lại.",
}

func (s *Server) adminUnitPage(c *fiber.Ctx) error {
	return s.renderAdminUnit(c, fiber.StatusOK, doneMessages[c.Query("done")], nil)
}

func (s *Server) renderAdminUnit(c *fiber.Ctx, status int, flash string, pr *httpx.Problem) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	p := httpx.Principal(c)
	u, err := s.admin.Unit(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	d, av, err := s.adminPage(c, u.Name)
	if err != nil {
		return err
	}
	d.Flash = flash
	av.Unit = &u
	d.Form["code"], d.Form["name"], d.Form["abbreviation"], d.Form["kind"] = u.Code, u.Name, u.Abbreviation, u.Kind
	d.Form["school_level"], d.Form["email"], d.Form["parent_id"] = u.SchoolLevel, u.Email, ""
	if u.ParentID != nil {
		d.Form["parent_id"] = strconv.FormatInt(*u.ParentID, 10)
	}
	if pr != nil {
		keepAdminForm(c, d, *pr)
	}
	if av.Parents, err = s.parents(c, p); err != nil {
		return err
	}
	if u.ParentID != nil && !containsUnit(av.Parents, *u.ParentID) {
		// The parent outside the scope (a district office's own parent).
		av.Parents = append(av.Parents, admin.Unit{Unit: org.Unit{ID: *u.ParentID, Name: u.ParentName}})
	}
	return s.render(c, status, "admin_unit", d)
}

func containsUnit(us []admin.Unit, id int64) bool {
	for _, u := range us {
		if u.ID == id {
			return true
		}
	}
	return false
}

func (s *Server) adminUpdateUnitSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.admin.UpdateUnit(c.UserContext(), httpx.Principal(c), id, unitInput(c)); err != nil {
		return s.adminFail(c, err, func(pr *httpx.Problem) error { return s.renderAdminUnit(c, pr.Status, "", pr) })
	}
	return c.Redirect(fmt.Sprintf("/admin/units/%d?done=saved", id), fiber.StatusSeeOther)
}

func (s *Server) adminCloseUnitSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	closed := strings.HasSuffix(c.Path(), "/close")
	if _, err := s.admin.SetUnitClosed(c.UserContext(), httpx.Principal(c), id, closed); err != nil {
		return s.adminFail(c, err, func(pr *httpx.Problem) error { return s.renderAdminUnit(c, pr.Status, "", pr) })
	}
	done := "reopened"
	if closed {
		done = "closed"
	}
	return c.Redirect(fmt.Sprintf("/admin/units/%d?done=%s", id, done), fiber.StatusSeeOther)
}

// Sections.

func (s *Server) adminSectionsPage(c *fiber.Ctx) error {
	return s.renderAdminSections(c, 0, fiber.StatusOK, doneMessages[c.Query("done")], nil)
}

func (s *Server) renderAdminSections(c *fiber.Ctx, unitID int64, status int, flash string, pr *httpx.Problem) error {
	if unitID == 0 {
		id, err := httpx.PathID(c, "id")
		if err != nil {
			return err
		}
		unitID = id
	}
	p := httpx.Principal(c)
	u, err := s.admin.Unit(c.UserContext(), p, unitID)
	if err != nil {
		return err
	}
	d, av, err := s.adminPage(c, "Phòng ban, tổ — "+u.Name)
	if err != nil {
		return err
	}
	d.Flash = flash
	av.Unit = &u
	if pr != nil {
		keepAdminForm(c, d, *pr)
	}
	if av.Sections, err = s.admin.Sections(c.UserContext(), p, unitID); err != nil {
		return err
	}
	if av.Members, err = s.admin.People(c.UserContext(), p, admin.PeopleFilter{UnitID: unitID}); err != nil {
		return err
	}
	return s.render(c, status, "admin_sections", d)
}

func (s *Server) adminCreateSectionSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	in := admin.SectionInput{Name: c.FormValue("name"), Kind: c.FormValue("kind")}
	if _, err := s.admin.CreateSection(c.UserContext(), httpx.Principal(c), id, in); err != nil {
		return s.adminFail(c, err, func(pr *httpx.Problem) error { return s.renderAdminSections(c, id, pr.Status, "", pr) })
	}
	return c.Redirect(fmt.Sprintf("/admin/units/%d/sections?done=created", id), fiber.StatusSeeOther)
}

// adminSectionSubmit is every form on a section: rename, head, close,
// reopen (the last part of the path).
func (s *Server) adminSectionSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	p := httpx.Principal(c)
	sec, err := s.admin.Section(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	switch c.Params("action") {
	case "rename":
		_, err = s.admin.UpdateSection(c.UserContext(), p, id, admin.SectionInput{Name: c.FormValue("name"), Kind: c.FormValue("kind")})
	case "head":
		head, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue("head_user_id")), 10, 64)
		_, err = s.admin.SetSectionHead(c.UserContext(), p, id, head)
	case "close":
		_, err = s.admin.SetSectionClosed(c.UserContext(), p, id, true)
	case "reopen":
		_, err = s.admin.SetSectionClosed(c.UserContext(), p, id, false)
	default:
		return fiber.ErrNotFound
	}
	if err != nil {
		return s.adminFail(c, err, func(pr *httpx.Problem) error {
			return s.renderAdminSections(c, sec.UnitID, pr.Status, "", pr)
		})
	}
	return c.Redirect(fmt.Sprintf("/admin/units/%d/sections?done=saved", sec.UnitID), fiber.StatusSeeOther)
}

// People.

func (s *Server) adminPeoplePage(c *fiber.Ctx) error {
	return s.renderAdminPeople(c, fiber.StatusOK, "", nil, nil)
}

func (s *Server) renderAdminPeople(c *fiber.Ctx, status int, flash string, pr *httpx.Problem, link *admin.LinkResult) error {
	d, av, err := s.adminPage(c, "Người dùng")
	if err != nil {
		return err
	}
	d.Flash = flash
	av.Link = link
	for _, k := range []string{"q", "unit", "section", "role", "left"} {
		d.Form[k] = c.Query(k)
	}
	if pr != nil {
		keepAdminForm(c, d, *pr)
	}
	p := httpx.Principal(c)
	unit, _ := strconv.ParseInt(c.Query("unit"), 10, 64)
	section, _ := strconv.ParseInt(c.Query("section"), 10, 64)
	f := admin.PeopleFilter{Query: c.Query("q"), UnitID: unit, SectionID: section, Role: c.Query("role"), Left: c.Query("left") != "", Limit: 500}
	if av.People, err = s.admin.People(c.UserContext(), p, f); err != nil {
		return err
	}
	if av.Choices, err = s.admin.Units(c.UserContext(), p, admin.UnitFilter{}); err != nil {
		return err
	}
	if unit != 0 {
		if u, err := s.admin.Unit(c.UserContext(), p, unit); err == nil {
			av.Unit = &u
			if av.Sections, err = s.admin.Sections(c.UserContext(), p, unit); err != nil {
				return err
			}
		}
	}
	return s.render(c, status, "admin_people", d)
}

func (s *Server) adminCreatePersonSubmit(c *fiber.Ctx) error {
	unit, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue("unit_id")), 10, 64)
	section, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue("section_id")), 10, 64)
	in := admin.PersonInput{Username: c.FormValue("username"), FullName: c.FormValue("full_name"), Position: c.FormValue("position"),
		Email: c.FormValue("email"), UnitID: unit, SectionID: section, Roles: formValues(c, "roles")}
	p := httpx.Principal(c)
	person, err := s.admin.CreatePerson(c.UserContext(), p, in)
	if err != nil {
		return s.adminFail(c, err, func(pr *httpx.Problem) error { return s.renderAdminPeople(c, pr.Status, "", pr, nil) })
	}
	flash := fmt.Sprintf("Đã tạo tài khoản %s (%s).", person.Username, person.FullName)
	var link *admin.LinkResult
	if c.FormValue("invite") != "" {
		res, err := s.admin.Invite(c.UserContext(), p, person.ID)
		if err != nil {
			pr := s.toProblem(err)
			if pr.Status >= 500 {
				return err
			}
			flash += " Chưa gửi được lời mời: " + pr.Message
		} else {
			absoluteLink(c, &res)
			link = &res
			flash += " " + linkFlash(res)
		}
	}
	return s.renderPerson(c, person.ID, fiber.StatusOK, flash, nil, link)
}

// absoluteLink completes a link made without PUBLIC_URL with the address
// the admin reached the service at.
func absoluteLink(c *fiber.Ctx, res *admin.LinkResult) {
	if strings.HasPrefix(res.Link, "/") {
		res.Link = c.BaseURL() + res.Link
	}
}

func linkFlash(res admin.LinkResult) string {
	what := "Lời mời đặt mật khẩu"
	if res.Purpose == auth.LinkReset {
		what = "Liên kết đặt lại mật khẩu"
	}
	if res.Sent {
		return what + " đã được gửi tới " + res.Email + "."
	}
	return what + " chưa gửi qua thư điện tử (hệ thống chưa cấu hình SMTP hoặc người dùng chưa có địa chỉ thư): hãy chuyển cho người dùng liên kết bên dưới."
}

func (s *Server) adminPersonPage(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	return s.renderPerson(c, id, fiber.StatusOK, doneMessages[c.Query("done")], nil, nil)
}

func (s *Server) renderPerson(c *fiber.Ctx, id int64, status int, flash string, pr *httpx.Problem, link *admin.LinkResult) error {
	p := httpx.Principal(c)
	person, err := s.admin.Person(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	d, av, err := s.adminPage(c, person.FullName)
	if err != nil {
		return err
	}
	d.Flash = flash
	av.Person, av.Link = &person, link
	d.Form["full_name"], d.Form["position"], d.Form["email"] = person.FullName, person.Position, person.Email
	d.Form["unit_id"] = strconv.FormatInt(person.UnitID, 10)
	d.Form["section_id"] = ""
	if person.SectionID != nil {
		d.Form["section_id"] = strconv.FormatInt(*person.SectionID, 10)
	}
	for _, r := range person.Roles {
		av.Selected[r] = true
	}
	if pr != nil {
		av.Selected = map[string]bool{}
		keepAdminForm(c, d, *pr)
	}
	if av.Choices, err = s.admin.Units(c.UserContext(), p, admin.UnitFilter{}); err != nil {
		return err
	}
	if av.Sections, err = s.admin.Sections(c.UserContext(), p, person.UnitID); err != nil {
		return err
	}
	return s.render(c, status, "admin_person", d)
}

func (s *Server) adminPersonSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	p := httpx.Principal(c)
	ctx := c.UserContext()
	again := func(pr *httpx.Problem) error { return s.renderPerson(c, id, pr.Status, "", pr, nil) }
	var link *admin.LinkResult
	done := "saved"
	switch c.Params("action") {
	case "":
		name, position, email := c.FormValue("full_name"), c.FormValue("position"), c.FormValue("email")
		roles := formValues(c, "roles")
		unit, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue("unit_id")), 10, 64)
		section, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue("section_id")), 10, 64)
		ch := admin.PersonChange{FullName: &name, Position: &position, Email: &email, Roles: &roles, UnitID: &unit}
		if old, err := s.admin.Person(ctx, p, id); err == nil && old.UnitID == unit {
			ch.SectionID = &section // a section of the old unit means nothing in a new one
		}
		_, err = s.admin.UpdatePerson(ctx, p, id, ch)
	case "leave":
		done = "left"
		_, err = s.admin.Leave(ctx, p, id)
	case "reactivate":
		done = "reactivated"
		_, err = s.admin.Reactivate(ctx, p, id)
	case "invite", "reset":
		var res admin.LinkResult
		if c.Params("action") == "invite" {
			res, err = s.admin.Invite(ctx, p, id)
		} else {
			res, err = s.admin.SendReset(ctx, p, id)
		}
		if err == nil {
			absoluteLink(c, &res)
			link = &res
			return s.renderPerson(c, id, fiber.StatusOK, linkFlash(res), nil, link)
		}
	default:
		return fiber.ErrNotFound
	}
	if err != nil {
		return s.adminFail(c, err, again)
	}
	return c.Redirect(fmt.Sprintf("/admin/people/%d?done=%s", id, done), fiber.StatusSeeOther)
}

// The account pages: setting a password from a link, and asking for one.

const accountCSRFCookie = "vanban_account_csrf"

func (s *Server) accountCSRF(c *fiber.Ctx) string {
	tok := c.Cookies(accountCSRFCookie)
	if len(tok) < 20 {
		tok = randomToken()
	}
	c.Cookie(&fiber.Cookie{Name: accountCSRFCookie, Value: tok, Path: "/account", HTTPOnly: true,
		Secure: s.cookieSecure(c), SameSite: fiber.CookieSameSiteStrictMode, MaxAge: 3600})
	return tok
}

func (s *Server) accountCSRFOK(c *fiber.Ctx) bool {
	want := c.Cookies(accountCSRFCookie)
	return httpx.SameOrigin(c) && want != "" && auth.TokensEqual(want, c.FormValue("_csrf"))
}

func (s *Server) accountPage(c *fiber.Ctx, title string) (*pageData, *adminView) {
	d := s.page(c, title)
	d.User = nil
	d.CSRF = s.accountCSRF(c)
	av := &adminView{Selected: map[string]bool{}}
	d.Adm = av
	// The link's secret stays out of the Referer of anything the page
	// loads: "origin" sends the origin alone. Not "no-referrer", under
	// which browsers post the form with Origin: null, which SameOrigin
	// rightly refuses.
	c.Set("Referrer-Policy", "origin")
	return d, av
}

// linkProblem says in Vietnamese why a link cannot be used.
func linkProblem(err error) (int, string, bool) {
	switch {
	case errors.Is(err, auth.ErrLinkUsed):
		return fiber.StatusGone, "Liên kết này đã được dùng. Mỗi liên kết chỉ dùng được một lần; nếu cần đặt lại mật khẩu, hãy yêu cầu liên kết mới ở trang «Quên mật khẩu».", true
	case errors.Is(err, auth.ErrLinkExpired):
		return fiber.StatusGone, "Liên kết đã hết hạn (lời mời có hiệu lực 7 ngày, liên kết đặt lại mật khẩu 1 giờ). Hãy yêu cầu liên kết mới ở trang «Quên mật khẩu» hoặc nhờ quản trị đơn vị gửi lại lời mời.", true
	case errors.Is(err, auth.ErrLinkInvalid):
		return fiber.StatusNotFound, "Liên kết không hợp lệ. Hãy mở đúng liên kết trong thư, hoặc yêu cầu liên kết mới ở trang «Quên mật khẩu».", true
	}
	return 0, "", false
}

func (s *Server) setPasswordPage(c *fiber.Ctx) error {
	d, av := s.accountPage(c, "Đặt mật khẩu")
	av.Token = c.Query("token")
	l, err := s.auth.CheckLink(c.UserContext(), av.Token)
	if status, msg, ok := linkProblem(err); ok {
		d.Error, av.Token = msg, ""
		return s.render(c, status, "account_password", d)
	}
	if err != nil {
		return err
	}
	d.Form["username"], d.Form["full_name"] = l.Username, l.FullName
	return s.render(c, fiber.StatusOK, "account_password", d)
}

func (s *Server) setPasswordSubmit(c *fiber.Ctx) error {
	d, av := s.accountPage(c, "Đặt mật khẩu")
	av.Token = c.FormValue("token")
	if !s.accountCSRFOK(c) {
		d.Error = "Trang đã hết hạn; hãy nhập lại mật khẩu"
		return s.render(c, fiber.StatusForbidden, "account_password", d)
	}
	l, err := s.auth.CheckLink(c.UserContext(), av.Token)
	if err == nil {
		d.Form["username"], d.Form["full_name"] = l.Username, l.FullName
		if c.FormValue("password") != c.FormValue("password2") {
			d.Error, d.Fields = "Thông tin chưa hợp lệ; hãy sửa các trường được nêu", map[string]string{"password2": "hai lần nhập mật khẩu không khớp"}
			return s.render(c, fiber.StatusUnprocessableEntity, "account_password", d)
		}
		_, err = s.auth.UseLink(c.UserContext(), av.Token, c.FormValue("password"))
	}
	if status, msg, ok := linkProblem(err); ok {
		d.Error, av.Token = msg, ""
		return s.render(c, status, "account_password", d)
	}
	if err != nil {
		pr := s.toProblem(err)
		if pr.Status >= 500 {
			return err
		}
		d.Error, d.Fields = pr.Message, pr.Fields
		return s.render(c, pr.Status, "account_password", d)
	}
	av.Done, av.Token = true, ""
	d.Flash = "Đã đặt mật khẩu cho tài khoản " + l.Username + ". Hãy đăng nhập bằng mật khẩu mới."
	return s.render(c, fiber.StatusOK, "account_password", d)
}

func (s *Server) forgotPage(c *fiber.Ctx) error {
	d, _ := s.accountPage(c, "Quên mật khẩu")
	return s.render(c, fiber.StatusOK, "account_forgot", d)
}

func (s *Server) forgotSubmit(c *fiber.Ctx) error {
	d, av := s.accountPage(c, "Quên mật khẩu")
	if !s.accountCSRFOK(c) {
		d.Error = "Trang đã hết hạn; hãy gửi lại yêu cầu"
		return s.render(c, fiber.StatusForbidden, "account_forgot", d)
	}
	if err := s.admin.Forgot(c.UserContext(), c.FormValue("who"), c.IP()); err != nil {
		pr := s.toProblem(err)
		if pr.Status >= 500 {
			return err
		}
		if pr.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, fmt.Sprint(pr.RetryAfter))
		}
		d.Error = pr.Message
		return s.render(c, pr.Status, "account_forgot", d)
	}
	av.Done = true
	d.Flash = admin.ForgotMessage
	return s.render(c, fiber.StatusOK, "account_forgot", d)
}
