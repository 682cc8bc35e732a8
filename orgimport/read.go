package orgimport

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/xuri/excelize/v2"
)

// MaxRows is the most data rows a file may hold, all sheets together.
const MaxRows = 100000

// MaxFileBytes is the largest file accepted for import.
const MaxFileBytes = 64 << 20

// Sheet names, as in the template.
const (
	SheetUnits    = "Đơn vị"
	SheetAccounts = "Tài khoản"
	sheetGuide    = "Hướng dẫn"
)

// UnitHeaders and AccountHeaders are the header rows of the two sheets.
var (
	UnitHeaders    = []string{"Mã định danh", "Tên đơn vị", "Tên viết tắt", "Loại", "Cấp học", "Mã đơn vị cấp trên", "Email"}
	AccountHeaders = []string{"Tên đăng nhập", "Họ và tên", "Chức vụ", "Email", "Mã đơn vị", "Tổ/phòng", "Vai trò"}
)

// UnitRow is a line of the units sheet, as typed.
type UnitRow struct {
	Row                                                            int
	Code, Name, Abbreviation, Kind, SchoolLevel, ParentCode, Email string
}

// AccountRow is a line of the accounts sheet, as typed.
type AccountRow struct {
	Row                                                           int
	Username, FullName, Position, Email, UnitCode, Section, Roles string
}

// Problem is something wrong with a cell found while reading (a formula,
// a merged cell), reported with its row.
type Problem struct {
	Sheet   string
	Row     int
	Message string
}

// Data is what the files of one import hold.
type Data struct {
	Units    []UnitRow
	Accounts []AccountRow
	Problems []Problem
	rows     int
}

// Read adds the rows of a file to d: an XLSX workbook with the sheets
// "Đơn vị" and/or "Tài khoản", or a CSV file of either sheet (told apart
// by its header row). name gives the format by its extension.
func (d *Data) Read(name string, r io.Reader) error {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		return d.readXLSX(r)
	case ".csv", ".txt":
		return d.readCSV(r)
	}
	return domain.Invalid("file", fmt.Sprintf("Tệp %q không phải XLSX hay CSV: hãy dùng tệp mẫu (.xlsx) hoặc lưu mỗi trang thành một tệp \"CSV UTF-8\".", name))
}

func tooMany() error {
	return domain.Invalid("file", fmt.Sprintf("Tệp có quá %d dòng: hãy chia thành nhiều lần nhập.", MaxRows))
}

// containsAny reports whether b holds one of the marks: formula
// elements (<f>, with or without a namespace prefix) or merged ranges.
func containsAny(b []byte, marks ...string) bool {
	for _, m := range marks {
		if bytes.Contains(b, []byte(m)) {
			return true
		}
	}
	return false
}

