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
	// ErrRecalled: a recalled document is frozen (Decree 30/2020 Appendix
	// VI III.8.a): nothing is signed, numbered, issued or relayed from it.
	ErrRecalled = &domain.PreconditionError{Code: "recalled", Message: "Văn bản đã bị thu hồi nên được giữ nguyên (Nghị định 30, Phụ lục VI, mục III.8.a); không ký, cấp số, phát hành hay chuyển tiếp được. Hãy ban hành văn bản thay thế"}
	errIssued   = &domain.PreconditionError{Code: "issued", Message: "Văn bản đã phát hành; không ký hay cấp số thêm được. Nếu cần sửa, hãy ban hành văn bản thay thế hoặc đính chính"}
	// ErrNotRegistered: issuing needs the register's number.
	ErrNotRegistered = &domain.PreconditionError{Code: "not_registered", Message: "Văn bản chưa được cấp số; hãy đăng ký (cấp số, ký số của cơ quan) trước khi phát hành"}
	// ErrNotSigned: nothing goes out without the competent person's
	// signature (art. 32.2.d).
	ErrNotSigned = &domain.PreconditionError{Code: "no_person_signature", Message: "Văn bản chưa có chữ ký số của người có thẩm quyền; người ký phải ký trước, rồi văn thư mới cấp số, ký số của cơ quan và phát hành (Nghị định 30, Điều 32.2.d)"}
	// ErrNotSealed: signed by the person, not yet by the organisation.
	ErrNotSealed = &domain.PreconditionError{Code: "not_sealed", Message: "Văn bản mới có chữ ký của người có thẩm quyền, chưa có chữ ký số của cơ quan; văn thư cần đăng ký, cấp số (kèm ký số của cơ quan) trước khi phát hành"}
	// ErrNoCopyMark: a digitised paper original goes out as a copy.
	ErrNoCopyMark = &domain.PreconditionError{Code: "no_copy_mark", Message: "Bản số hóa từ bản gốc giấy cần chữ ký số của cơ quan dạng bản sao trước khi phát hành (Nghị định 30, Điều 25.1.c)"}
)

// DocumentActions says what a principal may do with a document.
type DocumentActions struct {
	Sign     Permission // the competent person's signature (SignAsPerson)
	Seal     Permission // the organisation's signature, by the clerk (Seal)
	Register Permission // the next number of the outgoing series, sealed (Register)
	// Issue: sending it from its unit, and exporting it as edXML
	// (routing.Issue, routing.ExportPackage); the recipients are checked there.
	Issue Permission
}

// ActionsFor is the rule for a document p may see: sealed tells whether the
// organisation's signature is already on it. It does not know whether
// signing is configured; Service.Actions does.
func ActionsFor(p auth.Principal, d Document, sealed bool) DocumentActions {
	a := DocumentActions{
		Sign:     signatureRule(p, d, auth.RoleSigner, sealed),
		Seal:     signatureRule(p, d, auth.RoleClerk, sealed),
		Register: registerPermission(p, d, sealed, false),
		Issue:    IssueRule(p, d),
	}
	return a
}

// registerPermission is the rule for numbering d: registerRule, then,
// since registering applies the organisation's signature, the clerk's
// signatureRule, which only follows the competent person's (art. 32.2.d;
// copyMark, a copy or attachment mark, does not need it).
func registerPermission(p auth.Principal, d Document, sealed, copyMark bool) Permission {
	if r := registerRule(p, d); !r.Allowed {
		return r
	}
	if r := signatureRule(p, d, auth.RoleClerk, sealed); !r.Allowed {
		return r
	}
	if !copyMark && !d.PersonSigned {
		return precondition(ErrNotSigned)
	}
	return allowed
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
	case role == auth.RoleSigner && d.SubmittedTo != nil && *d.SubmittedTo != p.UserID:
		return precondition(submittedToOther(d))
	case role == auth.RoleSigner && d.SignHold != "":
		return precondition(&domain.PreconditionError{Code: "sign_hold", Message: d.SignHold})
	case d.Status == "recalled":
		return precondition(ErrRecalled)
	case sealed:
		return precondition(errSealed)
	case d.Status == "issued":
		return precondition(errIssued)
	case IsSecret(d.Confidentiality):
		return precondition(errSecret)
	}
	return allowed
}

// submittedToOther: a draft submitted for signature to a named leader is
// signed by that leader alone (the drafter withdraws it, or the leader
// returns it, to change who signs).
func submittedToOther(d Document) *domain.PreconditionError {
	return &domain.PreconditionError{Code: "submitted_to_other", Message: "Dự thảo đã được trình ký cho " + d.SubmittedToName + "; chỉ người này ký được. Người soạn thảo có thể rút lại để trình người khác"}
}

// registerRule says whether p's unit may number d: its clerk, once.
func registerRule(p auth.Principal, d Document) Permission {
	if d.UnitID != p.UnitID || !p.Has(auth.RoleClerk) {
		return forbidden("Chỉ văn thư của đơn vị ban hành văn bản mới đăng ký, cấp số được")
	}
	if d.Status == "recalled" {
		return precondition(ErrRecalled)
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

// IssueRule says whether p may send d from d's unit (issue it, or export
// it as edXML): its clerk, once the document carries the register's number,
// the competent person's signature and then the organisation's (Decree
// 30/2020 art. 15.3, 32.2.d), or, for a digitised paper original, the
// organisation's copy mark (art. 25.1.c); never a secret or recalled one.
// The database refuses any other issue too (migration 6).
func IssueRule(p auth.Principal, d Document) Permission {
	switch {
	case d.UnitID != p.UnitID || !p.Has(auth.RoleClerk) || d.Origin == OriginReceived:
		return forbidden("Chỉ văn thư của đơn vị ban hành văn bản mới phát hành được")
	case IsSecret(d.Confidentiality):
		return precondition(errSecret)
	case d.Status == "recalled":
		return precondition(ErrRecalled)
	case d.Number == nil:
		return precondition(ErrNotRegistered)
	case d.Origin == OriginPaperCopy:
		if d.SealKind != "copy" {
			return precondition(ErrNoCopyMark)
		}
	case !d.PersonSigned:
		return precondition(ErrNotSigned)
	case d.SealKind != "organisation":
		return precondition(ErrNotSealed)
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
