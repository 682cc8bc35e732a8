package meetings_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/meetings"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
)

// meetingWorld is the demo organisation with a few more people, a
// document service and a meetings service whose clock the test sets.
// Seeding is slow under the race detector (bcrypt), so the tests of this
// file share one world, each with meetings of its own on days of its own.
type meetingWorld struct {
	ctx   context.Context
	db    *sqlx.DB
	dbURL string
	blobs storage.Blobs
	docs  *documents.Service
	svc   *meetings.Service
	hub   *meetings.Hub
	users *auth.Service
	units *org.Store

	mu    sync.Mutex
	clock time.Time
	seq   uint64
}

// meetingFixture is one test's view of the world: its t, and the day its
// meetings start (08:00 to 10:00, Vietnam time).
type meetingFixture struct {
	*meetingWorld
	t     *testing.T
	start time.Time
}

const meetingPassword = "mật-khẩu-thử-nghiệm-1"

// presigningBlobs is a local store that also hands out (fake) presigned
// URLs, as S3 does.
type presigningBlobs struct{ storage.Blobs }

func (presigningBlobs) PresignGet(_ context.Context, key string, expiry time.Duration, _, _ string) (string, error) {
	return "https://store.example/" + key + "?expires=" + expiry.String(), nil
}

// newMeetingWorld seeds the demo organisation and adds: thuky.vp (staff
// of the Văn phòng Sở, the usual secretary), daibieu.gdtrh (staff of the
// Phòng Giáo dục Trung học, a participant in person) and nhanvien.sgd
// (staff of the department, in no meeting). Its hub is in-process.
func newMeetingWorld(t *testing.T) *meetingWorld {
	t.Helper()
	ctx := context.Background()
	db, dbURL := testenv.NewDB(t)
	users := auth.NewService(db, time.Hour)
	units := org.NewStore(db)
	if _, err := demo.Seed(ctx, units, users, meetingPassword, 0); err != nil {
		t.Fatal(err)
	}
	local, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	blobs := presigningBlobs{local}
	docs, err := documents.NewService(db, blobs, t.TempDir(), 32<<20)
	if err != nil {
		t.Fatal(err)
	}
	w := &meetingWorld{ctx: ctx, db: db, dbURL: dbURL, blobs: blobs, docs: docs, users: users, units: units}
	w.hub = meetings.NewHub(db, "", nil)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.hub.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	w.svc = w.newService(w.hub)
	for _, u := range []struct{ username, name, unit string }{
		{"thuky.vp", "Phan Thị Mai", "000.91.24.H29"},
		{"daibieu.gdtrh", "Đỗ Quốc Bảo", "000.95.24.H29"},
		{"nhanvien.sgd", "Lý Thanh Tâm", "000.00.24.H29"},
	} {
		unit, err := units.GetByCode(ctx, u.unit)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := users.CreateUser(ctx, auth.NewUser{Username: u.username, FullName: u.name, Position: "Chuyên viên",
			UnitID: unit.ID, Roles: []string{auth.RoleStaff}, Password: meetingPassword}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// fixture returns the world for test t, whose meetings start day days
// after 1 December 2026; the clock is five minutes before that start.
func (w *meetingWorld) fixture(t *testing.T, day int) *meetingFixture {
	f := &meetingFixture{meetingWorld: w, t: t, start: time.Date(2026, 12, 1+day, 8, 0, 0, 0, domain.VietnamTime)}
	f.setClock(f.start.Add(-5 * time.Minute))
	return f
}

func (w *meetingWorld) newService(hub *meetings.Hub) *meetings.Service {
	w.docs.AddLink(meetings.DocumentLink)
	svc := meetings.New(w.db, w.docs, w.blobs, hub)
	svc.SetClock(func() time.Time {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.clock
	})
	return svc
}

func (w *meetingWorld) setClock(t time.Time) {
	w.mu.Lock()
	w.clock = t
	w.mu.Unlock()
}

func (f *meetingFixture) who(username string) auth.Principal {
	f.t.Helper()
	p, err := f.users.PrincipalByUsername(f.ctx, username)
	if err != nil {
		f.t.Fatalf("%s: %v", username, err)
	}
	return p
}

func (f *meetingFixture) unit(code string) org.Unit {
	f.t.Helper()
	u, err := f.units.GetByCode(f.ctx, code)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

// next returns a number never returned before.
func (w *meetingWorld) next() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	return w.seq
}

// pdf returns a small PDF unlike any other.
func (w *meetingWorld) pdf() []byte { return testenv.PDF(3000, w.next()+1000) }

func (f *meetingFixture) spool(b []byte, name string) *documents.Upload {
	f.t.Helper()
	up, err := f.docs.Spool(f.ctx, bytes.NewReader(b), name)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { up.Close() })
	return up
}

// document uploads a registered (numbered) document of p's unit.
func (f *meetingFixture) document(p auth.Principal, title string) documents.Document {
	f.t.Helper()
	w := f.meetingWorld
	m := documents.Meta{DocType: "KH", Title: title, DocDate: "2026-11-20", Number: fmt.Sprint(w.next()), Symbol: "KH-" + strings.ReplaceAll(p.Username, ".", "")}
	d, err := f.docs.Create(f.ctx, p, m, f.spool(f.pdf(), "Kế hoạch.pdf"))
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

// input is the usual meeting: chaired by the Director, minuted by thuky.vp.
func (f *meetingFixture) input() meetings.Input {
	return meetings.Input{Title: "Họp giao ban tháng 12", StartsAt: f.start, EndsAt: f.start.Add(2 * time.Hour),
		Place: "Phòng họp số 1, 66-68 Lê Thánh Tôn", ChairID: f.who("giamdoc.sgd").UserID, SecretaryID: f.who("thuky.vp").UserID}
}

// scene is a meeting organised by vanthu.sgd with daibieu.gdtrh in person
// and the Quận 1 office as a unit, one item with an issued document and a
// draft file.
type scene struct {
	m               meetings.Meeting
	item            meetings.Item
	doc, draft      meetings.AgendaDoc
	draftBytes      []byte
	person, unitPtc meetings.Participant
}

func (f *meetingFixture) scene() scene {
	f.t.Helper()
	org := f.who("vanthu.sgd")
	m, err := f.svc.Create(f.ctx, org, f.input())
	if err != nil {
		f.t.Fatal(err)
	}
	var sc scene
	sc.m = m
	if sc.person, err = f.svc.AddParticipant(f.ctx, org, m.ID, meetings.ParticipantInput{UserID: f.who("daibieu.gdtrh").UserID}); err != nil {
		f.t.Fatal(err)
	}
	if sc.unitPtc, err = f.svc.AddParticipant(f.ctx, org, m.ID, meetings.ParticipantInput{UnitID: f.unit("000.01.24.H29").ID}); err != nil {
		f.t.Fatal(err)
	}
	if sc.item, err = f.svc.AddItem(f.ctx, org, m.ID, meetings.ItemInput{Title: "Triển khai kế hoạch cải cách hành chính", Presenter: "Văn phòng Sở"}); err != nil {
		f.t.Fatal(err)
	}
	d := f.document(org, "Kế hoạch cải cách hành chính năm 2027")
	if sc.doc, err = f.svc.AttachDocument(f.ctx, org, sc.item.ID, d.ID, 0); err != nil {
		f.t.Fatal(err)
	}
	sc.draftBytes = f.pdf()
	if sc.draft, err = f.svc.AttachFile(f.ctx, org, sc.item.ID, f.spool(sc.draftBytes, "Dự thảo quy chế.pdf"), "Dự thảo quy chế phối hợp", true); err != nil {
		f.t.Fatal(err)
	}
	return sc
}

// TestMeetingService runs the service's tests on one shared world.
func TestMeetingService(t *testing.T) {
	w := newMeetingWorld(t)
	for i, c := range []struct {
		name string
		run  func(*testing.T, *meetingFixture)
	}{
		{"MeetingAccessMatrix", testMeetingAccessMatrix},
		{"MeetingGetAndFiles", testMeetingGetAndFiles},
		{"RemovalCutsAccessAtOnce", testRemovalCutsAccessAtOnce},
		{"AgendaReorder", testAgendaReorder},
		{"SecretDocumentRefused", testSecretDocumentRefused},
		{"DraftsNeverBecomeDocuments", testDraftsNeverBecomeDocuments},
		{"MeetingBadInputs", testMeetingBadInputs},
		{"CheckInWindowAndLateness", testCheckInWindowAndLateness},
		{"SpeakQueueRules", testSpeakQueueRules},
		{"MeetingComments", testMeetingComments},
		{"ListMineCalendar", testListMineCalendar},
		{"HubAcrossInstances", testHubAcrossInstances},
		{"HubSlowSubscriber", testHubSlowSubscriber},
		{"HubStop", testHubStop},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, w.fixture(t, 100*i)) })
	}
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var pe *domain.PreconditionError
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("err = %v, want a 409 %s", err, code)
	}
	if pe.Message == "" {
		t.Fatalf("%s has no message", code)
	}
}

