package admin_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"github.com/hcm-edu/vanban/admin"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
)

const password = "mat-khau-demo-1"

// fixture is the demo organisation with an administrator in the
// department, in district office 1, and in two of its schools.
type fixture struct {
	db                        *sqlx.DB
	svc                       *admin.Service
	auth                      *auth.Service
	dept, q1, q2, thcs, th    org.Unit
	deptAdmin, q1Admin        auth.Principal
	thcsAdmin, thAdmin, clerk auth.Principal
	ctx                       context.Context
}

func setup(t *testing.T) *fixture {
	t.Helper()
	cost := auth.PasswordCost
	auth.PasswordCost = bcrypt.MinCost
	t.Cleanup(func() { auth.PasswordCost = cost })
	ctx := context.Background()
	db, _ := testenv.NewDB(t)
	units := org.NewStore(db)
	a := auth.NewService(db, time.Hour)
	if _, err := demo.Seed(ctx, units, a, password, 0); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, auth: a, svc: admin.New(db, a, nil, "https://vanban.test", nil), ctx: ctx}
	get := func(code string) org.Unit {
		u, err := units.GetByCode(ctx, code)
		if err != nil {
			t.Fatal(code, err)
		}
		return u
	}
	f.dept, f.q1, f.q2 = get("000.00.24.H29"), get("000.01.24.H29"), get("000.02.24.H29")
	f.thcs, f.th = get("001.01.24.H29"), get("002.01.24.H29")
	user := func(name string, unit org.Unit, roles ...string) auth.Principal {
		if _, err := a.CreateUser(ctx, auth.NewUser{Username: name, FullName: "Người " + name, UnitID: unit.ID, Roles: roles, Password: password}); err != nil && !errors.Is(err, auth.ErrUserExists) {
			t.Fatal(err)
		}
		p, err := a.PrincipalByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.deptAdmin = user("admin", f.dept, auth.RoleAdmin)
	f.q1Admin = user("qt.q1", f.q1, auth.RoleAdmin)
	f.thcsAdmin = user("qt.thcs", f.thcs, auth.RoleAdmin)
	f.thAdmin = user("qt.th", f.th, auth.RoleAdmin)
	f.clerk = user("vanthu.q1", f.q1, auth.RoleClerk)
	return f
}

func ids(us []admin.Unit) map[int64]bool {
	m := map[int64]bool{}
	for _, u := range us {
		m[u.ID] = true
	}
	return m
}

