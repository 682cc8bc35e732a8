package meetings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"golang.org/x/text/unicode/norm"
)

// Remarks on a meeting, its items and documents.

// AddComment records a remark on the meeting, on an item (itemID) or on
// one of its documents (agendaDocID); 0 means none. Any of the meeting's
// people may comment until it ends.
func (s *Service) AddComment(ctx context.Context, p auth.Principal, meetingID, itemID, agendaDocID int64, body string) (Comment, error) {
	body = strings.TrimSpace(norm.NFC.String(body))
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		return Comment{}, &domain.ValidationError{Fields: map[string]string{"body": "cần nội dung góp ý"}}
	case n > 5000:
		return Comment{}, &domain.ValidationError{Fields: map[string]string{"body": "góp ý dài tối đa 5000 ký tự"}}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Comment{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	st, err := s.standLocked(ctx, tx, p, viaMeeting, meetingID, 0, false)
	if err != nil {
		return Comment{}, err
	}
	if err := st.need(actComment); err != nil {
		return Comment{}, err
	}
	var docID *int64
	if agendaDocID != 0 {
		var docItem int64
		err := tx.GetContext(ctx, &docItem, `
			SELECT ad.item_id FROM agenda_documents ad JOIN agenda_items i ON i.id = ad.item_id
			WHERE ad.id = $1 AND i.meeting_id = $2`, agendaDocID, meetingID)
		if errors.Is(err, sql.ErrNoRows) || err == nil && itemID != 0 && itemID != docItem {
			return Comment{}, &domain.ValidationError{Fields: map[string]string{"agenda_document_id": "tài liệu không thuộc mục chương trình này"}}
		}
		if err != nil {
			return Comment{}, fmt.Errorf("meetings: unable to check document: %w", err)
		}
		itemID, docID = docItem, &agendaDocID
	}
	item, err := s.itemOf(ctx, tx, meetingID, itemID)
	if err != nil {
		return Comment{}, err
	}
	var c Comment
	err = tx.GetContext(ctx, &c, `
		WITH c AS (
		  INSERT INTO meeting_comments (meeting_id, item_id, agenda_document_id, user_id, body)
		  VALUES ($1, $2, $3, $4, $5)
		  RETURNING id, item_id, agenda_document_id, user_id, body, created_at)
		SELECT c.id, c.item_id, c.agenda_document_id, c.user_id, u.full_name AS name, c.body, c.created_at
		FROM c JOIN users u ON u.id = c.user_id`,
		meetingID, item, docID, p.UserID, body)
	if err != nil {
		return Comment{}, fmt.Errorf("meetings: unable to add comment: %w", err)
	}
	if err := s.publishKind(ctx, tx, meetingID, EventComments); err != nil {
		return Comment{}, err
	}
	return c, s.commit(tx)
}

// Comments returns the meeting's comments, oldest first.
func (s *Service) Comments(ctx context.Context, p auth.Principal, meetingID int64) ([]Comment, error) {
	if _, err := s.access(ctx, s.db, p, meetingID); err != nil {
		return nil, err
	}
	cs := []Comment{}
	err := s.db.SelectContext(ctx, &cs, `
		SELECT c.id, c.item_id, c.agenda_document_id, c.user_id, u.full_name AS name, c.body, c.created_at
		FROM meeting_comments c JOIN users u ON u.id = c.user_id
		WHERE c.meeting_id = $1 ORDER BY c.id`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("meetings: unable to list comments: %w", err)
	}
	return cs, nil
}
