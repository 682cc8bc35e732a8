package meetings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
)

// Who may do what with a meeting. Every operation asks its rule here
// (standing.need), and Get returns the same rules as Actions, so the pages
// and the API show exactly what the operations allow and never re-derive
// it.

// Actions is what one person may do with a meeting as it is now: one field
// per thing the pages offer.
type Actions struct {
	Edit               bool `json:"edit"`                // change the details
	ManageAgenda       bool `json:"manage_agenda"`       // add, reorder, attach, remove and replace
	ManageParticipants bool `json:"manage_participants"` // add and remove people and units
	Start              bool `json:"start"`
	End                bool `json:"end"`
	Cancel             bool `json:"cancel"`
	CheckIn            bool `json:"check_in"` // false once checked in
	RequestToSpeak     bool `json:"request_to_speak"`
	MoveSpeakers       bool `json:"move_speakers"` // give and close the floor
	Comment            bool `json:"comment"`
	OpenBallot         bool `json:"open_ballot"`
	CloseBallot        bool `json:"close_ballot"`
	Vote               bool `json:"vote"` // on the ballots that are open
	DraftMinutes       bool `json:"draft_minutes"`
	// SignMinutesAs is the office p signs the minutes in (RoleChair or
	// RoleSecretary) once they exist; empty when p may not. Whether p has
	// signed already is the document's to say (documents.Signatures).
	SignMinutesAs    string `json:"sign_minutes_as,omitempty"`
	CreateInvitation bool   `json:"create_invitation"`
	SetConclusion    bool   `json:"set_conclusion"`
	Console          bool   `json:"console"` // the chair's console
	// OrganiserUnit: p belongs to the organiser unit, whose documents
	// (invitation, minutes, conclusion) the page lists for it.
	OrganiserUnit bool `json:"organiser_unit"`
}

// standing is what the rules need to know: the meeting's state and p's
// place in it, read in one statement.
type standing struct {
	MeetingID         int64     `db:"meeting_id"`
	Status            string    `db:"status"`
	OrganiserUnitID   int64     `db:"organiser_unit_id"`
	StartsAt          time.Time `db:"starts_at"`
	CreatedBy         int64     `db:"created_by"`
	ChairID           int64     `db:"chair_id"`
	SecretaryID       int64     `db:"secretary_id"`
	MinutesDocumentID *int64    `db:"minutes_document_id"`
	Member            bool      `db:"member"`
	CheckedIn         bool      `db:"checked_in"`

	Role string    `db:"-"` // p's strongest role; empty: none
	Unit int64     `db:"-"` // p's unit
	Now  time.Time `db:"-"`
}

// role is p's strongest role in the meeting: the chair, the secretary,
// the organiser (who created it), or a participant in person or through
// their unit; empty when p has none.
func (st *standing) role(p auth.Principal) string {
	switch {
	case st.ChairID == p.UserID:
		return RoleChair
	case st.SecretaryID == p.UserID:
		return RoleSecretary
	case st.CreatedBy == p.UserID:
		return RoleOrganiser
	case st.Member:
		return RoleParticipant
	}
	return ""
}

// action names a rule.
type action int

const (
	actEdit action = iota
	actManageAgenda
	actManageParticipants
	actStart
	actEnd
	actCancel
	actCheckIn
	actRequestToSpeak
	actMoveSpeakers
	actComment
	actOpenBallot
	actCloseBallot
	actVote
	actDraftMinutes
	actSignMinutes
	actCreateInvitation
	actSetConclusion
	actConsole
)

// A rule says who may (anyone else gets domain.ErrForbidden) and, in
// order, the state it needs (the first unmet is the error).
type rule struct {
	who  func(role string) bool
	when []func(st *standing) error
}

// manages reports whether a role may change the meeting (agenda,
// participants, documents): the organiser, the chair and the secretary.
func manages(role string) bool {
	return role == RoleOrganiser || role == RoleChair || role == RoleSecretary
}

func anyone(role string) bool  { return role != "" }
func chair(role string) bool   { return role == RoleChair }
func officer(role string) bool { return role == RoleChair || role == RoleSecretary }

func open(st *standing) error {
	if st.Status == StatusEnded || st.Status == StatusCancelled {
		return errMeetingClosed
	}
	return nil
}

func inProgress(st *standing) error {
	if st.Status != StatusInProgress {
		return errNotInProgress
	}
	return nil
}

func moveTo(next string) func(st *standing) error {
	return func(st *standing) error {
		if next != st.Status && !slices.Contains(transitions[st.Status], next) {
			return &domain.PreconditionError{Code: "illegal_transition",
				Message: fmt.Sprintf("Không chuyển được cuộc họp từ trạng thái %s sang %s", statusNames[st.Status], statusNames[next])}
		}
		return nil
	}
}