func TestScope(t *testing.T) {
	f := setup(t)
	ctx := f.ctx
	all, err := f.svc.Units(ctx, f.deptAdmin, admin.UnitFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if m := ids(all); !m[f.dept.ID] || !m[f.q1.ID] || !m[f.q2.ID] || !m[f.thcs.ID] {
		t.Fatalf("the department's admin does not see every unit: %d units", len(all))
	}
	q1, err := f.svc.Units(ctx, f.q1Admin, admin.UnitFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if m := ids(q1); len(m) != 4 || !m[f.q1.ID] || !m[f.thcs.ID] || !m[f.th.ID] || m[f.q2.ID] || m[f.dept.ID] {
		t.Fatalf("district admin's units: %v", q1)
	}
	school, err := f.svc.Units(ctx, f.thcsAdmin, admin.UnitFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(school) != 1 || school[0].ID != f.thcs.ID {
		t.Fatalf("school admin's units: %v", school)
	}
	// The district's admin manages its school.
	if _, err := f.svc.CreateSection(ctx, f.q1Admin, f.thcs.ID, admin.SectionInput{Name: "Tổ Toán", Kind: "to"}); err != nil {
		t.Fatal(err)
	}
	// A school's admin and another district's schools: 404, whatever the operation.
	sec, err := f.svc.CreateSection(ctx, f.thAdmin, f.th.ID, admin.SectionInput{Name: "Tổ Văn"})
	if err != nil {
		t.Fatal(err)
	}
	thClerk, err := f.svc.CreatePerson(ctx, f.thAdmin, admin.PersonInput{Username: "vanthu.th", FullName: "Văn Thư", UnitID: f.th.ID, Roles: []string{auth.RoleClerk}})
	if err != nil {
		t.Fatal(err)
	}
	notFound := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s: got %v, want ErrNotFound", what, err)
		}
	}
	_, err = f.svc.Unit(ctx, f.thcsAdmin, f.th.ID)
	notFound("other school", err)
	_, err = f.svc.UpdateUnit(ctx, f.thcsAdmin, f.th.ID, admin.UnitInput{Code: f.th.Code, Name: "x", Abbreviation: "X", Kind: org.KindSchool, SchoolLevel: "tieu_hoc", ParentID: f.q1.ID})
	notFound("edit other school", err)
	_, err = f.svc.SetUnitClosed(ctx, f.thcsAdmin, f.th.ID, true)
	notFound("close other school", err)
	_, err = f.svc.Sections(ctx, f.thcsAdmin, f.th.ID)
	notFound("other school's sections", err)
	_, err = f.svc.UpdateSection(ctx, f.thcsAdmin, sec.ID, admin.SectionInput{Name: "Tổ khác"})
	notFound("other school's section", err)
	_, err = f.svc.Person(ctx, f.thcsAdmin, thClerk.ID)
	notFound("other school's person", err)
	_, err = f.svc.Leave(ctx, f.thcsAdmin, thClerk.ID)
	notFound("other school's person leaves", err)
	_, err = f.svc.Invite(ctx, f.thcsAdmin, thClerk.ID)
	notFound("invite other school's person", err)
	_, err = f.svc.Unit(ctx, f.q1Admin, f.q2.ID)
	notFound("district admin, other district", err)
	_, err = f.svc.Unit(ctx, f.q1Admin, f.dept.ID)
	notFound("district admin, the department", err)
	_, err = f.svc.Units(ctx, f.clerk, admin.UnitFilter{})
	notFound("non-admin", err)
	_, err = f.svc.People(ctx, f.clerk, admin.PeopleFilter{})
	notFound("non-admin people", err)
	// A school admin cannot put a person in another school either.
	_, err = f.svc.CreatePerson(ctx, f.thcsAdmin, admin.PersonInput{Username: "gv.x", FullName: "Giáo viên", UnitID: f.th.ID, Roles: []string{auth.RoleStaff}})
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || ve.Fields["unit_id"] == "" {
		t.Errorf("person in another school: %v", err)
	}
	people, err := f.svc.People(ctx, f.q1Admin, admin.PeopleFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		if p.UnitID != f.q1.ID && p.UnitID != f.thcs.ID && p.UnitID != f.th.ID && p.UnitID != 0 {
			t.Errorf("district admin sees %s of unit %d", p.Username, p.UnitID)
		}
	}
	// A district admin creates schools under its office only.
	s, err := f.svc.CreateUnit(ctx, f.q1Admin, admin.UnitInput{Code: "004.01.24.H29", Name: "Trường Mầm non Hoa Sen", Abbreviation: "MNHS", Kind: org.KindSchool, SchoolLevel: "mam_non"})
	if err != nil {
		t.Fatal(err)
	}
	if s.ParentID == nil || *s.ParentID != f.q1.ID {
		t.Fatalf("new school's parent: %v", s.ParentID)
	}
	_, err = f.svc.CreateUnit(ctx, f.q1Admin, admin.UnitInput{Code: "005.02.24.H29", Name: "Trường khác", Abbreviation: "TK", Kind: org.KindSchool, SchoolLevel: "thcs", ParentID: f.q2.ID})
	if !errors.As(err, &ve) || ve.Fields["parent_id"] == "" {
		t.Errorf("school under another district: %v", err)
	}
	if _, err := f.svc.CreateUnit(ctx, f.thcsAdmin, admin.UnitInput{Code: "006.01.24.H29", Name: "x", Abbreviation: "X", Kind: org.KindSchool, SchoolLevel: "thcs"}); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("school admin creates a unit: %v", err)
	}
}