func wantInvalid(t testing.TB, err error, field string) {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a validation error on %s", err, field)
	}
	if ve.Fields[field] == "" {
		t.Fatalf("fields = %v, want one on %s", ve.Fields, field)
	}
}

func wantIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

// TestMeetingAccessMatrix runs every read and write as each kind of
// person: the meeting's people may read (and its managers change); anyone
// else, however close, gets domain.ErrNotFound for all of it.
func testMeetingAccessMatrix(t *testing.T, f *meetingFixture) {
	sc := f.scene()
	mid := sc.m.ID
	org := f.who("vanthu.sgd")
	if _, err := f.svc.Update(f.ctx, org, mid, meetings.Input{Status: meetings.StatusInProgress}); err != nil {
		t.Fatal(err)
	}
	// A request to speak and a comment for the outsiders to reach for.
	q1 := f.who("vanthu.q1")
	if _, err := f.svc.CheckIn(f.ctx, q1, mid); err != nil {
		t.Fatal(err)
	}
	req, err := f.svc.RequestToSpeak(f.ctx, q1, mid, sc.item.ID)
	if err != nil {
		t.Fatal(err)
	}
	otherDoc := f.document(org, "Thông báo kết luận")

	reads := map[string]func(p auth.Principal) error{
		"Get": func(p auth.Principal) error { _, err := f.svc.Get(f.ctx, p, mid); return err },
		"OpenDocument": func(p auth.Principal) error {
			rc, _, _, err := f.svc.OpenDocument(f.ctx, p, mid, sc.draft.ID)
			if err == nil {
				rc.Close()
			}
			return err
		},
		"PresignDocument": func(p auth.Principal) error { _, err := f.svc.PresignDocument(f.ctx, p, mid, sc.doc.ID); return err },
		"Sources":         func(p auth.Principal) error { _, err := f.svc.Sources(f.ctx, p, mid); return err },
		"Attendance":      func(p auth.Principal) error { _, err := f.svc.Attendance(f.ctx, p, mid); return err },
		"SpeakQueue":      func(p auth.Principal) error { _, err := f.svc.SpeakQueue(f.ctx, p, mid); return err },
		"Comments":        func(p auth.Principal) error { _, err := f.svc.Comments(f.ctx, p, mid); return err },
		"Subscribe": func(p auth.Principal) error {
			_, cancel, err := f.svc.Subscribe(f.ctx, p, mid)
			if err == nil {
				cancel()
			}
			return err
		},
	}
	// Writes a manager may make; a mere participant gets ErrForbidden.
	manage := map[string]func(p auth.Principal) error{
		"Update": func(p auth.Principal) error {
			in := f.input()
			in.Place = "Hội trường " + p.Username
			_, err := f.svc.Update(f.ctx, p, mid, in)
			return err
		},
		"AddItem": func(p auth.Principal) error {
			_, err := f.svc.AddItem(f.ctx, p, mid, meetings.ItemInput{Title: "Mục của " + p.Username})
			return err
		},
		"ReorderAgenda": func(p auth.Principal) error {
			m, err := f.svc.Get(f.ctx, org, mid)
			if err != nil {
				return err
			}
			ids := []int64{}
			for i := len(m.Items) - 1; i >= 0; i-- {
				ids = append(ids, m.Items[i].ID)
			}
			return f.svc.ReorderAgenda(f.ctx, p, mid, ids)
		},
		"AttachDocument": func(p auth.Principal) error {
			// A document p can see: one of p's unit when p may upload.
			doc := otherDoc
			if documents.CanCreate(p) {
				doc = f.document(p, "Báo cáo của "+p.Username)
			}
			_, err := f.svc.AttachDocument(f.ctx, p, sc.item.ID, doc.ID, 0)
			var pe *domain.PreconditionError
			if errors.As(err, &pe) && pe.Code == "already_attached" {
				return nil // another manager attached it first
			}
			return err
		},
		"AttachFile": func(p auth.Principal) error {
			_, err := f.svc.AttachFile(f.ctx, p, sc.item.ID, f.spool(f.pdf(), "phu-luc.pdf"), "", false)
			return err
		},
		"AddParticipant": func(p auth.Principal) error {
			pt, err := f.svc.AddParticipant(f.ctx, p, mid, meetings.ParticipantInput{UnitID: f.unit("000.92.24.H29").ID, Role: "guest"})
			if err != nil {
				return err
			}
			return f.svc.RemoveParticipant(f.ctx, org, mid, pt.ID)
		},
	}
	// Writes open to every one of the meeting's people.
	takePart := map[string]func(p auth.Principal) error{
		"CheckIn": func(p auth.Principal) error { _, err := f.svc.CheckIn(f.ctx, p, mid); return err },
		"AddComment": func(p auth.Principal) error {
			_, err := f.svc.AddComment(f.ctx, p, mid, 0, sc.draft.ID, "Đề nghị bổ sung điều 3")
			return err
		},
	}
	// Writes that concern someone else's things: outsiders must not even
	// learn they exist.
	foreign := map[string]func(p auth.Principal) error{
		"RequestToSpeak": func(p auth.Principal) error { _, err := f.svc.RequestToSpeak(f.ctx, p, mid, 0); return err },
		"WithdrawSpeak":  func(p auth.Principal) error { return f.svc.WithdrawSpeak(f.ctx, p, req.ID) },
		"SetSpeakState": func(p auth.Principal) error {
			_, err := f.svc.SetSpeakState(f.ctx, p, req.ID, meetings.SpeakSpeaking)
			return err
		},
		"RemoveParticipant": func(p auth.Principal) error { return f.svc.RemoveParticipant(f.ctx, p, mid, sc.person.ID) },
	}

	insiders := []struct{ username, role string }{
		{"vanthu.sgd", meetings.RoleOrganiser},
		{"giamdoc.sgd", meetings.RoleChair},
		{"thuky.vp", meetings.RoleSecretary},
		{"daibieu.gdtrh", meetings.RoleParticipant},
		{"truongphong.q1", meetings.RoleParticipant}, // through the Quận 1 office
	}
	for _, in := range insiders {
		t.Run(in.username, func(t *testing.T) {
			p := f.who(in.username)
			m, err := f.svc.Get(f.ctx, p, mid)
			if err != nil {
				t.Fatal(err)
			}
			if m.MyRole != in.role {
				t.Errorf("role = %s, want %s", m.MyRole, in.role)
			}
			for name, op := range reads {
				if err := op(p); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
			for name, op := range takePart {
				if err := op(p); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
			for name, op := range manage {
				err := op(p)
				if in.role == meetings.RoleParticipant {
					if !errors.Is(err, domain.ErrForbidden) {
						t.Errorf("%s by a participant: err = %v, want ErrForbidden", name, err)
					}
				} else if err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
			list, err := f.svc.ListMine(f.ctx, p, f.start.AddDate(0, 0, -1), f.start.AddDate(0, 0, 1))
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].ID != mid || list[0].MyRole != in.role {
				t.Errorf("ListMine = %+v, want the meeting as %s", list, in.role)
			}
		})
	}

	outsiders := []string{
		"nhanvien.sgd", // the organiser's own unit
		"vanthu.thcs1", // a school under the Quận 1 office, which takes part
		"vanthu.thpt1", // another school
		"admin",
	}
	for _, username := range outsiders {
		t.Run(username, func(t *testing.T) {
			p := f.who(username)
			for _, ops := range []map[string]func(auth.Principal) error{reads, manage, takePart, foreign} {
				for name, op := range ops {
					if err := op(p); !errors.Is(err, domain.ErrNotFound) {
						t.Errorf("%s: err = %v, want ErrNotFound", name, err)
					}
				}
			}
			list, err := f.svc.ListMine(f.ctx, p, f.start.AddDate(0, 0, -1), f.start.AddDate(0, 0, 1))
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 0 {
				t.Errorf("ListMine shows %d meetings of others", len(list))
			}
		})
	}
	// Unknown ids answer the same.
	if _, err := f.svc.Get(f.ctx, org, mid+1000); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown meeting: %v", err)
	}
	if _, _, _, err := f.svc.OpenDocument(f.ctx, org, mid, sc.draft.ID+1000); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown document: %v", err)
	}
}

