package documents

import (
	"context"
	"errors"
	"testing"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
)

func TestActionsFor(t *testing.T) {
	const own, other = 10, 20
	signer := auth.Principal{UserID: 1, UnitID: own, Roles: []string{auth.RoleSigner}}
	clerk := auth.Principal{UserID: 2, UnitID: own, Roles: []string{auth.RoleClerk}}
	staff := auth.Principal{UserID: 3, UnitID: own, Roles: []string{auth.RoleStaff}}
	both := auth.Principal{UserID: 4, UnitID: own, Roles: []string{auth.RoleSigner, auth.RoleClerk}}
	outsider := auth.Principal{UserID: 5, UnitID: other, Roles: []string{auth.RoleSigner, auth.RoleClerk}}
	n, ns := 12, "12/KH-SGDĐT"
	draft := Document{UnitID: own, Confidentiality: "thuong"}
	numbered := Document{UnitID: own, Confidentiality: "thuong", Number: &n, NumberSymbol: &ns}
	secret := Document{UnitID: own, Confidentiality: "mat", Number: &n, NumberSymbol: &ns}
	secretDraft := Document{UnitID: own, Confidentiality: "toi_mat"}

	// want: "" allowed; "forbidden"; or the precondition code.
	tests := []struct {
		name                 string
		p                    auth.Principal
		d                    Document
		sealed               bool
		sign, seal, register string
	}{
		{"signer, draft", signer, draft, false, "", "forbidden", "forbidden"},
		{"clerk, draft", clerk, draft, false, "forbidden", "", ""},
		{"clerk, numbered", clerk, numbered, false, "forbidden", "", "already_numbered"},
		{"clerk, sealed", clerk, numbered, true, "forbidden", "already_sealed", "already_numbered"},
		{"signer, sealed", signer, numbered, true, "already_sealed", "forbidden", "forbidden"},
		{"signer and clerk, draft", both, draft, false, "", "", ""},
		{"signer and clerk, sealed draft", both, draft, true, "already_sealed", "already_sealed", "already_sealed"},
		{"staff", staff, draft, false, "forbidden", "forbidden", "forbidden"},
		{"another unit", outsider, draft, false, "forbidden", "forbidden", "forbidden"},
		{"secret, numbered", both, secret, false, "secret", "secret", "already_numbered"},
		{"secret, no number", both, secretDraft, false, "secret", "secret", "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ActionsFor(tt.p, tt.d, tt.sealed)
			check(t, "sign", a.Sign, tt.sign)
			check(t, "seal", a.Seal, tt.seal)
			check(t, "register", a.Register, tt.register)
		})
	}
}

func check(t *testing.T, what string, got Permission, want string) {
	t.Helper()
	if want == "" {
		if !got.Allowed || got.Err() != nil || got.Reason != "" {
			t.Errorf("%s: got %+v, want allowed", what, got)
		}
		return
	}
	if got.Allowed || got.Reason == "" {
		t.Errorf("%s: got %+v, want refused with a reason", what, got)
		return
	}
	var pe *domain.PreconditionError
	switch {
	case want == "forbidden":
		if !errors.Is(got.Err(), domain.ErrForbidden) {
			t.Errorf("%s: err = %v, want domain.ErrForbidden", what, got.Err())
		}
	case !errors.As(got.Err(), &pe) || pe.Code != want:
		t.Errorf("%s: err = %v, want precondition %s", what, got.Err(), want)
	case pe.Message != got.Reason:
		t.Errorf("%s: reason %q is not the error's message %q", what, got.Reason, pe.Message)
	}
}

// Without signing configured, every signature action is refused as the
// operations refuse it, Register only once the person and the number pass.
func TestActionsSigningOff(t *testing.T) {
	s := &Service{}
	clerk := auth.Principal{UserID: 2, UnitID: 10, Roles: []string{auth.RoleClerk}}
	n := 3
	for _, tt := range []struct {
		name           string
		d              Document
		sign, register string
	}{
		{"draft", Document{UnitID: 10}, "signing_disabled", "signing_disabled"},
		{"numbered", Document{UnitID: 10, Number: &n}, "signing_disabled", "already_numbered"},
		{"another unit", Document{UnitID: 11}, "signing_disabled", "forbidden"},
	} {
		a, err := s.Actions(context.Background(), clerk, tt.d)
		if err != nil {
			t.Fatal(err)
		}
		check(t, tt.name+": sign", a.Sign, tt.sign)
		check(t, tt.name+": seal", a.Seal, "signing_disabled")
		check(t, tt.name+": register", a.Register, tt.register)
	}
}

func TestPrincipalRules(t *testing.T) {
	for _, tt := range []struct {
		role                    string
		signature, seal, create bool
	}{
		{auth.RoleSigner, true, false, true},
		{auth.RoleClerk, false, true, true},
		{auth.RoleAdmin, false, true, false},
		{auth.RoleStaff, false, false, true},
	} {
		p := auth.Principal{Roles: []string{tt.role}}
		if got := CanSetSignatureImage(p); got != tt.signature {
			t.Errorf("CanSetSignatureImage(%s) = %v", tt.role, got)
		}
		if got := CanSetSealImage(p); got != tt.seal {
			t.Errorf("CanSetSealImage(%s) = %v", tt.role, got)
		}
		if got := CanCreate(p); got != tt.create {
			t.Errorf("CanCreate(%s) = %v", tt.role, got)
		}
	}
}
