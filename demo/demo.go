// Package demo seeds the demonstration organisation: the department, its
// offices, the 22 district education offices, some schools and demo users.
package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/orgimport"
	"github.com/hcm-edu/vanban/signing"
	"github.com/jmoiron/sqlx"
)

// Districts are Ho Chi Minh City's 22 districts as of 2021, with the
// abbreviation used in their office's document symbols.
var Districts = []struct{ Name, Abbr string }{
	{"Quận 1", "Q1"}, {"Quận 3", "Q3"}, {"Quận 4", "Q4"}, {"Quận 5", "Q5"}, {"Quận 6", "Q6"},
	{"Quận 7", "Q7"}, {"Quận 8", "Q8"}, {"Quận 10", "Q10"}, {"Quận 11", "Q11"}, {"Quận 12", "Q12"},
	{"Quận Bình Tân", "BTân"}, {"Quận Bình Thạnh", "BThạnh"}, {"Quận Gò Vấp", "GV"},
	{"Quận Phú Nhuận", "PN"}, {"Quận Tân Bình", "TB"}, {"Quận Tân Phú", "TP"},
	{"Thành phố Thủ Đức", "TĐ"}, {"Huyện Bình Chánh", "BC"}, {"Huyện Cần Giờ", "CG"},
	{"Huyện Củ Chi", "CC"}, {"Huyện Hóc Môn", "HM"}, {"Huyện Nhà Bè", "NB"},
}

var offices = []struct{ Name, Abbr string }{
	{"Văn phòng Sở", "VP"}, {"Phòng Tổ chức cán bộ", "TCCB"}, {"Phòng Kế hoạch tài chính", "KHTC"},
	{"Trung tâm Thông tin và Chương trình giáo dục", "TTTT"}, {"Phòng Giáo dục Trung học", "GDTrH"},
}

// User is a demo account, printed for the operator.
type User struct{ Username, FullName, Role, Unit string }

// Result is what Seed made or found.
type Result struct {
	Users   []User
	Units   int
	Schools int
}

// demoPeople are the demo accounts, the first rows of Organisation's
// accounts.
var demoPeople = []orgimport.AccountRow{
	{Username: "admin", FullName: "Quản trị hệ thống", Position: "Quản trị viên", UnitCode: deptCode, Roles: auth.RoleAdmin},
	{Username: "vanthu.sgd", FullName: "Nguyễn Thị Thu Hà", Position: "Văn thư", UnitCode: deptCode, Roles: auth.RoleClerk},
	{Username: "giamdoc.sgd", FullName: "Lê Hoài Nam", Position: "Giám đốc", UnitCode: deptCode, Roles: auth.RoleSigner},
	{Username: "phogiamdoc.sgd", FullName: "Nguyễn Văn Hiếu", Position: "Phó Giám đốc", UnitCode: deptCode, Roles: auth.RoleSigner},
	{Username: "chuyenvien.sgd", FullName: "Trần Văn Lĩnh", Position: "Chuyên viên", UnitCode: deptCode, Roles: auth.RoleStaff},
	{Username: "truongphong.sgd", FullName: "Phạm Thị Minh Thư", Position: "Trưởng phòng Giáo dục Trung học", UnitCode: deptCode, Roles: auth.RoleStaff},
	{Username: "vanthu.q1", FullName: "Phạm Thị Ngọc Ánh", Position: "Văn thư", UnitCode: q1Code, Roles: auth.RoleClerk},
	{Username: "truongphong.q1", FullName: "Võ Minh Quân", Position: "Trưởng phòng", UnitCode: q1Code, Roles: auth.RoleSigner},
	// Quận 1's sections, for incoming documents handled by sections
	// (DemoSectionHeads names their heads).
	{Username: "phutrach.q1", FullName: "Trần Quốc Bảo", Position: "Phụ trách Bộ phận Giáo dục Tiểu học", UnitCode: q1Code,
		Section: "Bộ phận Giáo dục Tiểu học", Roles: auth.RoleStaff},
	{Username: "chuyenvienth.q1", FullName: "Nguyễn Thị Lan", Position: "Chuyên viên", UnitCode: q1Code,
		Section: "Bộ phận Giáo dục Tiểu học", Roles: auth.RoleStaff},
	{Username: "chuyenvienkh.q1", FullName: "Lê Thị Mai", Position: "Chuyên viên kế hoạch - tài chính", UnitCode: q1Code,
		Section: "Bộ phận Kế hoạch - Tài chính", Roles: auth.RoleStaff},
	{Username: "vanthu.thpt1", FullName: "Đặng Thị Kim Oanh", Position: "Văn thư", UnitCode: "001.00.24.H29", Roles: auth.RoleClerk},
	{Username: "vanthu.thcs1", FullName: "Huỳnh Văn Đức", Position: "Văn thư", UnitCode: "001.01.24.H29", Roles: auth.RoleClerk},
	// The department's archive officer (lưu trữ cơ quan), who receives files handed over.
	{Username: "luutru.sgd", FullName: "Đỗ Thị Thanh Tâm", Position: "Lưu trữ viên", UnitCode: deptCode, Roles: auth.RoleArchivist},
}

