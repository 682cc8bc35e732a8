package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hcm-edu/vanban/internal/domain"
)

// Two factors. A user enrols an authenticator app (TOTP, RFC 6238: SHA-1,
// 6 digits, 30 s steps, one step of drift either way) and gets recovery
// codes. From then on each signature or seal made with a key the server
// holds asks for a fresh code (StepUp), checked in the same request: the
// session remembers nothing, so a stolen cookie alone cannot sign. A code
// is used once (the last accepted time step is kept per user), and wrong
// codes are limited per user in login_windows (scope "totp"), so the limit
// holds across instances.
const (
	TOTPFailures  = 5  // wrong codes per user and Window
	RecoveryCodes = 10 // recovery codes given at enrolment
	totpPeriod    = 30 // seconds of a time step
	totpDigits    = 6
	totpIssuer    = "vanban"
)

var (
	// ErrOTPRequired: the user has enrolled and the request carries no code.
	ErrOTPRequired = &SecondFactorError{Code: "otp_required",
		Message: "Hãy nhập mã xác thực 6 chữ số đang hiện trên ứng dụng xác thực (hoặc một mã khôi phục)"}
	// ErrOTPInvalid: a wrong, expired or already used code.
	ErrOTPInvalid = &SecondFactorError{Code: "otp_invalid",
		Message: "Mã xác thực không đúng, đã hết hạn hoặc đã dùng; hãy nhập mã mới đang hiện trên ứng dụng xác thực"}
	// ErrEnrolmentRequired: REQUIRE_2FA is on and the user has not enrolled.
	ErrEnrolmentRequired = &SecondFactorError{Code: "totp_enrolment_required",
		Message: "Cần bật xác thực hai lớp trước khi ký số: vào trang Cài đặt (/settings), quét mã bằng ứng dụng xác thực và nhập mã đầu tiên"}
	// ErrAlreadyEnrolled: enrolment again needs the old one disabled first.
	ErrAlreadyEnrolled = &domain.PreconditionError{Code: "totp_enrolled",
		Message: "Xác thực hai lớp đã bật; muốn đổi ứng dụng thì tắt trước (cần một mã hợp lệ) rồi bật lại"}
	// ErrNotEnrolling: a first code with no enrolment begun.
	ErrNotEnrolling = &domain.PreconditionError{Code: "totp_not_enrolling",
		Message: "Chưa bắt đầu bật xác thực hai lớp; hãy bấm «Bật xác thực hai lớp» trước"}
)

// SecondFactorError refuses an action for its second factor: no code, a
// wrong code, no enrolment, or too many wrong codes (RetryAfter > 0).
type SecondFactorError struct {
	Code       string
	Message    string
	RetryAfter time.Duration
}

func (e *SecondFactorError) Error() string { return "auth: second factor refused: " + e.Code }

// Enrolment is a new TOTP secret, shown to its user until confirmed.
type Enrolment struct {
	Secret string // base32, without padding, as apps accept it typed
	URI    string // otpauth://totp/..., for a QR code or a link
}

// RequireTOTP makes enrolment mandatory for signers, clerks and admins
// (REQUIRE_2FA): StepUp refuses them until they have enrolled.
func (s *Service) RequireTOTP(on bool) { s.requireTOTP = on }

// TOTPRequired reports whether REQUIRE_2FA is on.
func (s *Service) TOTPRequired() bool { return s.requireTOTP }

// TOTPEnrolled reports whether the user has confirmed a TOTP enrolment.
func (s *Service) TOTPEnrolled(ctx context.Context, userID int64) (bool, error) {
	var on bool
	err := s.db.GetContext(ctx, &on, `SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL)`, userID)
	if err != nil {
		return false, fmt.Errorf("auth: unable to check two factors: %w", err)
	}
	return on, nil
}

// NeedsOTP reports whether a signature or seal by p asks for a code: p has
// enrolled, or must (REQUIRE_2FA and a signer, clerk or admin).
func (s *Service) NeedsOTP(ctx context.Context, p Principal) (bool, error) {
	if s.mustEnrol(p) {
		return true, nil
	}
	return s.TOTPEnrolled(ctx, p.UserID)
}

func (s *Service) mustEnrol(p Principal) bool {
	return s.requireTOTP && p.HasAny(RoleSigner, RoleClerk, RoleAdmin)
}

