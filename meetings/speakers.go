package meetings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
)

// The speaking requests: the chair's queue.

// Speaking request states.
const (
	SpeakWaiting   = "waiting"
	SpeakSpeaking  = "speaking"
	SpeakDone      = "done"
	SpeakWithdrawn = "withdrawn"
)

const speakSelect = `
	SELECT r.id, r.item_id, r.user_id, u.full_name AS name, r.state, r.requested_at
	FROM speak_requests r JOIN users u ON u.id = r.user_id`

// RequestToSpeak puts p in the chair's queue, on an agenda item (0: none).
// Only people who checked in may ask, while the meeting is in progress,
// and one request at a time: a second while the first waits or is being
// heard is refused.
func (s *Service) RequestToSpeak(ctx context.Context, p auth.Principal, meetingID, itemID int64) (SpeakRequest, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return SpeakRequest{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	st, err := s.standLocked(ctx, tx, p, viaMeeting, meetingID, 0, false)
	if err != nil {
		return SpeakRequest{}, err
	}
	if err := st.need(actRequestToSpeak); err != nil {
		return SpeakRequest{}, err
	}
	item, err := s.itemOf(ctx, tx, meetingID, itemID)
	if err != nil {
		return SpeakRequest{}, err
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO speak_requests (meeting_id, item_id, user_id) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING RETURNING id`, meetingID, item, p.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return SpeakRequest{}, &domain.PreconditionError{Code: "already_requested",
			Message: "Bạn đã đăng ký phát biểu và đang chờ (hoặc đang phát biểu); hãy rút đăng ký trước khi đăng ký lại"}
	}
	if err != nil {
		return SpeakRequest{}, fmt.Errorf("meetings: unable to request to speak: %w", err)
	}
	var r SpeakRequest
	if err := tx.GetContext(ctx, &r, speakSelect+` WHERE r.id = $1`, id); err != nil {
		return SpeakRequest{}, fmt.Errorf("meetings: unable to read request: %w", err)
	}
	if err := s.publishKind(ctx, tx, meetingID, EventSpeakers); err != nil {
		return SpeakRequest{}, err
	}
	return r, s.commit(tx)
}

// itemOf checks that itemID (0: none) is an item of the meeting.
func (s *Service) itemOf(ctx context.Context, q sqlx.QueryerContext, meetingID, itemID int64) (*int64, error) {
	if itemID == 0 {
		return nil, nil
	}
	var ok bool
	if err := sqlx.GetContext(ctx, q, &ok, `SELECT EXISTS (SELECT 1 FROM agenda_items WHERE id = $1 AND meeting_id = $2)`,
		itemID, meetingID); err != nil {
		return nil, fmt.Errorf("meetings: unable to check agenda item: %w", err)
	}
	if !ok {
		return nil, &domain.ValidationError{Fields: map[string]string{"item_id": "mục chương trình không thuộc cuộc họp này"}}
	}
	return &itemID, nil
}

// speakRequest locks a request's meeting, checking p's access, and reads
// the request.
func (s *Service) speakRequest(ctx context.Context, tx *sqlx.Tx, p auth.Principal, requestID int64) (SpeakRequest, *standing, error) {
	st, err := s.standLocked(ctx, tx, p, viaSpeak, requestID, 0, true)
	if err != nil {
		return SpeakRequest{}, nil, err
	}
	var r SpeakRequest
	if err := tx.GetContext(ctx, &r, speakSelect+` WHERE r.id = $1`, requestID); err != nil {
		return SpeakRequest{}, nil, fmt.Errorf("meetings: unable to read request: %w", err)
	}
	return r, st, nil
}

// WithdrawSpeak withdraws p's own request while it still waits.
func (s *Service) WithdrawSpeak(ctx context.Context, p auth.Principal, requestID int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	r, st, err := s.speakRequest(ctx, tx, p, requestID)
	if err != nil {
		return err
	}
	meetingID := st.MeetingID
	if r.UserID != p.UserID {
		return domain.ErrForbidden
	}
	if r.State != SpeakWaiting {
		return &domain.PreconditionError{Code: "not_waiting", Message: "Chỉ rút được đăng ký đang chờ phát biểu"}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE speak_requests SET state = 'withdrawn', changed_at = now() WHERE id = $1`, requestID); err != nil {
		return fmt.Errorf("meetings: unable to withdraw: %w", err)
	}
	if err := s.publishKind(ctx, tx, meetingID, EventSpeakers); err != nil {
		return err
	}
	return s.commit(tx)
}

// SetSpeakState is the chair's: give the floor (waiting → speaking; whoever
// was speaking is done) or close it (speaking → done).
func (s *Service) SetSpeakState(ctx context.Context, p auth.Principal, requestID int64, state string) (SpeakRequest, error) {
	if state != SpeakSpeaking && state != SpeakDone {
		return SpeakRequest{}, &domain.ValidationError{Fields: map[string]string{"state": "trạng thái phải là speaking hoặc done"}}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return SpeakRequest{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	r, st, err := s.speakRequest(ctx, tx, p, requestID)
	if err != nil {
		return SpeakRequest{}, err
	}
	if err := st.need(actMoveSpeakers); err != nil {
		return SpeakRequest{}, err
	}
	meetingID := st.MeetingID
	from := map[string]string{SpeakSpeaking: SpeakWaiting, SpeakDone: SpeakSpeaking}[state]
	if r.State != from {
		return SpeakRequest{}, &domain.PreconditionError{Code: "illegal_transition",
			Message: "Không chuyển được yêu cầu phát biểu từ " + r.State + " sang " + state}
	}
	if state == SpeakSpeaking {
		if _, err := tx.ExecContext(ctx, `UPDATE speak_requests SET state = 'done', changed_at = now() WHERE meeting_id = $1 AND state = 'speaking'`,
			meetingID); err != nil {
			return SpeakRequest{}, fmt.Errorf("meetings: unable to close the floor: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE speak_requests SET state = $2, changed_at = now() WHERE id = $1`, requestID, state); err != nil {
		return SpeakRequest{}, fmt.Errorf("meetings: unable to change request: %w", err)
	}
	r.State = state
	if err := s.publishKind(ctx, tx, meetingID, EventSpeakers); err != nil {
		return SpeakRequest{}, err
	}
	return r, s.commit(tx)
}

// SpeakQueue returns the requests still open: who is speaking, then who
// waits, in the order they asked.
func (s *Service) SpeakQueue(ctx context.Context, p auth.Principal, meetingID int64) ([]SpeakRequest, error) {
	if _, err := s.access(ctx, s.db, p, meetingID); err != nil {
		return nil, err
	}
	q := []SpeakRequest{}
	err := s.db.SelectContext(ctx, &q, speakSelect+`
		WHERE r.meeting_id = $1 AND r.state IN ('waiting', 'speaking')
		ORDER BY r.state = 'speaking' DESC, r.requested_at, r.id`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("meetings: unable to list requests to speak: %w", err)
	}
	return q, nil
}
