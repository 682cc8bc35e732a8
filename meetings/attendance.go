package meetings

import (
	"context"
	"fmt"
	"time"

	"github.com/hcm-edu/vanban/auth"
)

// Check-in and the attendance list.

// Check-in opens this long before the start; later than LateAfter past the
// start counts as late.
const (
	CheckInOpensBefore = 30 * time.Minute
	LateAfter          = 10 * time.Minute
)

// CheckIn records p's arrival: any of the meeting's people, from
// CheckInOpensBefore the start until the meeting ends. Arriving more than
// LateAfter past the start is late. A second check-in returns the first.
func (s *Service) CheckIn(ctx context.Context, p auth.Principal, meetingID int64) (Attendee, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Attendee{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	st, err := s.standLocked(ctx, tx, p, viaMeeting, meetingID, 0, false)
	if err != nil {
		return Attendee{}, err
	}
	if err := st.need(actCheckIn); err != nil {
		return Attendee{}, err
	}
	now, startsAt := st.Now, st.StartsAt
	res, err := tx.ExecContext(ctx, `
		INSERT INTO meeting_attendance (meeting_id, user_id, checked_in_at, late)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, meetingID, p.UserID, now, now.After(startsAt.Add(LateAfter)))
	if err != nil {
		return Attendee{}, fmt.Errorf("meetings: unable to check in: %w", err)
	}
	var a Attendee
	err = tx.GetContext(ctx, &a, `
		SELECT a.user_id, u.full_name AS name, n.name AS unit_name, a.checked_in_at, a.late
		FROM meeting_attendance a JOIN users u ON u.id = a.user_id JOIN units n ON n.id = u.unit_id
		WHERE a.meeting_id = $1 AND a.user_id = $2`, meetingID, p.UserID)
	if err != nil {
		return Attendee{}, fmt.Errorf("meetings: unable to read check-in: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		if err := s.publishKind(ctx, tx, meetingID, EventAttendance); err != nil {
			return Attendee{}, err
		}
	}
	return a, s.commit(tx)
}

// Attendance returns who checked in (with late arrivals), and who is
// expected but absent: the chair, the secretary, the participants in
// person, and each participating unit none of whose people checked in
// (an Attendee with UserID 0 and the unit's name).
func (s *Service) Attendance(ctx context.Context, p auth.Principal, meetingID int64) (Attendance, error) {
	if _, err := s.access(ctx, s.db, p, meetingID); err != nil {
		return Attendance{}, err
	}
	att := Attendance{Present: []Attendee{}, Absent: []Attendee{}}
	err := s.db.SelectContext(ctx, &att.Present, `
		SELECT a.user_id, u.full_name AS name, n.name AS unit_name, a.checked_in_at, a.late
		FROM meeting_attendance a JOIN users u ON u.id = a.user_id JOIN units n ON n.id = u.unit_id
		WHERE a.meeting_id = $1 ORDER BY a.checked_in_at, a.user_id`, meetingID)
	if err != nil {
		return Attendance{}, fmt.Errorf("meetings: unable to list attendance: %w", err)
	}
	for _, a := range att.Present {
		if a.Late {
			att.Late++
		}
	}
	err = s.db.SelectContext(ctx, &att.Absent, `
		SELECT u.id AS user_id, u.full_name AS name, n.name AS unit_name
		FROM (SELECT chair_id AS uid, 0::bigint AS ord FROM meetings WHERE id = $1
		      UNION ALL SELECT secretary_id, 1 FROM meetings WHERE id = $1
		      UNION ALL SELECT user_id, 1 + id FROM meeting_participants WHERE meeting_id = $1 AND user_id IS NOT NULL) e
		JOIN users u ON u.id = e.uid JOIN units n ON n.id = u.unit_id
		WHERE NOT EXISTS (SELECT 1 FROM meeting_attendance a WHERE a.meeting_id = $1 AND a.user_id = e.uid)
		GROUP BY u.id, u.full_name, n.name
		ORDER BY min(e.ord)`, meetingID)
	if err != nil {
		return Attendance{}, fmt.Errorf("meetings: unable to list absent people: %w", err)
	}
	var units []Attendee
	err = s.db.SelectContext(ctx, &units, `
		SELECT 0 AS user_id, n.name, n.name AS unit_name
		FROM meeting_participants mp JOIN units n ON n.id = mp.unit_id
		WHERE mp.meeting_id = $1 AND NOT EXISTS (
		  SELECT 1 FROM meeting_attendance a JOIN users u ON u.id = a.user_id
		  WHERE a.meeting_id = $1 AND u.unit_id = mp.unit_id)
		ORDER BY mp.id`, meetingID)
	if err != nil {
		return Attendance{}, fmt.Errorf("meetings: unable to list absent units: %w", err)
	}
	att.Absent = append(att.Absent, units...)
	return att, nil
}
