package drafting

import (
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
)

// Who may do what with a draft. The rules live here once: the operations
// check them (on the draft as read under its row's lock), and the pages
// show the buttons Actions allows.

// Permission says whether an action is allowed and, when it is not, why.
type Permission struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"` // Vietnamese; empty when allowed
	err     error
}

// Err is what the operation returns when refused: domain.ErrForbidden or a
// *domain.PreconditionError (409); nil when allowed.
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

func precondition(code, msg string) Permission {
	return Permission{Reason: msg, err: &domain.PreconditionError{Code: code, Message: msg}}
}

var (
	errSigned    = precondition("draft_signed", "Dự thảo đã được ký; không sửa, trình hay rút lại được nữa")
	errSubmitted = precondition("draft_submitted", "Dự thảo đang chờ ký; muốn sửa, hãy rút lại (hoặc chờ người ký trả lại)")
	errWithdrawn = precondition("draft_withdrawn", "Dự thảo đã được rút lại; không thao tác thêm được")
	notDrafter   = forbidden("Chỉ người soạn thảo mới làm được việc này")
)

// Actions says what a principal may do with a draft.
type Actions struct {
	Revise        Permission `json:"revise"`         // upload a revision
	Comment       Permission `json:"comment"`        // comment on a revision
	RequestReview Permission `json:"request_review"` // ask named people to review
	Decide        Permission `json:"decide"`         // approve or ask for changes
	Submit        Permission `json:"submit"`         // submit for signature
	Return        Permission `json:"return"`         // send back with a reason
	Withdraw      Permission `json:"withdraw"`       // give up the draft
}

// ActionsFor is the rule table for a draft p sees.
func ActionsFor(p auth.Principal, d Draft) Actions {
	drafter := d.Document.CreatedBy == p.UserID
	open := func() Permission { // the drafter's work on an open or returned draft
		switch {
		case !drafter:
			return notDrafter
		case d.signed():
			return errSigned
		case d.State == StateWithdrawn:
			return errWithdrawn
		case d.State == StateSubmitted:
			return errSubmitted
		}
		return allowed
	}
	a := Actions{Revise: open(), RequestReview: open(), Submit: open()}
	switch {
	case !d.participant(p):
		a.Comment = forbidden("Chỉ người tham gia soạn thảo, góp ý, duyệt hoặc ký dự thảo mới bình luận được")
	case d.State == StateWithdrawn:
		a.Comment = errWithdrawn
	case d.signed():
		a.Comment = errSigned
	default:
		a.Comment = allowed
	}
	switch {
	case d.openReview(p.UserID) == nil:
		a.Decide = forbidden("Bạn không có yêu cầu góp ý, duyệt nào đang chờ cho dự thảo này")
	case d.State == StateWithdrawn:
		a.Decide = errWithdrawn
	case d.signed():
		a.Decide = errSigned
	default:
		a.Decide = allowed
	}
	switch {
	case d.State != StateSubmitted || d.SignerID == nil || *d.SignerID != p.UserID:
		a.Return = forbidden("Chỉ người được trình ký mới trả lại được dự thảo đang chờ ký")
	case d.signed():
		a.Return = errSigned
	default:
		a.Return = allowed
	}
	switch {
	case !drafter:
		a.Withdraw = notDrafter
	case d.signed():
		a.Withdraw = errSigned
	case d.State == StateWithdrawn:
		a.Withdraw = errWithdrawn
	default:
		a.Withdraw = allowed
	}
	return a
}