// TestMeetingGetAndFiles checks what Get shows and that files come back
// unmodified, by direct read or presigned link.
func testMeetingGetAndFiles(t *testing.T, f *meetingFixture) {
	sc := f.scene()
	org := f.who("vanthu.sgd")
	m, err := f.svc.Get(f.ctx, f.who("daibieu.gdtrh"), sc.m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.ChairName != "Lê Hoài Nam" || m.SecretaryName != "Phan Thị Mai" || m.OrganiserUnit != org.UnitName || m.Status != meetings.StatusScheduled {
		t.Errorf("meeting = %+v", m)
	}
	if len(m.Items) != 1 || len(m.Items[0].Documents) != 2 {
		t.Fatalf("items = %+v", m.Items)
	}
	d0, d1 := m.Items[0].Documents[0], m.Items[0].Documents[1]
	if d0.DocumentID == nil || d0.Draft || d0.SHA256 == "" || d0.Size == 0 || d0.Position != 1 {
		t.Errorf("document = %+v", d0)
	}
	if d1.FileID == nil || !d1.Draft || d1.FileName != "Dự thảo quy chế.pdf" || d1.Title != "Dự thảo quy chế phối hợp" || d1.Position != 2 {
		t.Errorf("draft = %+v", d1)
	}
	if len(m.Participants) != 2 || m.Participants[0].Name != "Đỗ Quốc Bảo" || m.Participants[1].Name != "Phòng Giáo dục và Đào tạo Quận 1" ||
		m.Participants[0].Role != "member" {
		t.Errorf("participants = %+v", m.Participants)
	}
	// revision: created 1, item 2, document 3, file 4.
	if m.Revision != 4 {
		t.Errorf("revision = %d, want 4", m.Revision)
	}

	rc, size, name, err := f.svc.OpenDocument(f.ctx, f.who("truongphong.q1"), sc.m.ID, sc.draft.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, sc.draftBytes) || size != int64(len(sc.draftBytes)) || name != "Dự thảo quy chế.pdf" {
		t.Errorf("draft read back: %d bytes (size %d, name %q), want the %d uploaded", len(got), size, name, len(sc.draftBytes))
	}
	u, err := f.svc.PresignDocument(f.ctx, f.who("daibieu.gdtrh"), sc.m.ID, sc.doc.ID)
	if err != nil || !strings.Contains(u, sc.doc.SHA256) || !strings.Contains(u, "expires=1m0s") {
		t.Errorf("presigned = %q, %v", u, err)
	}
	// Without a presigning store: the caller falls back to the download.
	local, _ := storage.NewLocal(t.TempDir())
	plain := meetings.New(f.db, f.docs, local, f.hub)
	if _, err := plain.PresignDocument(f.ctx, org, sc.m.ID, sc.doc.ID); !errors.Is(err, documents.ErrNoPresign) {
		t.Errorf("presign without presigner: %v", err)
	}

	src, err := f.svc.Sources(f.ctx, f.who("truongphong.q1"), sc.m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if src.Meeting.Title != m.Title || src.Meeting.Revision != 4 || len(src.Items) != 1 || len(src.Items[0].Documents) != 2 ||
		src.Items[0].Presenter != "Văn phòng Sở" {
		t.Fatalf("sources = %+v", src)
	}
	rc, size, err = src.Items[0].Documents[1].Open(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, sc.draftBytes) || size != int64(len(got)) {
		t.Error("the packet source of the draft differs from the upload")
	}
}

// TestRemovalCutsAccessAtOnce removes a person and a unit and checks that
// reads fail and live streams close right after.
func testRemovalCutsAccessAtOnce(t *testing.T, f *meetingFixture) {
	sc := f.scene()
	mid := sc.m.ID
	org := f.who("vanthu.sgd")
	person, q1clerk, q1head := f.who("daibieu.gdtrh"), f.who("vanthu.q1"), f.who("truongphong.q1")
	// The head of the Quận 1 office is also invited in person: removing
	// the unit must leave him in.
	if _, err := f.svc.AddParticipant(f.ctx, org, mid, meetings.ParticipantInput{UserID: q1head.UserID, Role: "guest"}); err != nil {
		t.Fatal(err)
	}
	streams := map[string]<-chan meetings.Event{}
	for _, p := range []auth.Principal{person, q1clerk, q1head} {
		ch, cancel, err := f.svc.Subscribe(f.ctx, p, mid)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cancel)
		streams[p.Username] = ch
	}

	if err := f.svc.RemoveParticipant(f.ctx, org, mid, sc.person.ID); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, streams["daibieu.gdtrh"], person.UserID)
	for _, op := range []func() error{
		func() error { _, err := f.svc.Get(f.ctx, person, mid); return err },
		func() error { _, _, _, err := f.svc.OpenDocument(f.ctx, person, mid, sc.draft.ID); return err },
		func() error { _, err := f.svc.PresignDocument(f.ctx, person, mid, sc.draft.ID); return err },
		func() error { _, err := f.svc.Sources(f.ctx, person, mid); return err },
		func() error { _, _, err := f.svc.Subscribe(f.ctx, person, mid); return err },
	} {
		wantIs(t, op(), domain.ErrNotFound)
	}

	if err := f.svc.RemoveParticipant(f.ctx, org, mid, sc.unitPtc.ID); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, streams["vanthu.q1"], q1clerk.UserID)
	if _, err := f.svc.Get(f.ctx, q1clerk, mid); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("the unit's clerk still sees the meeting: %v", err)
	}
	if m, err := f.svc.Get(f.ctx, q1head, mid); err != nil || m.MyRole != meetings.RoleParticipant {
		t.Errorf("the head invited in person lost access: %v", err)
	}
	// His stream stays open: it hears both changes, and no removal.
	participantEvents := 0
	for drained := false; !drained; {
		select {
		case ev, ok := <-streams["truongphong.q1"]:
			if !ok || ev.Kind == meetings.EventRemoved {
				t.Fatalf("the head's stream got %+v (open %v)", ev, ok)
			}
			if ev.Kind == "participants" {
				participantEvents++
			}
		case <-time.After(300 * time.Millisecond):
			drained = true
		}
	}
	if participantEvents != 2 {
		t.Errorf("the head heard %d participant changes, want 2", participantEvents)
	}
	if err := f.svc.RemoveParticipant(f.ctx, org, mid, sc.unitPtc.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("removing twice: %v", err)
	}

	// A secretary replaced loses access too.
	sec := f.who("thuky.vp")
	ch, cancel, err := f.svc.Subscribe(f.ctx, sec, mid)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	in := f.input()
	in.SecretaryID = f.who("chuyenvien.sgd").UserID
	if _, err := f.svc.Update(f.ctx, org, mid, in); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, ch, sec.UserID)
	if _, err := f.svc.Get(f.ctx, sec, mid); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("the former secretary still sees the meeting: %v", err)
	}
}

