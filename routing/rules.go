package routing

import (
	"slices"

	"github.com/hcm-edu/vanban/auth"
)

// Who may do what with a delivery, and from which states: the one
// definition. The operations check it, and Allowed reports it to pages
// that offer only the forms that would work.

// act is something a member of the recipient unit does with a delivery.
type act int

const (
	actAccept act = iota
	actRefuse
	actAssign
	actProgress // report it in progress
	actDone     // report it done
	actRelay
	actAnswerRecall
)

// rule is who may take an act and from which states.
type rule struct {
	roles    []string // p holds one of them,
	assignee bool     // or, when set, is the delivery's assignee
	from     []string // the handling states the act starts from, with no recall in force
	onRecall bool     // instead: a recall is pending, whatever the handling state
}

var (
	clerks    = []string{auth.RoleClerk}
	reporters = []string{auth.RoleClerk, auth.RoleSigner} // and the assignee
)

var rules = map[act]rule{
	actAccept:       {roles: clerks, from: []string{Arrived}},
	actRefuse:       {roles: clerks, from: []string{Arrived}},
	actAssign:       {roles: []string{auth.RoleSigner}, from: []string{Accepted, Assigned, InProgress}},
	actProgress:     {roles: reporters, assignee: true, from: []string{Assigned}},
	actDone:         {roles: reporters, assignee: true, from: []string{Assigned, InProgress}},
	actRelay:        {roles: clerks, from: []string{Accepted, Assigned, InProgress, Done}},
	actAnswerRecall: {roles: clerks, onRecall: true},
}

// permits reports whether p may take the act on d at all: d was delivered
// to p's unit, and p holds the role (or is the assignee).
func (r rule) permits(p auth.Principal, d Delivery) bool {
	if d.RecipientUnitID != p.UnitID {
		return false
	}
	return p.HasAny(r.roles...) || (r.assignee && d.AssigneeID != nil && *d.AssigneeID == p.UserID)
}

// legal reports whether d's state lets the act start.
func (r rule) legal(d Delivery) bool {
	if r.onRecall {
		return d.Recall != nil && *d.Recall == RecallRequested
	}
	return !d.Removed && !recallInForce(d.Recall) && slices.Contains(r.from, d.Status)
}

func may(p auth.Principal, d Delivery, a act) bool {
	r := rules[a]
	return r.permits(p, d) && r.legal(d)
}

// Actions are what a person may do with a delivery now.
type Actions struct {
	Accept, Refuse, Assign, Progress, Done, Relay, AnswerRecall bool
}

// Any reports whether there is at least one action.
func (a Actions) Any() bool {
	return a.Accept || a.Refuse || a.Assign || a.Progress || a.Done || a.Relay || a.AnswerRecall
}

// Allowed says what p may do with d, delivered to p's unit, in its state
// now: the same rules Accept, Refuse, Assign, UpdateStatus, Relay and
// AnswerRecall apply.
func Allowed(p auth.Principal, d Delivery) Actions {
	return Actions{
		Accept:       may(p, d, actAccept),
		Refuse:       may(p, d, actRefuse),
		Assign:       may(p, d, actAssign),
		Progress:     may(p, d, actProgress),
		Done:         may(p, d, actDone),
		Relay:        may(p, d, actRelay),
		AnswerRecall: may(p, d, actAnswerRecall),
	}
}