func checkInOpen(st *standing) error {
	if st.Status == StatusScheduled && st.Now.Before(st.StartsAt.Add(-CheckInOpensBefore)) {
		return &domain.PreconditionError{Code: "check_in_not_open",
			Message: fmt.Sprintf("Chưa đến giờ điểm danh: điểm danh mở %d phút trước giờ họp (%s)",
				int(CheckInOpensBefore.Minutes()), st.StartsAt.In(domain.VietnamTime).Format("15:04 02/01/2006"))}
	}
	return nil
}

// startWindow: a meeting starts within its check-in window, not days
// early (nor is a scheduled meeting started by mistake from the calendar).
func startWindow(st *standing) error {
	if st.Status == StatusScheduled && st.Now.Before(st.StartsAt.Add(-CheckInOpensBefore)) {
		return &domain.PreconditionError{Code: "too_early_to_start",
			Message: fmt.Sprintf("Chưa đến giờ họp: chỉ bắt đầu được từ %d phút trước giờ họp (%s)",
				int(CheckInOpensBefore.Minutes()), st.StartsAt.In(domain.VietnamTime).Format("15:04 02/01/2006"))}
	}
	return nil
}

func checkedIn(msg string) func(st *standing) error {
	return func(st *standing) error {
		if !st.CheckedIn {
			return &domain.PreconditionError{Code: "not_checked_in", Message: msg}
		}
		return nil
	}
}

func started(st *standing) error {
	if st.Status != StatusInProgress && st.Status != StatusEnded {
		return &domain.PreconditionError{Code: "meeting_not_started",
			Message: "Chỉ lập biên bản khi cuộc họp đang diễn ra hoặc đã kết thúc"}
	}
	return nil
}

func notCancelled(st *standing) error {
	if st.Status == StatusCancelled {
		return errMeetingClosed
	}
	return nil
}

func hasMinutes(st *standing) error {
	if st.MinutesDocumentID == nil {
		return &domain.PreconditionError{Code: "no_minutes",
			Message: "Cuộc họp chưa có biên bản; thư ký cần lập biên bản trước"}
	}
	return nil
}

func ofOrganiserUnit(st *standing) error {
	if st.Unit != st.OrganiserUnitID {
		return errNotOrganiserUnit
	}
	return nil
}

type stateCheck = func(st *standing) error

// statusActions is the action each status change is.
var statusActions = map[string]action{
	StatusInProgress: actStart, StatusEnded: actEnd, StatusCancelled: actCancel,
}

// rules is the one definition of each rule.
var rules = map[action]rule{
	actEdit:               {manages, []stateCheck{open}},
	actManageAgenda:       {manages, []stateCheck{open}},
	actManageParticipants: {manages, []stateCheck{open}},
	actStart:              {manages, []stateCheck{open, moveTo(StatusInProgress), startWindow}},
	actEnd:                {manages, []stateCheck{open, moveTo(StatusEnded)}},
	actCancel:             {manages, []stateCheck{open, moveTo(StatusCancelled)}},
	actCheckIn:            {anyone, []stateCheck{open, checkInOpen}},
	actRequestToSpeak:     {anyone, []stateCheck{inProgress, checkedIn("Cần điểm danh trước khi đăng ký phát biểu")}},
	actMoveSpeakers:       {chair, []stateCheck{inProgress}},
	actComment:            {anyone, []stateCheck{open}},
	actOpenBallot:         {chair, []stateCheck{inProgress}},
	actCloseBallot:        {chair, nil},
	actVote:               {anyone, []stateCheck{checkedIn("Bạn cần điểm danh tại cuộc họp trước khi biểu quyết")}},
	actDraftMinutes:       {officer, []stateCheck{started, ofOrganiserUnit}},
	actSignMinutes:        {officer, []stateCheck{hasMinutes, ofOrganiserUnit}},
	actCreateInvitation:   {manages, []stateCheck{open, ofOrganiserUnit}},
	actSetConclusion:      {manages, []stateCheck{notCancelled}},
	actConsole:            {chair, nil},
}

// allowed checks the who of a rule alone, for operations that check some
// input between who and when.
func (st *standing) allowed(a action) error {
	if !rules[a].who(st.Role) {
		return domain.ErrForbidden
	}
	return nil
}

// ready checks the state a rule needs.
func (st *standing) ready(a action) error {
	for _, c := range rules[a].when {
		if err := c(st); err != nil {
			return err
		}
	}
	return nil
}

// need checks a whole rule: domain.ErrForbidden, or the first unmet state.
func (st *standing) need(a action) error {
	if err := st.allowed(a); err != nil {
		return err
	}
	return st.ready(a)
}

func (st *standing) may(a action) bool { return st.need(a) == nil }

