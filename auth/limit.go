package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
)

// The login policy. A login attempt comes from a client: the browser's
// device cookie when it holds one that logged in to the account before,
// else the remote address. Each attempt takes its slot (is counted as a
// failure) in PostgreSQL, under row locks, before the password is checked,
// and gives the slot back if the password was right: parallel guesses
// cannot slip between the check and the count.
//
//   - Per (account, client) pair: PairFailures failures are free; after
//     that the pair waits Backoff, doubling at each further failure up to
//     MaxBackoff. A success clears the pair. This is the limit the real user
//     meets when they mistype, and it is theirs alone: a guesser elsewhere
//     has another pair.
//   - Per address, across accounts: MaxIPFailures failures within Window
//     stop further attempts from that address, but only on accounts it has
//     never logged in to (password spraying); the colleagues behind the same
//     school router who logged in from it before are not blocked.
//   - Per account, across clients: MaxAccountFailures failures within Window
//     (a distributed attack) stop attempts from clients the account does
//     not know; known clients (a device cookie or an address that logged in
//     to the account within KnownFor) are slowed, not stopped: their pair
//     waits after every failure instead of after PairFailures.
//   - The account's owner is told (a notification and its e-mail) once per
//     attack, when AlertAttempts failed or refused attempts fall within one
//     Window; a new e-mail comes only after a Window with fewer.
//   - Refused attempts check no password and are not counted as failures,
//     so hammering does not lengthen anyone's wait.
//   - An administrator clears an account's limits with Unlock
//     (`vanban user unlock NAME`); address limits end with their Window.
const (
	Window             = 15 * time.Minute    // of the address and account counts
	PairFailures       = 5                   // free failures of an (account, client) pair
	Backoff            = 30 * time.Second    // first wait of a pair past its free failures
	MaxBackoff         = time.Hour           // longest wait of a pair
	MaxIPFailures      = 30                  // per address and Window, for accounts new to it
	MaxAccountFailures = 50                  // per account and Window, for clients new to it
	AlertAttempts      = 20                  // failed or refused attempts that tell the owner
	KnownFor           = 90 * 24 * time.Hour // how long a client that logged in stays known
	// pairMemory is how long a pair's failures count toward its back-off.
	pairMemory = 24 * time.Hour
)

// DeviceCookie is the name of the cookie that keeps a browser's device
// token, the client key of its logins.
const DeviceCookie = "vb_device"

// Client says where a login attempt comes from.
type Client struct {
	IP     string // remote address
	Device string // the device token a browser got at an earlier login, or ""
}

// NotifyAttacks makes the Service tell account owners, through notes (a
// notification and its e-mail), that their account is under attack.
func (s *Service) NotifyAttacks(notes *notify.Store) { s.notes = notes }

// attempt is a reserved login attempt.
type attempt struct {
	username    string
	pair        string // client key of the pair
	ip          string
	userID      int64
	hash        string
	disabled    bool
	accWindow   time.Time
	addrWindow  time.Time
	device      string // the token to hand back on success
	deviceKnown bool   // device is already registered for some account
}

func deviceKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "device:" + hex.EncodeToString(sum[:])
}

func validDevice(token string) bool {
	return strings.HasPrefix(token, "vbd_") && len(token) > 20 && len(token) <= 100
}

// safeKey returns v as a key for the limits' tables, or a digest of it when
// it cannot be stored as text or is absurdly long (an attacker's username
// or proxy header); ok is false then, and v names no account.
func safeKey(v string) (key string, ok bool) {
	if len(v) <= 100 && utf8.ValidString(v) && !strings.ContainsRune(v, 0) {
		return v, true
	}
	sum := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(sum[:]), false
}

func seconds(d time.Duration) string { return fmt.Sprintf("%d seconds", int(d.Seconds())) }

// window is a fixed-window counter row of login_windows.
type window struct {
	Start    time.Time `db:"window_start"`
	Failures int       `db:"failures"`
	Refused  int       `db:"refused"`
	Alerted  bool      `db:"alerted"`
}

// lockWindow creates or locks the counter of scope and key, starting a new
// window when the last one is over. A new window keeps the alert of an
// attack still going (the previous window, just over, saw AlertAttempts).
func lockWindow(ctx context.Context, tx *sqlx.Tx, scope, key string) (window, error) {
	var w window
	err := tx.GetContext(ctx, &w, `
INSERT INTO login_windows AS w (scope, key) VALUES ($1, $2)
ON CONFLICT (scope, key) DO UPDATE SET
  window_start = CASE WHEN w.window_start <= now() - $3::interval THEN now() ELSE w.window_start END,
  failures = CASE WHEN w.window_start <= now() - $3::interval THEN 0 ELSE w.failures END,
  refused = CASE WHEN w.window_start <= now() - $3::interval THEN 0 ELSE w.refused END,
  alerted = CASE WHEN w.window_start <= now() - $3::interval
    THEN w.alerted AND w.window_start > now() - 2 * $3::interval AND w.failures + w.refused >= $4
    ELSE w.alerted END
RETURNING window_start, failures, refused, alerted`, scope, key, seconds(Window), AlertAttempts)
	if err != nil {
		return w, fmt.Errorf("auth: unable to count login attempts: %w", err)
	}
	return w, nil
}

