package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/internal/domain"
)

// Purposes of an account link.
const (
	LinkInvite = "invite" // a new account sets its first password
	LinkReset  = "reset"  // a forgotten password is replaced
)

// How long a link stays usable.
const (
	InviteTTL = 7 * 24 * time.Hour
	ResetTTL  = time.Hour
)

// Errors of a link that cannot be used; each page says it in Vietnamese.
var (
	ErrLinkInvalid = errors.New("auth: unknown account link")
	ErrLinkUsed    = errors.New("auth: account link already used")
	ErrLinkExpired = errors.New("auth: account link expired")
)

// Link is what a valid link opens: the account and why.
type Link struct {
	UserID   int64     `db:"user_id"`
	Username string    `db:"username"`
	FullName string    `db:"full_name"`
	Purpose  string    `db:"purpose"`
	Expires  time.Time `db:"expires_at"`
}

// EndSessions closes every session of a user, inside the caller's
// transaction: after a change of roles or unit, or when they leave.
func EndSessions(ctx context.Context, q sqlx.ExecerContext, userID int64) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("auth: unable to close sessions: %w", err)
	}
	return nil
}

// NewLink makes a single-use link secret for the user, inside the caller's
// transaction, and returns it with its expiry. Only the SHA-256 of the
// secret is stored; earlier unused links of the same purpose stop working.
func NewLink(ctx context.Context, tx *sqlx.Tx, userID, createdBy int64, purpose string) (string, time.Time, error) {
	ttl := ResetTTL
	if purpose == LinkInvite {
		ttl = InviteTTL
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", time.Time{}, fmt.Errorf("auth: unable to make a link: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(token))
	if _, err := tx.ExecContext(ctx, `UPDATE account_links SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, userID, purpose); err != nil {
		return "", time.Time{}, fmt.Errorf("auth: unable to retire old links: %w", err)
	}
	var by any
	if createdBy > 0 {
		by = createdBy
	}
	var expires time.Time
	if err := tx.GetContext(ctx, &expires, `
		INSERT INTO account_links (token_hash, user_id, purpose, created_by, expires_at)
		VALUES ($1, $2, $3, $4, now() + $5::interval) RETURNING expires_at`,
		sum[:], userID, purpose, by, fmt.Sprintf("%d seconds", int(ttl.Seconds()))); err != nil {
		return "", time.Time{}, fmt.Errorf("auth: unable to store the link: %w", err)
	}
	return token, expires, nil
}

func linkHash(token string) ([]byte, bool) {
	token = strings.TrimSpace(token)
	if len(token) != 43 {
		return nil, false
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return nil, false
	}
	sum := sha256.Sum256([]byte(token))
	return sum[:], true
}

const linkQuery = `
	SELECT l.user_id, u.username, u.full_name, l.purpose, l.expires_at, l.used_at,
	       l.expires_at < now() AS expired, u.disabled
	FROM account_links l JOIN users u ON u.id = l.user_id WHERE l.token_hash = $1`

type linkRow struct {
	Link
	UsedAt   *time.Time `db:"used_at"`
	Expired  bool       `db:"expired"`
	Disabled bool       `db:"disabled"`
}

func (r linkRow) check() error {
	switch {
	case r.UsedAt != nil:
		return ErrLinkUsed
	case r.Expired:
		return ErrLinkExpired
	case r.Disabled: // left or locked since the link was made
		return ErrLinkInvalid
	}
	return nil
}

// CheckLink returns what the link opens, or ErrLinkInvalid, ErrLinkUsed
// or ErrLinkExpired.
func (s *Service) CheckLink(ctx context.Context, token string) (Link, error) {
	h, ok := linkHash(token)
	if !ok {
		return Link{}, ErrLinkInvalid
	}
	var r linkRow
	err := s.db.GetContext(ctx, &r, linkQuery, h)
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, ErrLinkInvalid
	}
	if err != nil {
		return Link{}, fmt.Errorf("auth: unable to read the link: %w", err)
	}
	return r.Link, r.check()
}

// UseLink sets the password through a link, once: the password rules
// apply, the link is spent and every session of the account is closed.
func (s *Service) UseLink(ctx context.Context, token, password string) (Link, error) {
	h, ok := linkHash(token)
	if !ok {
		return Link{}, ErrLinkInvalid
	}
	if msg := CheckPassword(password); msg != "" {
		return Link{}, domain.Invalid("password", msg)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if err != nil {
		return Link{}, fmt.Errorf("auth: unable to hash password: %w", err)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Link{}, fmt.Errorf("auth: unable to begin: %w", err)
	}
	defer tx.Rollback()
	var r linkRow
	err = tx.GetContext(ctx, &r, linkQuery+` FOR UPDATE OF l`, h)
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, ErrLinkInvalid
	}
	if err != nil {
		return Link{}, fmt.Errorf("auth: unable to read the link: %w", err)
	}
	if err := r.check(); err != nil {
		return r.Link, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE account_links SET used_at = now() WHERE token_hash = $1`, h); err != nil {
		return r.Link, fmt.Errorf("auth: unable to spend the link: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, r.UserID, string(hash)); err != nil {
		return r.Link, fmt.Errorf("auth: unable to set the password: %w", err)
	}
	if err := EndSessions(ctx, tx, r.UserID); err != nil {
		return r.Link, err
	}
	var unitID int64
	if err := tx.GetContext(ctx, &unitID, `SELECT unit_id FROM users WHERE id = $1`, r.UserID); err != nil {
		return r.Link, fmt.Errorf("auth: unable to read the user: %w", err)
	}
	if err := audit.Append(ctx, tx, audit.Event{ActorID: r.UserID, ActorUnitID: unitID, Action: "account.password_set",
		Details: map[string]any{"user": r.UserID, "purpose": r.Purpose}}); err != nil {
		return r.Link, err
	}
	if err := tx.Commit(); err != nil {
		return r.Link, fmt.Errorf("auth: unable to commit: %w", err)
	}
	return r.Link, nil
}
