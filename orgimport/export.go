package orgimport

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/xuri/excelize/v2"
)

// What is exported.
const (
	ExportUnits    = "units"
	ExportAccounts = "accounts"
)

// TemplateFileName is the download name of the template.
const TemplateFileName = "Mẫu nhập đơn vị và tài khoản.xlsx"

// ExportFileName is the download name of an export.
func ExportFileName(what, format string) string {
	if what == ExportAccounts {
		return "Danh sách tài khoản." + format
	}
	return "Danh sách đơn vị." + format
}

// Safe makes a text cell inert in a spreadsheet: a value that starts
// with = + - @ (or a tab or carriage return) would be run as a formula by
// Excel, so it gets a leading ' (which import removes again).
func Safe(v string) string {
	if v != "" && strings.ContainsAny(v[:1], "=+-@\t\r") {
		return "'" + v
	}
	return v
}

func unitCells(u UnitRow) []string {
	return []string{u.Code, u.Name, u.Abbreviation, u.Kind, u.SchoolLevel, u.ParentCode, u.Email}
}

func accountCells(a AccountRow) []string {
	return []string{a.Username, a.FullName, a.Position, a.Email, a.UnitCode, a.Section, a.Roles}
}

// Load reads the organisation as import rows: every unit but the outside
// agencies, and every account.
func (s *Service) Load(ctx context.Context) (*Data, error) {
	units, users, err := s.load(ctx, s.db)
	if err != nil {
		return nil, err
	}
	d := &Data{}
	// Parents before children, then by code: the file reads top down.
	depth := func(code string) int {
		n := 0
		for c := code; c != "" && n < len(units); n++ {
			c = units[c].ParentCode
		}
		return n
	}
	var us []dbUnit
	for _, u := range units {
		if u.Kind != "external" {
			us = append(us, u)
		}
	}
	depths := map[string]int{}
	for _, u := range us {
		depths[u.Code] = depth(u.Code)
	}
	sortBy(us, func(a, b dbUnit) bool {
		if depths[a.Code] != depths[b.Code] {
			return depths[a.Code] < depths[b.Code]
		}
		return a.Code < b.Code
	})
	for i, u := range us {
		d.Units = append(d.Units, UnitRow{Row: i + 2, Code: u.Code, Name: u.Name, Abbreviation: u.Abbreviation,
			Kind: kindWords[u.Kind], SchoolLevel: u.SchoolLevel, ParentCode: u.ParentCode, Email: u.Email})
	}
	var ps []dbUser
	for _, p := range users {
		ps = append(ps, p)
	}
	sortBy(ps, func(a, b dbUser) bool {
		if a.UnitCode != b.UnitCode {
			return a.UnitCode < b.UnitCode
		}
		return a.Username < b.Username
	})
	for i, p := range ps {
		d.Accounts = append(d.Accounts, AccountRow{Row: i + 2, Username: p.Username, FullName: p.FullName, Position: p.Position,
			Email: p.Email, UnitCode: p.UnitCode, Section: p.Section, Roles: roleText(p.Roles)})
	}
	return d, nil
}

// Export writes the units or the accounts as XLSX or CSV (with a UTF-8
// byte order mark, so that Excel reads the Vietnamese letters).
func (s *Service) Export(ctx context.Context, w io.Writer, what, format string) error {
	if what != ExportUnits && what != ExportAccounts {
		return domain.Invalid("what", "Chọn units (đơn vị) hoặc accounts (tài khoản).")
	}
	if format != "xlsx" && format != "csv" {
		return domain.Invalid("format", "Chọn xlsx hoặc csv.")
	}
	d, err := s.Load(ctx)
	if err != nil {
		return err
	}
	if what == ExportUnits {
		d.Accounts = nil
	} else {
		d.Units = nil
	}
	if format == "csv" {
		sheet := SheetUnits
		if what == ExportAccounts {
			sheet = SheetAccounts
		}
		return WriteCSV(w, d, sheet)
	}
	return WriteXLSX(w, d, what == ExportUnits, what == ExportAccounts)
}