func TestScopeRule(t *testing.T) {
	dept := admin.Scope{All: true}
	if !dept.Covers(5, 9) {
		t.Error("department")
	}
	district := admin.Scope{UnitID: 3, Children: true}
	if !district.Covers(3, 1) || !district.Covers(7, 3) || district.Covers(8, 4) || !district.Covers(0, 3) {
		t.Error("district office")
	}
	school := admin.Scope{UnitID: 7}
	if !school.Covers(7, 3) || school.Covers(8, 3) || school.Covers(0, 7) {
		t.Error("school")
	}
}

func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a ValidationError", err)
	}
	return ve.Fields
}

func TestUnitValidation(t *testing.T) {
	f := setup(t)
	ctx, p := f.ctx, f.deptAdmin
	good := admin.UnitInput{Code: "007.01.24.H29", Name: "Trường THCS Lê Lợi", Abbreviation: "THCSLL", Kind: org.KindSchool, SchoolLevel: "thcs", ParentID: f.q1.ID, Email: "thcsleloi@hcm.edu.vn"}
	cases := []struct {
		name  string
		edit  func(*admin.UnitInput)
		field string
	}{
		{"bad code", func(u *admin.UnitInput) { u.Code = "7.1.24" }, "code"},
		{"duplicate code", func(u *admin.UnitInput) { u.Code = f.thcs.Code }, "code"},
		{"unknown parent", func(u *admin.UnitInput) { u.ParentID = 987654 }, "parent_id"},
		{"under a school", func(u *admin.UnitInput) { u.ParentID = f.thcs.ID }, "parent_id"},
		{"invalid e-mail", func(u *admin.UnitInput) { u.Email = "not an address" }, "email"},
		{"school without level", func(u *admin.UnitInput) { u.SchoolLevel = "" }, "school_level"},
		{"bad kind", func(u *admin.UnitInput) { u.Kind = "ministry" }, "kind"},
		{"no name", func(u *admin.UnitInput) { u.Name = " " }, "name"},
		{"no abbreviation", func(u *admin.UnitInput) { u.Abbreviation = "" }, "abbreviation"},
	}
	for _, tc := range cases {
		in := good
		tc.edit(&in)
		_, err := f.svc.CreateUnit(ctx, p, in)
		if msg := fields(t, err)[tc.field]; msg == "" {
			t.Errorf("%s: no message on %s: %v", tc.name, tc.field, err)
		}
	}
	u, err := f.svc.CreateUnit(ctx, p, good)
	if err != nil {
		t.Fatal(err)
	}
	// A cycle: district office 1 under one of its own... offices cannot be
	// under schools, so make an office under q1 and put q1 under it.
	office, err := f.svc.CreateUnit(ctx, p, admin.UnitInput{Code: "000.50.24.H29", Name: "Tổ công tác", Abbreviation: "TCT", Kind: org.KindOffice, ParentID: f.q1.ID})
	if err != nil {
		t.Fatal(err)
	}
	q1 := admin.UnitInput{Code: f.q1.Code, Name: f.q1.Name, Abbreviation: f.q1.Abbreviation, Kind: f.q1.Kind, ParentID: office.ID}
	if msg := fields(t, mustErr(f.svc.UpdateUnit(ctx, p, f.q1.ID, q1)))["parent_id"]; msg == "" {
		t.Error("cycle accepted")
	}
	q1.ParentID = f.q1.ID
	if msg := fields(t, mustErr(f.svc.UpdateUnit(ctx, p, f.q1.ID, q1)))["parent_id"]; msg == "" {
		t.Error("unit under itself accepted")
	}
	// A move: the school goes to district office 2; audited.
	good.ParentID = f.q2.ID
	moved, err := f.svc.UpdateUnit(ctx, p, u.ID, good)
	if err != nil {
		t.Fatal(err)
	}
	if *moved.ParentID != f.q2.ID {
		t.Fatal("not moved")
	}
	// A unit with children cannot become a school.
	q1.ParentID, q1.Kind, q1.SchoolLevel = f.dept.ID, org.KindSchool, "thcs"
	if msg := fields(t, mustErr(f.svc.UpdateUnit(ctx, p, f.q1.ID, q1)))["kind"]; msg == "" {
		t.Error("unit with children made a school")
	}
	// Close, and no new account in it; reopen.
	if _, err := f.svc.SetUnitClosed(ctx, p, u.ID, true); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.CreatePerson(ctx, p, admin.PersonInput{Username: "gv.leloi", FullName: "Giáo viên", UnitID: u.ID, Roles: []string{auth.RoleStaff}})
	if fields(t, err)["unit_id"] == "" {
		t.Error("account created in a closed unit")
	}
	if _, err := f.svc.SetUnitClosed(ctx, p, u.ID, false); err != nil {
		t.Fatal(err)
	}
	for action, want := range map[string]int{"unit.create": 2, "unit.move": 1, "unit.close": 1, "unit.reopen": 1} {
		if n := countAudit(t, f.db, action); n != want {
			t.Errorf("%s: %d audit entries, want %d", action, n, want)
		}
	}
}

