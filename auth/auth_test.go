package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/org"
)

func setup(t *testing.T) (*auth.Service, org.Unit) {
	db, _ := testenv.NewDB(t)
	u, err := org.NewStore(db).Create(context.Background(), org.Unit{Code: "000.00.24.H29", Name: "Sở Giáo dục và Đào tạo", Abbreviation: "SGDĐT", Kind: org.KindDepartment})
	if err != nil {
		t.Fatal(err)
	}
	return auth.NewService(db, time.Hour), u
}

func TestAccountLifecycle(t *testing.T) {
	ctx := context.Background()
	a, unit := setup(t)
	nu := auth.NewUser{Username: "vanthu.test", FullName: "Lê Thị Ĩnh", UnitID: unit.ID, Roles: []string{auth.RoleClerk}, Password: "mot-mat-khau-dai"}
	if bad := auth.CheckNewUser(nu); len(bad) != 0 {
		t.Fatalf("valid user refused: %v", bad)
	}
	if _, err := a.CreateUser(ctx, nu); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateUser(ctx, nu); !errors.Is(err, auth.ErrUserExists) {
		t.Errorf("duplicate: %v", err)
	}
	s, err := a.Login(ctx, "VanThu.Test ", "mot-mat-khau-dai", "10.0.0.1", auth.KindWeb)
	if err != nil {
		t.Fatal(err)
	}
	p, csrf, kind, err := a.Authenticate(ctx, s.Token)
	if err != nil || p.FullName != "Lê Thị Ĩnh" || p.UnitID != unit.ID || !p.Has(auth.RoleClerk) || csrf == "" || kind != auth.KindWeb {
		t.Fatalf("authenticate: %+v %q %q %v", p, csrf, kind, err)
	}

	// A new password closes every session.
	if err := a.SetPassword(ctx, "vanthu.test", "mat-khau-moi-123"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := a.Authenticate(ctx, s.Token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("session survives a password change: %v", err)
	}
	if _, err := a.Login(ctx, "vanthu.test", "mot-mat-khau-dai", "10.0.0.1", auth.KindWeb); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("old password still works: %v", err)
	}

	// Disabling closes sessions and refuses logins with the same message as a wrong password.
	s, err = a.Login(ctx, "vanthu.test", "mat-khau-moi-123", "10.0.0.1", auth.KindAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetDisabled(ctx, "vanthu.test", true); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := a.Authenticate(ctx, s.Token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("session survives disabling: %v", err)
	}
	if _, err := a.Login(ctx, "vanthu.test", "mat-khau-moi-123", "10.0.0.2", auth.KindAPI); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("disabled user logs in: %v", err)
	}
	if err := a.SetDisabled(ctx, "nobody", true); !errors.Is(err, auth.ErrUserNotFound) {
		t.Errorf("unknown user: %v", err)
	}
}

func TestRateLimitByIP(t *testing.T) {
	ctx := context.Background()
	a, _ := setup(t)
	var err error
	for i := 0; i < auth.MaxIPFailures; i++ {
		_, err = a.Login(ctx, "user"+string(rune('a'+i%26))+"x", "wrong-password", "10.9.9.9", auth.KindAPI)
		if !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, err = a.Login(ctx, "someone", "whatever-pass", "10.9.9.9", auth.KindAPI)
	var rl *auth.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter <= 0 || rl.RetryAfter > auth.Window {
		t.Errorf("after %d failures from one address: %v", auth.MaxIPFailures, err)
	}
	if _, err := a.Login(ctx, "someone", "whatever-pass", "10.1.1.1", auth.KindAPI); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("another address is limited too: %v", err)
	}
}

func TestCheckNewUser(t *testing.T) {
	bad := auth.CheckNewUser(auth.NewUser{Username: "Bad Name", Roles: []string{"king"}, Password: "short"})
	for _, f := range []string{"username", "full_name", "unit", "roles", "password"} {
		if bad[f] == "" {
			t.Errorf("no message for %s", f)
		}
	}
}
