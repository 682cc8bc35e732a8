package orgimport_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/orgimport"
	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"
)

const unitsCSV = "Mã định danh,Tên đơn vị,Tên viết tắt,Loại,Cấp học,Mã đơn vị cấp trên,Email\n"
const accountsCSV = "Tên đăng nhập,Họ và tên,Chức vụ,Email,Mã đơn vị,Tổ/phòng,Vai trò\n"

// base is a small valid organisation: the department, a district office
// and a school under it (listed child first: parents resolve in any order).
const base = unitsCSV +
	"001.01.24.H29,Trường THCS Văn Lang,THCSVL,Trường,THCS,000.01.24.H29,vl@example.edu.vn\n" +
	"000.00.24.H29,Sở Giáo dục và Đào tạo,SGDĐT,so,,,\n" +
	"000.01.24.H29,Phòng Giáo dục và Đào tạo Quận 1,PGDĐT-Q1,phong_gd,,000.00.24.H29,\n"

const people = accountsCSV +
	"admin,Quản trị,Quản trị viên,,000.00.24.H29,,quản trị\n" +
	"vanthu.thcs,Huỳnh Văn Đức,Văn thư,duc@example.edu.vn,001.01.24.H29,Tổ Văn phòng,\"văn thư, chuyên viên\"\n"

func read(t *testing.T, files ...string) *orgimport.Data {
	t.Helper()
	d := &orgimport.Data{}
	for i, f := range files {
		if err := d.Read(fmt.Sprintf("f%d.csv", i), strings.NewReader(f)); err != nil {
			t.Fatalf("Read: %v", err)
		}
	}
	return d
}

func counts(t *testing.T, db *sqlx.DB) (units, users, sections int) {
	t.Helper()
	db.Get(&units, `SELECT count(*) FROM units`)
	db.Get(&users, `SELECT count(*) FROM users`)
	db.Get(&sections, `SELECT count(*) FROM sections`)
	return
}