func mustErr[T any](_ T, err error) error { return err }

func countAudit(t *testing.T, db *sqlx.DB, action string) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1`, action); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPeople(t *testing.T) {
	f := setup(t)
	ctx, p := f.ctx, f.q1Admin
	sec, err := f.svc.CreateSection(ctx, p, f.thcs.ID, admin.SectionInput{Name: "Tổ Toán - Tin", Kind: "to"})
	if err != nil {
		t.Fatal(err)
	}
	in := admin.PersonInput{Username: "Gv.Toan", FullName: "Nguyễn Văn Toán", Position: "Giáo viên", Email: "toan@thcs.edu.vn",
		UnitID: f.thcs.ID, SectionID: sec.ID, Roles: []string{auth.RoleStaff}}
	person, err := f.svc.CreatePerson(ctx, p, in)
	if err != nil {
		t.Fatal(err)
	}
	if person.Username != "gv.toan" || person.SectionName != "Tổ Toán - Tin" {
		t.Fatalf("created %+v", person)
	}
	if fields(t, mustErr(f.svc.CreatePerson(ctx, p, in)))["username"] == "" {
		t.Error("duplicate username accepted")
	}
	bad := in
	bad.Username, bad.Email, bad.Roles = "gv.khac", "toan@", []string{"root"}
	fs := fields(t, mustErr(f.svc.CreatePerson(ctx, p, bad)))
	if fs["email"] == "" || fs["roles"] == "" {
		t.Errorf("bad input: %v", fs)
	}
	// No password opens a new account.
	if _, err := f.auth.Login(ctx, "gv.toan", "", "10.0.0.1", auth.KindAPI); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("login without a password: %v", err)
	}
	// Invitation (SMTP off: the link comes back), then the password.
	res, err := f.svc.Invite(ctx, p, person.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent || res.Link == "" {
		t.Fatalf("invitation: %+v", res)
	}
	token := res.Link[len("https://vanban.test/account/set-password?token="):]
	if _, err := f.auth.UseLink(ctx, token, "short"); fields(t, err)["password"] == "" {
		t.Error("weak password accepted")
	}
	if _, err := f.auth.UseLink(ctx, token, "mat-khau-moi-123"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.UseLink(ctx, token, "mat-khau-moi-456"); !errors.Is(err, auth.ErrLinkUsed) {
		t.Fatalf("reused link: %v", err)
	}
	sess, err := f.auth.Login(ctx, "gv.toan", "mat-khau-moi-123", "10.0.0.1", auth.KindAPI)
	if err != nil {
		t.Fatal(err)
	}
	// A change of roles ends the sessions.
	roles := []string{auth.RoleStaff, auth.RoleClerk}
	if _, err := f.svc.UpdatePerson(ctx, p, person.ID, admin.PersonChange{Roles: &roles}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := f.auth.Authenticate(ctx, sess.Token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("session after a change of roles: %v", err)
	}
	// A move to the other school, and a change of position only keeps
	// the session.
	sess, _ = f.auth.Login(ctx, "gv.toan", "mat-khau-moi-123", "10.0.0.1", auth.KindAPI)
	pos := "Tổ trưởng"
	if _, err := f.svc.UpdatePerson(ctx, p, person.ID, admin.PersonChange{Position: &pos}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := f.auth.Authenticate(ctx, sess.Token); err != nil {
		t.Fatalf("session after a change of position: %v", err)
	}
	unit := f.th.ID
	moved, err := f.svc.UpdatePerson(ctx, p, person.ID, admin.PersonChange{UnitID: &unit})
	if err != nil {
		t.Fatal(err)
	}
	if moved.UnitID != f.th.ID || moved.SectionID != nil {
		t.Fatalf("moved: %+v", moved)
	}
	if _, _, _, err := f.auth.Authenticate(ctx, sess.Token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("session after a move: %v", err)
	}
	// The section's head must be of the unit.
	if fields(t, mustErr(f.svc.SetSectionHead(ctx, p, sec.ID, person.ID)))["head_user_id"] == "" {
		t.Error("head from another unit accepted")
	}
	// Leaves: disabled, sessions end; reactivated.
	sess, _ = f.auth.Login(ctx, "gv.toan", "mat-khau-moi-123", "10.0.0.1", auth.KindAPI)
	left, err := f.svc.Leave(ctx, p, person.ID)
	if err != nil {
		t.Fatal(err)
	}
	if left.LeftAt == nil || !left.Disabled {
		t.Fatalf("left: %+v", left)
	}
	if _, _, _, err := f.auth.Authenticate(ctx, sess.Token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("session after leaving: %v", err)
	}
	if list, _ := f.svc.People(ctx, p, admin.PeopleFilter{Query: "toan"}); len(list) != 0 {
		t.Errorf("a person who left is listed: %v", list)
	}
	if list, _ := f.svc.People(ctx, p, admin.PeopleFilter{Query: "Toán", Left: true}); len(list) != 1 {
		t.Errorf("search with those who left: %v", list)
	}
	back, err := f.svc.Reactivate(ctx, p, person.ID)
	if err != nil {
		t.Fatal(err)
	}
	if back.LeftAt != nil || back.Disabled {
		t.Fatalf("reactivated: %+v", back)
	}
	// An admin does not drop their own admin role.
	none := []string{auth.RoleStaff}
	if fields(t, mustErr(f.svc.UpdatePerson(ctx, p, p.UserID, admin.PersonChange{Roles: &none})))["roles"] == "" {
		t.Error("admin dropped their own role")
	}
	for action, want := range map[string]int{"account.create": 1, "account.invite": 1, "account.password_set": 1,
		"account.roles": 1, "account.move": 1, "account.update": 1, "account.leave": 1, "account.reactivate": 1, "section.create": 1} {
		if n := countAudit(t, f.db, action); n != want {
			t.Errorf("%s: %d audit entries, want %d", action, n, want)
		}
	}
}

func TestLinkExpiry(t *testing.T) {
	f := setup(t)
	ctx := f.ctx
	person, err := f.svc.CreatePerson(ctx, f.deptAdmin, admin.PersonInput{Username: "moi.vao", FullName: "Người Mới", UnitID: f.dept.ID, Roles: []string{auth.RoleStaff}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.SendReset(ctx, f.deptAdmin, person.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(res.Expires); d < 55*time.Minute || d > 65*time.Minute {
		t.Errorf("reset link lasts %s", d)
	}
	inv, err := f.svc.Invite(ctx, f.deptAdmin, person.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(inv.Expires); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour+time.Minute {
		t.Errorf("invitation lasts %s", d)
	}
	if _, err := f.db.Exec(`UPDATE account_links SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	token := inv.Link[len("https://vanban.test/account/set-password?token="):]
	if _, err := f.auth.CheckLink(ctx, token); !errors.Is(err, auth.ErrLinkExpired) {
		t.Fatalf("expired link: %v", err)
	}
	if _, err := f.auth.UseLink(ctx, token, "mat-khau-moi-123"); !errors.Is(err, auth.ErrLinkExpired) {
		t.Fatalf("expired link used: %v", err)
	}
	if _, err := f.auth.UseLink(ctx, "x"+token[1:], "mat-khau-moi-123"); !errors.Is(err, auth.ErrLinkInvalid) {
		t.Fatalf("unknown link: %v", err)
	}
	// Only the SHA-256 is stored.
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM account_links WHERE token_hash = convert_to($1, 'UTF8')`, token); err != nil || n != 0 {
		t.Fatalf("the secret is stored: %d %v", n, err)
	}
}

// outbox is a Sender that keeps the messages.
type outbox chan notify.Message

func (o outbox) Send(_ context.Context, m notify.Message) error { o <- m; return nil }

func TestForgot(t *testing.T) {
	f := setup(t)
	ctx := f.ctx
	box := make(outbox, 10)
	svc := admin.New(f.db, f.auth, box, "https://vanban.test/", nil)
	person, err := svc.CreatePerson(ctx, f.deptAdmin, admin.PersonInput{Username: "quen.mk", FullName: "Người Hay Quên",
		Email: "Quen.MK@hcm.edu.vn", UnitID: f.dept.ID, Roles: []string{auth.RoleStaff}})
	if err != nil {
		t.Fatal(err)
	}
	linkRE := regexp.MustCompile(`https://vanban\.test/account/set-password\?token=([A-Za-z0-9_-]{43})`)
	next := func() string {
		t.Helper()
		select {
		case m := <-box:
			if m.To.Address != "Quen.MK@hcm.edu.vn" || !strings.Contains(m.Subject, "Đặt lại mật khẩu") {
				t.Fatalf("message %+v", m)
			}
			l := linkRE.FindStringSubmatch(m.Text)
			if l == nil {
				t.Fatalf("no link in %s", m.Text)
			}
			return l[1]
		case <-time.After(10 * time.Second):
			t.Fatal("no message")
		}
		return ""
	}
	// By e-mail, in any case, and by username.
	if err := svc.Forgot(ctx, "quen.mk@HCM.edu.vn", "10.1.1.1"); err != nil {
		t.Fatal(err)
	}
	first := next()
	if err := svc.Forgot(ctx, "quen.mk", "10.1.1.2"); err != nil {
		t.Fatal(err)
	}
	second := next()
	// The newer link replaces the older.
	if _, err := f.auth.CheckLink(ctx, first); !errors.Is(err, auth.ErrLinkUsed) {
		t.Errorf("older link: %v", err)
	}
	if _, err := f.auth.UseLink(ctx, second, "mat-khau-moi-123"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.Login(ctx, "quen.mk", "mat-khau-moi-123", "10.0.0.9", auth.KindAPI); err != nil {
		t.Fatal(err)
	}
	// At most three links an hour per account; nothing for unknown or departed people.
	svc.Forgot(ctx, "quen.mk", "10.1.1.3")
	next()
	svc.Forgot(ctx, "quen.mk", "10.1.1.4")
	svc.Forgot(ctx, "khong.ai", "10.1.1.5")
	if _, err := svc.Leave(ctx, f.deptAdmin, person.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	select {
	case m := <-box:
		t.Fatalf("unexpected message to %s", m.To.Address)
	default:
	}
	// One address: five requests, then a wait.
	for i := 0; i < 5; i++ {
		if err := svc.Forgot(ctx, "khong.ai", "10.9.9.9"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	var rl *auth.RateLimitedError
	if err := svc.Forgot(ctx, "khong.ai", "10.9.9.9"); !errors.As(err, &rl) || rl.RetryAfter <= 0 {
		t.Fatalf("sixth request: %v", err)
	}
	if n := countAudit(t, f.db, "account.reset_requested"); n != 3 {
		t.Errorf("%d reset requests audited, want 3", n)
	}
}