// wantRemoved reads ch until the removal of userID, which must be the
// last event before the channel closes.
func wantRemoved(t *testing.T, ch <-chan meetings.Event, userID int64) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	removed := false
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				if !removed {
					t.Fatal("stream closed without a removed event")
				}
				return
			}
			if removed {
				t.Fatalf("event %+v after removal", ev)
			}
			if ev.Kind == meetings.EventRemoved {
				if ev.UserID != userID {
					t.Fatalf("removed %d, want %d", ev.UserID, userID)
				}
				removed = true
			}
		case <-timeout:
			t.Fatalf("stream still open (removed event seen: %v)", removed)
		}
	}
}

func testAgendaReorder(t *testing.T, f *meetingFixture) {
	org := f.who("vanthu.sgd")
	m, err := f.svc.Create(f.ctx, org, f.input())
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, title := range []string{"Khai mạc", "Báo cáo sơ kết", "Thảo luận", "Kết luận"} {
		it, err := f.svc.AddItem(f.ctx, org, m.ID, meetings.ItemInput{Title: title})
		if err != nil {
			t.Fatal(err)
		}
		if it.Position != i+1 {
			t.Fatalf("%s at %d, want appended at %d", title, it.Position, i+1)
		}
		ids = append(ids, it.ID)
	}
	order := []int64{ids[3], ids[0], ids[2], ids[1]}
	if err := f.svc.ReorderAgenda(f.ctx, f.who("giamdoc.sgd"), m.ID, order); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Get(f.ctx, org, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range got.Items {
		if it.ID != order[i] || it.Position != i+1 {
			t.Fatalf("agenda = %+v, want order %v", got.Items, order)
		}
	}
	if got.Revision != 6 {
		t.Errorf("revision = %d, want 6 (4 items and a reorder)", got.Revision)
	}
	other, err := f.svc.Create(f.ctx, org, f.input())
	if err != nil {
		t.Fatal(err)
	}
	foreignItem, err := f.svc.AddItem(f.ctx, org, other.ID, meetings.ItemInput{Title: "Mục khác"})
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]int64{
		"missing":   {ids[0], ids[1], ids[2]},
		"twice":     {ids[0], ids[1], ids[2], ids[2]},
		"foreign":   {ids[0], ids[1], ids[2], foreignItem.ID},
		"too many":  {ids[0], ids[1], ids[2], ids[3], foreignItem.ID},
		"empty":     nil,
		"unknown":   {ids[0], ids[1], ids[2], 999999},
		"same five": {ids[0], ids[1], ids[2], ids[3], ids[3]},
	} {
		t.Run(name, func(t *testing.T) {
			wantInvalid(t, f.svc.ReorderAgenda(f.ctx, org, m.ID, bad), "items")
		})
	}
	after, _ := f.svc.Get(f.ctx, org, m.ID)
	if after.Revision != 6 || after.Items[0].ID != order[0] {
		t.Error("a refused reorder changed the agenda")
	}
}

