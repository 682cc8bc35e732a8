package auth_test

import (
	"context"
	"encoding/base32"
	"errors"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
)

// RFC 6238 appendix B, SHA-1: the 6-digit codes are the last six digits
// of the 8-digit values listed there.
func TestTOTPVectors(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	for _, v := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	} {
		got, err := auth.TOTPCode(secret, time.Unix(v.unix, 0))
		if err != nil || got != v.want[2:] {
			t.Errorf("T=%d: %q %v, want %q", v.unix, got, err, v.want[2:])
		}
	}
}

// totpUser is a signer of a fresh database, with the service and its DB.
func totpUser(t *testing.T, roles ...string) (*auth.Service, auth.Principal, func(string) error) {
	t.Helper()
	cheapHashes(t)
	a, db, unit := limitSetup(t)
	_, err := a.CreateUser(context.Background(), auth.NewUser{Username: "giamdoc.test", FullName: "Lê Hoài Nam", UnitID: unit,
		Roles: roles, Password: realPassword})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.PrincipalByUsername(context.Background(), "giamdoc.test")
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string) error { _, err := db.Exec(q, p.UserID); return err }
	return a, p, exec
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := auth.TOTPCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrong is a code that is not the current one.
func wrong(c string) string { return c[:5] + string('0'+(c[5]-'0'+1)%10) }

func TestTOTPEnrolment(t *testing.T) {
	ctx := context.Background()
	a, p, exec := totpUser(t, auth.RoleSigner)

	// Not enrolled: nothing is asked, unless REQUIRE_2FA and a signer.
	if err := a.StepUp(ctx, p, ""); err != nil {
		t.Fatalf("step-up without enrolment: %v", err)
	}
	a.RequireTOTP(true)
	if err := a.StepUp(ctx, p, "123456"); !errors.Is(err, auth.ErrEnrolmentRequired) {
		t.Fatalf("REQUIRE_2FA, not enrolled: %v", err)
	}
	staff := p
	staff.Roles = []string{auth.RoleStaff}
	if err := a.StepUp(ctx, staff, ""); err != nil {
		t.Errorf("REQUIRE_2FA asks staff: %v", err)
	}
	a.RequireTOTP(false)

	if _, err := a.ConfirmTOTP(ctx, p, "123456"); !errors.Is(err, auth.ErrNotEnrolling) {
		t.Errorf("confirm before begin: %v", err)
	}
	e, err := a.BeginTOTP(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Secret) != 32 || e.URI == "" {
		t.Fatalf("enrolment: %+v", e)
	}
	now := time.Now()
	if _, err := a.ConfirmTOTP(ctx, p, wrong(code(t, e.Secret, now))); !errors.Is(err, auth.ErrOTPInvalid) {
		t.Fatalf("wrong first code: %v", err)
	}
	if on, _ := a.TOTPEnrolled(ctx, p.UserID); on {
		t.Fatal("enrolled after a wrong first code")
	}
	recovery, err := a.ConfirmTOTP(ctx, p, code(t, e.Secret, now))
	if err != nil || len(recovery) != auth.RecoveryCodes {
		t.Fatalf("confirm: %v %v", recovery, err)
	}
	if on, _ := a.TOTPEnrolled(ctx, p.UserID); !on {
		t.Fatal("not enrolled after the first code")
	}
	if _, ok, _ := a.PendingTOTP(ctx, p); ok {
		t.Error("the secret is still shown after enrolment")
	}
	if _, err := a.BeginTOTP(ctx, p); !errors.Is(err, auth.ErrAlreadyEnrolled) {
		t.Errorf("begin again while enrolled: %v", err)
	}

	// Enrolled: the code is asked even without REQUIRE_2FA, and used once.
	if err := a.StepUp(ctx, p, ""); !errors.Is(err, auth.ErrOTPRequired) {
		t.Errorf("no code: %v", err)
	}
	// The first code was spent by the enrolment: the next step's is fresh.
	next := code(t, e.Secret, now.Add(30*time.Second))
	if err := a.StepUp(ctx, p, next); err != nil {
		t.Fatalf("right code: %v", err)
	}
	if err := a.StepUp(ctx, p, next); !errors.Is(err, auth.ErrOTPInvalid) {
		t.Errorf("replayed code: %v", err)
	}
	if err := a.StepUp(ctx, p, code(t, e.Secret, now)); !errors.Is(err, auth.ErrOTPInvalid) {
		t.Errorf("an older code after a newer one: %v", err)
	}
	// A recovery code works once, typed in any case.
	if err := a.StepUp(ctx, p, " "+recovery[3]+" "); err != nil {
		t.Errorf("recovery code: %v", err)
	}
	if err := a.StepUp(ctx, p, recovery[3]); !errors.Is(err, auth.ErrOTPInvalid) {
		t.Errorf("recovery code twice: %v", err)
	}

	// Disabling takes a valid code.
	if err := a.DisableTOTP(ctx, p, "nonsense"); !errors.Is(err, auth.ErrOTPInvalid) {
		t.Errorf("disable with a wrong code: %v", err)
	}
	// Five wrong codes so far: the limit (TestTOTPRateLimit) holds even the right one.
	if err := a.DisableTOTP(ctx, p, code(t, e.Secret, now.Add(time.Minute))); err == nil || errors.Is(err, auth.ErrOTPInvalid) {
		t.Errorf("disable past the limit: %v", err)
	}
	if err := a.Unlock(ctx, p.Username); err != nil {
		t.Fatal(err)
	}
	if err := exec(`UPDATE user_totp SET last_step = 0 WHERE user_id = $1`); err != nil { // stands in for 30 s passing
		t.Fatal(err)
	}
	if err := a.DisableTOTP(ctx, p, code(t, e.Secret, now)); err != nil {
		t.Fatalf("disable: %v", err)
	}
	if err := a.StepUp(ctx, p, ""); err != nil {
		t.Errorf("step-up after disabling: %v", err)
	}
}

