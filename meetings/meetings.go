package meetings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"
)

var (
	errMeetingClosed = &domain.PreconditionError{Code: "meeting_closed",
		Message: "Cuộc họp đã kết thúc hoặc đã bị hủy nên không thay đổi được nữa"}
	errNotInProgress = &domain.PreconditionError{Code: "meeting_not_in_progress",
		Message: "Cuộc họp chưa bắt đầu hoặc đã kết thúc; chủ trì cần bắt đầu cuộc họp trước"}
)

var statusNames = map[string]string{
	StatusScheduled:  "đã lên lịch",
	StatusInProgress: "đang họp",
	StatusEnded:      "đã kết thúc",
	StatusCancelled:  "đã hủy",
}

// oneLine normalises to NFC and collapses white space.
func oneLine(s string) string { return strings.Join(strings.Fields(norm.NFC.String(s)), " ") }

// meetingColumns and meetingFrom read a meeting with the names shown
// beside its ids.
const (
	meetingColumns = `
	m.id, m.organiser_unit_id, ou.name AS organiser_unit, m.title, m.starts_at, m.ends_at,
	m.place, m.online_url, m.chair_id, cu.full_name AS chair_name, m.secretary_id,
	su.full_name AS secretary_name, m.status, m.revision, m.invitation_document_id,
	m.minutes_document_id, m.conclusion_document_id, m.created_by, m.created_at`
	meetingFrom = `
	FROM meetings m
	JOIN units ou ON ou.id = m.organiser_unit_id
	JOIN users cu ON cu.id = m.chair_id
	JOIN users su ON su.id = m.secretary_id`
)

// lockToChange locks the meeting (found via, see stand) for the rest of
// tx and checks rule a of the changes: a manager's, on a meeting still
// open to changes. Non-members get domain.ErrNotFound.
func (s *Service) lockToChange(ctx context.Context, tx *sqlx.Tx, p auth.Principal, via string, id, meetingID int64, a action) (*standing, error) {
	st, err := s.standLocked(ctx, tx, p, via, id, meetingID, true)
	if err != nil {
		return nil, err
	}
	return st, st.need(a)
}

// bumpRevision marks a change of what the packet holds.
func bumpRevision(ctx context.Context, tx *sqlx.Tx, meetingID int64) (int, error) {
	var rev int
	err := tx.GetContext(ctx, &rev, `UPDATE meetings SET revision = revision + 1, updated_at = now() WHERE id = $1 RETURNING revision`, meetingID)
	if err != nil {
		return 0, fmt.Errorf("meetings: unable to bump revision: %w", err)
	}
	return rev, nil
}

func currentRevision(ctx context.Context, q sqlx.QueryerContext, meetingID int64) (int, error) {
	var rev int
	if err := sqlx.GetContext(ctx, q, &rev, `SELECT revision FROM meetings WHERE id = $1`, meetingID); err != nil {
		return 0, fmt.Errorf("meetings: unable to read revision: %w", err)
	}
	return rev, nil
}

// checked is a validated Input.
type checked struct {
	title, place, onlineURL string
	startsAt, endsAt        time.Time
	chairID, secretaryID    int64
}

