// Package orgimport imports and exports the organisation: units and
// accounts, from and to XLSX and CSV spreadsheets. A dry run (Plan) says
// row by row what an import would do; Apply does it in one transaction,
// by code and username, so running it again changes nothing.
package orgimport

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/org"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// NoPassword is the password hash of an imported account: no password
// matches it, so the person signs in only after an invitation (or through
// OpenID Connect).
const NoPassword = "!"

// Actions of a row.
const (
	ActionCreate    = "create"
	ActionUpdate    = "update"
	ActionUnchanged = "unchanged"
	ActionError     = "error"
)

// ErrRows is returned by Apply when some row has an error: nothing is written.
var ErrRows = errors.New("orgimport: the file has rows with errors")

// lockKey serialises imports.
const lockKey = 7215014

// RowResult is what the import does with a row.
type RowResult struct {
	Sheet   string   `json:"sheet"`
	Row     int      `json:"row"`
	Key     string   `json:"key"` // the unit's code or the account's username
	Action  string   `json:"action"`
	Changes []string `json:"changes,omitempty"` // for an update: the columns that change
	Errors  []string `json:"errors,omitempty"`  // Vietnamese, each naming the column and what to fix
}

// Totals counts rows by action.
type Totals struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Unchanged int `json:"unchanged"`
	Error     int `json:"error"`
}

// Report is the outcome of a dry run or an import.
type Report struct {
	Units    Totals      `json:"units"`
	Accounts Totals      `json:"accounts"`
	Rows     []RowResult `json:"rows"`
	Applied  bool        `json:"applied"`
	SHA256   string      `json:"sha256,omitempty"`
}

// Errors is the number of rows with an error.
func (r *Report) Errors() int { return r.Units.Error + r.Accounts.Error }

// Actor is who imports, for the audit log.
type Actor struct{ UserID, UnitID int64 }

// Service imports and exports units and accounts.
type Service struct{ db *sqlx.DB }

// New returns a Service on db.
func New(db *sqlx.DB) *Service { return &Service{db: db} }

type dbUnit struct {
	ID           int64  `db:"id"`
	Code         string `db:"code"`
	Name         string `db:"name"`
	Abbreviation string `db:"abbreviation"`
	Kind         string `db:"kind"`
	SchoolLevel  string `db:"school_level"`
	ParentCode   string `db:"parent_code"`
	Email        string `db:"email"`
	Closed       bool   `db:"closed"`
}

type dbUser struct {
	Username string `db:"username"`
	FullName string `db:"full_name"`
	Position string `db:"position"`
	Email    string `db:"email"`
	UnitCode string `db:"unit_code"`
	Section  string `db:"section"`
	Roles    string `db:"roles"`
}

// unit and account are validated rows in the stored form.
type unit struct {
	UnitRow
	kind, level string
}

type account struct {
	AccountRow
	username, roles string
	isNew           bool
}

type plan struct {
	report   *Report
	units    []unit    // to create or update
	accounts []account // to create or update
	relog    []string  // usernames whose unit or roles change: their sessions end
}

func (s *Service) load(ctx context.Context, q sqlx.QueryerContext) (map[string]dbUnit, map[string]dbUser, error) {
	var us []dbUnit
	if err := sqlx.SelectContext(ctx, q, &us, `
		SELECT u.id, u.code, u.name, u.abbreviation, u.kind, u.school_level, COALESCE(p.code, '') AS parent_code,
		       u.email, u.closed_at IS NOT NULL AS closed
		FROM units u LEFT JOIN units p ON p.id = u.parent_id`); err != nil {
		return nil, nil, fmt.Errorf("orgimport: unable to load units: %w", err)
	}
	units := make(map[string]dbUnit, len(us))
	for _, u := range us {
		units[u.Code] = u
	}
	var ps []dbUser
	if err := sqlx.SelectContext(ctx, q, &ps, `
		SELECT u.username, u.full_name, u.position, u.email, n.code AS unit_code, COALESCE(s.name, '') AS section,
		       array_to_string(u.roles, ',') AS roles
		FROM users u JOIN units n ON n.id = u.unit_id LEFT JOIN sections s ON s.id = u.section_id`); err != nil {
		return nil, nil, fmt.Errorf("orgimport: unable to load accounts: %w", err)
	}
	users := make(map[string]dbUser, len(ps))
	for _, p := range ps {
		users[p.Username] = p
	}
	return units, users, nil
}