func TestImportAndRerun(t *testing.T) {
	db, _ := testenv.NewDB(t)
	ctx := context.Background()
	s := orgimport.New(db)
	d := read(t, base, people)
	r, err := s.Plan(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if r.Units.Create != 3 || r.Accounts.Create != 2 || r.Errors() != 0 {
		t.Fatalf("dry run: %+v %+v %+v", r.Units, r.Accounts, r.Rows)
	}
	if u, a, _ := counts(t, db); u != 0 || a != 0 {
		t.Fatalf("dry run wrote %d units, %d users", u, a)
	}
	if _, err := s.Apply(ctx, d, orgimport.Actor{}, "abc"); err != nil {
		t.Fatal(err)
	}
	u, a, sec := counts(t, db)
	if u != 3 || a != 2 || sec != 1 {
		t.Fatalf("after import: %d units, %d users, %d sections", u, a, sec)
	}
	var parent, hash, roles string
	db.Get(&parent, `SELECT p.code FROM units u JOIN units p ON p.id = u.parent_id WHERE u.code = '001.01.24.H29'`)
	db.Get(&hash, `SELECT password_hash FROM users WHERE username = 'vanthu.thcs'`)
	db.Get(&roles, `SELECT array_to_string(roles, ',') FROM users WHERE username = 'vanthu.thcs'`)
	if parent != "000.01.24.H29" || hash != orgimport.NoPassword || roles != "clerk,staff" {
		t.Errorf("parent %q, hash %q, roles %q", parent, hash, roles)
	}
	var n int
	db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'org.import' AND details LIKE '%"sha256":"abc"%'`)
	if n != 1 {
		t.Errorf("%d audit entries for the import", n)
	}

	// Again: nothing changes, nothing duplicates.
	r, err = s.Apply(ctx, read(t, base, people), orgimport.Actor{}, "abc")
	if err != nil {
		t.Fatal(err)
	}
	if r.Units.Unchanged != 3 || r.Accounts.Unchanged != 2 {
		t.Errorf("rerun: %+v %+v", r.Units, r.Accounts)
	}
	if u2, a2, s2 := counts(t, db); u2 != u || a2 != a || s2 != sec {
		t.Errorf("rerun: %d units, %d users, %d sections", u2, a2, s2)
	}

	// A change is an update naming the changed columns.
	changed := strings.Replace(people, "Huỳnh Văn Đức,Văn thư", "Huỳnh Văn Đức,Phó Hiệu trưởng", 1)
	r, err = s.Plan(ctx, read(t, base, changed))
	if err != nil {
		t.Fatal(err)
	}
	var row orgimport.RowResult
	for _, x := range r.Rows {
		if x.Key == "vanthu.thcs" {
			row = x
		}
	}
	if row.Action != orgimport.ActionUpdate || len(row.Changes) != 1 || !strings.Contains(row.Changes[0], "Phó Hiệu trưởng") {
		t.Errorf("update row: %+v", row)
	}

	// A change of roles ends the person's sessions; another change does not.
	session := func() int {
		db.MustExec(`INSERT INTO sessions (token_hash, user_id, kind, csrf_token, expires_at)
			SELECT sha256(random()::text::bytea), id, 'web', 'x', now() + interval '1 hour' FROM users WHERE username = 'vanthu.thcs'`)
		var n int
		db.Get(&n, `SELECT count(*) FROM sessions`)
		return n
	}
	before := session()
	if _, err := s.Apply(ctx, read(t, base, changed), orgimport.Actor{}, ""); err != nil {
		t.Fatal(err)
	}
	var left int
	db.Get(&left, `SELECT count(*) FROM sessions`)
	if left != before {
		t.Errorf("a change of position ended sessions: %d → %d", before, left)
	}
	if _, err := s.Apply(ctx, read(t, base, strings.Replace(changed, "\"văn thư, chuyên viên\"", "lãnh đạo ký", 1)), orgimport.Actor{}, ""); err != nil {
		t.Fatal(err)
	}
	db.Get(&left, `SELECT count(*) FROM sessions`)
	if left != 0 {
		t.Errorf("%d sessions left after a change of roles", left)
	}
	var position string
	db.Get(&position, `SELECT position || '|' || array_to_string(roles, ',') || '|' || password_hash FROM users WHERE username = 'vanthu.thcs'`)
	if position != "Phó Hiệu trưởng|signer|!" {
		t.Errorf("after the updates: %q", position)
	}
}

func TestBadRows(t *testing.T) {
	db, _ := testenv.NewDB(t)
	ctx := context.Background()
	s := orgimport.New(db)
	if _, err := s.Apply(ctx, read(t, base), orgimport.Actor{}, ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, units, accounts, want string
	}{
		{"bad code", "001.02.24.h29,Trường A,TA,truong,thcs,000.01.24.H29,", "", "không đúng dạng"},
		{"unknown parent", "001.02.24.H29,Trường A,TA,truong,thcs,000.77.24.H29,", "", "không có đơn vị mã 000.77.24.H29"},
		{"duplicate code", "001.02.24.H29,Trường A,TA,truong,thcs,000.01.24.H29,\n001.02.24.H29,Trường B,TB,truong,thcs,000.01.24.H29,", "", "trùng với dòng 2"},
		{"cycle", "000.02.24.H29,Phòng A,PA,phong_gd,,000.03.24.H29,\n000.03.24.H29,Phòng B,PB,phong_gd,,000.02.24.H29,", "", "vòng lặp"},
		{"under a school", "001.03.24.H29,Trường A,TA,truong,thcs,001.01.24.H29,", "", "là trường học"},
		{"school over units", "000.01.24.H29,Phòng Giáo dục và Đào tạo Quận 1,PGDĐT-Q1,truong,thcs,000.00.24.H29,", "", "không thể là trường học"},
		{"bad unit e-mail", "001.02.24.H29,Trường A,TA,truong,thcs,000.01.24.H29,a@@b", "", "không hợp lệ"},
		{"bad kind", "001.02.24.H29,Trường A,TA,bệnh viện,,000.01.24.H29,", "", "loại \"bệnh viện\" không rõ"},
		{"formula text", "001.02.24.H29,=HYPERLINK(\"http://x\"),TA,truong,thcs,000.01.24.H29,", "", "như một công thức"},
		{"bad account e-mail", "", "a.b,Người A,,not-an-email,001.01.24.H29,,chuyên viên", "không hợp lệ"},
		{"unknown role", "", "a.b,Người A,,,001.01.24.H29,,thủ quỹ", "vai trò \"thủ quỹ\" không rõ"},
		{"unknown unit", "", "a.b,Người A,,,009.09.24.H29,,chuyên viên", "không có đơn vị mã 009.09.24.H29"},
		{"duplicate username", "", "a.b,Người A,,,001.01.24.H29,,chuyên viên\nA.B,Người B,,,001.01.24.H29,,chuyên viên", "trùng với dòng 3"},
		{"bad username", "", "Nguyễn A,Người A,,,001.01.24.H29,,chuyên viên", "không hợp lệ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []string
			if tt.units != "" {
				files = append(files, unitsCSV+tt.units+"\n")
			}
			// A good row too: nothing is written when any row is bad.
			files = append(files, accountsCSV+"good.one,Người tốt,,,001.01.24.H29,,chuyên viên\n"+tt.accounts+"\n")
			d := read(t, files...)
			before, beforeUsers, _ := counts(t, db)
			r, err := s.Apply(ctx, d, orgimport.Actor{}, "")
			if !errors.Is(err, orgimport.ErrRows) {
				t.Fatalf("Apply = %v, want ErrRows", err)
			}
			found := false
			for _, row := range r.Rows {
				if row.Action == orgimport.ActionError && strings.Contains(strings.Join(row.Errors, " "), tt.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("no error containing %q in %+v", tt.want, r.Rows)
			}
			if after, afterUsers, _ := counts(t, db); after != before || afterUsers != beforeUsers {
				t.Errorf("half-imported: units %d → %d, users %d → %d", before, after, beforeUsers, afterUsers)
			}
		})
	}
}

func TestBadFiles(t *testing.T) {
	fieldErr := func(t *testing.T, err error, want string) {
		t.Helper()
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.Fields["file"], want) {
			t.Errorf("error %v, want a message containing %q", err, want)
		}
	}
	d := &orgimport.Data{}
	fieldErr(t, d.Read("a.csv", strings.NewReader("Mã,Tên\n1,2\n")), "Mã định danh")
	latin1 := []byte("M\xe3 \xf0\xfdnh danh\n")
	fieldErr(t, d.Read("a.csv", bytes.NewReader(latin1)), "CSV UTF-8")
	fieldErr(t, d.Read("a.pdf", strings.NewReader("x")), "không phải XLSX")
	// A byte order mark and headers without diacritics, in capitals, are fine.
	if err := d.Read("a.csv", strings.NewReader("\ufeffMA DINH DANH,ten don vi,Tên viết tắt,Loại,Cấp học,Mã đơn vị cấp trên,Email\n")); err != nil {
		t.Errorf("BOM and folded header: %v", err)
	}
	// Too many rows: refused while reading.
	var big strings.Builder
	big.WriteString(accountsCSV)
	for i := 0; i <= orgimport.MaxRows; i++ {
		fmt.Fprintf(&big, "u%d,N,,,001.01.24.H29,,staff\n", i)
	}
	fieldErr(t, (&orgimport.Data{}).Read("a.csv", strings.NewReader(big.String())), "quá 100000 dòng")

	// XLSX: a wrong header, a formula, merged cells.
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", orgimport.SheetUnits)
	f.SetSheetRow(orgimport.SheetUnits, "A1", &[]any{"Mã", "Tên"})
	var buf bytes.Buffer
	f.Write(&buf)
	fieldErr(t, (&orgimport.Data{}).Read("a.xlsx", &buf), "Tên viết tắt")

	f = excelize.NewFile()
	f.SetSheetName("Sheet1", orgimport.SheetUnits)
	hdr := make([]any, len(orgimport.UnitHeaders))
	for i, h := range orgimport.UnitHeaders {
		hdr[i] = h
	}
	f.SetSheetRow(orgimport.SheetUnits, "A1", &hdr)
	f.SetSheetRow(orgimport.SheetUnits, "A2", &[]any{"001.02.24.H29", "Trường A", "TA", "truong", "thcs", "000.01.24.H29", ""})
	f.SetCellFormula(orgimport.SheetUnits, "B2", `"Trường "&"A"`)
	f.SetSheetRow(orgimport.SheetUnits, "A3", &[]any{"001.03.24.H29", "Trường B", "TB", "truong", "thcs", "000.01.24.H29", ""})
	f.MergeCell(orgimport.SheetUnits, "C3", "D3")
	buf.Reset()
	f.Write(&buf)
	d = &orgimport.Data{}
	if err := d.Read("a.xlsx", &buf); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, p := range d.Problems {
		msgs = append(msgs, fmt.Sprintf("%d %s", p.Row, p.Message))
	}
	all := strings.Join(msgs, "\n")
	if !strings.Contains(all, "2 Ô B2 (cột \"Tên đơn vị\") chứa công thức") || !strings.Contains(all, "3 Các ô C3:D3 được gộp") {
		t.Errorf("problems:\n%s", all)
	}
}

func TestExportRoundTripAndInjection(t *testing.T) {
	db, _ := testenv.NewDB(t)
	ctx := context.Background()
	s := orgimport.New(db)
	// A name that Excel would run, kept as data by its leading '.
	evil := "'=HYPERLINK(\"http://evil.example\";\"x\")"
	accounts := people + "evil,\"" + strings.ReplaceAll(evil, `"`, `""`) + "\",'@SUM(1),,001.01.24.H29,'-Tổ,lãnh đạo ký\n"
	if _, err := s.Apply(ctx, read(t, base, accounts), orgimport.Actor{}, ""); err != nil {
		t.Fatal(err)
	}
	var name string
	db.Get(&name, `SELECT full_name FROM users WHERE username = 'evil'`)
	if name != evil[1:] {
		t.Fatalf("stored name %q", name)
	}
	for _, format := range []string{"csv", "xlsx"} {
		var units, users bytes.Buffer
		if err := s.Export(ctx, &units, orgimport.ExportUnits, format); err != nil {
			t.Fatal(err)
		}
		if err := s.Export(ctx, &users, orgimport.ExportAccounts, format); err != nil {
			t.Fatal(err)
		}
		if format == "csv" {
			if !bytes.HasPrefix(users.Bytes(), []byte("\ufeff")) {
				t.Error("CSV export without a byte order mark")
			}
			for _, line := range strings.Split(users.String(), "\n") {
				for _, cell := range strings.Split(line, ",") {
					if c := strings.Trim(cell, `"`); c != "" && strings.ContainsAny(c[:1], "=+-@") {
						t.Errorf("CSV cell %q would run as a formula", cell)
					}
				}
			}
		} else {
			f, err := excelize.OpenReader(bytes.NewReader(users.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := f.GetRows(orgimport.SheetAccounts)
			for _, r := range rows {
				for _, c := range r {
					if c != "" && strings.ContainsAny(c[:1], "=+-@") {
						t.Errorf("XLSX cell %q would run as a formula", c)
					}
				}
			}
		}
		d := &orgimport.Data{}
		if err := d.Read("u."+format, &units); err != nil {
			t.Fatal(err)
		}
		if err := d.Read("a."+format, &users); err != nil {
			t.Fatal(err)
		}
		r, err := s.Plan(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if r.Units.Unchanged != 3 || r.Accounts.Unchanged != 3 || r.Errors() != 0 {
			t.Errorf("%s round trip: %+v %+v %+v", format, r.Units, r.Accounts, r.Rows)
		}
	}
}

func TestTemplate(t *testing.T) {
	var buf bytes.Buffer
	if err := orgimport.WriteTemplate(&buf); err != nil {
		t.Fatal(err)
	}
	d := &orgimport.Data{}
	if err := d.Read("t.xlsx", &buf); err != nil {
		t.Fatal(err)
	}
	if len(d.Units) != 1 || len(d.Accounts) != 1 || len(d.Problems) != 0 {
		t.Errorf("template: %+v", d)
	}
}

// TestTemplateFileOnTheDemo: the template in testdata, checked against
// the demo organisation, creates its example school and clerk.
func TestTemplateFileOnTheDemo(t *testing.T) {
	db, _ := testenv.NewDB(t)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, org.NewStore(db), auth.NewService(db, time.Hour), "demo-password-42", 0); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/mau-nhap-don-vi-tai-khoan.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := &orgimport.Data{}
	if err := d.Read(f.Name(), f); err != nil {
		t.Fatal(err)
	}
	r, err := orgimport.New(db).Plan(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if r.Units.Create != 1 || r.Accounts.Create != 1 || r.Errors() != 0 {
		t.Errorf("template on the demo: %+v %+v %+v", r.Units, r.Accounts, r.Rows)
	}
}
