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
	// draft is signed by the competent person: the clerk may register it.
	draft := Document{UnitID: own, Confidentiality: "thuong", PersonSigned: true}
	unsigned := Document{UnitID: own, Confidentiality: "thuong"}
	numbered := Document{UnitID: own, Confidentiality: "thuong", Number: &n, NumberSymbol: &ns}
	recalled := Document{UnitID: own, Confidentiality: "thuong", Number: &n, NumberSymbol: &ns, Status: "recalled", PersonSigned: true}
	recalledDraft := Document{UnitID: own, Confidentiality: "thuong", Status: "recalled", PersonSigned: true}
	issued := Document{UnitID: own, Confidentiality: "thuong", Number: &n, NumberSymbol: &ns, Status: "issued", PersonSigned: true}
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
		{"clerk, unsigned", clerk, unsigned, false, "forbidden", "", "no_person_signature"},
		{"recalled", both, recalled, false, "recalled", "recalled", "recalled"},
		{"recalled and sealed", both, recalled, true, "recalled", "recalled", "recalled"},
		{"recalled, no number", both, recalledDraft, false, "recalled", "recalled", "recalled"},
		{"issued without seal", both, issued, false, "issued", "issued", "already_numbered"},
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

// Only the clerk of the owner sends a document, once it carries the
// register's number, the person's and then the organisation's signature
// (or, for a paper original, the copy mark); never a secret or recalled one.
func TestIssueRule(t *testing.T) {
	const own = 10
	clerk := auth.Principal{UserID: 2, UnitID: own, Roles: []string{auth.RoleClerk}}
	signer := auth.Principal{UserID: 1, UnitID: own, Roles: []string{auth.RoleSigner}}
	outsider := auth.Principal{UserID: 5, UnitID: 20, Roles: []string{auth.RoleClerk}}
	n, ns := 1, "01/KH-SGDĐT"
	doc := func(edit func(*Document)) Document {
		d := Document{UnitID: own, Confidentiality: "thuong", Origin: OriginOutgoing, Status: "registered",
			Number: &n, NumberSymbol: &ns, PersonSigned: true, SealKind: "organisation"}
		edit(&d)
		return d
	}
	for _, tt := range []struct {
		name string
		p    auth.Principal
		d    Document
		want string
	}{
		{"signed, numbered, sealed", clerk, doc(func(*Document) {}), ""},
		{"issued again", clerk, doc(func(d *Document) { d.Status = "issued" }), ""},
		{"unsigned, unnumbered", clerk, doc(func(d *Document) { d.Number, d.PersonSigned, d.SealKind = nil, false, "" }), "not_registered"},
		{"numbered, no signature", clerk, doc(func(d *Document) { d.PersonSigned, d.SealKind = false, "" }), "no_person_signature"},
		{"copy mark only", clerk, doc(func(d *Document) { d.PersonSigned, d.SealKind = false, "copy" }), "no_person_signature"},
		{"person only", clerk, doc(func(d *Document) { d.SealKind = "" }), "not_sealed"},
		{"recalled", clerk, doc(func(d *Document) { d.Status = "recalled" }), "recalled"},
		{"secret", clerk, doc(func(d *Document) { d.Confidentiality = "mat" }), "secret"},
		{"paper copy with its mark", clerk, doc(func(d *Document) { d.Origin, d.PersonSigned, d.SealKind = OriginPaperCopy, false, "copy" }), ""},
		{"paper copy without mark", clerk, doc(func(d *Document) { d.Origin, d.PersonSigned, d.SealKind = OriginPaperCopy, false, "" }), "no_copy_mark"},
		{"received", clerk, doc(func(d *Document) { d.Origin = OriginReceived }), "forbidden"},
		{"signer", signer, doc(func(*Document) {}), "forbidden"},
		{"another unit", outsider, doc(func(*Document) {}), "forbidden"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			check(t, "issue", IssueRule(tt.p, tt.d), tt.want)
			check(t, "actions", ActionsFor(tt.p, tt.d, tt.d.SealKind != "").Issue, tt.want)
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