// reserve takes a slot for one attempt, or returns a *RateLimitedError.
// Rows are locked in one order (account, address, pair) so that
// concurrent attempts cannot deadlock.
func (s *Service) reserve(ctx context.Context, username string, c Client) (attempt, error) {
	username, plausible := safeKey(username)
	c.IP, _ = safeKey(c.IP)
	a := attempt{username: username, ip: c.IP, pair: "ip:" + c.IP}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return a, fmt.Errorf("auth: unable to begin: %w", err)
	}
	defer tx.Rollback()
	acc, err := lockWindow(ctx, tx, "account", username)
	if err != nil {
		return a, err
	}
	addr, err := lockWindow(ctx, tx, "address", c.IP)
	if err != nil {
		return a, err
	}
	a.accWindow, a.addrWindow = acc.Start, addr.Start

	var u struct {
		ID       int64  `db:"id"`
		Hash     string `db:"password_hash"`
		Disabled bool   `db:"disabled"`
	}
	if plausible {
		err = tx.GetContext(ctx, &u, `SELECT id, password_hash, disabled FROM users WHERE username = $1`, username)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("auth: unable to fetch user: %w", err)
	}
	a.userID, a.hash, a.disabled = u.ID, u.Hash, u.Disabled

	// Is the client known to the account? A device first, then the address.
	var known bool
	if validDevice(c.Device) {
		var k struct {
			Mine bool `db:"mine"`
			Any  bool `db:"any"`
		}
		err := tx.GetContext(ctx, &k, `
SELECT EXISTS (SELECT 1 FROM login_clients WHERE user_id = $1 AND client = $2 AND last_login > now() - $3::interval) AS mine,
       EXISTS (SELECT 1 FROM login_clients WHERE client = $2) AS any`, a.userID, deviceKey(c.Device), seconds(KnownFor))
		if err != nil {
			return a, fmt.Errorf("auth: unable to check the client: %w", err)
		}
		if k.Mine {
			known, a.pair = true, deviceKey(c.Device)
		}
		if k.Any {
			a.device, a.deviceKnown = c.Device, true
		}
	}
	if !known && a.userID != 0 {
		err := tx.GetContext(ctx, &known, `
SELECT EXISTS (SELECT 1 FROM login_clients WHERE user_id = $1 AND client = $2 AND last_login > now() - $3::interval)`,
			a.userID, "ip:"+c.IP, seconds(KnownFor))
		if err != nil {
			return a, fmt.Errorf("auth: unable to check the client: %w", err)
		}
	}

	var p struct {
		Failures     int       `db:"failures"`
		BlockedUntil time.Time `db:"blocked_until"`
		Now          time.Time `db:"now"`
	}
	err = tx.GetContext(ctx, &p, `
INSERT INTO login_pairs AS p (username, client) VALUES ($1, $2)
ON CONFLICT (username, client) DO UPDATE SET
  failures = CASE WHEN p.last_failure <= now() - $3::interval AND p.blocked_until <= now() THEN 0 ELSE p.failures END
RETURNING failures, blocked_until, now() AS now`, username, a.pair, seconds(pairMemory))
	if err != nil {
		return a, fmt.Errorf("auth: unable to count login attempts: %w", err)
	}

	var wait time.Duration
	switch {
	case p.BlockedUntil.After(p.Now):
		wait = p.BlockedUntil.Sub(p.Now)
	case !known && addr.Failures >= MaxIPFailures:
		wait = addr.Start.Add(Window).Sub(p.Now)
	case !known && acc.Failures >= MaxAccountFailures:
		wait = acc.Start.Add(Window).Sub(p.Now)
	}
	if wait > 0 {
		acc.Refused++
		if _, err := tx.ExecContext(ctx, `UPDATE login_windows SET refused = refused + 1 WHERE scope = 'account' AND key = $1`, username); err != nil {
			return a, fmt.Errorf("auth: unable to count login attempts: %w", err)
		}
		if err := s.alert(ctx, tx, a, acc); err != nil {
			return a, err
		}
		if err := tx.Commit(); err != nil {
			return a, fmt.Errorf("auth: unable to commit: %w", err)
		}
		return a, &RateLimitedError{RetryAfter: max(wait, time.Second)}
	}

	free := PairFailures
	if known && acc.Failures >= MaxAccountFailures {
		free = 1 // slowed, not stopped
	}
	p.Failures++
	blocked := time.Time{}
	if p.Failures >= free {
		blocked = p.Now.Add(backoff(p.Failures - free))
	}
	if _, err := tx.ExecContext(ctx, `
UPDATE login_pairs SET failures = $3, last_failure = now(), blocked_until = COALESCE($4, 'epoch'::timestamptz)
WHERE username = $1 AND client = $2`, username, a.pair, p.Failures, nullTime(blocked)); err != nil {
		return a, fmt.Errorf("auth: unable to count login attempts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
UPDATE login_windows SET failures = failures + 1 WHERE (scope, key) IN (('account', $1), ('address', $2))`, username, c.IP); err != nil {
		return a, fmt.Errorf("auth: unable to count login attempts: %w", err)
	}
	acc.Failures++
	if err := s.alert(ctx, tx, a, acc); err != nil {
		return a, err
	}
	if err := tx.Commit(); err != nil {
		return a, fmt.Errorf("auth: unable to commit: %w", err)
	}
	return a, nil
}

// backoff is the wait after the n-th failure past the free ones (n >= 0).
func backoff(n int) time.Duration {
	if n >= 20 {
		return MaxBackoff
	}
	return min(Backoff<<n, MaxBackoff)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// alert tells the owner of an existing account, once per attack, that
// someone is guessing its password.
func (s *Service) alert(ctx context.Context, tx *sqlx.Tx, a attempt, acc window) error {
	if a.userID == 0 || acc.Alerted || acc.Failures+acc.Refused < AlertAttempts {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE login_windows SET alerted = true WHERE scope = 'account' AND key = $1`, a.username); err != nil {
		return fmt.Errorf("auth: unable to record the login alert: %w", err)
	}
	if s.notes == nil {
		return nil
	}
	n := notify.Notification{
		UserID: a.userID,
		Kind:   "login.attack",
		Title:  "Có người đang dò mật khẩu tài khoản của bạn",
		Body: fmt.Sprintf("Từ %s đã có ít nhất %d lần đăng nhập sai hoặc bị chặn vào tài khoản %s. "+
			"Nơi bạn đã đăng nhập trước đây vẫn đăng nhập được. Nếu không phải bạn, hãy báo quản trị hệ thống; "+
			"nếu bạn quên mật khẩu, hãy nhờ quản trị đặt lại.",
			acc.Start.In(domain.VietnamTime).Format("15:04 ngày 02/01/2006"), acc.Failures+acc.Refused, a.username),
		DedupeKey: fmt.Sprintf("login.attack:%d:%d", a.userID, acc.Start.Unix()),
	}
	if err := s.notes.Add(ctx, tx, []notify.Notification{n}); err != nil {
		return fmt.Errorf("auth: unable to tell the owner of %s: %w", a.username, err)
	}
	return nil
}