// DemoSectionHeads are the heads of the demo sections, by section name
// (SeedImport sets them).
var DemoSectionHeads = map[string]string{
	"Bộ phận Giáo dục Tiểu học":    "phutrach.q1",
	"Bộ phận Kế hoạch - Tài chính": "chuyenvienkh.q1",
}

const (
	deptCode = "000.00.24.H29"
	q1Code   = "000.01.24.H29"
)

// Organisation is the demo organisation as import rows, parents first:
// the department, its offices, the 22 district offices, four schools,
// extraSchools synthetic schools for load tests, the demo accounts and,
// in each synthetic school, staffPerSchool synthetic accounts (a clerk, a
// principal, then teachers in three subject groups).
func Organisation(extraSchools, staffPerSchool int) (*orgimport.Data, error) {
	d := &orgimport.Data{}
	unit := func(code, name, abbr, kind, level, parent string) {
		d.Units = append(d.Units, orgimport.UnitRow{Row: len(d.Units) + 2, Code: code, Name: name, Abbreviation: abbr,
			Kind: kind, SchoolLevel: level, ParentCode: parent})
	}
	unit(deptCode, "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh", "SGDĐT", org.KindDepartment, "", "")
	for i, o := range offices {
		unit(fmt.Sprintf("000.%02d.24.H29", 91+i), o.Name, o.Abbr, org.KindOffice, "", deptCode)
	}
	for i, dist := range Districts {
		unit(fmt.Sprintf("000.%02d.24.H29", i+1), "Phòng Giáo dục và Đào tạo "+dist.Name, "PGDĐT-"+dist.Abbr, org.KindDistrictOffice, "", deptCode)
	}
	unit("001.00.24.H29", "Trường THPT Bùi Thị Xuân", "THPTBTX", org.KindSchool, "thpt", deptCode)
	unit("001.01.24.H29", "Trường THCS Văn Lang", "THCSVL", org.KindSchool, "thcs", q1Code)
	unit("002.01.24.H29", "Trường Tiểu học Trần Hưng Đạo", "THTHĐ", org.KindSchool, "tieu_hoc", q1Code)
	unit("003.01.24.H29", "Trường Mầm non Bến Thành", "MNBT", org.KindSchool, "mam_non", q1Code)
	// Synthetic schools: THPT report to the department, others to their
	// district office; codes 100-999 of each parent stay clear of the real ones.
	levels := []string{"thpt", "thcs", "tieu_hoc", "mam_non"}
	// Each group (the department's own schools, then each district's) numbers
	// its schools from 100, so every synthetic school has its own code.
	next := map[int]int{}
	var synthetic []string
	for i := 0; i < extraSchools; i++ {
		level := levels[i%len(levels)]
		parent, group := deptCode, 0
		if level != "thpt" {
			dist := (i / len(levels)) % len(Districts)
			parent, group = fmt.Sprintf("000.%02d.24.H29", dist+1), dist+1
		}
		seq := 100 + next[group]
		next[group]++
		code := fmt.Sprintf("%03d.%02d.24.H29", seq, group)
		if seq > 999 {
			return nil, errors.New("demo: too many synthetic schools (at most about 20,000)")
		}
		unit(code, fmt.Sprintf("Trường thử nghiệm %s %d", level, i+1), fmt.Sprintf("TN%d", i+1), org.KindSchool, level, parent)
		synthetic = append(synthetic, code)
	}
	for _, p := range demoPeople {
		p.Row = len(d.Accounts) + 2
		d.Accounts = append(d.Accounts, p)
	}
	for i, code := range synthetic {
		for j := 0; j < staffPerSchool; j++ {
			a := orgimport.AccountRow{Row: len(d.Accounts) + 2, Username: fmt.Sprintf("tn%d.gv%d", i+1, j+1),
				FullName: fmt.Sprintf("Giáo viên %d trường thử nghiệm %d", j+1, i+1), Position: "Giáo viên", UnitCode: code,
				Section: fmt.Sprintf("Tổ chuyên môn %d", j%3+1), Roles: auth.RoleStaff}
			switch j {
			case 0:
				a.Username, a.FullName, a.Position, a.Section, a.Roles = fmt.Sprintf("tn%d.vanthu", i+1), fmt.Sprintf("Văn thư trường thử nghiệm %d", i+1), "Văn thư", "Văn phòng", auth.RoleClerk
			case 1:
				a.Username, a.FullName, a.Position, a.Section, a.Roles = fmt.Sprintf("tn%d.hieutruong", i+1), fmt.Sprintf("Hiệu trưởng trường thử nghiệm %d", i+1), "Hiệu trưởng", "", auth.RoleSigner
			}
			d.Accounts = append(d.Accounts, a)
		}
	}
	return d, nil
}

