// Package auth holds users, their roles, passwords, login sessions and API
// tokens, and the limit on failed logins.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/crypto/bcrypt"

	"github.com/hcm-edu/vanban/notify"
)

// Roles a user may hold.
const (
	RoleAdmin  = "admin"  // manages accounts
	RoleClerk  = "clerk"  // văn thư: registers, seals and sends documents
	RoleSigner = "signer" // lãnh đạo: signs documents
	RoleStaff  = "staff"  // chuyên viên: drafts and handles documents
	// RoleArchivist is the unit's archive officer (lưu trữ cơ quan): receives
	// handed-over files and keeps them (Decree 30 art. 30–31).
	RoleArchivist = "archivist"
)

// AllRoles lists every role.
var AllRoles = []string{RoleAdmin, RoleClerk, RoleSigner, RoleStaff, RoleArchivist}

// Session kinds.
const (
	KindWeb = "web"
	KindAPI = "api"
)

var (
	// ErrBadCredentials covers an unknown user, a wrong password and a
	// disabled account alike, so a login says nothing about which.
	ErrBadCredentials = errors.New("auth: wrong username or password")
	// ErrUnauthenticated is returned for a missing, expired or revoked token.
	ErrUnauthenticated = errors.New("auth: not logged in")
	// ErrUserNotFound is returned by the account commands.
	ErrUserNotFound = errors.New("auth: user not found")
	// ErrUserExists is returned when a username is taken.
	ErrUserExists = errors.New("auth: username already exists")
)

// RateLimitedError is returned when too many logins failed recently.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("auth: too many failed logins, retry in %s", e.RetryAfter.Round(time.Second))
}

// Principal is the authenticated user a request acts for.
type Principal struct {
	UserID   int64          `db:"id" json:"id"`
	Username string         `db:"username" json:"username"`
	FullName string         `db:"full_name" json:"full_name"`
	Position string         `db:"position" json:"position"`
	UnitID   int64          `db:"unit_id" json:"unit_id"`
	UnitName string         `db:"unit_name" json:"unit_name"`
	Roles    pq.StringArray `db:"roles" json:"roles"`
}

// Has reports whether p holds role.
func (p Principal) Has(role string) bool { return slices.Contains(p.Roles, role) }