// Plan is the dry run: what an import of d would do, row by row; nothing
// is written.
func (s *Service) Plan(ctx context.Context, d *Data) (*Report, error) {
	units, users, err := s.load(ctx, s.db)
	if err != nil {
		return nil, err
	}
	return makePlan(d, units, users).report, nil
}

// Apply imports d in one transaction: all rows or, when any row has an
// error, none (the report says which, and the error is ErrRows). Units
// and accounts are matched by code and username; new accounts get
// NoPassword. sha is the SHA-256 of the files, for the audit log.
func (s *Service) Apply(ctx context.Context, d *Data, by Actor, sha string) (*Report, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("orgimport: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey); err != nil {
		return nil, fmt.Errorf("orgimport: unable to lock: %w", err)
	}
	units, users, err := s.load(ctx, tx)
	if err != nil {
		return nil, err
	}
	p := makePlan(d, units, users)
	p.report.SHA256 = sha
	if p.report.Errors() > 0 {
		return p.report, ErrRows
	}
	if err := p.write(ctx, tx); err != nil {
		return nil, err
	}
	r := p.report
	if err := audit.Append(ctx, tx, audit.Event{ActorID: by.UserID, ActorUnitID: by.UnitID, Action: "org.import",
		Details: map[string]any{"sha256": sha, "units": r.Units, "accounts": r.Accounts}}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("orgimport: unable to commit: %w", err)
	}
	r.Applied = true
	return r, nil
}

