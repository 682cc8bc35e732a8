package meetings

import (
	"time"

	"github.com/hcm-edu/vanban/documents"
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