// HasAny reports whether p holds one of roles.
func (p Principal) HasAny(roles ...string) bool {
	for _, r := range roles {
		if p.Has(r) {
			return true
		}
	}
	return false
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

// Service authenticates users.
type Service struct {
	db    *sqlx.DB
	ttl   time.Duration
	now   func() time.Time
	notes *notify.Store // nil: attacks are not reported
	// requireTOTP: signers, clerks and admins must enrol (REQUIRE_2FA).
	requireTOTP bool
}

// NewService returns a Service whose sessions last ttl.
func NewService(db *sqlx.DB, ttl time.Duration) *Service {
	return &Service{db: db, ttl: ttl, now: time.Now}
}

// Session is what a successful login returns. Token is shown once.
type Session struct {
	Token     string
	CSRF      string
	ExpiresAt time.Time
	Principal Principal
	Device    string // the client's device token, for the DeviceCookie
}

// dummyHash is compared against when the user does not exist so that a
// login takes as long whether or not the username is known.
// PasswordCost is the bcrypt cost of new password hashes. Tests that create
// many users lower it (bcrypt.MinCost); production never changes it.
var PasswordCost = bcrypt.DefaultCost

// dummyHash is bcrypt("vanban-dummy-password", bcrypt.DefaultCost) as a
// literal: generating it at init cost every run of the binary 70 ms.
var dummyHash = []byte("$2a$10$Kd6B43GQ0rQVhijta1Y1eOIDMmsLKrgHwiOy/Z61uEoOZsh.ONy0e")

// Login checks a username and password from the client at remoteIP and
// opens a session of kind. It is LoginFrom without a device token.
func (s *Service) Login(ctx context.Context, username, password, remoteIP, kind string) (Session, error) {
	return s.LoginFrom(ctx, username, password, Client{IP: remoteIP}, kind)
}

// LoginFrom checks a username and password under the login policy (see
// Window) and opens a session of kind. For a web session, the session's
// Device is the token the browser should keep (DeviceCookie) and present
// at its next login.
func (s *Service) LoginFrom(ctx context.Context, username, password string, c Client, kind string) (Session, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	a, err := s.reserve(ctx, username, c)
	if err != nil {
		return Session{}, err
	}
	hash := dummyHash
	if a.userID != 0 {
		hash = []byte(a.hash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || a.userID == 0 || a.disabled {
		// The failure was counted by reserve; this row is the record of it.
		if _, err := s.db.ExecContext(ctx, `INSERT INTO login_failures (username, remote_ip) VALUES ($1, $2)`, a.username, a.ip); err != nil {
			return Session{}, fmt.Errorf("auth: unable to record failed login: %w", err)
		}
		return Session{}, ErrBadCredentials
	}
	device, err := s.release(ctx, a, kind)
	if err != nil {
		return Session{}, err
	}
	sess, err := s.open(ctx, a.userID, kind)
	sess.Device = device
	return sess, err
}

func (s *Service) open(ctx context.Context, userID int64, kind string) (Session, error) {
	token := "vb_" + randomString(32)
	csrf := randomString(24)
	expires := s.now().Add(s.ttl)
	sum := sha256.Sum256([]byte(token))
	if _, err := s.db.ExecContext(ctx, `
		INSERT INTO sessions (token_hash, user_id, kind, csrf_token, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, sum[:], userID, kind, csrf, expires); err != nil {
		return Session{}, fmt.Errorf("auth: unable to open session: %w", err)
	}
	p, err := s.principal(ctx, userID)
	if err != nil {
		return Session{}, err
	}
	return Session{Token: token, CSRF: csrf, ExpiresAt: expires, Principal: p}, nil
}

const principalQuery = `
	SELECT u.id, u.username, u.full_name, u.position, u.unit_id, n.name AS unit_name, u.roles
	FROM users u JOIN units n ON n.id = u.unit_id`

func (s *Service) principal(ctx context.Context, userID int64) (Principal, error) {
	var p Principal
	if err := s.db.GetContext(ctx, &p, principalQuery+` WHERE u.id = $1`, userID); err != nil {
		return p, fmt.Errorf("auth: unable to fetch user: %w", err)
	}
	return p, nil
}

// PrincipalByUsername returns the account named username, for commands
// that act as a user (seeding demo data).
func (s *Service) PrincipalByUsername(ctx context.Context, username string) (Principal, error) {
	var p Principal
	err := s.db.GetContext(ctx, &p, principalQuery+` WHERE u.username = $1`, username)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrUserNotFound
	}
	if err != nil {
		return p, fmt.Errorf("auth: unable to fetch user: %w", err)
	}
	return p, nil
}

// Authenticate returns the principal, the CSRF token and the kind of the
// session that token opens.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, string, string, error) {
	if !strings.HasPrefix(token, "vb_") || len(token) > 100 {
		return Principal{}, "", "", ErrUnauthenticated
	}
	sum := sha256.Sum256([]byte(token))
	var row struct {
		Principal
		CSRF string `db:"csrf_token"`
		Kind string `db:"kind"`
	}
	err := s.db.GetContext(ctx, &row, `
		SELECT u.id, u.username, u.full_name, u.position, u.unit_id, n.name AS unit_name, u.roles,
		       s.csrf_token, s.kind
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN units n ON n.id = u.unit_id
		WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.disabled`, sum[:])
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, "", "", ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, "", "", fmt.Errorf("auth: unable to check session: %w", err)
	}
	return row.Principal, row.CSRF, row.Kind, nil
}

// Logout closes the session opened by token.
func (s *Service) Logout(ctx context.Context, token string) error {
	sum := sha256.Sum256([]byte(token))
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, sum[:]); err != nil {
		return fmt.Errorf("auth: unable to close session: %w", err)
	}
	return nil
}

// SweepExpired deletes expired sessions, old failed-login records and
// login limits that have run out.
func (s *Service) SweepExpired(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < now()`); err != nil {
		return fmt.Errorf("auth: unable to sweep sessions: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM login_failures WHERE failed_at < now() - interval '1 day'`); err != nil {
		return fmt.Errorf("auth: unable to sweep failed logins: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `
DELETE FROM login_pairs WHERE last_failure < now() - $1::interval AND blocked_until < now()`, seconds(pairMemory)); err != nil {
		return fmt.Errorf("auth: unable to sweep login limits: %w", err)
	}
	// Two windows: an attack that went on into the last one keeps its alert.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM login_windows WHERE window_start < now() - 2 * $1::interval`, seconds(Window)); err != nil {
		return fmt.Errorf("auth: unable to sweep login limits: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM login_clients WHERE last_login < now() - $1::interval`, seconds(KnownFor)); err != nil {
		return fmt.Errorf("auth: unable to sweep known clients: %w", err)
	}
	return nil
}

// TokensEqual compares a submitted secret (CSRF or metrics token) with the expected one in constant time.
func TokensEqual(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewUser describes an account to create.
type NewUser struct {
	Username string
	FullName string
	Position string
	Email    string
	UnitID   int64
	Roles    []string
	Password string
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}$`)

// CheckNewUser returns a message per invalid field (empty when valid).
func CheckNewUser(u NewUser) map[string]string {
	bad := map[string]string{}
	if !usernameRE.MatchString(u.Username) {
		bad["username"] = "2–63 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới"
	}
	if strings.TrimSpace(u.FullName) == "" {
		bad["full_name"] = "cần họ và tên"
	}
	if u.UnitID <= 0 {
		bad["unit"] = "cần đơn vị"
	}
	if len(u.Roles) == 0 {
		bad["roles"] = "cần ít nhất một vai trò"
	}
	for _, r := range u.Roles {
		if !slices.Contains(AllRoles, r) {
			bad["roles"] = "vai trò không hợp lệ: " + r + " (admin, clerk, signer, staff)"
		}
	}
	if msg := CheckPassword(u.Password); msg != "" {
		bad["password"] = msg
	}
	return bad
}

// CheckPassword returns why a password is too weak, or "".
func CheckPassword(pw string) string {
	if len([]rune(pw)) < MinPasswordLen {
		return fmt.Sprintf("mật khẩu cần ít nhất %d ký tự", MinPasswordLen)
	}
	if len(pw) > 72 {
		return "mật khẩu dài tối đa 72 byte"
	}
	return ""
}

// CreateUser adds an account. The caller validates with CheckNewUser.
func (s *Service) CreateUser(ctx context.Context, u NewUser) (int64, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(u.Password), PasswordCost)
	if err != nil {
		return 0, fmt.Errorf("auth: unable to hash password: %w", err)
	}
	var id int64
	err = s.db.GetContext(ctx, &id, `
		INSERT INTO users (username, full_name, position, email, unit_id, roles, password_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING id`, u.Username, u.FullName, u.Position, u.Email, u.UnitID, pq.StringArray(u.Roles), string(hash))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return 0, ErrUserExists
	}
	if err != nil {
		return 0, fmt.Errorf("auth: unable to create user: %w", err)
	}
	return id, nil
}

// SetPassword replaces a user's password and closes their sessions.
func (s *Service) SetPassword(ctx context.Context, username, password string) error {
	if msg := CheckPassword(password); msg != "" {
		return errors.New(msg)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if err != nil {
		return fmt.Errorf("auth: unable to hash password: %w", err)
	}
	return s.updateUser(ctx, username, `UPDATE users SET password_hash = $2, updated_at = now() WHERE username = $1 RETURNING id`, string(hash))
}

// SetDisabled disables or enables an account; disabling closes its sessions.
func (s *Service) SetDisabled(ctx context.Context, username string, disabled bool) error {
	return s.updateUser(ctx, username, `UPDATE users SET disabled = $2, updated_at = now() WHERE username = $1 RETURNING id`, disabled)
}

func (s *Service) updateUser(ctx context.Context, username, query string, arg any) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("auth: unable to begin: %w", err)
	}
	defer tx.Rollback()
	var id int64
	err = tx.GetContext(ctx, &id, query, username, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrUserNotFound
	}
	if err != nil {
		return fmt.Errorf("auth: unable to update user: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
		return fmt.Errorf("auth: unable to close sessions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("auth: unable to commit: %w", err)
	}
	return nil
}

// UserRow is an account as listed by the user command.
type UserRow struct {
	Username string         `db:"username"`
	FullName string         `db:"full_name"`
	UnitName string         `db:"unit_name"`
	Roles    pq.StringArray `db:"roles"`
	Disabled bool           `db:"disabled"`
}

// ListUsers returns every account in username order.
func (s *Service) ListUsers(ctx context.Context) ([]UserRow, error) {
	var rows []UserRow
	err := s.db.SelectContext(ctx, &rows, `
		SELECT u.username, u.full_name, n.name AS unit_name, u.roles, u.disabled
		FROM users u JOIN units n ON n.id = u.unit_id ORDER BY u.username`)
	if err != nil {
		return nil, fmt.Errorf("auth: unable to list users: %w", err)
	}
	return rows, nil
}

// UnitUsers returns the active accounts of a unit in name order: the
// people a leader may give an incoming document to.
func (s *Service) UnitUsers(ctx context.Context, unitID int64) ([]Principal, error) {
	users := []Principal{}
	err := s.db.SelectContext(ctx, &users, principalQuery+` WHERE u.unit_id = $1 AND NOT u.disabled ORDER BY u.full_name, u.id`, unitID)
	if err != nil {
		return nil, fmt.Errorf("auth: unable to list the unit's users: %w", err)
	}
	return users, nil
}
