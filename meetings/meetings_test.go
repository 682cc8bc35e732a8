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
	t     testing.TB
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
func newMeetingWorld(t testing.TB) *meetingWorld {
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
	// Documents are registered the real way: signed, then numbered and
	// signed by the organisation (development keys of the demo).
	if err := demo.EnableDevSigning(ctx, t.TempDir(), users, docs, 64<<20); err != nil {
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
func (w *meetingWorld) fixture(t testing.TB, day int) *meetingFixture {
	f := &meetingFixture{meetingWorld: w, t: t, start: time.Date(2026, 12, 1+day, 8, 0, 0, 0, domain.VietnamTime)}
	f.setClock(f.start.Add(-5 * time.Minute))
	return f
}

func (w *meetingWorld) newService(hub *meetings.Hub) *meetings.Service {
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

// documentSigners are who signs for the demo clerks' units (demo.SeedSigning).
var documentSigners = map[string]string{"vanthu.sgd": "giamdoc.sgd", "vanthu.q1": "truongphong.q1"}

// document uploads a document of p's unit: registered (signed, numbered by
// the register, signed by the organisation) when p is a clerk of a unit
// with signers, else a draft.
func (f *meetingFixture) document(p auth.Principal, title string) documents.Document {
	f.t.Helper()
	m := documents.Meta{DocType: "KH", Title: title, DocDate: "2026-11-20"}
	d, err := f.docs.Create(f.ctx, p, m, f.spool(f.pdf(), "Kế hoạch.pdf"))
	if err != nil {
		f.t.Fatal(err)
	}
	signer, ok := documentSigners[p.Username]
	if !ok {
		return d
	}
	if d, err = f.docs.SignAsPerson(f.ctx, f.who(signer), d.ID, documents.SignRequest{VersionSHA256: d.Versions[0].SHA256}); err != nil {
		f.t.Fatal(err)
	}
	if d, err = f.docs.AssignNumber(f.ctx, p, d.ID, documents.NumberRequest{VersionSHA256: d.Versions[0].SHA256}); err != nil {
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
	if sc.doc, err = f.svc.AttachDocument(f.ctx, org, m.ID, sc.item.ID, d.ID, 0); err != nil {
		f.t.Fatal(err)
	}
	sc.draftBytes = f.pdf()
	if sc.draft, err = f.svc.AttachFile(f.ctx, org, m.ID, sc.item.ID, f.spool(sc.draftBytes, "Dự thảo quy chế.pdf"), "Dự thảo quy chế phối hợp", true); err != nil {
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
			_, err := f.svc.AttachDocument(f.ctx, p, mid, sc.item.ID, doc.ID, 0)
			var pe *domain.PreconditionError
			if errors.As(err, &pe) && pe.Code == "already_attached" {
				return nil // another manager attached it first
			}
			return err
		},
		"AttachFile": func(p auth.Principal) error {
			_, err := f.svc.AttachFile(f.ctx, p, mid, sc.item.ID, f.spool(f.pdf(), "phu-luc.pdf"), "", false)
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
