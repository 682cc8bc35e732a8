package meetings

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/packet"
	"github.com/hcm-edu/vanban/storage"
)

// PacketError says which document kept the packet from being built.
type PacketError struct {
	Item    int
	Title   string
	Message string // Vietnamese
}

func (e *PacketError) Error() string { return "meetings: the packet cannot be built: " + e.Title }

// Packet returns p's copy of the meeting's packet: the base packet of the
// current revision (built once, stored, and shared by every reader) with a
// small incremental update that adds p's personal watermark to every
// page. The original documents are never touched; they stay downloadable
// unmodified through OpenDocument.
func (s *Service) Packet(ctx context.Context, p auth.Principal, meetingID int64) (io.ReadCloser, int64, string, error) {
	src, err := s.Sources(ctx, p, meetingID)
	if err != nil {
		return nil, 0, "", err
	}
	key, base, err := s.basePacket(ctx, src)
	if err != nil {
		return nil, 0, "", err
	}
	m := src.Meeting
	text := fmt.Sprintf("%s — %s — %s — %s", p.FullName, p.UnitName, m.Title, m.StartsAt.In(domain.VietnamTime).Format("02/01/2006"))
	tail, err := base.Tail(text)
	if err != nil {
		return nil, 0, "", fmt.Errorf("meetings: unable to watermark the packet: %w", err)
	}
	rc, err := s.blobs.Open(ctx, key, 0, -1)
	if err != nil {
		return nil, 0, "", err
	}
	name := fmt.Sprintf("Tài liệu họp - %s.pdf", m.Title)
	return readCloser{io.MultiReader(rc, bytes.NewReader(tail)), rc}, base.Size + int64(len(tail)), name, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// basePacket finds the stored base packet of the revision or builds it,
// once across instances: builders of one meeting take turns on a lock.
func (s *Service) basePacket(ctx context.Context, src PacketSources) (string, packet.Base, error) {
	m := src.Meeting
	withheld := strings.Trim(fmt.Sprint(src.Withheld), "[]") + attachmentsKey(src.Items)
	var row struct {
		Key  string `db:"object_key"`
		Base []byte `db:"base"`
	}
	var base packet.Base
	load := func(q interface {
		GetContext(context.Context, any, string, ...any) error
	}) (bool, error) {
		err := q.GetContext(ctx, &row, `SELECT object_key, base FROM meeting_packets WHERE meeting_id = $1 AND revision = $2 AND withheld = $3`,
			m.ID, m.Revision, withheld)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("meetings: unable to read the packet: %w", err)
		}
		return true, json.Unmarshal(row.Base, &base)
	}
	if ok, err := load(s.db); err != nil || ok {
		return row.Key, base, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return "", base, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(72160, $1::int)`, m.ID%(1<<31)); err != nil {
		return "", base, fmt.Errorf("meetings: unable to lock the packet: %w", err)
	}
	if ok, err := load(tx); err != nil || ok {
		return row.Key, base, err
	}
	dir := s.SpoolDir
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, "packet-*.pdf")
	if err != nil {
		return "", base, fmt.Errorf("meetings: unable to create a temporary file: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	base, err = packet.Build(ctx, io.MultiWriter(f, h), dir, coverOf(m), itemsOf(src.Items))
	var de *packet.DocumentError
	if errors.As(err, &de) {
		return "", base, &PacketError{Item: de.Item, Title: de.Title,
			Message: fmt.Sprintf("Không ghép được tài liệu “%s” (mục %d) vào bộ tài liệu họp: tệp PDF hỏng hoặc có mật khẩu", de.Title, de.Item)}
	}
	if err != nil {
		return "", base, fmt.Errorf("meetings: unable to build the packet: %w", err)
	}
	key, err := storage.KeyFor(hex.EncodeToString(h.Sum(nil)))
	if err != nil {
		return "", base, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", base, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(72150, hashtext($1))`, key); err != nil {
		return "", base, err
	}
	if err := s.blobs.Put(ctx, key, f, base.Size); err != nil {
		return "", base, fmt.Errorf("meetings: unable to store the packet: %w", err)
	}
	js, err := json.Marshal(base)
	if err != nil {
		return "", base, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meeting_packets (meeting_id, revision, withheld, object_key, base) VALUES ($1, $2, $3, $4, $5)`,
		m.ID, m.Revision, withheld, key, js); err != nil {
		return "", base, fmt.Errorf("meetings: unable to record the packet: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", base, err
	}
	return key, base, nil
}

func coverOf(m Meeting) packet.Cover {
	place := m.Place
	if m.OnlineURL != "" {
		place = strings.TrimSpace(place + " (trực tuyến: " + m.OnlineURL + ")")
	}
	return packet.Cover{Organisation: m.OrganiserUnit, Title: m.Title, When: clockDate(m.StartsAt), Place: place,
		Chair: m.ChairName, Secretary: m.SecretaryName}
}

func itemsOf(items []PacketItem) []packet.Item {
	out := make([]packet.Item, len(items))
	for i, it := range items {
		slot := ""
		if it.StartsAt != nil {
			slot = it.StartsAt.In(domain.VietnamTime).Format("15:04")
			if it.EndsAt != nil {
				slot += " – " + it.EndsAt.In(domain.VietnamTime).Format("15:04")
			}
		}
		docs := make([]packet.Document, len(it.Documents))
		for j, d := range it.Documents {
			title := d.Title
			if d.Draft {
				title += " (dự thảo)"
			}
			docs[j] = packet.Document{Title: title, Open: d.Open}
		}
		out[i] = packet.Item{Title: it.Title, Presenter: it.Presenter, Slot: slot, Documents: docs}
	}
	return out
}

// PacketSources is what the packet builder needs to make a meeting's
// combined PDF, read with the caller's access checked.
type PacketSources struct {
	// Meeting has the title, times, place, chair, secretary, organiser
	// unit and Revision; not its items, which are below.
	Meeting Meeting
	Items   []PacketItem
	// Withheld lists the agenda documents left out because the meeting
	// no longer shares them; the stored packet is one per revision and
	// this list, so a recall rebuilds it.
	Withheld []int64
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

	attachment bool // an attachment of the agenda document ID
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
	src := PacketSources{Meeting: m, Items: make([]PacketItem, len(m.Items)), Withheld: []int64{}}
	err = tx.SelectContext(ctx, &src.Withheld, `
		SELECT ad.id FROM agenda_documents ad JOIN agenda_items i ON i.id = ad.item_id JOIN meetings m ON m.id = i.meeting_id
		WHERE i.meeting_id = $1 AND NOT `+s.shared()+` ORDER BY ad.id`, meetingID)
	if err != nil {
		return PacketSources{}, fmt.Errorf("meetings: unable to list withheld documents: %w", err)
	}
	for i, it := range m.Items {
		pi := PacketItem{ID: it.ID, Position: it.Position, Title: it.Title, Presenter: it.Presenter,
			StartsAt: it.StartsAt, EndsAt: it.EndsAt, Documents: []PacketDocument{}}
		for _, d := range it.Documents {
			if d.Withheld {
				continue
			}
			key, size := d.ObjectKey, d.Size
			pi.Documents = append(pi.Documents, PacketDocument{ID: d.ID, Title: d.Title, FileName: d.FileName, SHA256: d.SHA256, Size: d.Size, Draft: d.Draft,
				Open: func(ctx context.Context) (io.ReadCloser, int64, error) {
					rc, err := s.blobs.Open(ctx, key, 0, -1)
					if err != nil {
						return nil, 0, fmt.Errorf("meetings: unable to open %s: %w", key, err)
					}
					return rc, size, nil
				}})
			pi.Documents = append(pi.Documents, s.attachmentDocuments(d)...)
		}
		src.Items[i] = pi
	}
	src.Meeting.Items, src.Meeting.Participants = nil, nil
	return src, nil
}
