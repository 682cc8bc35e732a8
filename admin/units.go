package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/org"
)

// Unit is a unit as the administration pages show it.
type Unit struct {
	org.Unit
	Email      string     `db:"email" json:"email"`
	ClosedAt   *time.Time `db:"closed_at" json:"closed_at,omitempty"`
	ParentName string     `db:"parent_name" json:"parent_name,omitempty"`
	People     int        `db:"people" json:"people"`
}

// UnitInput is a unit to create or the new values of one.
type UnitInput struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	Abbreviation string `json:"abbreviation"`
	Kind         string `json:"kind"`
	SchoolLevel  string `json:"school_level"`
	ParentID     int64  `json:"parent_id"`
	Email        string `json:"email"`
}

// Kinds an administrator may give a unit, and school levels.
var (
	UnitKinds    = []string{org.KindDepartment, org.KindOffice, org.KindDistrictOffice, org.KindSchool}
	SchoolLevels = []string{"mam_non", "tieu_hoc", "thcs", "thpt"}
)

const unitSelect = `
	SELECT n.id, n.code, n.name, n.abbreviation, n.kind, n.school_level, n.parent_id, n.created_at,
	       n.email, n.closed_at, COALESCE(p.name, '') AS parent_name,
	       (SELECT count(*) FROM users x WHERE x.unit_id = n.id AND x.left_at IS NULL) AS people
	FROM units n LEFT JOIN units p ON p.id = n.parent_id`

func (s *Service) unit(ctx context.Context, q sqlx.QueryerContext, id int64) (Unit, error) {
	var u Unit
	err := sqlx.GetContext(ctx, q, &u, unitSelect+` WHERE n.id = $1 AND n.kind <> 'external'`, id)
	if err != nil {
		return u, fmt.Errorf("admin: unable to fetch unit: %w", notFound(err))
	}
	return u, nil
}

// Counts returns how many open units and active people p's scope holds.
func (s *Service) Counts(ctx context.Context, p auth.Principal) (units, people int, err error) {
	sc, err := s.ScopeOf(ctx, p)
	if err != nil {
		return 0, 0, err
	}
	w, args := sc.where(1)
	err = s.db.QueryRowxContext(ctx, `
		SELECT (SELECT count(*) FROM units n WHERE `+w+` AND n.kind <> 'external' AND n.closed_at IS NULL),
		       (SELECT count(*) FROM users u JOIN units n ON n.id = u.unit_id WHERE `+w+` AND u.left_at IS NULL)`, args...).Scan(&units, &people)
	if err != nil {
		return 0, 0, fmt.Errorf("admin: unable to count: %w", err)
	}
	return units, people, nil
}

// Unit returns a unit in p's scope.
func (s *Service) Unit(ctx context.Context, p auth.Principal, id int64) (Unit, error) {
	_, u, err := s.manage(ctx, p, id)
	return u, err
}

// UnitFilter narrows Units.
type UnitFilter struct {
	Query  string // accent-insensitive, on name, abbreviation, code
	Kind   string
	Closed bool // include closed units
	Limit  int
}

