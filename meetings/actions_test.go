package meetings

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
)

// names lists the actions a value allows, in the order of the struct.
func names(a Actions) string {
	var out []string
	for _, x := range []struct {
		name string
		ok   bool
	}{
		{"edit", a.Edit}, {"agenda", a.ManageAgenda}, {"people", a.ManageParticipants},
		{"start", a.Start}, {"end", a.End}, {"cancel", a.Cancel}, {"checkin", a.CheckIn},
		{"speak", a.RequestToSpeak}, {"floor", a.MoveSpeakers}, {"comment", a.Comment},
		{"open-ballot", a.OpenBallot}, {"close-ballot", a.CloseBallot}, {"vote", a.Vote},
		{"draft", a.DraftMinutes}, {"sign-as-" + a.SignMinutesAs, a.SignMinutesAs != ""},
		{"invite", a.CreateInvitation}, {"conclude", a.SetConclusion}, {"console", a.Console},
		{"unit", a.OrganiserUnit},
	} {
		if x.ok {
			out = append(out, x.name)
		}
	}
	return strings.Join(out, " ")
}

// TestActionsRule is the rule of who may do what, role by status, for a
// person of the organiser unit who has checked in, once the minutes exist.
func TestActionsRule(t *testing.T) {
	const mgr = "edit agenda people "
	want := map[string]map[string]string{
		RoleOrganiser: {
			StatusScheduled:  mgr + "start cancel comment vote invite conclude unit",
			StatusInProgress: mgr + "end cancel speak comment vote invite conclude unit",
			StatusEnded:      "vote conclude unit",
			StatusCancelled:  "vote unit",
		},
		RoleSecretary: {
			StatusScheduled:  mgr + "start cancel comment vote sign-as-secretary invite conclude unit",
			StatusInProgress: mgr + "end cancel speak comment vote draft sign-as-secretary invite conclude unit",
			StatusEnded:      "vote draft sign-as-secretary conclude unit",
			StatusCancelled:  "vote sign-as-secretary unit",
		},
		RoleChair: {
			StatusScheduled:  mgr + "start cancel comment close-ballot vote sign-as-chair invite conclude console unit",
			StatusInProgress: mgr + "end cancel speak floor comment open-ballot close-ballot vote draft sign-as-chair invite conclude console unit",
			StatusEnded:      "close-ballot vote draft sign-as-chair conclude console unit",
			StatusCancelled:  "close-ballot vote sign-as-chair console unit",
		},
		RoleParticipant: {
			StatusScheduled:  "comment vote unit",
			StatusInProgress: "speak comment vote unit",
			StatusEnded:      "vote unit",
			StatusCancelled:  "vote unit",
		},
	}
	start := time.Date(2026, 12, 7, 8, 0, 0, 0, domain.VietnamTime)
	minutes := int64(9)
	for role, byStatus := range want {
		for status, w := range byStatus {
			st := &standing{Status: status, OrganiserUnitID: 1, Unit: 1, StartsAt: start, Now: start,
				MinutesDocumentID: &minutes, CheckedIn: true, Role: role}
			if got := names(st.actions()); got != w {
				t.Errorf("%s, %s:\n got %s\nwant %s", role, status, got, w)
			}
		}
	}

	// Not checked in: check in, but neither speak nor vote; before the
	// window opens, not even check in.
	st := &standing{Status: StatusInProgress, OrganiserUnitID: 1, Unit: 2, StartsAt: start, Now: start, Role: RoleParticipant}
	if got := names(st.actions()); got != "checkin comment" {
		t.Errorf("participant not checked in: %s", got)
	}
	st = &standing{Status: StatusScheduled, OrganiserUnitID: 1, Unit: 2, StartsAt: start, Now: start.Add(-CheckInOpensBefore - time.Minute), Role: RoleParticipant}
	if got := names(st.actions()); got != "comment" {
		t.Errorf("participant before check-in opens: %s", got)
	}
	// A chair of another unit: no minutes, no invitation; and no minutes
	// to sign before they exist.
	st = &standing{Status: StatusInProgress, OrganiserUnitID: 1, Unit: 2, StartsAt: start, Now: start, Role: RoleChair, CheckedIn: true}
	if got := names(st.actions()); got != mgr+"end cancel speak floor comment open-ballot close-ballot vote conclude console" {
		t.Errorf("chair of another unit: %s", got)
	}

	// The operations' errors come from the same rules: who first, then
	// the state, in order.
	st = &standing{Status: StatusEnded, OrganiserUnitID: 1, Unit: 2, Role: RoleParticipant}
	if err := st.need(actManageAgenda); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("participant changes the agenda: %v", err)
	}
	st.Role = RoleSecretary
	if err := st.need(actManageAgenda); err != errMeetingClosed {
		t.Errorf("secretary changes an ended meeting: %v", err)
	}
	var pe *domain.PreconditionError
	if err := st.need(actSignMinutes); !errors.As(err, &pe) || pe.Code != "no_minutes" {
		t.Errorf("signing missing minutes: %v", err)
	}
	st.MinutesDocumentID = &minutes
	if err := st.need(actSignMinutes); err != errNotOrganiserUnit {
		t.Errorf("signing for another unit: %v", err)
	}
	st.Status = StatusScheduled
	if err := st.need(actEnd); !errors.As(err, &pe) || pe.Code != "illegal_transition" {
		t.Errorf("ending a scheduled meeting: %v", err)
	}
}
