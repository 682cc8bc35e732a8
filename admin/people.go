package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
)

// Person is an account as the administration pages show it.
type Person struct {
	ID          int64          `db:"id" json:"id"`
	Username    string         `db:"username" json:"username"`
	FullName    string         `db:"full_name" json:"full_name"`
	Position    string         `db:"position" json:"position"`
	Email       string         `db:"email" json:"email"`
	UnitID      int64          `db:"unit_id" json:"unit_id"`
	UnitName    string         `db:"unit_name" json:"unit_name"`
	SectionID   *int64         `db:"section_id" json:"section_id,omitempty"`
	SectionName string         `db:"section_name" json:"section_name,omitempty"`
	Roles       pq.StringArray `db:"roles" json:"roles"`
	Disabled    bool           `db:"disabled" json:"disabled"`
	LeftAt      *time.Time     `db:"left_at" json:"left_at,omitempty"`
	CreatedAt   time.Time      `db:"created_at" json:"created_at"`
}

// PersonInput is an account to create.
type PersonInput struct {
	Username  string   `json:"username"`
	FullName  string   `json:"full_name"`
	Position  string   `json:"position"`
	Email     string   `json:"email"`
	UnitID    int64    `json:"unit_id"`
	SectionID int64    `json:"section_id"`
	Roles     []string `json:"roles"`
}

// PeopleFilter narrows People.
type PeopleFilter struct {
	Query     string // accent-insensitive, on name, username, e-mail
	UnitID    int64
	SectionID int64
	Role      string
	Left      bool // include people who left
	Limit     int
}

const personSelect = `
	SELECT u.id, u.username, u.full_name, u.position, u.email, u.unit_id, n.name AS unit_name, u.section_id,
	       COALESCE(s.name, '') AS section_name, u.roles, u.disabled, u.left_at, u.created_at
	FROM users u JOIN units n ON n.id = u.unit_id LEFT JOIN sections s ON s.id = u.section_id`

// People lists the accounts of the units in p's scope.
func (s *Service) People(ctx context.Context, p auth.Principal, f PeopleFilter) ([]Person, error) {
	sc, err := s.ScopeOf(ctx, p)
	if err != nil {
		return nil, err
	}
	w, args := sc.where(1)
	where := []string{w}
	if q := strings.TrimSpace(f.Query); q != "" {
		args = append(args, "%"+escapeLike(q)+"%")
		where = append(where, fmt.Sprintf("vn_unaccent(u.full_name || ' ' || u.username || ' ' || u.email || ' ' || u.position) LIKE vn_unaccent($%d)", len(args)))
	}
	if f.UnitID != 0 {
		args = append(args, f.UnitID)
		where = append(where, fmt.Sprintf("u.unit_id = $%d", len(args)))
	}
	if f.SectionID != 0 {
		args = append(args, f.SectionID)
		where = append(where, fmt.Sprintf("u.section_id = $%d", len(args)))
	}
	if f.Role != "" {
		args = append(args, f.Role)
		where = append(where, fmt.Sprintf("$%d = ANY (u.roles)", len(args)))
	}
	if !f.Left {
		where = append(where, "u.left_at IS NULL")
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	out := []Person{}
	q := personSelect + ` WHERE ` + strings.Join(where, " AND ") + fmt.Sprintf(` ORDER BY n.name, u.full_name, u.id LIMIT %d`, limit)
	if err := s.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("admin: unable to list people: %w", err)
	}
	return out, nil
}

// Person returns an account whose unit is in p's scope.
func (s *Service) Person(ctx context.Context, p auth.Principal, id int64) (Person, error) {
	var u Person
	if err := s.db.GetContext(ctx, &u, personSelect+` WHERE u.id = $1`, id); err != nil {
		return u, fmt.Errorf("admin: unable to fetch person: %w", notFound(err))
	}
	if _, _, err := s.manage(ctx, p, u.UnitID); err != nil {
		return u, err
	}
	return u, nil
}