// checkInput validates in and returns a *domain.ValidationError naming
// each bad field.
func (s *Service) checkInput(ctx context.Context, in Input) (checked, error) {
	c := checked{title: oneLine(in.Title), place: oneLine(in.Place), onlineURL: strings.TrimSpace(in.OnlineURL),
		startsAt: in.StartsAt, endsAt: in.EndsAt, chairID: in.ChairID, secretaryID: in.SecretaryID}
	bad := map[string]string{}
	switch n := utf8.RuneCountInString(c.title); {
	case n == 0:
		bad["title"] = "cần tên (nội dung) cuộc họp"
	case n > 500:
		bad["title"] = "tên cuộc họp dài tối đa 500 ký tự"
	}
	if utf8.RuneCountInString(c.place) > 500 {
		bad["place"] = "địa điểm dài tối đa 500 ký tự"
	}
	switch {
	case c.startsAt.IsZero():
		bad["starts_at"] = "cần thời gian bắt đầu"
	case c.endsAt.IsZero():
		bad["ends_at"] = "cần thời gian kết thúc"
	case !c.endsAt.After(c.startsAt):
		bad["ends_at"] = "thời gian kết thúc phải sau thời gian bắt đầu"
	}
	if c.onlineURL != "" {
		u, err := url.Parse(c.onlineURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(c.onlineURL) > 2000 {
			bad["online_url"] = "đường dẫn họp trực tuyến phải là địa chỉ http:// hoặc https:// đầy đủ"
		}
	}
	people := []struct {
		field, who string
		id         int64
	}{{"chair_id", "người chủ trì", c.chairID}, {"secretary_id", "thư ký", c.secretaryID}}
	for _, x := range people {
		if x.id <= 0 {
			bad[x.field] = "cần chọn " + x.who
			continue
		}
		ok, err := activeUser(ctx, s.db, x.id)
		if err != nil {
			return c, err
		}
		if !ok {
			bad[x.field] = x.who + " không tồn tại hoặc tài khoản đã bị khóa"
		}
	}
	if c.chairID > 0 && c.chairID == c.secretaryID {
		bad["secretary_id"] = "thư ký và người chủ trì phải là hai người khác nhau"
	}
	if len(bad) > 0 {
		return c, &domain.ValidationError{Fields: bad}
	}
	return c, nil
}

func activeUser(ctx context.Context, q sqlx.QueryerContext, id int64) (bool, error) {
	var ok bool
	err := sqlx.GetContext(ctx, q, &ok, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND NOT disabled)`, id)
	if err != nil {
		return false, fmt.Errorf("meetings: unable to check user: %w", err)
	}
	return ok, nil
}

// Create schedules a meeting organised by p's unit. Organisers are
// clerks, signers and staff; an account that is only an administrator
// organises nothing.
func (s *Service) Create(ctx context.Context, p auth.Principal, in Input) (Meeting, error) {
	if !p.HasAny(auth.RoleClerk, auth.RoleSigner, auth.RoleStaff) {
		return Meeting{}, domain.ErrForbidden
	}
	c, err := s.checkInput(ctx, in)
	if st := strings.TrimSpace(in.Status); st != "" && st != StatusScheduled {
		var ve *domain.ValidationError
		if !errors.As(err, &ve) {
			ve = &domain.ValidationError{Fields: map[string]string{}}
		}
		ve.Fields["status"] = "cuộc họp mới luôn ở trạng thái đã lên lịch (scheduled)"
		err = ve
	}
	if err != nil {
		return Meeting{}, err
	}
	var id int64
	err = s.db.GetContext(ctx, &id, `
		INSERT INTO meetings (organiser_unit_id, title, starts_at, ends_at, place, online_url,
		                      chair_id, secretary_id, status, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'scheduled', $9)
		RETURNING id`,
		p.UnitID, c.title, c.startsAt, c.endsAt, c.place, c.onlineURL, c.chairID, c.secretaryID, p.UserID)
	if err != nil {
		return Meeting{}, fmt.Errorf("meetings: unable to create meeting: %w", err)
	}
	return s.Get(ctx, p, id)
}

// transitions lists the statuses each status may move to.
var transitions = map[string][]string{
	StatusScheduled:  {StatusInProgress, StatusCancelled},
	StatusInProgress: {StatusEnded, StatusCancelled},
}

// Update changes a meeting: the organiser, the chair or the secretary.
// in replaces every field, validated as by Create, and Status (when not
// empty) moves the meeting scheduled → in_progress → ended, or to
// cancelled. An Input holding nothing but a Status changes the status
// alone. Ended and cancelled meetings are read-only. Changing the details
// bumps the revision (the packet's cover shows them); a chair or secretary
// replaced, and left with no other role, loses access at once.
func (s *Service) Update(ctx context.Context, p auth.Principal, id int64, in Input) (Meeting, error) {
	statusOnly := in == Input{Status: in.Status} && in.Status != ""
	var c checked
	if !statusOnly {
		var err error
		if c, err = s.checkInput(ctx, in); err != nil {
			return Meeting{}, err
		}
	}
	next := strings.TrimSpace(in.Status)
	if _, ok := statusNames[next]; next != "" && !ok {
		return Meeting{}, &domain.ValidationError{Fields: map[string]string{
			"status": "trạng thái không hợp lệ (in_progress, ended, cancelled)"}}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Meeting{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	st, err := s.lockToChange(ctx, tx, p, viaMeeting, id, 0, actEdit)
	if err != nil {
		return Meeting{}, err
	}
	if next == "" {
		next = st.Status
	}
	if act, ok := statusActions[next]; ok && next != st.Status {
		if err := st.need(act); err != nil {
			return Meeting{}, err
		}
	} else if err := moveTo(next)(st); err != nil {
		return Meeting{}, err
	}
	var old struct {
		ChairID     int64 `db:"chair_id"`
		SecretaryID int64 `db:"secretary_id"`
	}
	if err := tx.GetContext(ctx, &old, `SELECT chair_id, secretary_id FROM meetings WHERE id = $1`, id); err != nil {
		return Meeting{}, fmt.Errorf("meetings: unable to read meeting: %w", err)
	}
	if next == StatusInProgress && st.Status == StatusScheduled {
		// The chair and the secretary conduct the meeting: they are present
		// by their roles from its start, checked in or not.
		_, err = tx.ExecContext(ctx, `
			INSERT INTO meeting_attendance (meeting_id, user_id, checked_in_at, late)
			SELECT id, u, $2, false FROM meetings, unnest(ARRAY[chair_id, secretary_id]) u WHERE id = $1
			ON CONFLICT DO NOTHING`, id, st.Now)
		if err != nil {
			return Meeting{}, fmt.Errorf("meetings: unable to record the officers' presence: %w", err)
		}
	}
	if statusOnly {
		_, err = tx.ExecContext(ctx, `UPDATE meetings SET status = $2, updated_at = now() WHERE id = $1`, id, next)
	} else {
		_, err = tx.ExecContext(ctx, `
			UPDATE meetings SET title = $2, starts_at = $3, ends_at = $4, place = $5, online_url = $6,
			       chair_id = $7, secretary_id = $8, status = $9, revision = revision + 1, updated_at = now()
			WHERE id = $1`,
			id, c.title, c.startsAt, c.endsAt, c.place, c.onlineURL, c.chairID, c.secretaryID, next)
	}
	if err != nil {
		return Meeting{}, fmt.Errorf("meetings: unable to update meeting: %w", err)
	}
	rev, err := currentRevision(ctx, tx, id)
	if err != nil {
		return Meeting{}, err
	}
	if err := s.publish(ctx, tx, Event{MeetingID: id, Kind: EventMeeting, Revision: rev}); err != nil {
		return Meeting{}, err
	}
	if !statusOnly {
		var gone []int64
		for _, u := range []int64{old.ChairID, old.SecretaryID} {
			if u != c.chairID && u != c.secretaryID {
				gone = append(gone, u)
			}
		}
		if err := s.cutOff(ctx, tx, id, rev, gone); err != nil {
			return Meeting{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Meeting{}, fmt.Errorf("meetings: unable to commit: %w", err)
	}
	return s.get(ctx, s.db, p, id)
}

// cutOff publishes a removal for each of the candidates who no longer
// holds any role in the meeting, which closes their live streams.
func (s *Service) cutOff(ctx context.Context, tx *sqlx.Tx, meetingID int64, rev int, candidates []int64) error {
	if len(candidates) == 0 {
		return nil
	}
	var lost []int64
	err := tx.SelectContext(ctx, &lost, `
		SELECT u.id FROM users u JOIN meetings m ON m.id = $1
		WHERE u.id = ANY($2) AND u.id NOT IN (m.created_by, m.chair_id, m.secretary_id)
		  AND NOT EXISTS (SELECT 1 FROM meeting_participants mp
		                  WHERE mp.meeting_id = m.id AND (mp.user_id = u.id OR mp.unit_id = u.unit_id))
		ORDER BY u.id`, meetingID, pq.Array(candidates))
	if err != nil {
		return fmt.Errorf("meetings: unable to find who lost access: %w", err)
	}
	for _, u := range lost {
		if err := s.publish(ctx, tx, Event{MeetingID: meetingID, Kind: EventRemoved, Revision: rev, UserID: u}); err != nil {
			return err
		}
	}
	return nil
}

// Get returns a meeting with its agenda, each item's documents and its
// participants, as p sees it; domain.ErrNotFound for anyone who is not
// one of its people.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Meeting, error) {
	return s.get(ctx, s.db, p, id)
}

func (s *Service) get(ctx context.Context, q sqlx.QueryerContext, p auth.Principal, id int64) (Meeting, error) {
	st, err := s.stand(ctx, q, p, viaMeeting, id, 0)
	if err != nil {
		return Meeting{}, err
	}
	m, err := s.meetingRow(ctx, q, id)
	if err != nil {
		return Meeting{}, err
	}
	m.MyRole, m.Actions = st.Role, st.actions()
	if m.Items, err = s.items(ctx, q, id, manages(st.Role)); err != nil {
		return Meeting{}, err
	}
	m.Participants = []Participant{}
	err = sqlx.SelectContext(ctx, q, &m.Participants, `
		SELECT mp.id, mp.user_id, mp.unit_id, COALESCE(u.full_name, n.name) AS name,
		       COALESCE(un.name, n.name) AS unit_name, mp.role,
		       CASE WHEN mp.user_id IS NOT NULL THEN
		            (SELECT a.checked_in_at FROM meeting_attendance a WHERE a.meeting_id = mp.meeting_id AND a.user_id = mp.user_id)
		       ELSE (SELECT min(a.checked_in_at) FROM meeting_attendance a JOIN users x ON x.id = a.user_id
		             WHERE a.meeting_id = mp.meeting_id AND x.unit_id = mp.unit_id) END AS checked_in_at
		FROM meeting_participants mp
		LEFT JOIN users u ON u.id = mp.user_id
		LEFT JOIN units un ON un.id = u.unit_id
		LEFT JOIN units n ON n.id = mp.unit_id
		WHERE mp.meeting_id = $1
		ORDER BY mp.id`, id)
	if err != nil {
		return Meeting{}, fmt.Errorf("meetings: unable to list participants: %w", err)
	}
	return m, nil
}

func (s *Service) meetingRow(ctx context.Context, q sqlx.QueryerContext, id int64) (Meeting, error) {
	var m Meeting
	err := sqlx.GetContext(ctx, q, &m, `SELECT `+meetingColumns+meetingFrom+` WHERE m.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return m, domain.ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("meetings: unable to fetch meeting: %w", err)
	}
	return m, nil
}

