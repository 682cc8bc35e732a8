package meetings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"
)

// Check-in opens this long before the start; later than LateAfter past the
// start counts as late.
const (
	CheckInOpensBefore = 30 * time.Minute
	LateAfter          = 10 * time.Minute
)

// Speaking request states.
const (
	SpeakWaiting   = "waiting"
	SpeakSpeaking  = "speaking"
	SpeakDone      = "done"
	SpeakWithdrawn = "withdrawn"
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

// lockToChange locks the meeting row for the rest of tx and checks that p
// may change it (a manager: organiser, chair, secretary) and that it is
// still open to changes. Non-members get domain.ErrNotFound.
func (s *Service) lockToChange(ctx context.Context, tx *sqlx.Tx, p auth.Principal, meetingID int64) (string, error) {
	status, role, err := s.lockMeeting(ctx, tx, p, meetingID, true)
	if err != nil {
		return "", err
	}
	if !manages(role) {
		return "", domain.ErrForbidden
	}
	if status == StatusEnded || status == StatusCancelled {
		return "", errMeetingClosed
	}
	return status, nil
}

// lockMeeting locks the meeting row (exclusive, or shared so that many
// people may check in or comment at once while its status holds still)
// and returns its status and p's role.
func (s *Service) lockMeeting(ctx context.Context, tx *sqlx.Tx, p auth.Principal, meetingID int64, exclusive bool) (status, role string, err error) {
	lock := `FOR SHARE`
	if exclusive {
		lock = `FOR UPDATE`
	}
	err = tx.GetContext(ctx, &status, `SELECT status FROM meetings WHERE id = $1 `+lock, meetingID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", domain.ErrNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("meetings: unable to lock meeting: %w", err)
	}
	role, err = s.access(ctx, tx, p, meetingID)
	return status, role, err
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

// itemMeeting returns the meeting of an agenda item, or ErrNotFound.
func itemMeeting(ctx context.Context, q sqlx.QueryerContext, itemID int64) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `SELECT meeting_id FROM agenda_items WHERE id = $1`, itemID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, domain.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("meetings: unable to find agenda item: %w", err)
	}
	return id, nil
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
	status, err := s.lockToChange(ctx, tx, p, id)
	if err != nil {
		return Meeting{}, err
	}
	if next != "" && next != status && !slices.Contains(transitions[status], next) {
		return Meeting{}, &domain.PreconditionError{Code: "illegal_transition",
			Message: fmt.Sprintf("Không chuyển được cuộc họp từ trạng thái %s sang %s", statusNames[status], statusNames[next])}
	}
	if next == "" {
		next = status
	}
	var old struct {
		ChairID     int64 `db:"chair_id"`
		SecretaryID int64 `db:"secretary_id"`
	}
	if err := tx.GetContext(ctx, &old, `SELECT chair_id, secretary_id FROM meetings WHERE id = $1`, id); err != nil {
		return Meeting{}, fmt.Errorf("meetings: unable to read meeting: %w", err)
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
	if err := s.publish(ctx, tx, Event{MeetingID: id, Kind: "meeting", Revision: rev}); err != nil {
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
	role, err := s.access(ctx, q, p, id)
	if err != nil {
		return Meeting{}, err
	}
	m, err := s.meetingRow(ctx, q, id)
	if err != nil {
		return Meeting{}, err
	}
	m.MyRole = role
	if m.Items, err = s.items(ctx, q, id); err != nil {
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

// items returns the agenda in order, each item with its documents.
func (s *Service) items(ctx context.Context, q sqlx.QueryerContext, meetingID int64) ([]Item, error) {
	items := []Item{}
	err := sqlx.SelectContext(ctx, q, &items, `
		SELECT id, position, title, presenter, starts_at, ends_at
		FROM agenda_items WHERE meeting_id = $1 ORDER BY position`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("meetings: unable to list agenda: %w", err)
	}
	var docs []AgendaDoc
	err = sqlx.SelectContext(ctx, q, &docs, agendaDocSelect+`
		WHERE i.meeting_id = $1 ORDER BY i.position, ad.position`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("meetings: unable to list agenda documents: %w", err)
	}
	byItem := map[int64][]AgendaDoc{}
	for _, d := range docs {
		byItem[d.ItemID] = append(byItem[d.ItemID], d)
	}
	for i := range items {
		items[i].Documents = byItem[items[i].ID]
		if items[i].Documents == nil {
			items[i].Documents = []AgendaDoc{}
		}
	}
	return items, nil
}

// agendaDocSelect reads agenda documents with their file, from the
// document's version or from the meeting's files.
const agendaDocSelect = `
	SELECT ad.id, ad.item_id, ad.position, ad.title, ad.draft, ad.document_id, ad.version_no, ad.file_id,
	       COALESCE(v.object_key, f.object_key) AS object_key, COALESCE(v.sha256, f.sha256) AS sha256,
	       COALESCE(v.size_bytes, f.size_bytes) AS size_bytes, COALESCE(v.file_name, f.file_name) AS file_name
	FROM agenda_documents ad
	JOIN agenda_items i ON i.id = ad.item_id
	LEFT JOIN document_versions v ON v.document_id = ad.document_id AND v.version_no = ad.version_no
	LEFT JOIN meeting_files f ON f.id = ad.file_id`

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

// AddItem appends an item to the agenda.
func (s *Service) AddItem(ctx context.Context, p auth.Principal, meetingID int64, in ItemInput) (Item, error) {
	it := Item{Title: oneLine(in.Title), Presenter: oneLine(in.Presenter), StartsAt: in.StartsAt, EndsAt: in.EndsAt, Documents: []AgendaDoc{}}
	bad := map[string]string{}
	switch n := utf8.RuneCountInString(it.Title); {
	case n == 0:
		bad["title"] = "cần nội dung của mục chương trình"
	case n > 500:
		bad["title"] = "nội dung mục chương trình dài tối đa 500 ký tự"
	}
	if utf8.RuneCountInString(it.Presenter) > 200 {
		bad["presenter"] = "tên người trình bày dài tối đa 200 ký tự"
	}
	if it.StartsAt != nil && it.EndsAt != nil && !it.EndsAt.After(*it.StartsAt) {
		bad["ends_at"] = "thời gian kết thúc của mục phải sau thời gian bắt đầu"
	}
	if len(bad) > 0 {
		return Item{}, &domain.ValidationError{Fields: bad}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Item{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := s.lockToChange(ctx, tx, p, meetingID); err != nil {
		return Item{}, err
	}
	err = tx.GetContext(ctx, &it, `
		INSERT INTO agenda_items (meeting_id, position, title, presenter, starts_at, ends_at)
		VALUES ($1, (SELECT COALESCE(max(position), 0) + 1 FROM agenda_items WHERE meeting_id = $1), $2, $3, $4, $5)
		RETURNING id, position, title, presenter, starts_at, ends_at`,
		meetingID, it.Title, it.Presenter, it.StartsAt, it.EndsAt)
	if err != nil {
		return Item{}, fmt.Errorf("meetings: unable to add agenda item: %w", err)
	}
	if err := s.agendaChanged(ctx, tx, meetingID); err != nil {
		return Item{}, err
	}
	return it, s.commit(tx)
}

// agendaChanged bumps the revision and tells every open screen.
func (s *Service) agendaChanged(ctx context.Context, tx *sqlx.Tx, meetingID int64) error {
	rev, err := bumpRevision(ctx, tx, meetingID)
	if err != nil {
		return err
	}
	return s.publish(ctx, tx, Event{MeetingID: meetingID, Kind: "agenda", Revision: rev})
}

func (s *Service) commit(tx *sqlx.Tx) error {
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("meetings: unable to commit: %w", err)
	}
	return nil
}

// ReorderAgenda puts the agenda in the order of itemIDs, which must hold
// each of the meeting's items exactly once.
func (s *Service) ReorderAgenda(ctx context.Context, p auth.Principal, meetingID int64, itemIDs []int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := s.lockToChange(ctx, tx, p, meetingID); err != nil {
		return err
	}
	var current []int64
	if err := tx.SelectContext(ctx, &current, `SELECT id FROM agenda_items WHERE meeting_id = $1 ORDER BY id`, meetingID); err != nil {
		return fmt.Errorf("meetings: unable to list agenda: %w", err)
	}
	given := slices.Clone(itemIDs)
	slices.Sort(given)
	if !slices.Equal(given, current) {
		return &domain.ValidationError{Fields: map[string]string{
			"items": "thứ tự mới phải gồm đúng tất cả các mục của chương trình, mỗi mục một lần; hãy tải lại trang và thử lại"}}
	}
	// The (meeting, position) constraint is checked at commit, so the
	// positions may pass through duplicates on the way.
	_, err = tx.ExecContext(ctx, `
		UPDATE agenda_items i SET position = x.pos
		FROM unnest($2::bigint[]) WITH ORDINALITY AS x(id, pos)
		WHERE i.id = x.id AND i.meeting_id = $1 AND i.position <> x.pos`, meetingID, pq.Array(itemIDs))
	if err != nil {
		return fmt.Errorf("meetings: unable to reorder agenda: %w", err)
	}
	if err := s.agendaChanged(ctx, tx, meetingID); err != nil {
		return err
	}
	return s.commit(tx)
}

var errSecretDocument = &domain.PreconditionError{Code: "secret",
	Message: "Văn bản mật (Mật, Tối mật, Tuyệt mật) không được đưa vào tài liệu cuộc họp điện tử; hãy chuyển theo quy định về văn bản mật"}

// AttachDocument adds a version of a document p can see (0: its latest)
// to an agenda item. Secret documents are refused.
func (s *Service) AttachDocument(ctx context.Context, p auth.Principal, itemID, documentID int64, versionNo int) (AgendaDoc, error) {
	meetingID, err := itemMeeting(ctx, s.db, itemID)
	if err != nil {
		return AgendaDoc{}, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return AgendaDoc{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := s.lockToChange(ctx, tx, p, meetingID); err != nil {
		return AgendaDoc{}, err
	}
	d, err := s.docs.Get(ctx, p, documentID)
	if err != nil {
		return AgendaDoc{}, err
	}
	if documents.IsSecret(d.Confidentiality) {
		return AgendaDoc{}, errSecretDocument
	}
	var v *documents.Version
	for i := range d.Versions {
		if versionNo == 0 && i == 0 || d.Versions[i].No == versionNo {
			v = &d.Versions[i]
			break
		}
	}
	if v == nil {
		return AgendaDoc{}, &domain.ValidationError{Fields: map[string]string{"version": "văn bản không có phiên bản này"}}
	}
	title := d.Title
	if d.NumberSymbol != nil {
		title = *d.NumberSymbol + " — " + d.Title
	}
	var dup bool
	err = tx.GetContext(ctx, &dup, `SELECT EXISTS (SELECT 1 FROM agenda_documents WHERE item_id = $1 AND document_id = $2 AND version_no = $3)`,
		itemID, d.ID, v.No)
	if err != nil {
		return AgendaDoc{}, fmt.Errorf("meetings: unable to check agenda documents: %w", err)
	}
	if dup {
		return AgendaDoc{}, &domain.PreconditionError{Code: "already_attached", Message: "Văn bản này đã có trong mục chương trình"}
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO agenda_documents (item_id, position, title, draft, document_id, version_no)
		VALUES ($1, (SELECT COALESCE(max(position), 0) + 1 FROM agenda_documents WHERE item_id = $1), $2, $3, $4, $5)
		RETURNING id`, itemID, title, d.Status == "draft", d.ID, v.No)
	if err != nil {
		return AgendaDoc{}, fmt.Errorf("meetings: unable to attach document: %w", err)
	}
	return s.finishAttach(ctx, tx, meetingID, id)
}

func (s *Service) finishAttach(ctx context.Context, tx *sqlx.Tx, meetingID, agendaDocID int64) (AgendaDoc, error) {
	var ad AgendaDoc
	if err := tx.GetContext(ctx, &ad, agendaDocSelect+` WHERE ad.id = $1`, agendaDocID); err != nil {
		return AgendaDoc{}, fmt.Errorf("meetings: unable to read agenda document: %w", err)
	}
	if err := s.agendaChanged(ctx, tx, meetingID); err != nil {
		return AgendaDoc{}, err
	}
	return ad, s.commit(tx)
}

// AttachFile stores a PDF spooled by documents.Service.Spool as a file of
// the meeting and adds it to an agenda item, titled title (default: the
// file's name). A file, draft or not, is never a document: it is listed
// and searched nowhere outside the meeting.
func (s *Service) AttachFile(ctx context.Context, p auth.Principal, itemID int64, up *documents.Upload, title string, draft bool) (AgendaDoc, error) {
	if up == nil || up.Size <= 0 {
		return AgendaDoc{}, &domain.ValidationError{Fields: map[string]string{"file": "cần tệp PDF"}}
	}
	title = oneLine(title)
	if title == "" {
		title = oneLine(strings.TrimSuffix(strings.TrimSuffix(up.FileName, ".pdf"), ".PDF"))
	}
	if title == "" {
		title = "Tài liệu"
	}
	if utf8.RuneCountInString(title) > 500 {
		return AgendaDoc{}, &domain.ValidationError{Fields: map[string]string{"title": "tên tài liệu dài tối đa 500 ký tự"}}
	}
	key, err := storage.KeyFor(up.SHA256)
	if err != nil {
		return AgendaDoc{}, err
	}
	meetingID, err := itemMeeting(ctx, s.db, itemID)
	if err != nil {
		return AgendaDoc{}, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return AgendaDoc{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := s.lockToChange(ctx, tx, p, meetingID); err != nil {
		return AgendaDoc{}, err
	}
	// The same lock as documents takes around storing an object and
	// committing the row naming it: documents.SweepOrphans takes it too,
	// and counts meeting_files rows as naming their objects.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(72150, hashtext($1))`, key); err != nil {
		return AgendaDoc{}, fmt.Errorf("meetings: unable to lock object: %w", err)
	}
	if err := s.blobs.Put(ctx, key, up.Content(), up.Size); err != nil {
		return AgendaDoc{}, fmt.Errorf("meetings: unable to store file: %w", err)
	}
	var fileID int64
	err = tx.GetContext(ctx, &fileID, `
		INSERT INTO meeting_files (meeting_id, object_key, sha256, size_bytes, file_name, uploaded_by)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, meetingID, key, up.SHA256, up.Size, up.FileName, p.UserID)
	if err != nil {
		return AgendaDoc{}, fmt.Errorf("meetings: unable to record file: %w", err)
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO agenda_documents (item_id, position, title, draft, file_id)
		VALUES ($1, (SELECT COALESCE(max(position), 0) + 1 FROM agenda_documents WHERE item_id = $1), $2, $3, $4)
		RETURNING id`, itemID, title, draft, fileID)
	if err != nil {
		return AgendaDoc{}, fmt.Errorf("meetings: unable to attach file: %w", err)
	}
	return s.finishAttach(ctx, tx, meetingID, id)
}

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
	if _, err := s.lockToChange(ctx, tx, p, meetingID); err != nil {
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
	if err := s.publish(ctx, tx, Event{MeetingID: meetingID, Kind: "participants", Revision: rev}); err != nil {
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
	if _, err := s.lockToChange(ctx, tx, p, meetingID); err != nil {
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
	if err := s.publish(ctx, tx, Event{MeetingID: meetingID, Kind: "participants", Revision: rev}); err != nil {
		return err
	}
	if err := s.cutOff(ctx, tx, meetingID, rev, candidates); err != nil {
		return err
	}
	return s.commit(tx)
}

// agendaDoc returns an agenda document of the meeting p may read.
func (s *Service) agendaDoc(ctx context.Context, p auth.Principal, meetingID, agendaDocID int64) (AgendaDoc, error) {
	if _, err := s.access(ctx, s.db, p, meetingID); err != nil {
		return AgendaDoc{}, err
	}
	var ad AgendaDoc
	err := s.db.GetContext(ctx, &ad, agendaDocSelect+` WHERE ad.id = $1 AND i.meeting_id = $2`, agendaDocID, meetingID)
	if errors.Is(err, sql.ErrNoRows) {
		return ad, domain.ErrNotFound
	}
	if err != nil {
		return ad, fmt.Errorf("meetings: unable to fetch agenda document: %w", err)
	}
	return ad, nil
}

// OpenDocument reads one of the meeting's documents, byte for byte as
// stored (signatures intact), with its size and file name.
func (s *Service) OpenDocument(ctx context.Context, p auth.Principal, meetingID, agendaDocID int64) (io.ReadCloser, int64, string, error) {
	ad, err := s.agendaDoc(ctx, p, meetingID, agendaDocID)
	if err != nil {
		return nil, 0, "", err
	}
	rc, err := s.blobs.Open(ctx, ad.ObjectKey, 0, -1)
	if err != nil {
		return nil, 0, "", fmt.Errorf("meetings: unable to open %s: %w", ad.ObjectKey, err)
	}
	return rc, ad.Size, ad.FileName, nil
}

// PresignDocument returns a link, valid for s.PresignExpiry, that
// downloads one of the meeting's documents straight from the store, or
// documents.ErrNoPresign when the store offers none (use OpenDocument).
func (s *Service) PresignDocument(ctx context.Context, p auth.Principal, meetingID, agendaDocID int64) (string, error) {
	ad, err := s.agendaDoc(ctx, p, meetingID, agendaDocID)
	if err != nil {
		return "", err
	}
	ps, ok := s.blobs.(storage.Presigner)
	if !ok {
		return "", documents.ErrNoPresign
	}
	u, err := ps.PresignGet(ctx, ad.ObjectKey, s.PresignExpiry, documents.ContentDisposition("attachment", ad.FileName), "application/pdf")
	if err != nil {
		return "", fmt.Errorf("meetings: unable to presign: %w", err)
	}
	return u, nil
}

// PacketSources is what the packet builder needs to make a meeting's
// combined PDF, read with the caller's access checked.
type PacketSources struct {
	// Meeting has the title, times, place, chair, secretary, organiser
	// unit and Revision; not its items, which are below.
	Meeting Meeting
	Items   []PacketItem
}

// PacketItem is an agenda item of the packet.
type PacketItem struct {
	ID        int64
	Position  int
	Title     string
	Presenter string
	StartsAt  *time.Time
	EndsAt    *time.Time
	Documents []PacketDocument
}

// PacketDocument is one document of an item, with the means to read it.
type PacketDocument struct {
	ID       int64 // the agenda document
	Title    string
	FileName string
	SHA256   string
	Size     int64
	Draft    bool
	// Open reads the stored bytes, returning them and their size.
	Open func(ctx context.Context) (io.ReadCloser, int64, error)
}

// Sources returns the meeting and its agenda with openers for every
// document, for the packet builder.
func (s *Service) Sources(ctx context.Context, p auth.Principal, meetingID int64) (PacketSources, error) {
	// One snapshot: the revision matches the items read with it.
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return PacketSources{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	m, err := s.get(ctx, tx, p, meetingID)
	if err != nil {
		return PacketSources{}, err
	}
	src := PacketSources{Meeting: m, Items: make([]PacketItem, len(m.Items))}
	for i, it := range m.Items {
		pi := PacketItem{ID: it.ID, Position: it.Position, Title: it.Title, Presenter: it.Presenter,
			StartsAt: it.StartsAt, EndsAt: it.EndsAt, Documents: make([]PacketDocument, len(it.Documents))}
		for j, d := range it.Documents {
			key, size := d.ObjectKey, d.Size
			pi.Documents[j] = PacketDocument{ID: d.ID, Title: d.Title, FileName: d.FileName, SHA256: d.SHA256, Size: d.Size, Draft: d.Draft,
				Open: func(ctx context.Context) (io.ReadCloser, int64, error) {
					rc, err := s.blobs.Open(ctx, key, 0, -1)
					if err != nil {
						return nil, 0, fmt.Errorf("meetings: unable to open %s: %w", key, err)
					}
					return rc, size, nil
				}}
		}
		src.Items[i] = pi
	}
	src.Meeting.Items, src.Meeting.Participants = nil, nil
	return src, nil
}

// CheckIn records p's arrival: any of the meeting's people, from
// CheckInOpensBefore the start until the meeting ends. Arriving more than
// LateAfter past the start is late. A second check-in returns the first.
func (s *Service) CheckIn(ctx context.Context, p auth.Principal, meetingID int64) (Attendee, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Attendee{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	status, _, err := s.lockMeeting(ctx, tx, p, meetingID, false)
	if err != nil {
		return Attendee{}, err
	}
	var startsAt time.Time
	if err := tx.GetContext(ctx, &startsAt, `SELECT starts_at FROM meetings WHERE id = $1`, meetingID); err != nil {
		return Attendee{}, fmt.Errorf("meetings: unable to read meeting: %w", err)
	}
	now := s.now()
	switch {
	case status == StatusEnded || status == StatusCancelled:
		return Attendee{}, errMeetingClosed
	case status == StatusScheduled && now.Before(startsAt.Add(-CheckInOpensBefore)):
		return Attendee{}, &domain.PreconditionError{Code: "check_in_not_open",
			Message: fmt.Sprintf("Chưa đến giờ điểm danh: điểm danh mở %d phút trước giờ họp (%s)",
				int(CheckInOpensBefore.Minutes()), startsAt.In(domain.VietnamTime).Format("15:04 02/01/2006"))}
	}
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
		if err := s.publishKind(ctx, tx, meetingID, "attendance"); err != nil {
			return Attendee{}, err
		}
	}
	return a, s.commit(tx)
}

func (s *Service) publishKind(ctx context.Context, tx *sqlx.Tx, meetingID int64, kind string) error {
	rev, err := currentRevision(ctx, tx, meetingID)
	if err != nil {
		return err
	}
	return s.publish(ctx, tx, Event{MeetingID: meetingID, Kind: kind, Revision: rev})
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
	status, _, err := s.lockMeeting(ctx, tx, p, meetingID, false)
	if err != nil {
		return SpeakRequest{}, err
	}
	if status != StatusInProgress {
		return SpeakRequest{}, errNotInProgress
	}
	var here bool
	if err := tx.GetContext(ctx, &here, `SELECT EXISTS (SELECT 1 FROM meeting_attendance WHERE meeting_id = $1 AND user_id = $2)`,
		meetingID, p.UserID); err != nil {
		return SpeakRequest{}, fmt.Errorf("meetings: unable to check attendance: %w", err)
	}
	if !here {
		return SpeakRequest{}, &domain.PreconditionError{Code: "not_checked_in", Message: "Cần điểm danh trước khi đăng ký phát biểu"}
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
	if err := s.publishKind(ctx, tx, meetingID, "speakers"); err != nil {
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

// speakRequest locks a request and its meeting, checking p's access.
func (s *Service) speakRequest(ctx context.Context, tx *sqlx.Tx, p auth.Principal, requestID int64) (SpeakRequest, int64, string, string, error) {
	var meetingID int64
	err := tx.GetContext(ctx, &meetingID, `SELECT meeting_id FROM speak_requests WHERE id = $1`, requestID)
	if errors.Is(err, sql.ErrNoRows) {
		return SpeakRequest{}, 0, "", "", domain.ErrNotFound
	}
	if err != nil {
		return SpeakRequest{}, 0, "", "", fmt.Errorf("meetings: unable to find request: %w", err)
	}
	status, role, err := s.lockMeeting(ctx, tx, p, meetingID, true)
	if err != nil {
		return SpeakRequest{}, 0, "", "", err
	}
	var r SpeakRequest
	if err := tx.GetContext(ctx, &r, speakSelect+` WHERE r.id = $1`, requestID); err != nil {
		return SpeakRequest{}, 0, "", "", fmt.Errorf("meetings: unable to read request: %w", err)
	}
	return r, meetingID, status, role, nil
}

// WithdrawSpeak withdraws p's own request while it still waits.
func (s *Service) WithdrawSpeak(ctx context.Context, p auth.Principal, requestID int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	r, meetingID, _, _, err := s.speakRequest(ctx, tx, p, requestID)
	if err != nil {
		return err
	}
	if r.UserID != p.UserID {
		return domain.ErrForbidden
	}
	if r.State != SpeakWaiting {
		return &domain.PreconditionError{Code: "not_waiting", Message: "Chỉ rút được đăng ký đang chờ phát biểu"}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE speak_requests SET state = 'withdrawn', changed_at = now() WHERE id = $1`, requestID); err != nil {
		return fmt.Errorf("meetings: unable to withdraw: %w", err)
	}
	if err := s.publishKind(ctx, tx, meetingID, "speakers"); err != nil {
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
	r, meetingID, status, role, err := s.speakRequest(ctx, tx, p, requestID)
	if err != nil {
		return SpeakRequest{}, err
	}
	if role != RoleChair {
		return SpeakRequest{}, domain.ErrForbidden
	}
	if status != StatusInProgress {
		return SpeakRequest{}, errNotInProgress
	}
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
	if err := s.publishKind(ctx, tx, meetingID, "speakers"); err != nil {
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
	status, _, err := s.lockMeeting(ctx, tx, p, meetingID, false)
	if err != nil {
		return Comment{}, err
	}
	if status == StatusEnded || status == StatusCancelled {
		return Comment{}, errMeetingClosed
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
	if err := s.publishKind(ctx, tx, meetingID, "comments"); err != nil {
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