// placement checks that a unit in scope is open and the section, if any,
// is an open section of it; bad collects the messages.
func (s *Service) placement(ctx context.Context, p auth.Principal, unitID, sectionID int64, bad map[string]string) error {
	if unitID <= 0 {
		bad["unit_id"] = "cần đơn vị"
		return nil
	}
	_, u, err := s.manage(ctx, p, unitID)
	if errors.Is(err, domain.ErrNotFound) {
		bad["unit_id"] = "không có đơn vị này"
		return nil
	}
	if err != nil {
		return err
	}
	if u.ClosedAt != nil {
		bad["unit_id"] = "đơn vị đã đóng, không nhận thêm người"
	}
	if sectionID != 0 {
		var ok bool
		if err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM sections WHERE id = $1 AND unit_id = $2 AND closed_at IS NULL)`, sectionID, unitID); err != nil {
			return fmt.Errorf("admin: unable to check the section: %w", err)
		}
		if !ok {
			bad["section_id"] = "không có phòng ban, tổ này (đang hoạt động) trong đơn vị"
		}
	}
	return nil
}

func checkRoles(roles []string, bad map[string]string) {
	if len(roles) == 0 {
		bad["roles"] = "cần ít nhất một vai trò"
	}
	for _, r := range roles {
		if !slices.Contains(auth.AllRoles, r) {
			bad["roles"] = "vai trò không hợp lệ: " + r + " (admin, clerk, signer, staff)"
		}
	}
}

func sectionArg(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreatePerson adds an account in p's scope. It has no password: the
// person sets one through an invitation (Invite).
func (s *Service) CreatePerson(ctx context.Context, p auth.Principal, in PersonInput) (Person, error) {
	if _, err := s.ScopeOf(ctx, p); err != nil {
		return Person{}, err
	}
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.FullName = strings.TrimSpace(in.FullName)
	in.Position = strings.TrimSpace(in.Position)
	in.Email = strings.TrimSpace(in.Email)
	// CheckNewUser's rules, but for the password, which the person sets.
	bad := auth.CheckNewUser(auth.NewUser{Username: in.Username, FullName: in.FullName, UnitID: in.UnitID, Roles: in.Roles,
		Password: strings.Repeat("x", auth.MinPasswordLen)})
	if bad["unit"] != "" {
		delete(bad, "unit")
	}
	checkRoles(in.Roles, bad)
	if !validEmail(in.Email) {
		bad["email"] = "địa chỉ thư điện tử không hợp lệ"
	}
	if err := s.placement(ctx, p, in.UnitID, in.SectionID, bad); err != nil {
		return Person{}, err
	}
	if bad["username"] == "" {
		var taken bool
		if err := s.db.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM users WHERE username = $1)`, in.Username); err != nil {
			return Person{}, fmt.Errorf("admin: unable to check the username: %w", err)
		}
		if taken {
			bad["username"] = "tên đăng nhập " + in.Username + " đã có người dùng"
		}
	}
	if len(bad) > 0 {
		return Person{}, &domain.ValidationError{Fields: bad}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Person{}, fmt.Errorf("admin: unable to begin: %w", err)
	}
	defer tx.Rollback()
	var id int64
	// "!" is no bcrypt hash: no password opens the account until one is set.
	err = tx.GetContext(ctx, &id, `
		INSERT INTO users (username, full_name, position, email, unit_id, section_id, roles, password_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, '!') RETURNING id`,
		in.Username, in.FullName, in.Position, in.Email, in.UnitID, sectionArg(in.SectionID), pq.StringArray(in.Roles))
	if isUnique(err) {
		return Person{}, domain.Invalid("username", "tên đăng nhập "+in.Username+" đã có người dùng")
	}
	if err != nil {
		return Person{}, fmt.Errorf("admin: unable to create account: %w", err)
	}
	if err := s.audit(ctx, tx, p, "account.create", map[string]any{"user": id, "username": in.Username, "full_name": in.FullName,
		"unit": in.UnitID, "section": in.SectionID, "roles": in.Roles, "email": in.Email}); err != nil {
		return Person{}, err
	}
	if err := commit(tx); err != nil {
		return Person{}, err
	}
	return s.Person(ctx, p, id)
}

// PersonChange is what UpdatePerson changes; nil fields stay.
type PersonChange struct {
	FullName  *string   `json:"full_name,omitempty"`
	Position  *string   `json:"position,omitempty"`
	Email     *string   `json:"email,omitempty"`
	Roles     *[]string `json:"roles,omitempty"`
	UnitID    *int64    `json:"unit_id,omitempty"`
	SectionID *int64    `json:"section_id,omitempty"` // 0: no section
}

