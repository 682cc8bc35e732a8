package meetings

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
)

// The minutes (biên bản) and the invitation (giấy mời) are documents of
// the organiser unit, generated here as PDF and then handled like any
// other: the invitation goes through the normal flow (the signer signs,
// the clerk registers and issues it to InvitationRecipients); the minutes
// are signed by the secretary and the chair at their blocks (SignMinutes).
//
// Both are documents, so, as every document of a unit, they can be read
// by the organiser unit's people, not only the meeting's. The person who
// drafts them must belong to the organiser unit: a document is created in
// its author's unit, and a secretary from another unit creating one in
// the organiser's would be a person acting for a unit they do not belong
// to. Such a meeting needs its minutes drafted by someone of the
// organiser unit (the chair, or a secretary from that unit).

// loadPerson reads someone as the minutes and the invitation name them.
func loadPerson(ctx context.Context, q sqlx.QueryerContext, id int64) (person, error) {
	var p person
	err := sqlx.GetContext(ctx, q, &p, `
		SELECT u.id, u.full_name, u.position, u.unit_id, n.name AS unit_name
		FROM users u JOIN units n ON n.id = u.unit_id WHERE u.id = $1`, id)
	if err != nil {
		return p, fmt.Errorf("meetings: unable to fetch user: %w", err)
	}
	return p, nil
}

// loadOrg reads the header of a unit's documents.
func loadOrg(ctx context.Context, q sqlx.QueryerContext, unitID int64) (orgHeader, error) {
	var o orgHeader
	// The governing body is printed for offices and schools; a district
	// office answers to its district's People's Committee, which the
	// organisation tree does not hold, so it prints none.
	err := sqlx.GetContext(ctx, q, &o, `
		SELECT u.name, u.abbreviation,
		       CASE WHEN u.kind IN ('office', 'school') THEN coalesce(pu.name, '') ELSE '' END AS parent
		FROM units u LEFT JOIN units pu ON pu.id = u.parent_id WHERE u.id = $1`, unitID)
	if err != nil {
		return o, fmt.Errorf("meetings: unable to fetch unit: %w", err)
	}
	return o, nil
}

var (
	errNotOrganiserUnit = &domain.PreconditionError{Code: "not_organiser_unit",
		Message: "Văn bản của cuộc họp thuộc đơn vị tổ chức; chỉ người thuộc đơn vị tổ chức soạn hoặc ký được văn bản này"}
	errMinutesSigned = &domain.PreconditionError{Code: "minutes_signed",
		Message: "Biên bản đã được ký nên không soạn lại được"}
	errInvitationSigned = &domain.PreconditionError{Code: "invitation_signed",
		Message: "Giấy mời đã được ký hoặc đăng ký nên không soạn lại được"}
)