// Seed creates the demo organisation and users; running it again changes
// nothing already there. extraSchools adds synthetic schools for load tests.
// It writes unit by unit; SeedImport makes the same organisation through
// the import.
func Seed(ctx context.Context, units *org.Store, users *auth.Service, password string, extraSchools int) (Result, error) {
	d, err := Organisation(extraSchools, 0)
	if err != nil {
		return Result{}, err
	}
	res := Result{Schools: 4 + extraSchools}
	ids := map[string]int64{}
	for _, r := range d.Units {
		u := org.Unit{Code: r.Code, Name: r.Name, Abbreviation: r.Abbreviation, Kind: r.Kind, SchoolLevel: r.SchoolLevel}
		if r.ParentCode != "" {
			parent := ids[r.ParentCode]
			u.ParentID = &parent
		}
		u, err := units.Create(ctx, u)
		if err != nil {
			return res, err
		}
		ids[u.Code] = u.ID
		res.Units++
	}
	for _, p := range d.Accounts {
		_, err := users.CreateUser(ctx, auth.NewUser{Username: p.Username, FullName: p.FullName, Position: p.Position,
			UnitID: ids[p.UnitCode], Roles: []string{p.Roles}, Password: password})
		if err != nil && !errors.Is(err, auth.ErrUserExists) {
			return res, err
		}
	}
	res.Users = demoUsers(d)
	return res, nil
}

func demoUsers(d *orgimport.Data) []User {
	names := map[string]string{}
	for _, u := range d.Units {
		names[u.Code] = u.Name
	}
	var out []User
	for _, p := range d.Accounts[:len(demoPeople)] {
		out = append(out, User{p.Username, p.FullName, p.Roles, names[p.UnitCode]})
	}
	return out
}

// StaffPerSchool is how many synthetic accounts SeedImport makes in each
// synthetic school: 3,000 schools make a city of 15,000 accounts.
const StaffPerSchool = 5