func (d *Data) readXLSX(r io.Reader) error {
	f, err := excelize.OpenReader(io.LimitReader(r, MaxFileBytes+1), excelize.Options{
		UnzipSizeLimit: 1 << 30, UnzipXMLSizeLimit: 512 << 20})
	if err != nil {
		return domain.Invalid("file", "Không đọc được tệp XLSX: hãy mở bằng Excel và lưu lại dạng \"Sổ làm việc Excel (.xlsx)\".")
	}
	defer f.Close()
	// Formulas and merged ranges are rare: look for them in the raw XML
	// once, and only then ask excelize cell by cell (which loads the
	// whole sheet), so a plain file is read streaming.
	var formulas, merges bool
	f.Pkg.Range(func(k, v any) bool {
		if name, _ := k.(string); strings.HasPrefix(name, "xl/worksheets/") {
			if b, ok := v.([]byte); ok {
				formulas = formulas || containsAny(b, "<f>", "<f ", ":f>", ":f ")
				merges = merges || containsAny(b, "<mergeCell ", ":mergeCell ")
			}
		}
		return true
	})
	found := 0
	for _, sheet := range f.GetSheetList() {
		var headers []string
		switch documents.Fold(strings.TrimSpace(sheet)) {
		case documents.Fold(SheetUnits):
			headers = UnitHeaders
		case documents.Fold(SheetAccounts):
			headers = AccountHeaders
		default:
			continue
		}
		found++
		name := SheetUnits
		if len(headers) == len(AccountHeaders) && headers[0] == AccountHeaders[0] {
			name = SheetAccounts
		}
		if merges {
			mc, err := f.GetMergeCells(sheet, true)
			if err != nil {
				return fmt.Errorf("orgimport: unable to read merged cells: %w", err)
			}
			for _, m := range mc {
				_, row, _ := excelize.CellNameToCoordinates(m.GetStartAxis())
				d.Problems = append(d.Problems, Problem{name, row, fmt.Sprintf("Các ô %s:%s được gộp: hãy bỏ gộp ô và điền giá trị vào từng ô.", m.GetStartAxis(), m.GetEndAxis())})
			}
		}
		rows, err := f.Rows(sheet)
		if err != nil {
			return fmt.Errorf("orgimport: unable to read sheet: %w", err)
		}
		n := 0
		for rows.Next() {
			n++
			cols, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				rows.Close()
				return domain.Invalid("file", fmt.Sprintf("Không đọc được dòng %d của trang %q.", n, name))
			}
			if n == 1 {
				if err := checkHeader(name, headers, cols); err != nil {
					rows.Close()
					return err
				}
				continue
			}
			if formulas {
				for i := range cols {
					cell, _ := excelize.CoordinatesToCellName(i+1, n)
					if fm, _ := f.GetCellFormula(sheet, cell); fm != "" {
						d.Problems = append(d.Problems, Problem{name, n, fmt.Sprintf("Ô %s (cột %q) chứa công thức: hãy thay bằng giá trị.", cell, colName(headers, i))})
						cols[i] = ""
					}
				}
			}
			if err := d.add(name, n, cols); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("orgimport: unable to read sheet: %w", err)
		}
		if n == 0 {
			return checkHeader(name, headers, nil)
		}
	}
	if found == 0 {
		return domain.Invalid("file", fmt.Sprintf("Tệp không có trang %q hay %q: hãy dùng tệp mẫu.", SheetUnits, SheetAccounts))
	}
	return nil
}

func colName(headers []string, i int) string {
	if i < len(headers) {
		return headers[i]
	}
	return fmt.Sprintf("%d", i+1)
}

// add appends a data row; blank rows are skipped.
func (d *Data) add(sheet string, row int, cols []string) error {
	blank := true
	for _, c := range cols {
		if strings.TrimSpace(c) != "" {
			blank = false
			break
		}
	}
	if blank {
		return nil
	}
	d.rows++
	if d.rows > MaxRows {
		return tooMany()
	}
	get := func(i int) string {
		if i < len(cols) {
			return strings.TrimSpace(cols[i])
		}
		return ""
	}
	headers := UnitHeaders
	if sheet == SheetAccounts {
		headers = AccountHeaders
	}
	for i := range headers {
		v := get(i)
		if v == "" {
			continue
		}
		if strings.ContainsAny(v[:1], "=+-@") {
			d.Problems = append(d.Problems, Problem{sheet, row, fmt.Sprintf("Cột %q bắt đầu bằng %q như một công thức: hãy bỏ ký tự đó, hoặc thêm dấu ' ở đầu nếu đó đúng là dữ liệu.", headers[i], v[:1])})
		}
	}
	// A leading ' (as export writes before = + - @) is not data.
	val := func(i int) string { return unquote(get(i)) }
	if sheet == SheetUnits {
		d.Units = append(d.Units, UnitRow{Row: row, Code: val(0), Name: val(1), Abbreviation: val(2), Kind: val(3),
			SchoolLevel: val(4), ParentCode: val(5), Email: val(6)})
	} else {
		d.Accounts = append(d.Accounts, AccountRow{Row: row, Username: val(0), FullName: val(1), Position: val(2),
			Email: val(3), UnitCode: val(4), Section: val(5), Roles: val(6)})
	}
	return nil
}