// items returns the agenda in order, each item with its documents; those
// the meeting no longer shares (Withheld) only when withheld is true.
func (s *Service) items(ctx context.Context, q sqlx.QueryerContext, meetingID int64, withheld bool) ([]Item, error) {
	items := []Item{}
	err := sqlx.SelectContext(ctx, q, &items, `
		SELECT id, position, title, presenter, starts_at, ends_at
		FROM agenda_items WHERE meeting_id = $1 ORDER BY position`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("meetings: unable to list agenda: %w", err)
	}
	var docs []AgendaDoc
	err = sqlx.SelectContext(ctx, q, &docs, s.agendaDocSelect()+`
		WHERE i.meeting_id = $1 ORDER BY i.position, ad.position`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("meetings: unable to list agenda documents: %w", err)
	}
	byItem := map[int64][]AgendaDoc{}
	for _, d := range docs {
		if !d.Withheld || withheld {
			byItem[d.ItemID] = append(byItem[d.ItemID], d)
		}
	}
	for i := range items {
		items[i].Documents = byItem[items[i].ID]
		if items[i].Documents == nil {
			items[i].Documents = []AgendaDoc{}
		}
	}
	if err := s.fillAttachments(ctx, items); err != nil {
		return nil, err
	}
	return items, nil
}