// release gives back the slot of an attempt whose password was right:
// the pair starts afresh, the address and account windows forget the
// attempt, and the client becomes known to the account.
func (s *Service) release(ctx context.Context, a attempt, kind string) (string, error) {
	// Only browsers keep a device cookie; an API client is known by its
	// address, and one row per API login would pile up.
	device := a.device
	if device == "" && kind == KindWeb {
		device = "vbd_" + randomString(32)
	}
	clients := pq.StringArray{"ip:" + a.ip}
	if device != "" {
		clients = append(clients, deviceKey(device))
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("auth: unable to begin: %w", err)
	}
	defer tx.Rollback()
	// Same lock order as reserve: account, address, pair.
	if _, err := tx.ExecContext(ctx, `
UPDATE login_windows SET failures = greatest(failures - 1, 0)
WHERE scope = 'account' AND key = $1 AND window_start = $2`, a.username, a.accWindow); err != nil {
		return "", fmt.Errorf("auth: unable to clear failed logins: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
UPDATE login_windows SET failures = greatest(failures - 1, 0)
WHERE scope = 'address' AND key = $1 AND window_start = $2`, a.ip, a.addrWindow); err != nil {
		return "", fmt.Errorf("auth: unable to clear failed logins: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_pairs WHERE username = $1 AND client = $2`, a.username, a.pair); err != nil {
		return "", fmt.Errorf("auth: unable to clear failed logins: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
INSERT INTO login_clients (user_id, client) SELECT $1, unnest($2::text[])
ON CONFLICT (user_id, client) DO UPDATE SET last_login = now()`, a.userID, clients); err != nil {
		return "", fmt.Errorf("auth: unable to remember the client: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("auth: unable to commit: %w", err)
	}
	return device, nil
}

// Unlock clears the login limits of an account: its pairs' back-off, its
// failures across clients and its wrong second-factor codes. Address
// limits are not the account's and end with their window.
func (s *Service) Unlock(ctx context.Context, username string) error {
	username = strings.ToLower(strings.TrimSpace(username))
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("auth: unable to begin: %w", err)
	}
	defer tx.Rollback()
	var exists bool
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM users WHERE username = $1)`, username); err != nil {
		return fmt.Errorf("auth: unable to fetch user: %w", err)
	}
	if !exists {
		return ErrUserNotFound
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_windows WHERE scope IN ('account', 'totp') AND key = $1`, username); err != nil {
		return fmt.Errorf("auth: unable to unlock %s: %w", username, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_pairs WHERE username = $1`, username); err != nil {
		return fmt.Errorf("auth: unable to unlock %s: %w", username, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("auth: unable to commit: %w", err)
	}
	return nil
}