// WriteCSV writes one sheet of d as CSV with a UTF-8 byte order mark.
func WriteCSV(w io.Writer, d *Data, sheet string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	safe := func(cells []string) []string {
		for i := range cells {
			cells[i] = Safe(cells[i])
		}
		return cells
	}
	if sheet == SheetAccounts {
		cw.Write(AccountHeaders)
		for _, a := range d.Accounts {
			cw.Write(safe(accountCells(a)))
		}
	} else {
		cw.Write(UnitHeaders)
		for _, u := range d.Units {
			cw.Write(safe(unitCells(u)))
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("orgimport: unable to write CSV: %w", err)
	}
	return nil
}

// WriteXLSX writes d as a workbook with the sheet "Đơn vị" (when units)
// and the sheet "Tài khoản" (when accounts).
func WriteXLSX(w io.Writer, d *Data, units, accounts bool) error {
	return writeXLSX(w, d, units, accounts, nil)
}

func writeXLSX(w io.Writer, d *Data, units, accounts bool, guide []string) error {
	f := excelize.NewFile()
	defer f.Close()
	var sheets []string
	if units {
		sheets = append(sheets, SheetUnits)
	}
	if accounts {
		sheets = append(sheets, SheetAccounts)
	}
	if guide != nil {
		sheets = append(sheets, sheetGuide)
	}
	for i, name := range sheets {
		var err error
		if i == 0 {
			err = f.SetSheetName("Sheet1", name)
		} else {
			_, err = f.NewSheet(name)
		}
		if err != nil {
			return fmt.Errorf("orgimport: unable to make a sheet: %w", err)
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return fmt.Errorf("orgimport: unable to make a sheet: %w", err)
		}
		row := func(n int, cells []string) error {
			vals := make([]any, len(cells))
			for i, c := range cells {
				vals[i] = Safe(c)
			}
			cell, _ := excelize.CoordinatesToCellName(1, n)
			return sw.SetRow(cell, vals)
		}
		switch name {
		case SheetUnits:
			sw.SetColWidth(1, 7, 22)
			err = row(1, UnitHeaders)
			for i, u := range d.Units {
				if err == nil {
					err = row(i+2, unitCells(u))
				}
			}
		case SheetAccounts:
			sw.SetColWidth(1, 7, 22)
			err = row(1, AccountHeaders)
			for i, a := range d.Accounts {
				if err == nil {
					err = row(i+2, accountCells(a))
				}
			}
		default:
			sw.SetColWidth(1, 1, 120)
			for i, line := range guide {
				if err == nil {
					err = row(i+1, []string{line})
				}
			}
		}
		if err == nil {
			err = sw.Flush()
		}
		if err != nil {
			return fmt.Errorf("orgimport: unable to write a sheet: %w", err)
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("orgimport: unable to write the workbook: %w", err)
	}
	return nil
}

// WriteTemplate writes the template: both sheets with their header and an
// example row, and a sheet of instructions.
func WriteTemplate(w io.Writer) error {
	d := &Data{
		Units: []UnitRow{{Code: "001.05.24.H29", Name: "Trường THCS Nguyễn Du", Abbreviation: "THCSND", Kind: "truong",
			SchoolLevel: "thcs", ParentCode: "000.01.24.H29", Email: "thcsnguyendu@example.edu.vn"}},
		Accounts: []AccountRow{{Username: "vanthu.thcsnd", FullName: "Nguyễn Thị Lan", Position: "Văn thư", Email: "lan.nt@example.edu.vn",
			UnitCode: "001.05.24.H29", Section: "Tổ Văn phòng", Roles: "văn thư"}},
	}
	guide := []string{
		"Hướng dẫn nhập đơn vị và tài khoản",
		"Trang \"Đơn vị\": mỗi dòng một đơn vị. Giữ nguyên dòng tiêu đề; xóa dòng ví dụ.",
		"• Mã định danh: theo Quyết định 20/2020/QĐ-TTg, ví dụ 000.00.24.H29. Nhập lại một mã đã có thì đơn vị đó được cập nhật, không tạo trùng.",
		"• Loại: so, phong (phòng thuộc Sở), phong_gd (phòng giáo dục quận, huyện) hoặc truong.",
		"• Cấp học (chỉ với trường): mam_non, tieu_hoc, thcs hoặc thpt.",
		"• Mã đơn vị cấp trên: mã của đơn vị đã có trong hệ thống hoặc có trong trang này; không đặt đơn vị dưới một trường.",
		"Trang \"Tài khoản\": mỗi dòng một người.",
		"• Tên đăng nhập: chữ thường không dấu, chữ số, dấu chấm, gạch ngang; nhập lại tên đã có thì tài khoản được cập nhật.",
		"• Mã đơn vị: mã định danh của đơn vị người đó thuộc về. Tổ/phòng: tên tổ chuyên môn hoặc phòng ban; chưa có thì được tạo.",
		"• Vai trò: quản trị, văn thư, lãnh đạo ký, chuyên viên; nhiều vai trò cách nhau bởi dấu phẩy.",
		"Tài khoản mới chưa có mật khẩu: quản trị viên gửi thư mời để người dùng tự đặt mật khẩu.",
		"Không dùng công thức và không gộp ô. Có thể lưu mỗi trang thành một tệp \"CSV UTF-8\".",
		"Hãy chạy thử trước (kiểm tra): hệ thống báo từng dòng sẽ tạo, cập nhật hay có lỗi; khi nhập, tất cả các dòng được ghi cùng lúc hoặc không dòng nào.",
	}
	return writeXLSX(w, d, true, true, guide)
}

func sortBy[T any](s []T, less func(a, b T) bool) {
	sort.Slice(s, func(i, j int) bool { return less(s[i], s[j]) })
}

// XLSXType is the media type of a workbook.
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// ContentType is the media type of an export format.
func ContentType(format string) string {
	if format == "csv" {
		return "text/csv; charset=utf-8"
	}
	return XLSXType
}