// shared is the SQL condition that the meeting m may show its people the
// agenda document ad (the sharing rule of the package's doc): a file
// uploaded for the meeting; a document of the organiser unit, or of the
// unit that attached it; or a document every unit of the meeting sees
// (the organiser's, the chair's, the secretary's, each participating
// unit and each participant's). It is checked at every read, so a recall
// or any other loss of sight takes the document out at once.
func (s *Service) shared() string {
	return `(ad.document_id IS NULL OR EXISTS (
	SELECT 1 FROM documents d WHERE d.id = ad.document_id AND (
	  d.unit_id IN (m.organiser_unit_id, ad.attached_unit_id) OR NOT EXISTS (
	    SELECT 1 FROM (
	      SELECT m.organiser_unit_id AS unit_id
	      UNION SELECT u.unit_id FROM users u WHERE u.id IN (m.chair_id, m.secretary_id)
	      UNION SELECT mp.unit_id FROM meeting_participants mp WHERE mp.meeting_id = m.id AND mp.unit_id IS NOT NULL
	      UNION SELECT u.unit_id FROM meeting_participants mp JOIN users u ON u.id = mp.user_id WHERE mp.meeting_id = m.id
	    ) x WHERE NOT ` + s.docs.SeenBy("x.unit_id") + `))))`
}

