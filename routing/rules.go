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
	actPresent // the clerk presents an accepted document to a leader (trình)
	actFile    // the clerk files it for information: no handling
	actForward // a leader passes the presentation on to another leader
	actRemind  // a leader reminds those with open tasks now
)

// The acts on one task of a delivery (handling.go): who may take them
// depends on the task as well (taskRule).
const (
	actTaskAssign act = iota + 100 // give a section's task to people of the section
	actTaskWork                    // write proposals, progress, contributions; mark it done
	actTaskReopen                  // reopen a task marked done
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
	leaders   = []string{auth.RoleSigner}
	reporters = []string{auth.RoleClerk, auth.RoleSigner} // and the assignee
	handling  = []string{Assigned, InProgress}            // directed, not done
)

// Directing (actAssign: Assign, Direct) is for any leader of the unit,
// not only the one the document was presented to: a deputy acts when the
// head is away, and presenting is how the clerk asks, not a lock.
// Directing again while the handling runs is a re-direction
// (handling.go). The task acts have their states here, their people in
// taskRule.
var rules = map[act]rule{
	actAccept:       {roles: clerks, from: []string{Arrived}},
	actRefuse:       {roles: clerks, from: []string{Arrived}},
	actAssign:       {roles: leaders, from: []string{Accepted, Assigned, InProgress}},
	actProgress:     {roles: reporters, assignee: true, from: []string{Assigned}},
	actDone:         {roles: reporters, assignee: true, from: []string{Assigned, InProgress}},
	actRelay:        {roles: clerks, from: []string{Accepted, Assigned, InProgress, Done}},
	actAnswerRecall: {roles: clerks, onRecall: true},
	actPresent:      {roles: clerks, from: []string{Accepted}},
	actFile:         {roles: clerks, from: []string{Accepted}},
	actForward:      {roles: leaders, from: []string{Accepted}},
	actRemind:       {roles: leaders, from: handling},
	actTaskAssign:   {from: handling},
	actTaskWork:     {from: handling},
	actTaskReopen:   {from: []string{Assigned, InProgress, Done}},
}

// taskRule reports whether p may take a task act on t: a leader gives a
// section's task to its people and reopens a finished task; the head of a
// section does the first too and reports the section's task; a person
// reports their own task. Tasks for information need no handling, and
// finished or cancelled ones take no report.
func taskRule(p auth.Principal, t Task, a act) bool {
	leader := p.Has(auth.RoleSigner)
	head := t.SectionID != nil && t.SectionHeadID != nil && *t.SectionHeadID == p.UserID
	own := t.UserID != nil && *t.UserID == p.UserID
	live := t.Role != TaskInform && (t.State == TaskOpen || t.State == TaskInProgress)
	switch a {
	case actTaskAssign:
		return live && t.SectionID != nil && (head || leader)
	case actTaskWork:
		return live && (head || own)
	case actTaskReopen:
		return t.State == TaskDone && leader
	}
	return false
}

// mayTask reports whether p may take a task act on t of d now: d is p's
// unit's, in a state the act starts from, and taskRule allows it.
func mayTask(p auth.Principal, d Delivery, t Task, a act) bool {
	return d.RecipientUnitID == p.UnitID && t.DeliveryID == d.ID && rules[a].legal(d) && taskRule(p, t, a)
}

// TaskActions are what a person may do with one task now.
type TaskActions struct {
	Assign, Work, Reopen bool
}

// TaskAllowed says what p may do with task t of delivery d now: the rules
// AssignTask, AddEntry, CompleteTask and Reopen apply.
func TaskAllowed(p auth.Principal, d Delivery, t Task) TaskActions {
	return TaskActions{Assign: mayTask(p, d, t, actTaskAssign), Work: mayTask(p, d, t, actTaskWork), Reopen: mayTask(p, d, t, actTaskReopen)}
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
	Present, File, Forward, Remind                              bool
}

// Any reports whether there is at least one action.
func (a Actions) Any() bool {
	return a.Accept || a.Refuse || a.Assign || a.Progress || a.Done || a.Relay || a.AnswerRecall ||
		a.Present || a.File || a.Forward || a.Remind
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
		Present:      may(p, d, actPresent),
		File:         may(p, d, actFile) && d.FiledAt == nil,
		Forward:      may(p, d, actForward),
		Remind:       may(p, d, actRemind),
	}
}
