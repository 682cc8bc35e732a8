package documents

import (
	"context"
	"strconv"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
)

// Who may do what with a document. The rules live here once: the domain's
// own operations check them, and the pages ask Actions which buttons to
// show, so the two cannot drift apart.

// Permission says whether an action is allowed and, when it is not, why.
type Permission struct {
	Allowed bool
	// Reason says, in Vietnamese, why the action is refused; empty when allowed.
	Reason string
	err    error
}

// Err is what the action returns when refused: domain.ErrForbidden or a
// *domain.PreconditionError; nil when allowed.
func (p Permission) Err() error {
	if p.Allowed {
		return nil
	}
	return p.err
}

var allowed = Permission{Allowed: true}

func forbidden(reason string) Permission {
	return Permission{Reason: reason, err: domain.ErrForbidden}
}

func precondition(e *domain.PreconditionError) Permission {
	return Permission{Reason: e.Message, err: e}
}

var (
	errSecret          = &domain.PreconditionError{Code: "secret", Message: "Văn bản mật không được ký số hay gửi qua hệ thống này"}
	errSigningDisabled = &domain.PreconditionError{Code: "signing_disabled", Message: "Chức năng ký số chưa được cấu hình trên máy chủ này"}
)

// DocumentActions says what a principal may do with a document.
type DocumentActions struct {
	Sign     Permission // the competent person's signature (SignAsPerson)
	Seal     Permission // the organisation's signature, by the clerk (Seal)
	Register Permission // the next number of the outgoing series, sealed (Register)
}

// ActionsFor is the rule for a document p may see: sealed tells whether the
// organisation's signature is already on it. It does not know whether
// signing is configured; Service.Actions does.
func ActionsFor(p auth.Principal, d Document, sealed bool) DocumentActions {
	a := DocumentActions{
		Sign:     signatureRule(p, d, auth.RoleSigner, sealed),
		Seal:     signatureRule(p, d, auth.RoleClerk, sealed),
		Register: registerRule(p, d),
	}
	if a.Register.Allowed {
		// Registering applies the organisation's signature.
		a.Register = a.Seal
	}
	return a
}

// Actions returns what p may do with d, a document as Get returned it to p.
func (s *Service) Actions(ctx context.Context, p auth.Principal, d Document) (DocumentActions, error) {
	sealed := false
	if s.sign != nil {
		var err error
		if sealed, err = s.Sealed(ctx, d.ID); err != nil {
			return DocumentActions{}, err
		}
	}
	a := ActionsFor(p, d, sealed)
	if s.sign == nil {
		// In the order the operations check: Register refuses the wrong
		// person or a numbered document before it needs signing.
		off := precondition(errSigningDisabled)
		a.Sign, a.Seal = off, off
		if registerRule(p, d).Allowed {
			a.Register = off
		}
	}
	return a, nil
}

// signatureRule says whether p may apply to d the signature that role
// applies: the signer's own (auth.RoleSigner) or the organisation's, by the
// clerk (auth.RoleClerk). Only the unit that owns the document signs it,
// nothing is signed after the organisation's signature, and a secret
// document is never signed here.
func signatureRule(p auth.Principal, d Document, role string, sealed bool) Permission {
	switch {
	case d.UnitID != p.UnitID || (role != inOffice && !p.Has(role)):
		if role == auth.RoleClerk {
			return forbidden("Chỉ văn thư của đơn vị ban hành văn bản mới ký số của cơ quan được")
		}
		return forbidden("Chỉ người có thẩm quyền ký của đơn vị ban hành văn bản mới ký số được văn bản này")
	case sealed:
		return precondition(errSealed)
	case IsSecret(d.Confidentiality):
		return precondition(errSecret)
	}
	return allowed
}

// registerRule says whether p's unit may number d: its clerk, once.
func registerRule(p auth.Principal, d Document) Permission {
	if d.UnitID != p.UnitID || !p.Has(auth.RoleClerk) {
		return forbidden("Chỉ văn thư của đơn vị ban hành văn bản mới đăng ký, cấp số được")
	}
	if d.Number != nil {
		ns := strconv.Itoa(*d.Number)
		if d.NumberSymbol != nil {
			ns = *d.NumberSymbol
		}
		return precondition(&domain.PreconditionError{Code: "already_numbered", Message: "Văn bản đã có số " + ns + "; không cấp số lại được"})
	}
	return allowed
}

// CanSetSignatureImage reports whether p may keep a handwritten-signature
// image: those who sign.
func CanSetSignatureImage(p auth.Principal) bool { return p.Has(auth.RoleSigner) }

// CanSetSealImage reports whether p may keep the seal image of p's unit:
// its clerks and administrators.
func CanSetSealImage(p auth.Principal) bool { return p.HasAny(auth.RoleClerk, auth.RoleAdmin) }

// CanCreate reports whether p may upload documents; callers check it before
// reading a request body.
func CanCreate(p auth.Principal) bool {
	return p.HasAny(auth.RoleClerk, auth.RoleSigner, auth.RoleStaff)
}
