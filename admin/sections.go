package admin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
)

// Section is a phòng ban or tổ chuyên môn of a unit.
type Section struct {
	ID       int64      `db:"id" json:"id"`
	UnitID   int64      `db:"unit_id" json:"unit_id"`
	Name     string     `db:"name" json:"name"`
	Kind     string     `db:"kind" json:"kind"` // phong, to
	HeadID   *int64     `db:"head_user_id" json:"head_user_id,omitempty"`
	HeadName string     `db:"head_name" json:"head_name,omitempty"`
	ClosedAt *time.Time `db:"closed_at" json:"closed_at,omitempty"`
	People   int        `db:"people" json:"people"`
}

// SectionInput is a section to create or its new name and kind.
type SectionInput struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

const sectionSelect = `
	SELECT s.id, s.unit_id, s.name, s.kind, s.head_user_id, COALESCE(h.full_name, '') AS head_name, s.closed_at,
	       (SELECT count(*) FROM users x WHERE x.section_id = s.id AND x.left_at IS NULL) AS people
	FROM sections s LEFT JOIN users h ON h.id = s.head_user_id`

// Sections lists the sections of a unit in p's scope, closed ones last.
func (s *Service) Sections(ctx context.Context, p auth.Principal, unitID int64) ([]Section, error) {
	if _, _, err := s.manage(ctx, p, unitID); err != nil {
		return nil, err
	}
	out := []Section{}
	if err := s.db.SelectContext(ctx, &out, sectionSelect+` WHERE s.unit_id = $1 ORDER BY s.closed_at IS NOT NULL, s.name, s.id`, unitID); err != nil {
		return nil, fmt.Errorf("admin: unable to list sections: %w", err)
	}
	return out, nil
}

// section returns a section whose unit is in p's scope.
func (s *Service) section(ctx context.Context, p auth.Principal, id int64) (Section, error) {
	var sec Section
	if err := s.db.GetContext(ctx, &sec, sectionSelect+` WHERE s.id = $1`, id); err != nil {
		return sec, fmt.Errorf("admin: unable to fetch section: %w", notFound(err))
	}
	if _, _, err := s.manage(ctx, p, sec.UnitID); err != nil {
		return sec, err
	}
	return sec, nil
}

// Section returns a section in p's scope.
func (s *Service) Section(ctx context.Context, p auth.Principal, id int64) (Section, error) {
	return s.section(ctx, p, id)
}

func checkSection(in *SectionInput) error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Kind == "" {
		in.Kind = "phong"
	}
	bad := map[string]string{}
	if in.Name == "" {
		bad["name"] = "cần tên phòng ban hoặc tổ"
	} else if len([]rune(in.Name)) > 200 {
		bad["name"] = "tên dài tối đa 200 ký tự"
	}
	if in.Kind != "phong" && in.Kind != "to" {
		bad["kind"] = "loại phải là phòng ban hoặc tổ chuyên môn"
	}
	if len(bad) > 0 {
		return &domain.ValidationError{Fields: bad}
	}
	return nil
}

// CreateSection adds a section to a unit in p's scope.
func (s *Service) CreateSection(ctx context.Context, p auth.Principal, unitID int64, in SectionInput) (Section, error) {
	if _, _, err := s.manage(ctx, p, unitID); err != nil {
		return Section{}, err
	}
	if err := checkSection(&in); err != nil {
		return Section{}, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Section{}, fmt.Errorf("admin: unable to begin: %w", err)
	}
	defer tx.Rollback()
	var id int64
	err = tx.GetContext(ctx, &id, `INSERT INTO sections (unit_id, name, kind) VALUES ($1, $2, $3) RETURNING id`, unitID, in.Name, in.Kind)
	if isUnique(err) {
		return Section{}, domain.Invalid("name", "đơn vị đã có phòng ban hoặc tổ tên này")
	}
	if err != nil {
		return Section{}, fmt.Errorf("admin: unable to create section: %w", err)
	}
	if err := s.audit(ctx, tx, p, "section.create", map[string]any{"section": id, "unit": unitID, "name": in.Name, "kind": in.Kind}); err != nil {
		return Section{}, err
	}
	if err := commit(tx); err != nil {
		return Section{}, err
	}
	return s.section(ctx, p, id)
}

// UpdateSection renames a section (or changes its kind).
func (s *Service) UpdateSection(ctx context.Context, p auth.Principal, id int64, in SectionInput) (Section, error) {
	old, err := s.section(ctx, p, id)
	if err != nil {
		return Section{}, err
	}
	if err := checkSection(&in); err != nil {
		return Section{}, err
	}
	return s.changeSection(ctx, p, id, "section.update", map[string]any{"section": id, "unit": old.UnitID, "name": in.Name,
		"old_name": old.Name, "kind": in.Kind},
		`UPDATE sections SET name = $2, kind = $3 WHERE id = $1`, id, in.Name, in.Kind)
}

// SetSectionClosed closes or reopens a section; its people stay in it
// until moved.
func (s *Service) SetSectionClosed(ctx context.Context, p auth.Principal, id int64, closed bool) (Section, error) {
	old, err := s.section(ctx, p, id)
	if err != nil {
		return Section{}, err
	}
	q, action := `UPDATE sections SET closed_at = NULL WHERE id = $1`, "section.reopen"
	if closed {
		q, action = `UPDATE sections SET closed_at = COALESCE(closed_at, now()) WHERE id = $1`, "section.close"
	}
	return s.changeSection(ctx, p, id, action, map[string]any{"section": id, "unit": old.UnitID}, q, id)
}

// SetSectionHead makes a person of the section's unit its head (0: none).
func (s *Service) SetSectionHead(ctx context.Context, p auth.Principal, id, userID int64) (Section, error) {
	old, err := s.section(ctx, p, id)
	if err != nil {
		return Section{}, err
	}
	var head any
	if userID != 0 {
		var ok bool
		if err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND unit_id = $2 AND left_at IS NULL AND NOT disabled)`,
			userID, old.UnitID); err != nil {
			return Section{}, fmt.Errorf("admin: unable to check the head: %w", err)
		}
		if !ok {
			return Section{}, domain.Invalid("head_user_id", "trưởng phòng ban, tổ phải là người đang làm việc tại đơn vị")
		}
		head = userID
	}
	return s.changeSection(ctx, p, id, "section.head", map[string]any{"section": id, "unit": old.UnitID, "head": userID},
		`UPDATE sections SET head_user_id = $2 WHERE id = $1`, id, head)
}

func (s *Service) changeSection(ctx context.Context, p auth.Principal, id int64, action string, details map[string]any, q string, args ...any) (Section, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Section{}, fmt.Errorf("admin: unable to begin: %w", err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, q, args...)
	if isUnique(err) {
		return Section{}, domain.Invalid("name", "đơn vị đã có phòng ban hoặc tổ tên này")
	}
	if err != nil {
		return Section{}, fmt.Errorf("admin: unable to update section: %w", err)
	}
	if err := s.audit(ctx, tx, p, action, details); err != nil {
		return Section{}, err
	}
	if err := commit(tx); err != nil {
		return Section{}, err
	}
	return s.section(ctx, p, id)
}
