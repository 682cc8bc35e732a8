package meetings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
)

// The people and units invited to a meeting.

// AddParticipant invites a person (in.UserID) or a unit (in.UnitID, whose
// people may then attend) as a member or a guest.
func (s *Service) AddParticipant(ctx context.Context, p auth.Principal, meetingID int64, in ParticipantInput) (Participant, error) {
	role := strings.TrimSpace(in.Role)
	if role == "" {
		role = "member"
	}
	bad := map[string]string{}
	if role != "member" && role != "guest" {
		bad["role"] = "vai trò phải là thành viên (member) hoặc khách mời (guest)"
	}
	switch {
	case (in.UserID > 0) == (in.UnitID > 0):
		bad["user_id"] = "chọn đúng một người hoặc một đơn vị"
	case in.UserID > 0:
		ok, err := activeUser(ctx, s.db, in.UserID)
		if err != nil {
			return Participant{}, err
		}
		if !ok {
			bad["user_id"] = "người dự họp không tồn tại hoặc tài khoản đã bị khóa"
		}
	default:
		var ok bool
		if err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM units WHERE id = $1)`, in.UnitID); err != nil {
			return Participant{}, fmt.Errorf("meetings: unable to check unit: %w", err)
		}
		if !ok {
			bad["unit_id"] = "đơn vị dự họp không tồn tại"
		}
	}
	if len(bad) > 0 {
		return Participant{}, &domain.ValidationError{Fields: bad}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Participant{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := s.lockToChange(ctx, tx, p, viaMeeting, meetingID, 0, actManageParticipants); err != nil {
		return Participant{}, err
	}
	var userID, unitID *int64
	if in.UserID > 0 {
		userID = &in.UserID
	} else {
		unitID = &in.UnitID
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO meeting_participants (meeting_id, user_id, unit_id, role, added_by)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING RETURNING id`, meetingID, userID, unitID, role, p.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return Participant{}, &domain.PreconditionError{Code: "already_participant", Message: "Người hoặc đơn vị này đã có trong danh sách dự họp"}
	}
	if err != nil {
		return Participant{}, fmt.Errorf("meetings: unable to add participant: %w", err)
	}
	var pt Participant
	err = tx.GetContext(ctx, &pt, `
		SELECT mp.id, mp.user_id, mp.unit_id, COALESCE(u.full_name, n.name) AS name,
		       COALESCE(un.name, n.name) AS unit_name, mp.role
		FROM meeting_participants mp
		LEFT JOIN users u ON u.id = mp.user_id
		LEFT JOIN units un ON un.id = u.unit_id
		LEFT JOIN units n ON n.id = mp.unit_id
		WHERE mp.id = $1`, id)
	if err != nil {
		return Participant{}, fmt.Errorf("meetings: unable to read participant: %w", err)
	}
	rev, err := currentRevision(ctx, tx, meetingID)
	if err != nil {
		return Participant{}, err
	}
	if err := s.publish(ctx, tx, Event{MeetingID: meetingID, Kind: EventParticipants, Revision: rev}); err != nil {
		return Participant{}, err
	}
	return pt, s.commit(tx)
}

// RemoveParticipant takes a person or a unit off the meeting. Whoever is
// left with no role in it loses access at once: reads answer ErrNotFound
// from the commit on, and their live streams close.
func (s *Service) RemoveParticipant(ctx context.Context, p auth.Principal, meetingID, participantID int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := s.lockToChange(ctx, tx, p, viaMeeting, meetingID, 0, actManageParticipants); err != nil {
		return err
	}
	var gone struct {
		UserID *int64 `db:"user_id"`
		UnitID *int64 `db:"unit_id"`
	}
	err = tx.GetContext(ctx, &gone, `DELETE FROM meeting_participants WHERE id = $1 AND meeting_id = $2 RETURNING user_id, unit_id`,
		participantID, meetingID)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("meetings: unable to remove participant: %w", err)
	}
	var candidates []int64
	if gone.UserID != nil {
		candidates = []int64{*gone.UserID}
	} else if err := tx.SelectContext(ctx, &candidates, `SELECT id FROM users WHERE unit_id = $1`, *gone.UnitID); err != nil {
		return fmt.Errorf("meetings: unable to list the unit's users: %w", err)
	}
	rev, err := currentRevision(ctx, tx, meetingID)
	if err != nil {
		return err
	}
	if err := s.publish(ctx, tx, Event{MeetingID: meetingID, Kind: EventParticipants, Revision: rev}); err != nil {
		return err
	}
	if err := s.cutOff(ctx, tx, meetingID, rev, candidates); err != nil {
		return err
	}
	return s.commit(tx)
}