func TestTOTPRateLimit(t *testing.T) {
	ctx := context.Background()
	a, p, exec := totpUser(t, auth.RoleClerk)
	e, err := a.BeginTOTP(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := a.ConfirmTOTP(ctx, p, code(t, e.Secret, now)); err != nil {
		t.Fatal(err)
	}
	right := code(t, e.Secret, now.Add(30*time.Second))
	for i := range auth.TOTPFailures {
		if err := a.StepUp(ctx, p, wrong(right)); !errors.Is(err, auth.ErrOTPInvalid) {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	var sf *auth.SecondFactorError
	if err := a.StepUp(ctx, p, right); !errors.As(err, &sf) || sf.RetryAfter <= 0 || sf.RetryAfter > auth.Window {
		t.Fatalf("after %d wrong codes the right one passes: %v", auth.TOTPFailures, err)
	}
	// The administrator's unlock ends it...
	if err := a.Unlock(ctx, p.Username); err != nil {
		t.Fatal(err)
	}
	if err := a.StepUp(ctx, p, right); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	// ... and so does the end of the window.
	for range auth.TOTPFailures {
		a.StepUp(ctx, p, "000000x")
	}
	if err := a.StepUp(ctx, p, "anything"); !errors.As(err, &sf) || sf.RetryAfter <= 0 {
		t.Fatalf("limit again: %v", err)
	}
	if err := exec(`UPDATE login_windows SET window_start = window_start - interval '16 minutes' WHERE scope = 'totp' AND key = (SELECT username FROM users WHERE id = $1)`); err != nil {
		t.Fatal(err)
	}
	if err := exec(`UPDATE user_totp SET last_step = 0 WHERE user_id = $1`); err != nil { // stands in for 30 s passing
		t.Fatal(err)
	}
	if err := a.StepUp(ctx, p, right); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