func testSecretDocumentRefused(t *testing.T, f *meetingFixture) {
	org := f.who("vanthu.sgd")
	m, err := f.svc.Create(f.ctx, org, f.input())
	if err != nil {
		t.Fatal(err)
	}
	it, err := f.svc.AddItem(f.ctx, org, m.ID, meetings.ItemInput{Title: "Công tác bảo vệ bí mật nhà nước"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := f.docs.AssignSecretNumber(f.ctx, org, documents.Meta{DocType: "KH", Title: "Kế hoạch mật", Confidentiality: "mat"},
		documents.NumberRequest{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AttachDocument(f.ctx, org, it.ID, secret.ID, 0)
	wantCode(t, err, "secret")
	// A document of another unit, never delivered here: as if it did not exist.
	foreign := f.document(f.who("vanthu.q1"), "Báo cáo của Quận 1")
	_, err = f.svc.AttachDocument(f.ctx, org, it.ID, foreign.ID, 0)
	wantIs(t, err, domain.ErrNotFound)
	// A version that does not exist.
	own := f.document(org, "Kế hoạch công khai")
	_, err = f.svc.AttachDocument(f.ctx, org, it.ID, own.ID, 7)
	wantInvalid(t, err, "version")
	if _, err := f.svc.AttachDocument(f.ctx, org, it.ID, own.ID, 1); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AttachDocument(f.ctx, org, it.ID, own.ID, 0)
	wantCode(t, err, "already_attached")
	got, _ := f.svc.Get(f.ctx, org, m.ID)
	if n := len(got.Items[0].Documents); n != 1 {
		t.Errorf("%d documents on the item, want only the public one", n)
	}
}

// TestDraftsNeverBecomeDocuments uploads a draft for a meeting and looks
// for it everywhere documents are listed or searched.
func testDraftsNeverBecomeDocuments(t *testing.T, f *meetingFixture) {
	org := f.who("vanthu.sgd")
	visible := f.document(org, "Quy chế phối hợp liên ngành đã ban hành")
	var before int
	if err := f.db.Get(&before, `SELECT count(*) FROM documents`); err != nil {
		t.Fatal(err)
	}
	sc := f.scene() // attaches "Dự thảo quy chế phối hợp" (draft) and one document
	var after int
	if err := f.db.Get(&after, `SELECT count(*) FROM documents`); err != nil {
		t.Fatal(err)
	}
	if after != before+1 { // the scene's own document, not the draft
		t.Fatalf("documents %d → %d: the draft became a document", before, after)
	}
	for _, username := range []string{"vanthu.sgd", "giamdoc.sgd", "thuky.vp", "daibieu.gdtrh", "vanthu.q1", "truongphong.q1"} {
		p := f.who(username)
		for _, q := range []string{"", "quy che phoi hop", "dự thảo", "du thao quy che"} {
			page, err := f.docs.List(f.ctx, p, documents.Filter{Query: q, Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range page.Items {
				if strings.Contains(documents.Fold(d.Title), "du thao") {
					t.Errorf("%s finds the draft with %q: %+v", username, q, d)
				}
			}
			if username == "vanthu.sgd" && q == "quy che phoi hop" && (len(page.Items) != 1 || page.Items[0].ID != visible.ID) {
				t.Errorf("search %q = %+v, want the issued quy chế only (the search works)", q, page.Items)
			}
		}
	}
	// The file's bytes are named by a meeting_files row: not an orphan.
	if _, err := f.docs.SweepOrphans(f.ctx, 0); err != nil {
		t.Fatal(err)
	}
	rc, _, _, err := f.svc.OpenDocument(f.ctx, org, sc.m.ID, sc.draft.ID)
	if err != nil {
		t.Fatalf("the draft was swept as an orphan: %v", err)
	}
	rc.Close()
	if _, err := f.blobs.Stat(f.ctx, sc.draft.ObjectKey); err != nil {
		t.Fatalf("draft object: %v", err)
	}
}

func testMeetingBadInputs(t *testing.T, f *meetingFixture) {
	org := f.who("vanthu.sgd")
	disabled := f.who("chuyenvien.sgd")
	if err := f.users.SetDisabled(f.ctx, disabled.Username, true); err != nil {
		t.Fatal(err)
	}
	defer f.users.SetDisabled(f.ctx, disabled.Username, false) //nolint:errcheck
	creates := []struct {
		name, field string
		change      func(in *meetings.Input)
	}{
		{"no title", "title", func(in *meetings.Input) { in.Title = "   " }},
		{"long title", "title", func(in *meetings.Input) { in.Title = strings.Repeat("họp ", 126) }},
		{"no start", "starts_at", func(in *meetings.Input) { in.StartsAt = time.Time{} }},
		{"ends before it starts", "ends_at", func(in *meetings.Input) { in.EndsAt = in.StartsAt.Add(-time.Minute) }},
		{"ends as it starts", "ends_at", func(in *meetings.Input) { in.EndsAt = in.StartsAt }},
		{"ftp link", "online_url", func(in *meetings.Input) { in.OnlineURL = "ftp://hop.example/phong-1" }},
		{"script link", "online_url", func(in *meetings.Input) { in.OnlineURL = "javascript:alert(1)" }},
		{"no host", "online_url", func(in *meetings.Input) { in.OnlineURL = "https://" }},
		{"no chair", "chair_id", func(in *meetings.Input) { in.ChairID = 0 }},
		{"unknown chair", "chair_id", func(in *meetings.Input) { in.ChairID = 999999 }},
		{"disabled secretary", "secretary_id", func(in *meetings.Input) { in.SecretaryID = disabled.UserID }},
		{"chair is secretary", "secretary_id", func(in *meetings.Input) { in.SecretaryID = in.ChairID }},
		{"status", "status", func(in *meetings.Input) { in.Status = meetings.StatusEnded }},
	}
	for _, c := range creates {
		t.Run(c.name, func(t *testing.T) {
			in := f.input()
			c.change(&in)
			_, err := f.svc.Create(f.ctx, org, in)
			wantInvalid(t, err, c.field)
		})
	}
	in := f.input()
	in.OnlineURL = "https://meet.hcm.edu.vn/giao-ban"
	m, err := f.svc.Create(f.ctx, org, in)
	if err != nil {
		t.Fatal(err)
	}
	if m.OnlineURL != in.OnlineURL || m.Revision != 1 || m.MyRole != meetings.RoleOrganiser {
		t.Errorf("created %+v", m)
	}
	if _, err := f.svc.Create(f.ctx, f.who("admin"), f.input()); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("admin-only account organised a meeting: %v", err)
	}

	for name, item := range map[string]meetings.ItemInput{
		"title":     {Title: " "},
		"presenter": {Title: "Mục", Presenter: strings.Repeat("x", 201)},
		"ends_at":   {Title: "Mục", StartsAt: &f.start, EndsAt: &f.start},
	} {
		_, err := f.svc.AddItem(f.ctx, org, m.ID, item)
		wantInvalid(t, err, name)
	}
	for field, pi := range map[string]meetings.ParticipantInput{
		"user_id": {UserID: 999999},
		"unit_id": {UnitID: 999999},
		"role":    {UserID: f.who("daibieu.gdtrh").UserID, Role: "chair"},
	} {
		_, err := f.svc.AddParticipant(f.ctx, org, m.ID, pi)
		wantInvalid(t, err, field)
	}
	_, err = f.svc.AddParticipant(f.ctx, org, m.ID, meetings.ParticipantInput{})
	wantInvalid(t, err, "user_id")
	_, err = f.svc.AddParticipant(f.ctx, org, m.ID, meetings.ParticipantInput{UserID: 1, UnitID: 1})
	wantInvalid(t, err, "user_id")
	_, err = f.svc.AddParticipant(f.ctx, org, m.ID, meetings.ParticipantInput{UserID: disabled.UserID})
	wantInvalid(t, err, "user_id")
	q1 := meetings.ParticipantInput{UnitID: f.unit("000.01.24.H29").ID}
	if _, err := f.svc.AddParticipant(f.ctx, org, m.ID, q1); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AddParticipant(f.ctx, org, m.ID, q1)
	wantCode(t, err, "already_participant")

	_, err = f.svc.AddComment(f.ctx, org, m.ID, 0, 0, " \n ")
	wantInvalid(t, err, "body")
	_, err = f.svc.AddComment(f.ctx, org, m.ID, 0, 0, strings.Repeat("ý", 5001))
	wantInvalid(t, err, "body")
	if _, err := f.svc.AddComment(f.ctx, org, m.ID, 0, 0, strings.Repeat("ý", 5000)); err != nil {
		t.Errorf("5000 runes: %v", err)
	}
	_, err = f.svc.ListMine(f.ctx, org, f.start, f.start)
	wantInvalid(t, err, "to")
	_, err = f.svc.ListMine(f.ctx, org, f.start, f.start.AddDate(2, 0, 0))
	wantInvalid(t, err, "to")

	// Status: scheduled → in_progress → ended, then read-only.
	_, err = f.svc.Update(f.ctx, org, m.ID, meetings.Input{Status: meetings.StatusEnded})
	wantCode(t, err, "illegal_transition")
	_, err = f.svc.Update(f.ctx, org, m.ID, meetings.Input{Status: "over"})
	wantInvalid(t, err, "status")
	if m, err = f.svc.Update(f.ctx, org, m.ID, meetings.Input{Status: meetings.StatusInProgress}); err != nil || m.Status != meetings.StatusInProgress {
		t.Fatalf("start: %+v %v", m, err)
	}
	if m.OnlineURL != in.OnlineURL || m.Title != in.Title {
		t.Errorf("a status change altered the meeting: %+v", m)
	}
	if m, err = f.svc.Update(f.ctx, org, m.ID, meetings.Input{Status: meetings.StatusEnded}); err != nil || m.Status != meetings.StatusEnded {
		t.Fatalf("end: %+v %v", m, err)
	}
	_, err = f.svc.Update(f.ctx, org, m.ID, meetings.Input{Status: meetings.StatusCancelled})
	wantCode(t, err, "meeting_closed")
	_, err = f.svc.AddItem(f.ctx, org, m.ID, meetings.ItemInput{Title: "Muộn"})
	wantCode(t, err, "meeting_closed")
	_, err = f.svc.AddComment(f.ctx, org, m.ID, 0, 0, "Muộn")
	wantCode(t, err, "meeting_closed")
	// Read-only, not gone.
	if _, err := f.svc.Get(f.ctx, org, m.ID); err != nil {
		t.Fatal(err)
	}

	// A full update replaces the details and bumps the revision.
	m2, err := f.svc.Create(f.ctx, org, f.input())
	if err != nil {
		t.Fatal(err)
	}
	in2 := f.input()
	in2.Title = "Họp giao ban (dời lịch)"
	in2.StartsAt, in2.EndsAt = in2.StartsAt.Add(24*time.Hour), in2.EndsAt.Add(24*time.Hour)
	got, err := f.svc.Update(f.ctx, org, m2.ID, in2)
	if err != nil || got.Title != in2.Title || !got.StartsAt.Equal(in2.StartsAt) || got.Revision != 2 {
		t.Errorf("update: %+v %v", got, err)
	}
	if got, err = f.svc.Update(f.ctx, org, m2.ID, meetings.Input{Status: meetings.StatusCancelled}); err != nil || got.Status != meetings.StatusCancelled {
		t.Errorf("cancel: %+v %v", got, err)
	}
}

func testCheckInWindowAndLateness(t *testing.T, f *meetingFixture) {
	sc := f.scene()
	mid := sc.m.ID
	chair, person, q1clerk, q1head := f.who("giamdoc.sgd"), f.who("daibieu.gdtrh"), f.who("vanthu.q1"), f.who("truongphong.q1")

	f.setClock(f.start.Add(-31 * time.Minute))
	_, err := f.svc.CheckIn(f.ctx, chair, mid)
	wantCode(t, err, "check_in_not_open")

	f.setClock(f.start.Add(-29 * time.Minute))
	a, err := f.svc.CheckIn(f.ctx, chair, mid)
	if err != nil {
		t.Fatal(err)
	}
	if a.Late || a.UserID != chair.UserID || a.Name != "Lê Hoài Nam" || a.CheckedInAt == nil {
		t.Errorf("check-in = %+v", a)
	}
	f.setClock(f.start.Add(10 * time.Minute))
	if a, err = f.svc.CheckIn(f.ctx, person, mid); err != nil || a.Late {
		t.Errorf("at 10 minutes past: %+v %v, want on time", a, err)
	}
	f.setClock(f.start.Add(11 * time.Minute))
	if a, err = f.svc.CheckIn(f.ctx, q1clerk, mid); err != nil || !a.Late {
		t.Errorf("at 11 minutes past: %+v %v, want late", a, err)
	}
	// Idempotent: the first check-in stands.
	again, err := f.svc.CheckIn(f.ctx, chair, mid)
	if err != nil || !again.CheckedInAt.Equal(f.start.Add(-29*time.Minute)) || again.Late {
		t.Errorf("second check-in = %+v %v", again, err)
	}

	att, err := f.svc.Attendance(f.ctx, person, mid)
	if err != nil {
		t.Fatal(err)
	}
	if len(att.Present) != 3 || att.Late != 1 || att.Present[0].UserID != chair.UserID || !att.Present[2].Late {
		t.Errorf("present = %+v (late %d)", att.Present, att.Late)
	}
	// Absent: the secretary. The Quận 1 office is present through its clerk.
	if len(att.Absent) != 1 || att.Absent[0].Name != "Phan Thị Mai" {
		t.Errorf("absent = %+v", att.Absent)
	}
	m, _ := f.svc.Get(f.ctx, q1head, mid)
	for _, pt := range m.Participants {
		if pt.CheckedInAt == nil {
			t.Errorf("participant %s shows no check-in", pt.Name)
		}
	}

	// A unit none of whose people came is absent as a unit.
	org := f.who("vanthu.sgd")
	if _, err := f.svc.AddParticipant(f.ctx, org, mid, meetings.ParticipantInput{UnitID: f.unit("000.93.24.H29").ID}); err != nil {
		t.Fatal(err)
	}
	att, _ = f.svc.Attendance(f.ctx, chair, mid)
	if len(att.Absent) != 2 || att.Absent[1].UserID != 0 || att.Absent[1].Name != "Phòng Kế hoạch tài chính" {
		t.Errorf("absent = %+v, want the secretary and the KHTC office", att.Absent)
	}

	// Once in progress, check-in stays open whatever the clock says.
	if _, err := f.svc.Update(f.ctx, org, mid, meetings.Input{Status: meetings.StatusInProgress}); err != nil {
		t.Fatal(err)
	}
	f.setClock(f.start.Add(-3 * time.Hour))
	if _, err := f.svc.CheckIn(f.ctx, f.who("thuky.vp"), mid); err != nil {
		t.Errorf("in progress: %v", err)
	}
	if _, err := f.svc.Update(f.ctx, org, mid, meetings.Input{Status: meetings.StatusEnded}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.CheckIn(f.ctx, q1head, mid)
	wantCode(t, err, "meeting_closed")
}

func testSpeakQueueRules(t *testing.T, f *meetingFixture) {
	sc := f.scene()
	mid := sc.m.ID
	org, chair, sec := f.who("vanthu.sgd"), f.who("giamdoc.sgd"), f.who("thuky.vp")
	person, q1clerk, q1head := f.who("daibieu.gdtrh"), f.who("vanthu.q1"), f.who("truongphong.q1")

	for _, p := range []auth.Principal{person, q1clerk} {
		if _, err := f.svc.CheckIn(f.ctx, p, mid); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.svc.RequestToSpeak(f.ctx, person, mid, sc.item.ID)
	wantCode(t, err, "meeting_not_in_progress")
	if _, err := f.svc.Update(f.ctx, org, mid, meetings.Input{Status: meetings.StatusInProgress}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.RequestToSpeak(f.ctx, q1head, mid, 0)
	wantCode(t, err, "not_checked_in")

	r1, err := f.svc.RequestToSpeak(f.ctx, person, mid, sc.item.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r1.State != meetings.SpeakWaiting || r1.Name != "Đỗ Quốc Bảo" || r1.ItemID == nil || *r1.ItemID != sc.item.ID {
		t.Errorf("request = %+v", r1)
	}
	_, err = f.svc.RequestToSpeak(f.ctx, person, mid, 0)
	wantCode(t, err, "already_requested")
	_, err = f.svc.RequestToSpeak(f.ctx, q1clerk, mid, 999999)
	wantInvalid(t, err, "item_id")
	r2, err := f.svc.RequestToSpeak(f.ctx, q1clerk, mid, 0)
	if err != nil {
		t.Fatal(err)
	}

	// Only the chair gives the floor, and only its owner withdraws a request.
	_, err = f.svc.SetSpeakState(f.ctx, sec, r1.ID, meetings.SpeakSpeaking)
	wantIs(t, err, domain.ErrForbidden)
	wantIs(t, f.svc.WithdrawSpeak(f.ctx, q1clerk, r1.ID), domain.ErrForbidden)
	_, err = f.svc.SetSpeakState(f.ctx, chair, r1.ID, meetings.SpeakDone)
	wantCode(t, err, "illegal_transition")
	_, err = f.svc.SetSpeakState(f.ctx, chair, r1.ID, "shouting")
	wantInvalid(t, err, "state")

	if _, err := f.svc.SetSpeakState(f.ctx, chair, r1.ID, meetings.SpeakSpeaking); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.WithdrawSpeak(f.ctx, person, r1.ID), "not_waiting")
	// Still one open request while speaking.
	_, err = f.svc.RequestToSpeak(f.ctx, person, mid, 0)
	wantCode(t, err, "already_requested")
	q, err := f.svc.SpeakQueue(f.ctx, q1head, mid)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 2 || q[0].ID != r1.ID || q[0].State != meetings.SpeakSpeaking || q[1].ID != r2.ID {
		t.Errorf("queue = %+v", q)
	}
	// Giving the floor to the next closes the current speaker.
	if _, err := f.svc.SetSpeakState(f.ctx, chair, r2.ID, meetings.SpeakSpeaking); err != nil {
		t.Fatal(err)
	}
	q, _ = f.svc.SpeakQueue(f.ctx, chair, mid)
	if len(q) != 1 || q[0].ID != r2.ID {
		t.Errorf("queue = %+v, want the second speaker alone", q)
	}
	if _, err := f.svc.SetSpeakState(f.ctx, chair, r2.ID, meetings.SpeakDone); err != nil {
		t.Fatal(err)
	}
	// Done: they may ask again, and withdraw while waiting.
	r3, err := f.svc.RequestToSpeak(f.ctx, person, mid, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.WithdrawSpeak(f.ctx, person, r3.ID); err != nil {
		t.Fatal(err)
	}
	if q, _ = f.svc.SpeakQueue(f.ctx, chair, mid); len(q) != 0 {
		t.Errorf("queue = %+v, want empty", q)
	}
}

func testMeetingComments(t *testing.T, f *meetingFixture) {
	sc := f.scene()
	mid := sc.m.ID
	person := f.who("daibieu.gdtrh")
	c, err := f.svc.AddComment(f.ctx, person, mid, 0, sc.draft.ID, "  Đề nghị sửa khoản 2 điều 5  ")
	if err != nil {
		t.Fatal(err)
	}
	if c.Body != "Đề nghị sửa khoản 2 điều 5" || c.ItemID == nil || *c.ItemID != sc.item.ID || c.AgendaDocumentID == nil || c.Name != "Đỗ Quốc Bảo" {
		t.Errorf("comment = %+v", c)
	}
	other, err := f.svc.AddItem(f.ctx, f.who("vanthu.sgd"), mid, meetings.ItemInput{Title: "Mục khác"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AddComment(f.ctx, person, mid, other.ID, sc.draft.ID, "Sai mục")
	wantInvalid(t, err, "agenda_document_id")
	_, err = f.svc.AddComment(f.ctx, person, mid, 0, 999999, "Không có")
	wantInvalid(t, err, "agenda_document_id")
	if _, err := f.svc.AddComment(f.ctx, f.who("truongphong.q1"), mid, other.ID, 0, "Thống nhất"); err != nil {
		t.Fatal(err)
	}
	cs, err := f.svc.Comments(f.ctx, f.who("giamdoc.sgd"), mid)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].ID != c.ID || *cs[1].ItemID != other.ID {
		t.Errorf("comments = %+v", cs)
	}
}

// TestListMineCalendar checks the window and the order of the calendar.
func testListMineCalendar(t *testing.T, f *meetingFixture) {
	org := f.who("vanthu.sgd")
	var ids []int64
	for _, d := range []int{3, 0, 1, 40} {
		in := f.input()
		in.Title = fmt.Sprintf("Họp ngày +%d", d)
		in.StartsAt, in.EndsAt = in.StartsAt.AddDate(0, 0, d), in.EndsAt.AddDate(0, 0, d)
		m, err := f.svc.Create(f.ctx, org, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	// Chaired by the Director, so his calendar has them too.
	list, err := f.svc.ListMine(f.ctx, f.who("giamdoc.sgd"), f.start, f.start.AddDate(0, 0, 3))
	if err != nil {
		t.Fatal(err)
	}
	// [from, to): the meeting at +3 days starts exactly at `to`.
	if len(list) != 2 || list[0].ID != ids[1] || list[1].ID != ids[2] || list[0].MyRole != meetings.RoleChair {
		t.Errorf("calendar = %+v", list)
	}
}