// actions is the rules as a value.
func (st *standing) actions() Actions {
	a := Actions{
		Edit:               st.may(actEdit),
		ManageAgenda:       st.may(actManageAgenda),
		ManageParticipants: st.may(actManageParticipants),
		Start:              st.may(actStart) && st.Status != StatusInProgress,
		End:                st.may(actEnd) && st.Status != StatusEnded,
		Cancel:             st.may(actCancel),
		CheckIn:            st.may(actCheckIn) && !st.CheckedIn,
		RequestToSpeak:     st.may(actRequestToSpeak),
		MoveSpeakers:       st.may(actMoveSpeakers),
		Comment:            st.may(actComment),
		OpenBallot:         st.may(actOpenBallot),
		CloseBallot:        st.may(actCloseBallot),
		Vote:               st.may(actVote),
		DraftMinutes:       st.may(actDraftMinutes),
		CreateInvitation:   st.may(actCreateInvitation),
		SetConclusion:      st.may(actSetConclusion),
		Console:            st.may(actConsole),
		OrganiserUnit:      st.Unit == st.OrganiserUnitID,
	}
	if st.may(actSignMinutes) {
		a.SignMinutesAs = st.Role
	}
	return a
}

// Where the meeting of a standing is found: the meeting itself, or the
// meeting a child row belongs to; $1 is the id asked for.
const (
	viaMeeting = `$1`
	viaItem    = `(SELECT i.meeting_id FROM agenda_items i WHERE i.id = $1)`
	viaBallot  = `(SELECT b.meeting_id FROM ballots b WHERE b.id = $1)`
	viaSpeak   = `(SELECT r.meeting_id FROM speak_requests r WHERE r.id = $1)`
	viaDoc     = `(SELECT i.meeting_id FROM agenda_documents ad JOIN agenda_items i ON i.id = ad.item_id WHERE ad.id = $1)`
)

// stand reads p's standing in the meeting found via (see viaMeeting),
// which must be meetingID when that is not 0, in
// one statement, so that a child id that does not exist and one in a
// meeting p has no part in take the same path and the same time (both
// find no row), and both answer domain.ErrNotFound.
func (s *Service) stand(ctx context.Context, q sqlx.QueryerContext, p auth.Principal, via string, id, meetingID int64) (*standing, error) {
	st := &standing{Unit: p.UnitID, Now: s.now()}
	err := sqlx.GetContext(ctx, q, st, `
		SELECT m.id AS meeting_id, m.status, m.organiser_unit_id, m.starts_at, m.created_by, m.chair_id,
		       m.secretary_id, m.minutes_document_id,
		       EXISTS (SELECT 1 FROM meeting_participants mp
		               WHERE mp.meeting_id = m.id AND (mp.user_id = $2 OR mp.unit_id = $3)) AS member,
		       EXISTS (SELECT 1 FROM meeting_attendance a WHERE a.meeting_id = m.id AND a.user_id = $2) AS checked_in
		FROM meetings m WHERE m.id = `+via+` AND $4::bigint IN (0, m.id)
		  AND ($2 IN (m.chair_id, m.secretary_id, m.created_by)
		       OR EXISTS (SELECT 1 FROM meeting_participants mp
		                  WHERE mp.meeting_id = m.id AND (mp.user_id = $2 OR mp.unit_id = $3)))`, id, p.UserID, p.UnitID, meetingID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("meetings: unable to check access: %w", err)
	}
	if st.Role = st.role(p); st.Role == "" {
		return nil, domain.ErrNotFound
	}
	return st, nil
}

// standLocked is stand inside tx with the meeting row locked (exclusive,
// or shared so that many people may check in or comment at once while its
// status holds still). Access is checked before the lock, so that an
// outsider takes no lock and the same time whether the id exists or not,
// and read again once the lock is held, as it then stands.
func (s *Service) standLocked(ctx context.Context, tx *sqlx.Tx, p auth.Principal, via string, id, meetingID int64, exclusive bool) (*standing, error) {
	st, err := s.stand(ctx, tx, p, via, id, meetingID)
	if err != nil {
		return nil, err
	}
	return s.relock(ctx, tx, p, st, exclusive)
}

// relock locks the meeting of st and reads p's standing again.
func (s *Service) relock(ctx context.Context, tx *sqlx.Tx, p auth.Principal, st *standing, exclusive bool) (*standing, error) {
	lock := `FOR SHARE`
	if exclusive {
		lock = `FOR UPDATE`
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM meetings WHERE id = $1 `+lock, st.MeetingID); err != nil {
		return nil, fmt.Errorf("meetings: unable to lock meeting: %w", err)
	}
	return s.stand(ctx, tx, p, viaMeeting, st.MeetingID, 0)
}

// access returns p's strongest role in the meeting, or
// domain.ErrNotFound when p has none.
func (s *Service) access(ctx context.Context, q sqlx.QueryerContext, p auth.Principal, meetingID int64) (string, error) {
	st, err := s.stand(ctx, q, p, viaMeeting, meetingID, 0)
	if err != nil {
		return "", err
	}
	return st.Role, nil
}
