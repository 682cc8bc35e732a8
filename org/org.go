// Package org holds the organisation: the department, its offices, the
// district education offices and the schools, each a unit with its
// identifier code (mã định danh).
package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Kinds of unit.
const (
	KindDepartment     = "department"
	KindOffice         = "office"
	KindDistrictOffice = "district_office"
	KindSchool         = "school"
	// KindExternal is another agency, reached through edXML packages.
	KindExternal = "external"
)

// ErrNotFound is returned for a unit that does not exist.
var ErrNotFound = errors.New("org: unit not found")

// Unit is an organisation unit with an inbox.
type Unit struct {
	ID           int64     `db:"id" json:"id"`
	Code         string    `db:"code" json:"code"`
	Name         string    `db:"name" json:"name"`
	Abbreviation string    `db:"abbreviation" json:"abbreviation"`
	Kind         string    `db:"kind" json:"kind"`
	SchoolLevel  string    `db:"school_level" json:"school_level,omitempty"`
	ParentID     *int64    `db:"parent_id" json:"parent_id,omitempty"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
}

// codeRE: dot-separated groups of two or three digits or capitals, the last
// a letter and two digits, as in 000.00.00.H29 (Decision 20/2020/QĐ-TTg).
var codeRE = regexp.MustCompile(`^([0-9A-Z]{2,3}\.){3,}[A-Z][0-9]{2}$`)

// ValidCode reports whether code is a well-formed identifier code.
func ValidCode(code string) bool {
	return len(code) <= 35 && codeRE.MatchString(code)
}

// Store reads and writes units.
type Store struct{ db *sqlx.DB }

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

const unitColumns = `id, code, name, abbreviation, kind, school_level, parent_id, created_at`

// Get returns the unit with id.
func (s *Store) Get(ctx context.Context, id int64) (Unit, error) {
	var u Unit
	err := s.db.GetContext(ctx, &u, `SELECT `+unitColumns+` FROM units WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	if err != nil {
		return u, fmt.Errorf("org: unable to fetch unit: %w", err)
	}
	return u, nil
}

// GetByCode returns the unit with the identifier code.
func (s *Store) GetByCode(ctx context.Context, code string) (Unit, error) {
	var u Unit
	err := s.db.GetContext(ctx, &u, `SELECT `+unitColumns+` FROM units WHERE code = $1`, code)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	if err != nil {
		return u, fmt.Errorf("org: unable to fetch unit: %w", err)
	}
	return u, nil
}

// Filter narrows List.
type Filter struct {
	Kind     string
	ParentID int64
	Query    string // accent-insensitive match on name, abbreviation or code
	Limit    int
}

// List returns units in code order. Unit names and codes are public within
// the organisation: every user needs them to address documents.
func (s *Store) List(ctx context.Context, f Filter) ([]Unit, error) {
	var where []string
	var args []any
	if f.Kind != "" {
		args = append(args, f.Kind)
		where = append(where, fmt.Sprintf("kind = $%d", len(args)))
	}
	if f.ParentID != 0 {
		args = append(args, f.ParentID)
		where = append(where, fmt.Sprintf("parent_id = $%d", len(args)))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		args = append(args, "%"+escapeLike(q)+"%")
		where = append(where, fmt.Sprintf("(vn_unaccent(name || ' ' || abbreviation || ' ' || code) LIKE vn_unaccent($%d))", len(args)))
	}
	limit := f.Limit
	if limit <= 0 || limit > 5000 {
		limit = 5000
	}
	q := `SELECT ` + unitColumns + ` FROM units`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(` ORDER BY kind <> 'department', kind <> 'office', kind <> 'district_office', name, id LIMIT %d`, limit)
	units := []Unit{}
	if err := s.db.SelectContext(ctx, &units, q, args...); err != nil {
		return nil, fmt.Errorf("org: unable to list units: %w", err)
	}
	return units, nil
}

// Create inserts u, or returns the existing unit with the same code
// unchanged (so seeding is idempotent).
func (s *Store) Create(ctx context.Context, u Unit) (Unit, error) {
	if !ValidCode(u.Code) {
		return u, fmt.Errorf("org: invalid identifier code %q", u.Code)
	}
	err := s.db.GetContext(ctx, &u, `
		INSERT INTO units (code, name, abbreviation, kind, school_level, parent_id)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code
		RETURNING `+unitColumns,
		u.Code, u.Name, u.Abbreviation, u.Kind, u.SchoolLevel, u.ParentID)
	if err != nil {
		return u, fmt.Errorf("org: unable to create unit %s: %w", u.Code, err)
	}
	return u, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