// agendaDocSelect reads agenda documents with their file, from the
// document's version or from the meeting's files, and whether the meeting
// still shares them.
func (s *Service) agendaDocSelect() string {
	return `
	SELECT ad.id, ad.item_id, ad.position, ad.title, ad.draft, ad.document_id, ad.version_no, ad.file_id,
	       COALESCE(v.object_key, f.object_key) AS object_key, COALESCE(v.sha256, f.sha256) AS sha256,
	       COALESCE(v.size_bytes, f.size_bytes) AS size_bytes, COALESCE(v.file_name, f.file_name) AS file_name,
	       NOT ` + s.shared() + ` AS withheld
	FROM agenda_documents ad
	JOIN agenda_items i ON i.id = ad.item_id
	JOIN meetings m ON m.id = i.meeting_id
	LEFT JOIN document_versions v ON v.document_id = ad.document_id AND v.version_no = ad.version_no
	LEFT JOIN meeting_files f ON f.id = ad.file_id`
}

// ListMine returns the meetings p is one of the people of (organiser,
// chair, secretary, participant in person or through their unit) that
// start in [from, to), by start time: the calendar. Items and
// participants are left out; Get has them.
func (s *Service) ListMine(ctx context.Context, p auth.Principal, from, to time.Time) ([]Meeting, error) {
	switch {
	case from.IsZero() || to.IsZero():
		return nil, &domain.ValidationError{Fields: map[string]string{"from": "cần khoảng thời gian (from, to)"}}
	case !to.After(from):
		return nil, &domain.ValidationError{Fields: map[string]string{"to": "thời điểm kết thúc phải sau thời điểm bắt đầu"}}
	case to.Sub(from) > 400*24*time.Hour:
		return nil, &domain.ValidationError{Fields: map[string]string{"to": "khoảng thời gian tối đa khoảng một năm"}}
	}
	var rows []struct {
		Meeting
		Role string `db:"my_role"`
	}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT `+meetingColumns+`,
		       CASE WHEN m.chair_id = $3 THEN 'chair' WHEN m.secretary_id = $3 THEN 'secretary'
		            WHEN m.created_by = $3 THEN 'organiser' ELSE 'participant' END AS my_role
		`+meetingFrom+`
		WHERE m.starts_at >= $1 AND m.starts_at < $2
		  AND ($3 IN (m.chair_id, m.secretary_id, m.created_by)
		       OR EXISTS (SELECT 1 FROM meeting_participants mp
		                  WHERE mp.meeting_id = m.id AND (mp.user_id = $3 OR mp.unit_id = $4)))
		ORDER BY m.starts_at, m.id`, from, to, p.UserID, p.UnitID)
	if err != nil {
		return nil, fmt.Errorf("meetings: unable to list meetings: %w", err)
	}
	out := make([]Meeting, len(rows))
	for i, r := range rows {
		out[i] = r.Meeting
		out[i].MyRole = r.Role
	}
	return out, nil
}

func (s *Service) commit(tx *sqlx.Tx) error {
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("meetings: unable to commit: %w", err)
	}
	return nil
}