// BeginTOTP starts (or starts again) p's enrolment with a new secret. The
// secret is shown until the first code confirms it, never after.
func (s *Service) BeginTOTP(ctx context.Context, p Principal) (Enrolment, error) {
	if on, err := s.TOTPEnrolled(ctx, p.UserID); err != nil || on {
		if on {
			err = ErrAlreadyEnrolled
		}
		return Enrolment{}, err
	}
	secret := make([]byte, 20)
	rand.Read(secret)
	if _, err := s.db.ExecContext(ctx, `
INSERT INTO user_totp (user_id, secret) VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE SET secret = $2, last_step = 0, created_at = now() WHERE user_totp.enabled_at IS NULL`,
		p.UserID, secret); err != nil {
		return Enrolment{}, fmt.Errorf("auth: unable to begin two factors: %w", err)
	}
	return enrolment(p.Username, secret), nil
}

// PendingTOTP returns p's enrolment begun and not yet confirmed, if any.
func (s *Service) PendingTOTP(ctx context.Context, p Principal) (Enrolment, bool, error) {
	var secret []byte
	err := s.db.GetContext(ctx, &secret, `SELECT secret FROM user_totp WHERE user_id = $1 AND enabled_at IS NULL`, p.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return Enrolment{}, false, nil
	}
	if err != nil {
		return Enrolment{}, false, fmt.Errorf("auth: unable to fetch two factors: %w", err)
	}
	return enrolment(p.Username, secret), true, nil
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func enrolment(username string, secret []byte) Enrolment {
	text := b32.EncodeToString(secret)
	q := url.Values{"secret": {text}, "issuer": {totpIssuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + totpIssuer + ":" + username, RawQuery: q.Encode()}
	return Enrolment{Secret: text, URI: u.String()}
}

// ConfirmTOTP completes p's enrolment with the first code of the app and
// returns the recovery codes, shown this once (only their hashes are kept).
func (s *Service) ConfirmTOTP(ctx context.Context, p Principal, code string) ([]string, error) {
	var codes []string
	err := s.useCode(ctx, p, code, modeConfirm, func(tx *sqlx.Tx, secret []byte) error {
		if _, err := tx.ExecContext(ctx, `UPDATE user_totp SET enabled_at = now() WHERE user_id = $1`, p.UserID); err != nil {
			return fmt.Errorf("auth: unable to enable two factors: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM totp_recovery_codes WHERE user_id = $1`, p.UserID); err != nil {
			return fmt.Errorf("auth: unable to store recovery codes: %w", err)
		}
		for range RecoveryCodes {
			c := recoveryCode()
			if _, err := tx.ExecContext(ctx, `INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES ($1, $2)`,
				p.UserID, recoveryHash(secret, c)); err != nil {
				return fmt.Errorf("auth: unable to store recovery codes: %w", err)
			}
			codes = append(codes, c)
		}
		return nil
	})
	return codes, err
}

// DisableTOTP ends p's enrolment; it takes a valid code (or a recovery code).
func (s *Service) DisableTOTP(ctx context.Context, p Principal, code string) error {
	return s.useCode(ctx, p, code, modeDisable, func(tx *sqlx.Tx, _ []byte) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM totp_recovery_codes WHERE user_id = $1`, p.UserID); err != nil {
			return fmt.Errorf("auth: unable to disable two factors: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_totp WHERE user_id = $1`, p.UserID); err != nil {
			return fmt.Errorf("auth: unable to disable two factors: %w", err)
		}
		return nil
	})
}

// StepUp checks the second factor of a signature or seal by p, just before
// the server's key is used: nil when p has not enrolled (and need not);
// else code must be a fresh TOTP code or an unused recovery code, and is
// spent. The error is a *SecondFactorError.
func (s *Service) StepUp(ctx context.Context, p Principal, code string) error {
	return s.useCode(ctx, p, code, modeStepUp, nil)
}

type codeMode int

const (
	modeStepUp codeMode = iota
	modeConfirm
	modeDisable
)

// useCode checks code against p's secret under the per-user limit, in one
// transaction holding p's row, and runs then (if any) in it on success.
func (s *Service) useCode(ctx context.Context, p Principal, code string, mode codeMode, then func(*sqlx.Tx, []byte) error) error {
	code = strings.ToLower(strings.Join(strings.Fields(code), ""))
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("auth: unable to begin: %w", err)
	}
	defer tx.Rollback()
	var t struct {
		Secret   []byte `db:"secret"`
		Enabled  bool   `db:"enabled"`
		LastStep int64  `db:"last_step"`
	}
	err = tx.GetContext(ctx, &t, `SELECT secret, enabled_at IS NOT NULL AS enabled, last_step FROM user_totp WHERE user_id = $1 FOR UPDATE`, p.UserID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("auth: unable to fetch two factors: %w", err)
	}
	found := err == nil
	switch {
	case mode == modeStepUp && !t.Enabled:
		if s.mustEnrol(p) {
			return ErrEnrolmentRequired
		}
		return nil
	case mode == modeConfirm && t.Enabled:
		return ErrAlreadyEnrolled
	case mode == modeConfirm && !found:
		return ErrNotEnrolling
	case mode == modeDisable && !t.Enabled:
		return nil
	}
	if code == "" {
		return ErrOTPRequired
	}
	w, err := lockWindow(ctx, tx, "totp", p.Username)
	if err != nil {
		return err
	}
	now := s.now()
	if w.Failures >= TOTPFailures {
		wait := max(w.Start.Add(Window).Sub(now), time.Second)
		return &SecondFactorError{Code: "too_many_otp_attempts", RetryAfter: wait,
			Message: fmt.Sprintf("Đã nhập sai mã xác thực %d lần; hãy thử lại sau %d phút, hoặc nhờ quản trị viên mở khóa", TOTPFailures, int(wait.Minutes())+1)}
	}
	ok := false
	if step, good := checkTOTP(t.Secret, code, now, t.LastStep); good {
		ok = true
		if _, err := tx.ExecContext(ctx, `UPDATE user_totp SET last_step = $2 WHERE user_id = $1`, p.UserID, step); err != nil {
			return fmt.Errorf("auth: unable to record the code: %w", err)
		}
	} else if t.Enabled && len(code) != totpDigits {
		res, err := tx.ExecContext(ctx, `DELETE FROM totp_recovery_codes WHERE user_id = $1 AND code_hash = $2`,
			p.UserID, recoveryHash(t.Secret, code))
		if err != nil {
			return fmt.Errorf("auth: unable to check the recovery code: %w", err)
		}
		n, _ := res.RowsAffected()
		ok = n == 1
	}
	if !ok {
		if _, err := tx.ExecContext(ctx, `UPDATE login_windows SET failures = failures + 1 WHERE scope = 'totp' AND key = $1`, p.Username); err != nil {
			return fmt.Errorf("auth: unable to count the wrong code: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("auth: unable to commit: %w", err)
		}
		return ErrOTPInvalid
	}
	if then != nil {
		if err := then(tx, t.Secret); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("auth: unable to commit: %w", err)
	}
	return nil
}

// checkTOTP looks for code among the steps around now that come after
// last (a step accepted once is not accepted again).
func checkTOTP(secret []byte, code string, now time.Time, last int64) (int64, bool) {
	if len(code) != totpDigits {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	for step := cur - 1; step <= cur+1; step++ {
		if step > last && hmac.Equal([]byte(hotp(secret, uint64(step), totpDigits)), []byte(code)) {
			return step, true
		}
	}
	return 0, false
}

// hotp is RFC 4226's HOTP value of counter, digits long.
func hotp(key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

// TOTPCode is the code of secret (base32) at t, what an authenticator app
// shows; for tests and the demo.
func TOTPCode(secret string, t time.Time) (string, error) {
	key, err := b32.DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		return "", fmt.Errorf("auth: unable to decode the TOTP secret: %w", err)
	}
	return hotp(key, uint64(t.Unix()/totpPeriod), totpDigits), nil
}

// recoveryCode is ten letters and digits in two groups: xxxxx-xxxxx.
func recoveryCode() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 10)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:5]) + "-" + string(b[5:])
}

// recoveryHash is what is stored of a recovery code: SHA-256 salted with
// the user's secret; the dash and case do not matter.
func recoveryHash(secret []byte, code string) []byte {
	code = strings.ReplaceAll(strings.ToLower(code), "-", "")
	h := sha256.New()
	h.Write(secret)
	h.Write([]byte(code))
	return h.Sum(nil)
}