// storeDraft creates the meeting's document in column (minutes or
// invitation) or, when there is one already and it is still an unsigned
// draft, adds the new file as its next version. signed is the error for a
// draft that can no longer change.
func (s *Service) storeDraft(ctx context.Context, p auth.Principal, meetingID int64, column string, meta documents.Meta, file []byte, fileName string, signed error) (documents.Document, error) {
	up, err := s.docs.Spool(ctx, bytes.NewReader(file), fileName)
	if err != nil {
		return documents.Document{}, err
	}
	defer up.Close()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return documents.Document{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	// The meeting row stays locked until the document is recorded, so two
	// drafts at once make one document, in two versions.
	var current *int64
	if err := tx.GetContext(ctx, &current, `SELECT `+column+` FROM meetings WHERE id = $1 FOR UPDATE`, meetingID); err != nil {
		return documents.Document{}, fmt.Errorf("meetings: unable to lock meeting: %w", err)
	}
	var d documents.Document
	if current != nil {
		d, err = s.docs.ReplaceDraft(ctx, p, *current, up, "Soạn lại từ hồ sơ cuộc họp")
		var pe *domain.PreconditionError
		if errors.As(err, &pe) && pe.Code == "draft_signed" {
			return d, signed
		}
		if err != nil {
			return d, err
		}
	} else {
		if d, err = s.docs.Create(ctx, p, meta, up); err != nil {
			return d, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE meetings SET `+column+` = $2, updated_at = now() WHERE id = $1`, meetingID, d.ID); err != nil {
			return d, fmt.Errorf("meetings: unable to record the document: %w", err)
		}
	}
	if err := s.publishKind(ctx, tx, meetingID, EventMeeting); err != nil {
		return d, err
	}
	return d, s.commit(tx)
}

// DraftMinutes generates the minutes from the meeting's record (the
// attendance, each item with its comments and ballot results) and keeps
// them as a draft document of the organiser unit, or as the next version
// of the draft while nobody has signed it. The secretary or the chair may,
// once the meeting has started, if they belong to the organiser unit.
func (s *Service) DraftMinutes(ctx context.Context, p auth.Principal, meetingID int64) (documents.Document, error) {
	st, err := s.stand(ctx, s.db, p, viaMeeting, meetingID, 0)
	if err != nil {
		return documents.Document{}, err
	}
	if err := st.need(actDraftMinutes); err != nil {
		return documents.Document{}, err
	}
	m, err := s.Get(ctx, p, meetingID)
	if err != nil {
		return documents.Document{}, err
	}
	m.Items = sharedOnly(m.Items)
	md := minutesData{meeting: m, at: s.now()}
	if md.org, err = loadOrg(ctx, s.db, m.OrganiserUnitID); err != nil {
		return documents.Document{}, err
	}
	if md.chair, err = loadPerson(ctx, s.db, m.ChairID); err != nil {
		return documents.Document{}, err
	}
	if md.secretary, err = loadPerson(ctx, s.db, m.SecretaryID); err != nil {
		return documents.Document{}, err
	}
	if md.attendance, err = s.Attendance(ctx, p, meetingID); err != nil {
		return documents.Document{}, err
	}
	if md.comments, err = s.Comments(ctx, p, meetingID); err != nil {
		return documents.Document{}, err
	}
	if md.ballots, err = s.Ballots(ctx, p, meetingID); err != nil {
		return documents.Document{}, err
	}
	file, _, err := minutesPDF(md)
	if err != nil {
		return documents.Document{}, err
	}
	meta := documents.Meta{DocType: "BB", Title: "Biên bản họp: " + m.Title,
		DocDate: m.StartsAt.In(domain.VietnamTime).Format(time.DateOnly), SignerName: md.chair.Name}
	return s.storeDraft(ctx, p, meetingID, "minutes_document_id", meta, file,
		fmt.Sprintf("bien-ban-hop-%d.pdf", meetingID), errMinutesSigned)
}

// SignMinutes applies p's person signature to the minutes at p's block:
// the secretary's on the left, the chair's on the right. versionSHA256 is
// the version p read, as for any signature, otp p's second factor (when
// p has enrolled). Each signs once.
func (s *Service) SignMinutes(ctx context.Context, p auth.Principal, meetingID int64, versionSHA256, otp string) (documents.Document, error) {
	st, err := s.stand(ctx, s.db, p, viaMeeting, meetingID, 0)
	if err != nil {
		return documents.Document{}, err
	}
	if err := st.need(actSignMinutes); err != nil {
		return documents.Document{}, err
	}
	role := st.Role
	m, err := s.meetingRow(ctx, s.db, meetingID)
	if err != nil {
		return documents.Document{}, err
	}
	sigs, err := s.docs.Signatures(ctx, p, *st.MinutesDocumentID)
	if err != nil {
		return documents.Document{}, err
	}
	if slices.ContainsFunc(sigs, func(g documents.Signature) bool { return g.SignedBy == p.UserID && g.Kind == "person" }) {
		return documents.Document{}, &domain.PreconditionError{Code: "already_signed", Message: "Bạn đã ký biên bản này"}
	}
	_, file, err := s.latestFile(ctx, p, *st.MinutesDocumentID)
	if err != nil {
		return documents.Document{}, err
	}
	l, ok := findBlocks(file)
	if !ok {
		return documents.Document{}, &domain.PreconditionError{Code: "no_signer_blocks",
			Message: "Không tìm thấy chỗ ký của thư ký và chủ trì trong biên bản; hãy lập lại biên bản"}
	}
	reason, office := "Ký biên bản họp (thư ký)", documents.AsSecretary
	if role == RoleChair {
		reason, office = "Ký biên bản họp (chủ trì)", documents.AsChair
	}
	rect := l.rect(role)
	d, err := s.docs.SignAsMeetingOfficer(ctx, p, office, *st.MinutesDocumentID,
		documents.SignRequest{VersionSHA256: versionSHA256, Page: l.Page, Rect: &rect, Reason: reason, OTP: otp})
	if err != nil {
		return d, err
	}
	if err := s.publish(ctx, s.db, Event{MeetingID: meetingID, Kind: EventMeeting, Revision: m.Revision}); err != nil {
		return d, err
	}
	return d, nil
}

// latestFile reads the latest version of a document p may see. Minutes
// are a few pages: read whole.
func (s *Service) latestFile(ctx context.Context, p auth.Principal, id int64) (documents.Version, []byte, error) {
	d, err := s.docs.Get(ctx, p, id)
	if err != nil {
		return documents.Version{}, nil, err
	}
	v := d.Versions[0]
	if v.Size > 64<<20 {
		return v, nil, fmt.Errorf("%w: the minutes are %d bytes", documents.ErrTooLarge, v.Size)
	}
	rc, err := s.docs.Open(ctx, v, 0, -1)
	if err != nil {
		return v, nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return v, nil, fmt.Errorf("meetings: unable to read the minutes: %w", err)
	}
	return v, b, nil
}

// CreateInvitation generates the invitation (giấy mời) as a draft
// document of the organiser unit, for the normal flow: the signer signs,
// the clerk registers it and issues it to InvitationRecipients. Drafting
// again replaces it while it is unsigned. The organiser, the chair or the
// secretary may, if they belong to the organiser unit.
func (s *Service) CreateInvitation(ctx context.Context, p auth.Principal, meetingID int64) (documents.Document, error) {
	st, err := s.stand(ctx, s.db, p, viaMeeting, meetingID, 0)
	if err != nil {
		return documents.Document{}, err
	}
	if err := st.need(actCreateInvitation); err != nil {
		return documents.Document{}, err
	}
	m, err := s.Get(ctx, p, meetingID)
	if err != nil {
		return documents.Document{}, err
	}
	v := invitationData{meeting: m, at: s.now()}
	if v.org, err = loadOrg(ctx, s.db, m.OrganiserUnitID); err != nil {
		return documents.Document{}, err
	}
	if v.chair, err = loadPerson(ctx, s.db, m.ChairID); err != nil {
		return documents.Document{}, err
	}
	if v.chair.UnitID == m.OrganiserUnitID {
		v.signer = &v.chair
	}
	for _, pt := range m.Participants {
		if pt.UnitID != nil {
			v.invited = append(v.invited, "Đại diện lãnh đạo "+pt.Name)
			continue
		}
		who, err := loadPerson(ctx, s.db, *pt.UserID)
		if err != nil {
			return documents.Document{}, err
		}
		line := who.withPosition()
		if who.UnitID != m.OrganiserUnitID {
			line += ", " + who.Unit
		}
		v.invited = append(v.invited, line)
	}
	if len(v.invited) == 0 {
		return documents.Document{}, &domain.PreconditionError{Code: "no_participants",
			Message: "Cuộc họp chưa có thành phần tham dự; hãy thêm người hoặc đơn vị dự họp trước khi lập giấy mời"}
	}
	file, err := invitationPDF(v)
	if err != nil {
		return documents.Document{}, err
	}
	meta := documents.Meta{DocType: "GM", Title: "Giấy mời họp: " + m.Title,
		DocDate: v.at.In(domain.VietnamTime).Format(time.DateOnly)}
	if v.signer != nil {
		meta.SignerName = v.signer.Name
	}
	return s.storeDraft(ctx, p, meetingID, "invitation_document_id", meta, file,
		fmt.Sprintf("giay-moi-hop-%d.pdf", meetingID), errInvitationSigned)
}

// InvitationRecipients returns the units the invitation is issued to: the
// participating units and the units of the people invited (the chair and
// the secretary among them), without the organiser unit itself. The
// meeting's people may ask, and so may the organiser unit's clerks once
// the invitation exists, since they issue it.
func (s *Service) InvitationRecipients(ctx context.Context, p auth.Principal, meetingID int64) ([]int64, error) {
	if _, err := s.access(ctx, s.db, p, meetingID); err != nil {
		if !errors.Is(err, domain.ErrNotFound) || !p.Has(auth.RoleClerk) {
			return nil, err
		}
		var issuer bool
		if err := s.db.GetContext(ctx, &issuer, `
			SELECT EXISTS (SELECT 1 FROM meetings WHERE id = $1 AND organiser_unit_id = $2 AND invitation_document_id IS NOT NULL)`,
			meetingID, p.UnitID); err != nil {
			return nil, fmt.Errorf("meetings: unable to check meeting: %w", err)
		}
		if !issuer {
			return nil, err
		}
	}
	units := []int64{}
	err := s.db.SelectContext(ctx, &units, `
		SELECT DISTINCT x.unit_id FROM (
		  SELECT mp.unit_id FROM meeting_participants mp WHERE mp.meeting_id = $1 AND mp.unit_id IS NOT NULL
		  UNION SELECT u.unit_id FROM meeting_participants mp JOIN users u ON u.id = mp.user_id WHERE mp.meeting_id = $1
		  UNION SELECT u.unit_id FROM meetings m JOIN users u ON u.id IN (m.chair_id, m.secretary_id) WHERE m.id = $1
		) x JOIN meetings m ON m.id = $1
		WHERE x.unit_id <> m.organiser_unit_id
		ORDER BY x.unit_id`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("meetings: unable to list recipients: %w", err)
	}
	return units, nil
}

// SetConclusion links the conclusion notice (thông báo kết luận): a
// document of the organiser unit that p can see and that has been issued
// through routing. The organiser, the chair or the secretary may.
func (s *Service) SetConclusion(ctx context.Context, p auth.Principal, meetingID, documentID int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	st, err := s.standLocked(ctx, tx, p, viaMeeting, meetingID, 0, true)
	if err != nil {
		return err
	}
	if err := st.need(actSetConclusion); err != nil {
		return err
	}
	d, err := s.docs.Get(ctx, p, documentID)
	if errors.Is(err, domain.ErrNotFound) {
		return &domain.ValidationError{Fields: map[string]string{"document_id": "không tìm thấy văn bản này"}}
	}
	if err != nil {
		return err
	}
	if d.UnitID != st.OrganiserUnitID {
		return &domain.ValidationError{Fields: map[string]string{"document_id": "thông báo kết luận phải là văn bản của đơn vị tổ chức cuộc họp"}}
	}
	if d.Status != "issued" {
		return &domain.PreconditionError{Code: "conclusion_not_issued",
			Message: "Thông báo kết luận cần được ký, đăng ký và ban hành trước khi gắn vào cuộc họp"}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meetings SET conclusion_document_id = $2, updated_at = now() WHERE id = $1`, meetingID, documentID); err != nil {
		return fmt.Errorf("meetings: unable to record the conclusion: %w", err)
	}
	if err := s.publishKind(ctx, tx, meetingID, EventMeeting); err != nil {
		return err
	}
	return s.commit(tx)
}
