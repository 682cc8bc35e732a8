package meetings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
)

// Service runs meetings.
type Service struct {
	db    *sqlx.DB
	docs  *documents.Service
	blobs storage.Blobs
	hub   *Hub
	now   func() time.Time
	// PresignExpiry is the lifetime of presigned links to a meeting's
	// files: short, so that removing a participant soon closes them too.
	PresignExpiry time.Duration
	// SpoolDir holds the temporary files of packet builds (default: the
	// system's temporary folder).
	SpoolDir string
}

// New returns a Service. hub carries live events between the instances
// (see NewHub).
func New(db *sqlx.DB, docs *documents.Service, blobs storage.Blobs, hub *Hub) *Service {
	docs.AddLink(documentLink)
	return &Service{db: db, docs: docs, blobs: blobs, hub: hub, now: time.Now, PresignExpiry: time.Minute}
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// access returns p's strongest role in the meeting, or
// domain.ErrNotFound when p has none: the organiser (who created it),
// the chair, the secretary, or a participant in person or through their
// unit.
func (s *Service) access(ctx context.Context, q sqlx.QueryerContext, p auth.Principal, meetingID int64) (string, error) {
	var r struct {
		CreatedBy   int64 `db:"created_by"`
		ChairID     int64 `db:"chair_id"`
		SecretaryID int64 `db:"secretary_id"`
		Member      bool  `db:"member"`
	}
	err := sqlx.GetContext(ctx, q, &r, `
		SELECT m.created_by, m.chair_id, m.secretary_id,
		       EXISTS (SELECT 1 FROM meeting_participants mp
		               WHERE mp.meeting_id = m.id AND (mp.user_id = $2 OR mp.unit_id = $3)) AS member
		FROM meetings m WHERE m.id = $1`, meetingID, p.UserID, p.UnitID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", domain.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("meetings: unable to check access: %w", err)
	}
	switch {
	case r.ChairID == p.UserID:
		return RoleChair, nil
	case r.SecretaryID == p.UserID:
		return RoleSecretary, nil
	case r.CreatedBy == p.UserID:
		return RoleOrganiser, nil
	case r.Member:
		return RoleParticipant, nil
	}
	return "", domain.ErrNotFound
}

// manages reports whether a role may change the meeting (agenda,
// participants, documents): the organiser, the chair and the secretary.
func manages(role string) bool {
	return role == RoleOrganiser || role == RoleChair || role == RoleSecretary
}