// SeedImport makes the demo organisation through the import
// (orgimport), the way an administrator loads the real one: only units
// and accounts not there yet are created (running it again changes
// nothing already there); the demo accounts then get password, the
// synthetic ones none (they are for load tests and invitations).
func SeedImport(ctx context.Context, db *sqlx.DB, users *auth.Service, password string, extraSchools int) (Result, error) {
	d, err := Organisation(extraSchools, StaffPerSchool)
	if err != nil {
		return Result{}, err
	}
	res := Result{Units: len(d.Units), Schools: 4 + extraSchools, Users: demoUsers(d)}
	var codes, usernames []string
	if err := db.SelectContext(ctx, &codes, `SELECT code FROM units`); err != nil {
		return res, fmt.Errorf("demo: unable to list units: %w", err)
	}
	if err := db.SelectContext(ctx, &usernames, `SELECT username FROM users`); err != nil {
		return res, fmt.Errorf("demo: unable to list users: %w", err)
	}
	have := map[string]bool{}
	for _, k := range append(codes, usernames...) {
		have[k] = true
	}
	keep := &orgimport.Data{}
	for _, u := range d.Units {
		if !have[u.Code] {
			keep.Units = append(keep.Units, u)
		}
	}
	var fresh []string
	for i, a := range d.Accounts {
		if !have[a.Username] {
			keep.Accounts = append(keep.Accounts, a)
			if i < len(demoPeople) {
				fresh = append(fresh, a.Username)
			}
		}
	}
	if len(keep.Units)+len(keep.Accounts) == 0 {
		return res, nil
	}
	r, err := orgimport.New(db).Apply(ctx, keep, orgimport.Actor{}, "seed-demo")
	if errors.Is(err, orgimport.ErrRows) {
		for _, row := range r.Rows {
			if row.Action == orgimport.ActionError {
				return res, fmt.Errorf("demo: row %d of %s: %s", row.Row, row.Sheet, strings.Join(row.Errors, "; "))
			}
		}
	}
	if err != nil {
		return res, err
	}
	for _, username := range fresh {
		if err := users.SetPassword(ctx, username, password); err != nil {
			return res, err
		}
	}
	for section, head := range DemoSectionHeads {
		_, err := db.ExecContext(ctx, `
			UPDATE sections s SET head_user_id = u.id FROM users u
			WHERE s.name = $1 AND u.username = $2 AND s.unit_id = u.unit_id AND s.head_user_id IS NULL`, section, head)
		if err != nil {
			return res, fmt.Errorf("demo: unable to name the head of %s: %w", section, err)
		}
	}
	return res, nil
}

// SeedSigning makes what the signing flow needs out of the box: labelled
// development certificates (a development root, the department's and Quận
// 1 office's and two schools' organisation certificates, one per person
// who signs, every clerk and the specialist who signs minutes as a
// meeting's secretary among them) in
// keysDir, demo signature and seal images, and the signers' authorities
// (SeedAuthorities). Existing keys, images and authorities are kept.
func SeedSigning(ctx context.Context, keysDir string, users *auth.Service, docs *documents.Service) error {
	orgs := []struct {
		code, name, clerk string
		signers           []signing.DevPerson
	}{
		{"000.00.24.H29", "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh", "vanthu.sgd",
			[]signing.DevPerson{{Username: "giamdoc.sgd", FullName: "Lê Hoài Nam", Title: "Giám đốc"},
				{Username: "phogiamdoc.sgd", FullName: "Nguyễn Văn Hiếu", Title: "Phó Giám đốc"},
				{Username: "chuyenvien.sgd", FullName: "Trần Văn Lĩnh", Title: "Chuyên viên"},
				{Username: "vanthu.sgd", FullName: "Nguyễn Thị Thu Hà", Title: "Văn thư"}}},
		{"000.01.24.H29", "Phòng Giáo dục và Đào tạo Quận 1", "vanthu.q1",
			[]signing.DevPerson{{Username: "truongphong.q1", FullName: "Võ Minh Quân", Title: "Trưởng phòng"},
				{Username: "vanthu.q1", FullName: "Phạm Thị Ngọc Ánh", Title: "Văn thư"}}},
		// The schools' clerks keep their own records and may be a meeting's
		// secretary: every demo clerk and signer has a key and an image.
		{"001.00.24.H29", "Trường THPT Bùi Thị Xuân", "vanthu.thpt1",
			[]signing.DevPerson{{Username: "vanthu.thpt1", FullName: "Đặng Thị Kim Oanh", Title: "Văn thư"}}},
		{"001.01.24.H29", "Trường THCS Văn Lang", "vanthu.thcs1",
			[]signing.DevPerson{{Username: "vanthu.thcs1", FullName: "Huỳnh Văn Đức", Title: "Văn thư"}}},
	}
	for _, o := range orgs {
		if err := signing.GenerateDevPKI(keysDir, signing.DevOrg{Code: o.code, Name: o.name}, o.signers); err != nil {
			return err
		}
		clerk, err := users.PrincipalByUsername(ctx, o.clerk)
		if err != nil {
			return err
		}
		if has, err := docs.HasImage(ctx, "seal", 0, clerk.UnitID); err != nil {
			return err
		} else if !has {
			if err := docs.SetSealImage(ctx, clerk, signing.DemoSealImage(o.name)); err != nil {
				return err
			}
		}
		for _, person := range o.signers {
			p, err := users.PrincipalByUsername(ctx, person.Username)
			if err != nil {
				return err
			}
			if has, err := docs.HasImage(ctx, "signature", p.UserID, 0); err != nil {
				return err
			} else if !has {
				set := docs.SetSignatureImage
				if !p.Has(auth.RoleSigner) {
					set = docs.SetMeetingOfficerSignatureImage
				}
				if err := set(ctx, p, signing.DemoSignatureImage(p.FullName)); err != nil {
					return err
				}
			}
		}
	}
	return SeedAuthorities(ctx, users, docs)
}

