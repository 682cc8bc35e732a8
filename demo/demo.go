// Package demo seeds the demonstration organisation: the department, its
// offices, the 22 district education offices, some schools and demo users.
package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/signing"
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

// Seed creates the demo organisation and users; running it again changes
// nothing already there. extraSchools adds synthetic schools for load tests.
func Seed(ctx context.Context, units *org.Store, users *auth.Service, password string, extraSchools int) (Result, error) {
	var res Result
	add := func(u org.Unit) (org.Unit, error) {
		u, err := units.Create(ctx, u)
		if err == nil {
			res.Units++
		}
		return u, err
	}
	dept, err := add(org.Unit{Code: "000.00.24.H29", Name: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh", Abbreviation: "SGDĐT", Kind: org.KindDepartment})
	if err != nil {
		return res, err
	}
	for i, o := range offices {
		if _, err := add(org.Unit{Code: fmt.Sprintf("000.%02d.24.H29", 91+i), Name: o.Name, Abbreviation: o.Abbr, Kind: org.KindOffice, ParentID: &dept.ID}); err != nil {
			return res, err
		}
	}
	districtOffices := make([]org.Unit, len(Districts))
	for i, d := range Districts {
		u, err := add(org.Unit{Code: fmt.Sprintf("000.%02d.24.H29", i+1), Name: "Phòng Giáo dục và Đào tạo " + d.Name,
			Abbreviation: "PGDĐT-" + d.Abbr, Kind: org.KindDistrictOffice, ParentID: &dept.ID})
		if err != nil {
			return res, err
		}
		districtOffices[i] = u
	}
	q1 := districtOffices[0]
	thpt, err := add(org.Unit{Code: "001.00.24.H29", Name: "Trường THPT Bùi Thị Xuân", Abbreviation: "THPTBTX", Kind: org.KindSchool, SchoolLevel: "thpt", ParentID: &dept.ID})
	if err != nil {
		return res, err
	}
	thcs, err := add(org.Unit{Code: "001.01.24.H29", Name: "Trường THCS Văn Lang", Abbreviation: "THCSVL", Kind: org.KindSchool, SchoolLevel: "thcs", ParentID: &q1.ID})
	if err != nil {
		return res, err
	}
	if _, err := add(org.Unit{Code: "002.01.24.H29", Name: "Trường Tiểu học Trần Hưng Đạo", Abbreviation: "THTHĐ", Kind: org.KindSchool, SchoolLevel: "tieu_hoc", ParentID: &q1.ID}); err != nil {
		return res, err
	}
	if _, err := add(org.Unit{Code: "003.01.24.H29", Name: "Trường Mầm non Bến Thành", Abbreviation: "MNBT", Kind: org.KindSchool, SchoolLevel: "mam_non", ParentID: &q1.ID}); err != nil {
		return res, err
	}
	res.Schools = 4
	// Synthetic schools: THPT report to the department, others to their
	// district office; codes 100-999 of each parent stay clear of the real ones.
	levels := []string{"thpt", "thcs", "tieu_hoc", "mam_non"}
	// Each group (the department's own schools, then each district's) numbers
	// its schools from 100, so every synthetic school has its own code.
	next := map[int]int{}
	for i := 0; i < extraSchools; i++ {
		level := levels[i%len(levels)]
		parent, group := dept, 0
		if level != "thpt" {
			d := (i / len(levels)) % len(districtOffices)
			parent, group = districtOffices[d], d+1
		}
		seq := 100 + next[group]
		next[group]++
		code := fmt.Sprintf("%03d.%02d.24.H29", seq, group)
		if seq > 999 {
			return res, errors.New("demo: too many synthetic schools (at most about 20,000)")
		}
		if _, err := add(org.Unit{Code: code, Name: fmt.Sprintf("Trường thử nghiệm %s %d", level, i+1),
			Abbreviation: fmt.Sprintf("TN%d", i+1), Kind: org.KindSchool, SchoolLevel: level, ParentID: &parent.ID}); err != nil {
			return res, err
		}
		res.Schools++
	}

	people := []struct {
		username, name, position string
		unit                     org.Unit
		roles                    []string
	}{
		{"admin", "Quản trị hệ thống", "Quản trị viên", dept, []string{auth.RoleAdmin}},
		{"vanthu.sgd", "Nguyễn Thị Thu Hà", "Văn thư", dept, []string{auth.RoleClerk}},
		{"giamdoc.sgd", "Lê Hoài Nam", "Giám đốc", dept, []string{auth.RoleSigner}},
		{"phogiamdoc.sgd", "Nguyễn Văn Hiếu", "Phó Giám đốc", dept, []string{auth.RoleSigner}},
		{"chuyenvien.sgd", "Trần Văn Lĩnh", "Chuyên viên", dept, []string{auth.RoleStaff}},
		{"truongphong.sgd", "Phạm Thị Minh Thư", "Trưởng phòng Giáo dục Trung học", dept, []string{auth.RoleStaff}},
		{"vanthu.q1", "Phạm Thị Ngọc Ánh", "Văn thư", q1, []string{auth.RoleClerk}},
		{"truongphong.q1", "Võ Minh Quân", "Trưởng phòng", q1, []string{auth.RoleSigner}},
		{"vanthu.thpt1", "Đặng Thị Kim Oanh", "Văn thư", thpt, []string{auth.RoleClerk}},
		{"vanthu.thcs1", "Huỳnh Văn Đức", "Văn thư", thcs, []string{auth.RoleClerk}},
	}
	for _, p := range people {
		_, err := users.CreateUser(ctx, auth.NewUser{Username: p.username, FullName: p.name, Position: p.position,
			UnitID: p.unit.ID, Roles: p.roles, Password: password})
		if err != nil && !errors.Is(err, auth.ErrUserExists) {
			return res, err
		}
		res.Users = append(res.Users, User{p.username, p.name, p.roles[0], p.unit.Name})
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