func unquote(v string) string {
	if len(v) >= 2 && v[0] == '\'' && strings.ContainsAny(v[1:2], "=+-@\t\r") {
		return v[1:]
	}
	return v
}

// foldHeader compares headers without case, diacritics or spacing.
func foldHeader(s string) string {
	return strings.Join(strings.Fields(documents.Fold(strings.TrimPrefix(s, "\ufeff"))), " ")
}

func checkHeader(sheet string, want, got []string) error {
	ok := len(got) >= len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = foldHeader(got[i]) == foldHeader(want[i])
	}
	for i := len(want); ok && i < len(got); i++ {
		ok = strings.TrimSpace(got[i]) == ""
	}
	if ok {
		return nil
	}
	return domain.Invalid("file", fmt.Sprintf("Dòng tiêu đề của trang %q không đúng: cần đúng các cột %s (theo thứ tự này, như tệp mẫu).",
		sheet, "\""+strings.Join(want, "\", \"")+"\""))
}

func (d *Data) readCSV(r io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return fmt.Errorf("orgimport: unable to read the file: %w", err)
	}
	if len(b) > MaxFileBytes {
		return domain.Invalid("file", fmt.Sprintf("Tệp lớn hơn %d MB.", MaxFileBytes>>20))
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(b) {
		return domain.Invalid("file", "Tệp CSV không phải UTF-8 (tiếng Việt sẽ bị lỗi font): trong Excel hãy chọn Lưu thành → \"CSV UTF-8 (Comma delimited) (*.csv)\".")
	}
	cr := csv.NewReader(bufio.NewReader(bytes.NewReader(b)))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return domain.Invalid("file", "Tệp CSV trống.")
	}
	if err != nil {
		return domain.Invalid("file", "Không đọc được dòng tiêu đề của tệp CSV.")
	}
	if len(header) == 1 && strings.Count(header[0], ";") > 0 {
		// Excel in some locales separates with semicolons.
		cr = csv.NewReader(bytes.NewReader(b))
		cr.Comma, cr.FieldsPerRecord, cr.LazyQuotes = ';', -1, true
		header, _ = cr.Read()
	}
	sheet := SheetUnits
	if checkHeader(SheetUnits, UnitHeaders, header) != nil {
		if checkHeader(SheetAccounts, AccountHeaders, header) != nil {
			return domain.Invalid("file", fmt.Sprintf("Dòng tiêu đề của tệp CSV không đúng: tệp đơn vị cần các cột \"%s\"; tệp tài khoản cần các cột \"%s\".",
				strings.Join(UnitHeaders, "\", \""), strings.Join(AccountHeaders, "\", \"")))
		}
		sheet = SheetAccounts
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return domain.Invalid("file", fmt.Sprintf("Dòng %d của tệp CSV không đọc được: %v.", line, err))
		}
		if err := d.add(sheet, line, rec); err != nil {
			return err
		}
	}
}

// Upload gathers the files of one import (a workbook, or the CSV files of
// the two sheets) and their SHA-256, for the audit log and for checking
// that what is imported is what was checked.
type Upload struct {
	Data  Data
	Names []string
	h     hash.Hash
}

// Add reads one file into u.
func (u *Upload) Add(name string, r io.Reader) error {
	if u.h == nil {
		u.h = sha256.New()
	}
	if len(u.Names) >= 2 {
		return domain.Invalid("file", "Gửi một tệp XLSX, hoặc hai tệp CSV (đơn vị và tài khoản).")
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return fmt.Errorf("orgimport: unable to read the upload: %w", err)
	}
	if len(b) > MaxFileBytes {
		return domain.Invalid("file", fmt.Sprintf("Tệp lớn hơn %d MB: hãy chia thành nhiều lần nhập.", MaxFileBytes>>20))
	}
	u.h.Write(b)
	u.Names = append(u.Names, name)
	return u.Data.Read(name, bytes.NewReader(b))
}

// SHA256 is the hex SHA-256 of the files, in the order they came.
func (u *Upload) SHA256() string {
	if u.h == nil {
		return ""
	}
	return hex.EncodeToString(u.h.Sum(nil))
}
