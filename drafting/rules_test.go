package drafting

import (
	"reflect"
	"testing"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
)

func TestDiffLines(t *testing.T) {
	a := []string{"Điều 1", "Điều 2. Thời gian: tháng 2", "Điều 3", "Điều 4"}
	b := []string{"Điều 1", "Điều 2. Thời gian: tháng 3", "Điều 3", "Điều 3a", "Điều 4"}
	want := []Line{{"=", "Điều 1"}, {"-", "Điều 2. Thời gian: tháng 2"}, {"+", "Điều 2. Thời gian: tháng 3"},
		{"=", "Điều 3"}, {"+", "Điều 3a"}, {"=", "Điều 4"}}
	if got := diffLines(a, b); !reflect.DeepEqual(got, want) {
		t.Errorf("diffLines =\n%v\nwant\n%v", got, want)
	}
	if got := diffLines(nil, []string{"x"}); !reflect.DeepEqual(got, []Line{{"+", "x"}}) {
		t.Errorf("from nothing: %v", got)
	}
	if got := lines("  a   b \n\n c\n"); !reflect.DeepEqual(got, []string{"a b", "c"}) {
		t.Errorf("lines: %q", got)
	}
}

// TestActionsTable is the rule table: who may do what in which state.
func TestActionsTable(t *testing.T) {
	const drafterID, reviewerID, signerID, otherLeadID = 1, 2, 3, 4
	signer := int64(signerID)
	open := "changes_requested"
	p := func(id int64, roles ...string) auth.Principal {
		return auth.Principal{UserID: id, UnitID: 10, Roles: roles}
	}
	drafter, reviewer, lead, otherLead := p(drafterID, auth.RoleStaff), p(reviewerID, auth.RoleStaff), p(signerID, auth.RoleSigner), p(otherLeadID, auth.RoleSigner)
	draft := func(state, status string) Draft {
		d := Draft{Document: documents.Document{UnitID: 10, CreatedBy: drafterID, Status: status}, State: state,
			Reviews: []Review{{ReviewerID: reviewerID}, {ReviewerID: signerID, Decision: &open}}}
		if state == StateSubmitted || state == StateReturned {
			d.SignerID = &signer
		}
		return d
	}
	type row struct {
		who                                                         auth.Principal
		state, status                                               string
		revise, comment, review, decide, submit, doReturn, withdraw bool
	}
	rows := []row{
		{drafter, StateOpen, "draft", true, true, true, false, true, false, true},
		{reviewer, StateOpen, "draft", false, true, false, true, false, false, false},
		{lead, StateOpen, "draft", false, true, false, false, false, false, false},
		{drafter, StateSubmitted, "draft", false, true, false, false, false, false, true},
		{lead, StateSubmitted, "draft", false, true, false, false, false, true, false},
		{otherLead, StateSubmitted, "draft", false, true, false, false, false, false, false},
		{drafter, StateReturned, "draft", true, true, true, false, true, false, true},
		{drafter, StateWithdrawn, "draft", false, false, false, false, false, false, false},
		{reviewer, StateWithdrawn, "draft", false, false, false, false, false, false, false},
		{drafter, StateSubmitted, "signed", false, false, false, false, false, false, false},
		{lead, StateSubmitted, "signed", false, false, false, false, false, false, false},
	}
	for _, r := range rows {
		d := draft(r.state, r.status)
		d.lead = r.who.Has(auth.RoleSigner)
		a := ActionsFor(r.who, d)
		got := []bool{a.Revise.Allowed, a.Comment.Allowed, a.RequestReview.Allowed, a.Decide.Allowed, a.Submit.Allowed, a.Return.Allowed, a.Withdraw.Allowed}
		want := []bool{r.revise, r.comment, r.review, r.decide, r.submit, r.doReturn, r.withdraw}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("user %d, %s/%s: got %v, want %v", r.who.UserID, r.state, r.status, got, want)
		}
		for _, perm := range []Permission{a.Revise, a.Comment, a.RequestReview, a.Decide, a.Submit, a.Return, a.Withdraw} {
			if !perm.Allowed && (perm.Reason == "" || perm.Err() == nil) {
				t.Errorf("user %d, %s/%s: a refusal without a reason or error", r.who.UserID, r.state, r.status)
			}
		}
	}
}