// Units lists the units in p's scope.
func (s *Service) Units(ctx context.Context, p auth.Principal, f UnitFilter) ([]Unit, error) {
	sc, err := s.ScopeOf(ctx, p)
	if err != nil {
		return nil, err
	}
	w, args := sc.where(1)
	where := []string{w, "n.kind <> 'external'"}
	if q := strings.TrimSpace(f.Query); q != "" {
		args = append(args, "%"+escapeLike(q)+"%")
		where = append(where, fmt.Sprintf("vn_unaccent(n.name || ' ' || n.abbreviation || ' ' || n.code) LIKE vn_unaccent($%d)", len(args)))
	}
	if f.Kind != "" {
		args = append(args, f.Kind)
		where = append(where, fmt.Sprintf("n.kind = $%d", len(args)))
	}
	if !f.Closed {
		where = append(where, "n.closed_at IS NULL")
	}
	limit := f.Limit
	if limit <= 0 || limit > 5000 {
		limit = 5000
	}
	units := []Unit{}
	q := unitSelect + ` WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(` ORDER BY n.kind <> 'department', n.kind <> 'office', n.kind <> 'district_office', n.name, n.id LIMIT %d`, limit)
	if err := s.db.SelectContext(ctx, &units, q, args...); err != nil {
		return nil, fmt.Errorf("admin: unable to list units: %w", err)
	}
	return units, nil
}

// checkUnit validates in and the parent it names for a unit id (0: new).
// It returns the field messages, in Vietnamese.
func (s *Service) checkUnit(ctx context.Context, tx *sqlx.Tx, sc Scope, id int64, in *UnitInput) error {
	bad := map[string]string{}
	in.Code = strings.TrimSpace(in.Code)
	in.Name = strings.TrimSpace(in.Name)
	in.Abbreviation = strings.TrimSpace(in.Abbreviation)
	in.Email = strings.TrimSpace(in.Email)
	if !org.ValidCode(in.Code) {
		bad["code"] = "mã định danh không đúng dạng (ví dụ 000.00.24.H29: các nhóm 2–3 chữ số hoặc chữ in hoa cách nhau dấu chấm, nhóm cuối một chữ cái và hai chữ số)"
	} else {
		var other int64
		err := tx.GetContext(ctx, &other, `SELECT id FROM units WHERE code = $1`, in.Code)
		if err == nil && other != id {
			bad["code"] = "mã định danh " + in.Code + " đã được dùng cho đơn vị khác"
		}
	}
	if in.Name == "" {
		bad["name"] = "cần tên đơn vị"
	}
	if in.Abbreviation == "" {
		bad["abbreviation"] = "cần tên viết tắt (dùng trong ký hiệu văn bản, ví dụ SGDĐT)"
	} else if len([]rune(in.Abbreviation)) > 50 {
		bad["abbreviation"] = "tên viết tắt dài tối đa 50 ký tự"
	}
	if !slices.Contains(UnitKinds, in.Kind) {
		bad["kind"] = "loại đơn vị phải là Sở, phòng thuộc Sở, phòng GD&ĐT hoặc trường học"
	} else if !sc.All && in.Kind != org.KindSchool && id != sc.UnitID {
		// Below the department, administrators add and keep schools only.
		bad["kind"] = "chỉ quản trị của Sở đặt được loại đơn vị này"
	}
	if in.Kind == org.KindSchool {
		if !slices.Contains(SchoolLevels, in.SchoolLevel) {
			bad["school_level"] = "cần cấp học của trường: mầm non, tiểu học, THCS hoặc THPT"
		}
	} else {
		in.SchoolLevel = ""
	}
	if !validEmail(in.Email) {
		bad["email"] = "địa chỉ thư điện tử không hợp lệ"
	}
	if in.ParentID != 0 {
		var parent Unit
		err := sqlx.GetContext(ctx, tx, &parent, unitSelect+` WHERE n.id = $1 AND n.kind <> 'external'`, in.ParentID)
		switch {
		case err != nil && errors.Is(notFound(err), domain.ErrNotFound):
			bad["parent_id"] = "không có đơn vị cấp trên này"
		case err != nil:
			return fmt.Errorf("admin: unable to fetch the parent: %w", err)
		case !sc.CoversUnit(parent.Unit) && !sc.Covers(id, in.ParentID):
			bad["parent_id"] = "không có đơn vị cấp trên này"
		case parent.Kind == org.KindSchool:
			bad["parent_id"] = "trường học không có đơn vị trực thuộc; hãy chọn đơn vị cấp trên khác"
		case id != 0:
			// The new parent must not be the unit itself or under it.
			var cycle bool
			if err := tx.GetContext(ctx, &cycle, `
				WITH RECURSIVE up AS (
				  SELECT id, parent_id FROM units WHERE id = $1
				  UNION SELECT u.id, u.parent_id FROM units u JOIN up ON u.id = up.parent_id)
				SELECT EXISTS (SELECT 1 FROM up WHERE id = $2)`, in.ParentID, id); err != nil {
				return fmt.Errorf("admin: unable to check the parents: %w", err)
			}
			if cycle {
				bad["parent_id"] = "không thể đặt đơn vị dưới chính nó hoặc dưới một đơn vị trực thuộc nó"
			}
		}
	} else if in.Kind != org.KindDepartment {
		bad["parent_id"] = "cần đơn vị cấp trên"
	}
	if id != 0 && in.Kind == org.KindSchool {
		var children int
		if err := tx.GetContext(ctx, &children, `SELECT count(*) FROM units WHERE parent_id = $1`, id); err != nil {
			return fmt.Errorf("admin: unable to count children: %w", err)
		}
		if children > 0 {
			bad["kind"] = "đơn vị đang có đơn vị trực thuộc nên không thể là trường học"
		}
	}
	if len(bad) > 0 {
		return &domain.ValidationError{Fields: bad}
	}
	return nil
}

func parentArg(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreateUnit adds a unit in p's scope.
func (s *Service) CreateUnit(ctx context.Context, p auth.Principal, in UnitInput) (Unit, error) {
	sc, err := s.ScopeOf(ctx, p)
	if err != nil {
		return Unit{}, err
	}
	if !sc.All {
		if !sc.Children {
			return Unit{}, domain.ErrForbidden
		}
		// A district office's admin adds schools under their office.
		if in.ParentID == 0 {
			in.ParentID = sc.UnitID
		}
		if !sc.Covers(0, in.ParentID) {
			return Unit{}, domain.Invalid("parent_id", "không có đơn vị cấp trên này")
		}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Unit{}, fmt.Errorf("admin: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if err := s.checkUnit(ctx, tx, sc, 0, &in); err != nil {
		return Unit{}, err
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO units (code, name, abbreviation, kind, school_level, parent_id, email)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		in.Code, in.Name, in.Abbreviation, in.Kind, in.SchoolLevel, parentArg(in.ParentID), in.Email)
	if isUnique(err) {
		return Unit{}, domain.Invalid("code", "mã định danh "+in.Code+" đã được dùng cho đơn vị khác")
	}
	if err != nil {
		return Unit{}, fmt.Errorf("admin: unable to create unit: %w", err)
	}
	if err := s.audit(ctx, tx, p, "unit.create", map[string]any{"unit": id, "code": in.Code, "name": in.Name,
		"kind": in.Kind, "school_level": in.SchoolLevel, "parent": in.ParentID, "email": in.Email}); err != nil {
		return Unit{}, err
	}
	u, err := s.unit(ctx, tx, id)
	if err != nil {
		return u, err
	}
	return u, commit(tx)
}

// UpdateUnit changes a unit in p's scope, including its parent (a move).
func (s *Service) UpdateUnit(ctx context.Context, p auth.Principal, id int64, in UnitInput) (Unit, error) {
	sc, old, err := s.manage(ctx, p, id)
	if err != nil {
		return Unit{}, err
	}
	var oldParent int64
	if old.ParentID != nil {
		oldParent = *old.ParentID
	}
	// An admin below the department neither moves nor retypes their own
	// unit, and moves the others only to where the scope reaches.
	if !sc.All && id == sc.UnitID && (in.ParentID != oldParent || in.Kind != old.Kind) {
		return Unit{}, domain.Invalid("parent_id", "không thể chuyển hay đổi loại đơn vị của chính mình")
	}
	if in.ParentID != oldParent && !sc.Covers(0, in.ParentID) {
		return Unit{}, domain.Invalid("parent_id", "không có đơn vị cấp trên này")
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Unit{}, fmt.Errorf("admin: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if err := s.checkUnit(ctx, tx, sc, id, &in); err != nil {
		return Unit{}, err
	}
	_, err = tx.ExecContext(ctx, `
		UPDATE units SET code = $2, name = $3, abbreviation = $4, kind = $5, school_level = $6, parent_id = $7, email = $8
		WHERE id = $1`, id, in.Code, in.Name, in.Abbreviation, in.Kind, in.SchoolLevel, parentArg(in.ParentID), in.Email)
	if isUnique(err) {
		return Unit{}, domain.Invalid("code", "mã định danh "+in.Code+" đã được dùng cho đơn vị khác")
	}
	if err != nil {
		return Unit{}, fmt.Errorf("admin: unable to update unit: %w", err)
	}
	action := "unit.update"
	if in.ParentID != oldParent {
		action = "unit.move"
	}
	if err := s.audit(ctx, tx, p, action, map[string]any{"unit": id, "code": in.Code, "name": in.Name, "kind": in.Kind,
		"school_level": in.SchoolLevel, "parent": in.ParentID, "old_parent": oldParent, "email": in.Email,
		"old_code": old.Code, "old_name": old.Name}); err != nil {
		return Unit{}, err
	}
	u, err := s.unit(ctx, tx, id)
	if err != nil {
		return u, err
	}
	return u, commit(tx)
}

// SetUnitClosed closes or reopens a unit in p's scope. A closed unit gets
// no new accounts; its documents stay as they are, readable to those
// entitled.
func (s *Service) SetUnitClosed(ctx context.Context, p auth.Principal, id int64, closed bool) (Unit, error) {
	sc, _, err := s.manage(ctx, p, id)
	if err != nil {
		return Unit{}, err
	}
	if closed && id == sc.UnitID {
		return Unit{}, &domain.PreconditionError{Code: "own_unit", Message: "Không thể đóng đơn vị của chính mình"}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Unit{}, fmt.Errorf("admin: unable to begin: %w", err)
	}
	defer tx.Rollback()
	q := `UPDATE units SET closed_at = NULL WHERE id = $1`
	action := "unit.reopen"
	if closed {
		q = `UPDATE units SET closed_at = COALESCE(closed_at, now()) WHERE id = $1`
		action = "unit.close"
	}
	if _, err := tx.ExecContext(ctx, q, id); err != nil {
		return Unit{}, fmt.Errorf("admin: unable to close unit: %w", err)
	}
	if err := s.audit(ctx, tx, p, action, map[string]any{"unit": id}); err != nil {
		return Unit{}, err
	}
	u, err := s.unit(ctx, tx, id)
	if err != nil {
		return u, err
	}
	return u, commit(tx)
}

func (s *Service) audit(ctx context.Context, tx *sqlx.Tx, p auth.Principal, action string, details map[string]any) error {
	return audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: action, Details: details})
}

func commit(tx *sqlx.Tx) error {
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("admin: unable to commit: %w", err)
	}
	return nil
}

func isUnique(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
