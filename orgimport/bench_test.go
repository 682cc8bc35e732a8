package orgimport_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/orgimport"
	"github.com/jmoiron/sqlx"
)

// cityData is a city-sized organisation: the department, 22 district
// offices, schools up to nUnits, and nAccounts accounts spread over them.
func cityData(nUnits, nAccounts int) *orgimport.Data {
	d := &orgimport.Data{}
	d.Units = append(d.Units, orgimport.UnitRow{Code: "000.00.24.H29", Name: "Sở Giáo dục và Đào tạo", Abbreviation: "SGDĐT", Kind: "so"})
	for i := 1; i <= 22; i++ {
		d.Units = append(d.Units, orgimport.UnitRow{Code: fmt.Sprintf("000.%02d.24.H29", i), Name: fmt.Sprintf("Phòng Giáo dục và Đào tạo Quận %d", i),
			Abbreviation: fmt.Sprintf("PGDĐT-Q%d", i), Kind: "phong_gd", ParentCode: "000.00.24.H29"})
	}
	levels := []string{"mam_non", "tieu_hoc", "thcs", "thpt"}
	for i := 0; len(d.Units) < nUnits; i++ {
		district := i%22 + 1
		d.Units = append(d.Units, orgimport.UnitRow{Code: fmt.Sprintf("%03d.%02d.24.H29", 100+i/22, district),
			Name: fmt.Sprintf("Trường thử nghiệm số %d", i+1), Abbreviation: fmt.Sprintf("TN%d", i+1), Kind: "truong",
			SchoolLevel: levels[i%4], ParentCode: fmt.Sprintf("000.%02d.24.H29", district), Email: fmt.Sprintf("truong%d@example.edu.vn", i+1)})
	}
	roles := []string{"văn thư", "lãnh đạo ký", "chuyên viên", "chuyên viên", "quản trị, chuyên viên"}
	for i := 0; i < nAccounts; i++ {
		u := d.Units[i%len(d.Units)]
		d.Accounts = append(d.Accounts, orgimport.AccountRow{Username: fmt.Sprintf("nguoi.%d", i+1), FullName: fmt.Sprintf("Nguyễn Văn Thử %d", i+1),
			Position: "Giáo viên", Email: fmt.Sprintf("nguoi%d@example.edu.vn", i+1), UnitCode: u.Code,
			Section: fmt.Sprintf("Tổ %d", i%3+1), Roles: roles[i%len(roles)]})
	}
	return d
}

func reset(b *testing.B, db *sqlx.DB) {
	if _, err := db.Exec(`TRUNCATE units, users, sections CASCADE`); err != nil {
		b.Fatal(err)
	}
}

// bareCopy is the floor: COPY of the same rows into the same tables, unit
// ids looked up in one query, nothing checked.
func bareCopy(ctx context.Context, db *sqlx.DB, d *orgimport.Data) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cp := func(table string, cols []string, rows func(func(...any) error) error) error {
		st, err := tx.PrepareContext(ctx, orgimport.CopySQL(table, cols))
		if err != nil {
			return err
		}
		if err := rows(func(v ...any) error { _, err := st.ExecContext(ctx, v...); return err }); err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx); err != nil {
			return err
		}
		return st.Close()
	}
	kinds := map[string]string{"so": "department", "phong_gd": "district_office", "truong": "school"}
	if err := cp("units", []string{"code", "name", "abbreviation", "kind", "school_level", "email"}, func(add func(...any) error) error {
		for _, u := range d.Units {
			if err := add(u.Code, u.Name, u.Abbreviation, kinds[u.Kind], u.SchoolLevel, u.Email); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	var ids []struct {
		ID   int64  `db:"id"`
		Code string `db:"code"`
	}
	if err := tx.SelectContext(ctx, &ids, `SELECT id, code FROM units`); err != nil {
		return err
	}
	byCode := map[string]int64{}
	for _, x := range ids {
		byCode[x.Code] = x.ID
	}
	if err := cp("users", []string{"username", "full_name", "position", "email", "unit_id", "roles", "password_hash"}, func(add func(...any) error) error {
		for _, a := range d.Accounts {
			if err := add(a.Username, a.FullName, a.Position, a.Email, byCode[a.UnitCode], "{staff}", "!"); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return tx.Commit()
}

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// BenchmarkImportCity imports 3,000 units and 15,000 accounts from an
// XLSX file, alternating with a bare COPY of the same rows into the same
// tables, and times the dry run alone; it reports the medians and the
// ratio (goal: at most 3× the COPY, under 30 s).
func BenchmarkImportCity(b *testing.B) {
	db, _ := testenv.NewDB(b)
	ctx := context.Background()
	data := cityData(3000, 15000)
	var file bytes.Buffer
	if err := orgimport.WriteXLSX(&file, data, true, true); err != nil {
		b.Fatal(err)
	}
	s := orgimport.New(db)
	read := func() *orgimport.Data {
		d := &orgimport.Data{}
		if err := d.Read("city.xlsx", bytes.NewReader(file.Bytes())); err != nil {
			b.Fatal(err)
		}
		return d
	}
	var imports, applies, copies, dryRuns, reads []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		reset(b, db)
		t0 := time.Now()
		d := read()
		reads = append(reads, time.Since(t0))
		r, err := s.Plan(ctx, d)
		if err != nil || r.Errors() > 0 {
			b.Fatalf("dry run: %v %+v %+v", err, r.Units, r.Accounts)
		}
		dryRuns = append(dryRuns, time.Since(t0))

		reset(b, db)
		t0 = time.Now()
		d = read()
		t1 := time.Now()
		if r, err := s.Apply(ctx, d, orgimport.Actor{}, "bench"); err != nil || r.Units.Create != 3000 || r.Accounts.Create != 15000 {
			b.Fatalf("import: %v", err)
		}
		imports = append(imports, time.Since(t0))
		applies = append(applies, time.Since(t1))

		reset(b, db)
		t0 = time.Now()
		if err := bareCopy(ctx, db, data); err != nil {
			b.Fatal(err)
		}
		copies = append(copies, time.Since(t0))
	}
	b.StopTimer()
	im, cp := median(imports), median(copies)
	b.ReportMetric(float64(im.Milliseconds()), "import-ms")
	b.ReportMetric(float64(cp.Milliseconds()), "copy-ms")
	b.ReportMetric(float64(im)/float64(cp), "ratio")
	// The import without reading the XLSX: checks and writes.
	b.ReportMetric(float64(median(applies).Milliseconds()), "apply-ms")
	b.ReportMetric(float64(median(applies))/float64(cp), "apply-ratio")
	b.ReportMetric(float64(median(dryRuns).Milliseconds()), "dryrun-ms")
	b.ReportMetric(float64(median(reads).Milliseconds()), "read-xlsx-ms")
}