func (p *plan) write(ctx context.Context, tx *sqlx.Tx) error {
	if len(p.units) > 0 {
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_units (ord int, code text, name text, abbreviation text,
			kind text, school_level text, parent_code text, email text) ON COMMIT DROP`); err != nil {
			return fmt.Errorf("orgimport: unable to create a temporary table: %w", err)
		}
		rows := make([][]any, len(p.units))
		for i, u := range p.units {
			rows[i] = []any{i, u.Code, u.Name, u.Abbreviation, u.kind, u.level, u.ParentCode, u.Email}
		}
		if err := copyIn(ctx, tx, "import_units", []string{"ord", "code", "name", "abbreviation", "kind", "school_level", "parent_code", "email"}, rows); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `ANALYZE import_units`); err != nil {
			return fmt.Errorf("orgimport: unable to analyse: %w", err)
		}
		// Rows keep the file's order (ids follow it). Every unit first,
		// then every parent: a parent may come after
		// its children in the file.
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO units (code, name, abbreviation, kind, school_level, email)
			SELECT code, name, abbreviation, kind, school_level, email FROM import_units ORDER BY ord
			ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, abbreviation = EXCLUDED.abbreviation,
			  kind = EXCLUDED.kind, school_level = EXCLUDED.school_level, email = EXCLUDED.email`); err != nil {
			return fmt.Errorf("orgimport: unable to write units: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE units u SET parent_id = p.id
			FROM import_units t LEFT JOIN units p ON p.code = t.parent_code
			WHERE u.code = t.code AND u.parent_id IS DISTINCT FROM p.id`); err != nil {
			return fmt.Errorf("orgimport: unable to link units to their parents: %w", err)
		}
	}
	if len(p.accounts) == 0 {
		return nil
	}
	if len(p.relog) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = ANY($1))`,
			pq.Array(p.relog)); err != nil {
			return fmt.Errorf("orgimport: unable to end sessions: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_users (ord int, is_new boolean, username text, full_name text, position text,
		email text, unit_code text, section text, roles text) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("orgimport: unable to create a temporary table: %w", err)
	}
	rows := make([][]any, len(p.accounts))
	for i, a := range p.accounts {
		rows[i] = []any{i, a.isNew, a.username, a.FullName, a.Position, a.Email, a.UnitCode, a.Section, a.roles}
	}
	if err := copyIn(ctx, tx, "import_users", []string{"ord", "is_new", "username", "full_name", "position", "email", "unit_code", "section", "roles"}, rows); err != nil {
		return err
	}
	// A temporary table has no statistics until analysed: without them
	// the planner joins 15,000 rows by nested loops.
	if _, err := tx.ExecContext(ctx, `ANALYZE import_users`); err != nil {
		return fmt.Errorf("orgimport: unable to analyse: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO sections (unit_id, name)
		SELECT DISTINCT u.id, t.section FROM import_users t JOIN units u ON u.code = t.unit_code WHERE t.section <> ''
		ON CONFLICT (unit_id, name) DO NOTHING`); err != nil {
		return fmt.Errorf("orgimport: unable to create sections: %w", err)
	}
	// Updates, then plain inserts: the plan, made under the lock, knows
	// which is which, and an insert without ON CONFLICT is faster.
	if _, err := tx.ExecContext(ctx, `
		UPDATE users x SET full_name = t.full_name, position = t.position, email = t.email, unit_id = u.id,
		  section_id = s.id, roles = COALESCE(string_to_array(NULLIF(t.roles, ''), ','), '{}'), updated_at = now()
		FROM import_users t JOIN units u ON u.code = t.unit_code
		LEFT JOIN sections s ON s.unit_id = u.id AND s.name = t.section
		WHERE NOT t.is_new AND x.username = t.username`); err != nil {
		return fmt.Errorf("orgimport: unable to update accounts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO users (username, full_name, position, email, unit_id, section_id, roles, password_hash)
		SELECT t.username, t.full_name, t.position, t.email, u.id, s.id,
		       COALESCE(string_to_array(NULLIF(t.roles, ''), ','), '{}'), $1
		FROM import_users t JOIN units u ON u.code = t.unit_code
		LEFT JOIN sections s ON s.unit_id = u.id AND s.name = t.section
		WHERE t.is_new
		ORDER BY t.ord`, NoPassword); err != nil {
		return fmt.Errorf("orgimport: unable to create accounts: %w", err)
	}
	return nil
}

// CopySQL is the COPY statement lib/pq streams prepared rows into (what
// the deprecated pq.CopyIn wrote).
func CopySQL(table string, cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = pq.QuoteIdentifier(c)
	}
	return "COPY " + pq.QuoteIdentifier(table) + " (" + strings.Join(q, ", ") + ") FROM STDIN"
}

func copyIn(ctx context.Context, tx *sqlx.Tx, table string, cols []string, rows [][]any) error {
	stmt, err := tx.PrepareContext(ctx, CopySQL(table, cols))
	if err != nil {
		return fmt.Errorf("orgimport: unable to copy: %w", err)
	}
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			stmt.Close()
			return fmt.Errorf("orgimport: unable to copy: %w", err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		stmt.Close()
		return fmt.Errorf("orgimport: unable to copy: %w", err)
	}
	return stmt.Close()
}

var (
	kinds = map[string]string{
		"so": org.KindDepartment, "so gd": org.KindDepartment, "so gddt": org.KindDepartment, "so giao duc va dao tao": org.KindDepartment, "department": org.KindDepartment,
		"phong": org.KindOffice, "phong ban": org.KindOffice, "phong thuoc so": org.KindOffice, "office": org.KindOffice,
		"phong gd": org.KindDistrictOffice, "phong gddt": org.KindDistrictOffice, "phong giao duc": org.KindDistrictOffice,
		"phong giao duc va dao tao": org.KindDistrictOffice, "district office": org.KindDistrictOffice,
		"truong": org.KindSchool, "truong hoc": org.KindSchool, "school": org.KindSchool,
	}
	levels = map[string]string{
		"mam non": "mam_non", "tieu hoc": "tieu_hoc", "thcs": "thcs", "trung hoc co so": "thcs",
		"thpt": "thpt", "trung hoc pho thong": "thpt",
	}
	roleWords = map[string]string{
		"quan tri": "admin", "quan tri vien": "admin", "admin": "admin",
		"van thu": "clerk", "clerk": "clerk",
		"lanh dao ky": "signer", "lanh dao": "signer", "nguoi ky": "signer", "signer": "signer",
		"chuyen vien": "staff", "staff": "staff",
		"luu tru": "archivist", "luu tru vien": "archivist", "archivist": "archivist",
	}
	roleOrder  = []string{"admin", "clerk", "signer", "staff", "archivist"}
	usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}$`)
)

// word folds a typed value: no case, diacritics, underscores or extra spaces.
func word(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("_", " ", "-", " ", "đ", "d").Replace(documents.Fold(s))), " ")
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// levelWords, kindWords and roleNames are the Vietnamese words of the report.
var (
	kindWords  = map[string]string{org.KindDepartment: "so", org.KindOffice: "phong", org.KindDistrictOffice: "phong_gd", org.KindSchool: "truong"}
	roleNames  = map[string]string{"admin": "quản trị", "clerk": "văn thư", "signer": "lãnh đạo ký", "staff": "chuyên viên", "archivist": "lưu trữ"}
	levelNames = map[string]string{"": "", "mam_non": "mam_non", "tieu_hoc": "tieu_hoc", "thcs": "thcs", "thpt": "thpt"}
)

func makePlan(d *Data, dbUnits map[string]dbUnit, dbUsers map[string]dbUser) *plan {
	// The same few kinds, levels and roles come on every row: fold each once.
	folded := map[string]string{}
	word := func(s string) string {
		w, ok := folded[s]
		if !ok {
			w = word(s)
			folded[s] = w
		}
		return w
	}
	p := &plan{report: &Report{Rows: make([]RowResult, 0, len(d.Units)+len(d.Accounts))}}
	problems := map[[2]any][]string{}
	for _, pr := range d.Problems {
		k := [2]any{pr.Sheet, pr.Row}
		problems[k] = append(problems[k], pr.Message)
	}
	col := func(h string, msg string, a ...any) string {
		return fmt.Sprintf("Cột %q: ", h) + fmt.Sprintf(msg, a...)
	}
	uh, ah := UnitHeaders, AccountHeaders

	// Units of the file, by code, after normalising.
	fileUnits := make(map[string]*unit, len(d.Units))
	parsed := make([]unit, len(d.Units))
	firstRow := map[string]int{}
	for i, r := range d.Units {
		u := unit{UnitRow: r}
		u.kind = kinds[word(r.Kind)]
		if u.kind == "" && r.Kind != "" {
			u.kind = "?"
		}
		u.level = r.SchoolLevel
		if r.SchoolLevel != "" {
			u.level = levels[word(r.SchoolLevel)]
			if u.level == "" {
				u.level = "?"
			}
		}
		parsed[i] = u
		if _, dup := firstRow[r.Code]; !dup && r.Code != "" {
			firstRow[r.Code] = r.Row
			fileUnits[r.Code] = &parsed[i]
		}
	}
	kindOf := func(code string) string {
		if u, ok := fileUnits[code]; ok {
			return u.kind
		}
		return dbUnits[code].Kind
	}
	parentOf := func(code string) (string, bool) {
		if u, ok := fileUnits[code]; ok {
			return u.ParentCode, true
		}
		u, ok := dbUnits[code]
		return u.ParentCode, ok
	}
	// inCycle: units whose parent chain loops (in the file and the
	// database together).
	inCycle := map[string]bool{}
	state := map[string]int{} // 1 on the current path, 2 done
	for code := range fileUnits {
		var path []string
		c := code
		for c != "" && state[c] == 0 {
			state[c] = 1
			path = append(path, c)
			next, ok := parentOf(c)
			if !ok {
				break
			}
			c = next
		}
		if c != "" && state[c] == 1 {
			loop := false
			for _, x := range path {
				if x == c {
					loop = true
				}
				if loop {
					inCycle[x] = true
				}
			}
		}
		for _, x := range path {
			state[x] = 2
		}
	}

	// Units with a unit under them, after the import.
	hasChild := map[string]bool{}
	for code, u := range dbUnits {
		if fileUnits[code] == nil && u.ParentCode != "" {
			hasChild[u.ParentCode] = true
		}
	}
	for _, u := range fileUnits {
		hasChild[u.ParentCode] = true
	}

	for _, u := range parsed {
		res := RowResult{Sheet: SheetUnits, Row: u.Row, Key: u.Code}
		errs := problems[[2]any{SheetUnits, u.Row}]
		switch {
		case u.Code == "":
			errs = append(errs, col(uh[0], "thiếu mã định danh."))
		case !org.ValidCode(u.Code):
			errs = append(errs, col(uh[0], "mã %q không đúng dạng (ví dụ 000.00.24.H29: các nhóm 2–3 chữ số hoặc chữ in hoa cách nhau bởi dấu chấm, nhóm cuối là một chữ cái và hai chữ số).", u.Code))
		case firstRow[u.Code] != u.Row:
			errs = append(errs, col(uh[0], "mã %s trùng với dòng %d: mỗi đơn vị chỉ một dòng.", u.Code, firstRow[u.Code]))
		case dbUnits[u.Code].Kind == org.KindExternal:
			errs = append(errs, col(uh[0], "mã %s là của một cơ quan ngoài đã có: hãy kiểm tra lại mã.", u.Code))
		}
		if u.kind == org.KindSchool && hasChild[u.Code] {
			errs = append(errs, col(uh[3], "đơn vị %s có đơn vị cấp dưới nên không thể là trường học.", u.Code))
		}
		if u.Name == "" {
			errs = append(errs, col(uh[1], "thiếu tên đơn vị."))
		}
		if u.Abbreviation == "" {
			errs = append(errs, col(uh[2], "thiếu tên viết tắt (dùng trong ký hiệu văn bản)."))
		}
		switch u.kind {
		case "":
			errs = append(errs, col(uh[3], "thiếu loại đơn vị: so, phong, phong_gd hoặc truong."))
		case "?":
			errs = append(errs, col(uh[3], "loại %q không rõ: dùng so, phong, phong_gd hoặc truong (hoặc Sở, Phòng, Phòng GD, Trường).", u.Kind))
		}
		switch {
		case u.level == "?":
			errs = append(errs, col(uh[4], "cấp học %q không rõ: dùng mam_non, tieu_hoc, thcs hoặc thpt.", u.SchoolLevel))
		case u.level != "" && u.kind != org.KindSchool:
			errs = append(errs, col(uh[4], "chỉ trường học có cấp học: hãy để trống."))
		}
		switch {
		case u.ParentCode == "" && u.kind != org.KindDepartment && u.kind != "?" && u.kind != "":
			errs = append(errs, col(uh[5], "thiếu mã đơn vị cấp trên (chỉ Sở không có cấp trên)."))
		case u.ParentCode == "":
		case u.ParentCode == u.Code:
			errs = append(errs, col(uh[5], "đơn vị không thể là cấp trên của chính nó."))
		case fileUnits[u.ParentCode] == nil && dbUnits[u.ParentCode].Code == "":
			errs = append(errs, col(uh[5], "không có đơn vị mã %s, trong hệ thống cũng như trong tệp.", u.ParentCode))
		case kindOf(u.ParentCode) == org.KindSchool:
			errs = append(errs, col(uh[5], "đơn vị %s là trường học: không đặt đơn vị nào dưới một trường.", u.ParentCode))
		case inCycle[u.Code]:
			errs = append(errs, col(uh[5], "cấp trên tạo thành vòng lặp (đơn vị %s nằm dưới chính nó): hãy sửa mã đơn vị cấp trên.", u.Code))
		}
		if u.Email != "" && !validEmail(u.Email) {
			errs = append(errs, col(uh[6], "địa chỉ thư %q không hợp lệ.", u.Email))
		}
		res.Errors = errs
		if len(errs) > 0 {
			res.Action = ActionError
			p.report.Units.Error++
		} else if old, ok := dbUnits[u.Code]; !ok {
			res.Action = ActionCreate
			p.report.Units.Create++
			p.units = append(p.units, u)
		} else {
			diff := func(h, was, now string) {
				if was != now {
					res.Changes = append(res.Changes, fmt.Sprintf("%s: %q → %q", h, was, now))
				}
			}
			diff(uh[1], old.Name, u.Name)
			diff(uh[2], old.Abbreviation, u.Abbreviation)
			diff(uh[3], kindWords[old.Kind], kindWords[u.kind])
			diff(uh[4], levelNames[old.SchoolLevel], u.level)
			diff(uh[5], old.ParentCode, u.ParentCode)
			diff(uh[6], old.Email, u.Email)
			if len(res.Changes) == 0 {
				res.Action = ActionUnchanged
				p.report.Units.Unchanged++
			} else {
				res.Action = ActionUpdate
				p.report.Units.Update++
				p.units = append(p.units, u)
			}
		}
		p.report.Rows = append(p.report.Rows, res)
	}

	firstUser := map[string]int{}
	for _, r := range d.Accounts {
		a := account{AccountRow: r, username: strings.ToLower(r.Username)}
		res := RowResult{Sheet: SheetAccounts, Row: r.Row, Key: a.username}
		errs := problems[[2]any{SheetAccounts, r.Row}]
		if first, dup := firstUser[a.username]; dup {
			errs = append(errs, col(ah[0], "tên đăng nhập %s trùng với dòng %d.", a.username, first))
		} else if a.username != "" {
			firstUser[a.username] = r.Row
		}
		if !usernameRE.MatchString(a.username) {
			errs = append(errs, col(ah[0], "tên đăng nhập %q không hợp lệ: 2–63 ký tự gồm chữ không dấu, chữ số, dấu chấm, gạch ngang, gạch dưới.", r.Username))
		}
		if r.FullName == "" {
			errs = append(errs, col(ah[1], "thiếu họ và tên."))
		}
		if r.Email != "" && !validEmail(r.Email) {
			errs = append(errs, col(ah[3], "địa chỉ thư %q không hợp lệ.", r.Email))
		}
		if fu := fileUnits[r.UnitCode]; r.UnitCode == "" {
			errs = append(errs, col(ah[4], "thiếu mã đơn vị."))
		} else if du, ok := dbUnits[r.UnitCode]; fu == nil && !ok {
			errs = append(errs, col(ah[4], "không có đơn vị mã %s, trong hệ thống cũng như trong trang %q.", r.UnitCode, SheetUnits))
		} else if fu == nil && (du.Closed || du.Kind == org.KindExternal) {
			errs = append(errs, col(ah[4], "đơn vị %s đã đóng hoặc là cơ quan ngoài.", r.UnitCode))
		}
		has := map[string]bool{}
		for _, w := range strings.FieldsFunc(r.Roles, func(c rune) bool { return c == ',' || c == ';' }) {
			if w = strings.TrimSpace(w); w == "" {
				continue
			}
			role := roleWords[word(w)]
			if role == "" {
				errs = append(errs, col(ah[6], "vai trò %q không rõ: dùng quản trị, văn thư, lãnh đạo ký, chuyên viên (cách nhau bởi dấu phẩy).", w))
				continue
			}
			has[role] = true
		}
		var roles []string
		for _, ro := range roleOrder {
			if has[ro] {
				roles = append(roles, ro)
			}
		}
		if len(roles) == 0 && r.Roles == "" {
			errs = append(errs, col(ah[6], "thiếu vai trò: quản trị, văn thư, lãnh đạo ký hoặc chuyên viên."))
		}
		a.roles = strings.Join(roles, ",")
		res.Errors = errs
		if len(errs) > 0 {
			res.Action = ActionError
			p.report.Accounts.Error++
		} else if old, ok := dbUsers[a.username]; !ok {
			res.Action = ActionCreate
			p.report.Accounts.Create++
			a.isNew = true
			p.accounts = append(p.accounts, a)
		} else {
			diff := func(h, was, now string) {
				if was != now {
					res.Changes = append(res.Changes, fmt.Sprintf("%s: %q → %q", h, was, now))
				}
			}
			diff(ah[1], old.FullName, r.FullName)
			diff(ah[2], old.Position, r.Position)
			diff(ah[3], old.Email, r.Email)
			diff(ah[4], old.UnitCode, r.UnitCode)
			diff(ah[5], old.Section, r.Section)
			diff(ah[6], roleText(old.Roles), roleText(a.roles))
			if old.UnitCode != r.UnitCode || sortedRoles(old.Roles) != a.roles {
				p.relog = append(p.relog, a.username)
			}
			if len(res.Changes) == 0 {
				res.Action = ActionUnchanged
				p.report.Accounts.Unchanged++
			} else {
				res.Action = ActionUpdate
				p.report.Accounts.Update++
				p.accounts = append(p.accounts, a)
			}
		}
		p.report.Rows = append(p.report.Rows, res)
	}
	return p
}

func sortedRoles(s string) string {
	has := map[string]bool{}
	for _, r := range strings.Split(s, ",") {
		has[r] = true
	}
	var out []string
	for _, r := range roleOrder {
		if has[r] {
			out = append(out, r)
		}
	}
	return strings.Join(out, ",")
}

// roleText is the Vietnamese list of roles stored as "admin,clerk".
func roleText(s string) string {
	var out []string
	for _, r := range strings.Split(sortedRoles(s), ",") {
		if r != "" {
			out = append(out, roleNames[r])
		}
	}
	return strings.Join(out, ", ")
}
