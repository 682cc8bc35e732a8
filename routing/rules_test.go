package routing_test

import (
	"testing"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/routing"
)

func TestAllowed(t *testing.T) {
	const unit, other = 7, 8
	person := func(id int64, roles ...string) auth.Principal {
		return auth.Principal{UserID: id, UnitID: unit, Roles: roles}
	}
	clerk := person(1, auth.RoleClerk)
	leader := person(2, auth.RoleSigner)
	staff := person(3, auth.RoleStaff)
	both := person(4, auth.RoleClerk, auth.RoleSigner)
	code := func(c string) *string { return &c }
	assignee := int64(3)
	delivery := func(status string, recall *string) routing.Delivery {
		return routing.Delivery{RecipientUnitID: unit, Status: status, Recall: recall, AssigneeID: &assignee}
	}
	tests := []struct {
		name string
		p    auth.Principal
		d    routing.Delivery
		want routing.Actions
	}{
		{"clerk, arrived", clerk, delivery(routing.Arrived, nil), routing.Actions{Accept: true, Refuse: true}},
		{"leader, arrived", leader, delivery(routing.Arrived, nil), routing.Actions{}},
		{"staff, arrived", staff, delivery(routing.Arrived, nil), routing.Actions{}},
		{"clerk, accepted", clerk, delivery(routing.Accepted, nil), routing.Actions{Relay: true, Present: true, File: true}},
		{"leader, accepted", leader, delivery(routing.Accepted, nil), routing.Actions{Assign: true, Forward: true}},
		{"leader, assigned", leader, delivery(routing.Assigned, nil), routing.Actions{Assign: true, Progress: true, Done: true, Remind: true}},
		{"clerk, assigned", clerk, delivery(routing.Assigned, nil), routing.Actions{Progress: true, Done: true, Relay: true}},
		{"assignee, assigned", staff, delivery(routing.Assigned, nil), routing.Actions{Progress: true, Done: true}},
		{"other staff, assigned", person(9, auth.RoleStaff), delivery(routing.Assigned, nil), routing.Actions{}},
		{"assignee, in progress", staff, delivery(routing.InProgress, nil), routing.Actions{Done: true}},
		{"clerk and leader, in progress", both, delivery(routing.InProgress, nil), routing.Actions{Assign: true, Done: true, Relay: true, Remind: true}},
		{"clerk, done", clerk, delivery(routing.Done, nil), routing.Actions{Relay: true}},
		{"assignee, done", staff, delivery(routing.Done, nil), routing.Actions{}},
		{"clerk, refused", both, delivery(routing.Refused, nil), routing.Actions{}},
		{"clerk, recall asked", clerk, delivery(routing.Accepted, code(routing.RecallRequested)), routing.Actions{AnswerRecall: true}},
		{"clerk, recall asked on arrival", clerk, delivery(routing.Arrived, code(routing.RecallRequested)), routing.Actions{AnswerRecall: true}},
		{"leader, recall asked", leader, delivery(routing.Accepted, code(routing.RecallRequested)), routing.Actions{}},
		{"clerk, recall refused", clerk, delivery(routing.Accepted, code(routing.RecallRefused)), routing.Actions{Relay: true, Present: true, File: true}},
		{"assignee, recall refused", staff, delivery(routing.Assigned, code(routing.RecallRefused)), routing.Actions{Progress: true, Done: true}},
		{"clerk, recalled", both, routing.Delivery{RecipientUnitID: unit, Status: routing.Accepted, Recall: code(routing.RecallAccepted), Removed: true}, routing.Actions{}},
		{"another unit's clerk", auth.Principal{UserID: 5, UnitID: other, Roles: []string{auth.RoleClerk}}, delivery(routing.Arrived, nil), routing.Actions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := routing.Allowed(tt.p, tt.d)
			if got != tt.want {
				t.Errorf("Allowed = %+v, want %+v", got, tt.want)
			}
			if got.Any() != (tt.want != routing.Actions{}) {
				t.Errorf("Any = %v for %+v", got.Any(), got)
			}
		})
	}
}