// SeedAuthorities records, as the administrator, the demo signers'
// authorities (Decree 30 art. 13): the department's director and the Quận
// 1 office's head sign in their own title, the deputy director signs "KT.
// GIÁM ĐỐC" every type of document.
func SeedAuthorities(ctx context.Context, users *auth.Service, docs *documents.Service) error {
	admin, err := users.PrincipalByUsername(ctx, "admin")
	if err != nil {
		return err
	}
	for _, a := range []struct {
		username string
		grant    documents.AuthorityGrant
	}{
		{"giamdoc.sgd", documents.AuthorityGrant{Capacity: documents.CapacityHead, OnBehalfOf: "GIÁM ĐỐC",
			Basis: "Quyết định bổ nhiệm Giám đốc Sở (dữ liệu mẫu)"}},
		{"truongphong.q1", documents.AuthorityGrant{Capacity: documents.CapacityHead, OnBehalfOf: "TRƯỞNG PHÒNG",
			Basis: "Quyết định bổ nhiệm Trưởng phòng (dữ liệu mẫu)"}},
		{"phogiamdoc.sgd", documents.AuthorityGrant{Capacity: documents.CapacityDeputy, OnBehalfOf: "GIÁM ĐỐC",
			Basis: "Quyết định phân công nhiệm vụ Ban Giám đốc Sở (dữ liệu mẫu)"}},
	} {
		p, err := users.PrincipalByUsername(ctx, a.username)
		if err != nil {
			return err
		}
		a.grant.UserID = p.UserID
		if err := docs.SeedAuthority(ctx, admin.UserID, a.grant); err != nil {
			return err
		}
	}
	return nil
}

// EnableDevSigning seeds the development keys and images in keysDir
// (SeedSigning), then lets docs sign with those keys and trust the
// development root: the signing set-up of tests and benchmarks.
func EnableDevSigning(ctx context.Context, keysDir string, users *auth.Service, docs *documents.Service, maxBytes int64) error {
	if err := SeedSigning(ctx, keysDir, users, docs); err != nil {
		return err
	}
	roots, err := signing.LoadDevRoots(keysDir)
	if err != nil {
		return err
	}
	rootCerts, err := signing.LoadDevRootCerts(keysDir)
	if err != nil {
		return err
	}
	docs.EnableSigning(documents.SigningDeps{Keys: signing.DirKeys{Dir: keysDir}, Roots: roots, RootCerts: rootCerts, MaxBytes: maxBytes})
	return nil
}