// UpdatePerson changes an account's details, roles, unit or section. A
// change of roles or unit ends the person's sessions.
func (s *Service) UpdatePerson(ctx context.Context, p auth.Principal, id int64, ch PersonChange) (Person, error) {
	old, err := s.Person(ctx, p, id)
	if err != nil {
		return Person{}, err
	}
	n := old
	bad := map[string]string{}
	if ch.FullName != nil {
		if n.FullName = strings.TrimSpace(*ch.FullName); n.FullName == "" {
			bad["full_name"] = "cần họ và tên"
		}
	}
	if ch.Position != nil {
		n.Position = strings.TrimSpace(*ch.Position)
	}
	if ch.Email != nil {
		if n.Email = strings.TrimSpace(*ch.Email); !validEmail(n.Email) {
			bad["email"] = "địa chỉ thư điện tử không hợp lệ"
		}
	}
	if ch.Roles != nil {
		n.Roles = *ch.Roles
		checkRoles(n.Roles, bad)
	}
	if ch.UnitID != nil {
		n.UnitID = *ch.UnitID
		if ch.SectionID == nil && n.UnitID != old.UnitID {
			n.SectionID = nil
		}
	}
	if ch.SectionID != nil {
		n.SectionID = nil
		if *ch.SectionID != 0 {
			n.SectionID = ch.SectionID
		}
	}
	var sec int64
	if n.SectionID != nil {
		sec = *n.SectionID
	}
	var oldSec int64
	if old.SectionID != nil {
		oldSec = *old.SectionID
	}
	if n.UnitID != old.UnitID || sec != oldSec {
		if err := s.placement(ctx, p, n.UnitID, sec, bad); err != nil {
			return Person{}, err
		}
	}
	if id == p.UserID && !slices.Contains(n.Roles, auth.RoleAdmin) {
		bad["roles"] = "không thể tự bỏ vai trò quản trị của mình"
	}
	if len(bad) > 0 {
		return Person{}, &domain.ValidationError{Fields: bad}
	}
	rolesChanged := !slices.Equal(sorted(old.Roles), sorted(n.Roles))
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Person{}, fmt.Errorf("admin: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `
		UPDATE users SET full_name = $2, position = $3, email = $4, roles = $5, unit_id = $6, section_id = $7, updated_at = now()
		WHERE id = $1`, id, n.FullName, n.Position, n.Email, pq.StringArray(n.Roles), n.UnitID, sectionArg(sec)); err != nil {
		return Person{}, fmt.Errorf("admin: unable to update account: %w", err)
	}
	var events []string
	if n.FullName != old.FullName || n.Position != old.Position || n.Email != old.Email {
		events = append(events, "account.update")
	}
	if rolesChanged {
		events = append(events, "account.roles")
	}
	if n.UnitID != old.UnitID || sec != oldSec {
		events = append(events, "account.move")
	}
	if rolesChanged || n.UnitID != old.UnitID {
		if err := auth.EndSessions(ctx, tx, id); err != nil {
			return Person{}, err
		}
	}
	if n.UnitID != old.UnitID {
		// No one heads a section of a unit they left.
		if _, err := tx.ExecContext(ctx, `UPDATE sections SET head_user_id = NULL WHERE head_user_id = $1 AND unit_id <> $2`, id, n.UnitID); err != nil {
			return Person{}, fmt.Errorf("admin: unable to update sections: %w", err)
		}
	}
	for _, action := range events {
		if err := s.audit(ctx, tx, p, action, map[string]any{"user": id, "username": old.Username,
			"full_name": n.FullName, "position": n.Position, "email": n.Email,
			"roles": n.Roles, "old_roles": old.Roles, "unit": n.UnitID, "old_unit": old.UnitID,
			"section": sec, "old_section": oldSec}); err != nil {
			return Person{}, err
		}
	}
	if err := commit(tx); err != nil {
		return Person{}, err
	}
	return s.Person(ctx, p, id)
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// Leave records that a person left: the account is disabled and their
// sessions end; their documents stay with the unit, history intact.
func (s *Service) Leave(ctx context.Context, p auth.Principal, id int64) (Person, error) {
	old, err := s.Person(ctx, p, id)
	if err != nil {
		return Person{}, err
	}
	if id == p.UserID {
		return Person{}, &domain.PreconditionError{Code: "own_account", Message: "Không thể tự cho mình nghỉ việc"}
	}
	return s.setLeft(ctx, p, old, true)
}

// Reactivate takes back a person who left, in an open unit.
func (s *Service) Reactivate(ctx context.Context, p auth.Principal, id int64) (Person, error) {
	old, err := s.Person(ctx, p, id)
	if err != nil {
		return Person{}, err
	}
	bad := map[string]string{}
	if err := s.placement(ctx, p, old.UnitID, 0, bad); err != nil {
		return Person{}, err
	}
	if len(bad) > 0 {
		return Person{}, &domain.ValidationError{Fields: bad}
	}
	return s.setLeft(ctx, p, old, false)
}

func (s *Service) setLeft(ctx context.Context, p auth.Principal, old Person, left bool) (Person, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Person{}, fmt.Errorf("admin: unable to begin: %w", err)
	}
	defer tx.Rollback()
	q, action := `UPDATE users SET left_at = NULL, disabled = false, updated_at = now() WHERE id = $1`, "account.reactivate"
	if left {
		q, action = `UPDATE users SET left_at = COALESCE(left_at, now()), disabled = true, updated_at = now() WHERE id = $1`, "account.leave"
	}
	if _, err := tx.ExecContext(ctx, q, old.ID); err != nil {
		return Person{}, fmt.Errorf("admin: unable to update account: %w", err)
	}
	if left {
		if err := auth.EndSessions(ctx, tx, old.ID); err != nil {
			return Person{}, err
		}
		// A head who leaves no longer heads their section.
		if _, err := tx.ExecContext(ctx, `UPDATE sections SET head_user_id = NULL WHERE head_user_id = $1`, old.ID); err != nil {
			return Person{}, fmt.Errorf("admin: unable to update sections: %w", err)
		}
	}
	if err := s.audit(ctx, tx, p, action, map[string]any{"user": old.ID, "username": old.Username, "unit": old.UnitID}); err != nil {
		return Person{}, err
	}
	if err := commit(tx); err != nil {
		return Person{}, err
	}
	return s.Person(ctx, p, old.ID)
}
