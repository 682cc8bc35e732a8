package meetings_test

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/meetings"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/routing"
)

// TestSharingFollowsRecalls is the district office that attached what it
// received: a received document goes into its meeting only once every
// unit of the meeting has it, and leaves the downloads, the links and the
// packet as soon as a recall takes it back. Withheld documents can then
// be replaced or removed.
func TestSharingFollowsRecalls(t *testing.T) {
	f := newMeetingWorld(t).fixture(t, 0)
	rt := routing.New(f.db, f.docs, notify.NewStore(f.db, false))
	sgd, office, chief, school := f.who("vanthu.sgd"), f.who("vanthu.q1"), f.who("truongphong.q1"), f.who("vanthu.thcs1")
	issue := func(title string, units ...int64) documents.Document {
		t.Helper()
		d := f.document(sgd, title)
		if _, err := rt.Issue(f.ctx, sgd, d.ID, routing.IssueRequest{Recipients: routing.Recipients{Units: units}}); err != nil {
			t.Fatal(err)
		}
		return d
	}
	accept := func(p auth.Principal, docID int64) routing.Delivery {
		t.Helper()
		page, err := rt.Inbox(f.ctx, p, routing.InboxFilter{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Items {
			if d.DocumentID == docID {
				if d, err = rt.Accept(f.ctx, p, d.ID); err != nil {
					t.Fatal(err)
				}
				return d
			}
		}
		t.Fatalf("document %d is not in the inbox of %s", docID, p.Username)
		return routing.Delivery{}
	}
	read := func(p auth.Principal, mid, adID int64) error {
		t.Helper()
		rc, _, _, err := f.svc.OpenDocument(f.ctx, p, mid, adID)
		if err == nil {
			rc.Close()
		}
		if _, perr := f.svc.PresignDocument(f.ctx, p, mid, adID); (perr == nil) != (err == nil) {
			t.Fatalf("download says %v, presigned link says %v", err, perr)
		}
		return err
	}
	packet := func(p auth.Principal, mid int64) []byte {
		t.Helper()
		rc, _, _, err := f.svc.Packet(f.ctx, p, mid)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	// The Quận 1 office organises; the secretary is a school's clerk.
	in := f.input()
	in.ChairID, in.SecretaryID = chief.UserID, school.UserID
	m, err := f.svc.Create(f.ctx, office, in)
	if err != nil {
		t.Fatal(err)
	}
	item, err := f.svc.AddItem(f.ctx, office, m.ID, meetings.ItemInput{Title: "Triển khai công văn của Sở"})
	if err != nil {
		t.Fatal(err)
	}

	// And a high school takes part as a unit.
	thpt := f.who("vanthu.thpt1")
	if _, err := f.svc.AddParticipant(f.ctx, office, m.ID, meetings.ParticipantInput{UnitID: thpt.UnitID}); err != nil {
		t.Fatal(err)
	}

	// Received by the office alone: not the school's to read.
	onlyOffice := issue("Công văn chỉ gửi Phòng", office.UnitID)
	accept(office, onlyOffice.ID)
	_, err = f.svc.AttachDocument(f.ctx, office, m.ID, item.ID, onlyOffice.ID, 0)
	wantCode(t, err, "not_shared")
	// The office's own document is the office's to share.
	own, err := f.svc.AttachDocument(f.ctx, office, m.ID, item.ID, f.document(office, "Kế hoạch của Phòng").ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Received by the office and by both schools: shared.
	both := issue("Công văn gửi Phòng và trường", office.UnitID, school.UnitID, thpt.UnitID)
	officeDelivery := accept(office, both.ID)
	accept(school, both.ID)
	ad, err := f.svc.AttachDocument(f.ctx, office, m.ID, item.ID, both.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := read(school, m.ID, ad.ID); err != nil {
		t.Fatalf("the secretary cannot read a document the school received: %v", err)
	}
	// A participant whose unit never received it withholds it from all;
	// taking them off shares it again.
	guest, err := f.svc.AddParticipant(f.ctx, office, m.ID, meetings.ParticipantInput{UserID: f.who("daibieu.gdtrh").UserID})
	if err != nil {
		t.Fatal(err)
	}
	wantIs(t, read(school, m.ID, ad.ID), domain.ErrNotFound)
	if err := read(f.who("daibieu.gdtrh"), m.ID, own.ID); err != nil {
		t.Fatalf("the office's own document withheld from a participant: %v", err)
	}
	if err := f.svc.RemoveParticipant(f.ctx, office, m.ID, guest.ID); err != nil {
		t.Fatal(err)
	}
	if err := read(school, m.ID, ad.ID); err != nil {
		t.Fatal(err)
	}
	before := packet(thpt, m.ID)

	// The Sở recalls it and the office accepts the recall.
	if _, err := rt.Recall(f.ctx, sgd, both.ID, "Sai nội dung mục 2"); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.AnswerRecall(f.ctx, office, officeDelivery.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	for _, p := range []auth.Principal{school, office, chief, thpt} {
		wantIs(t, read(p, m.ID, ad.ID), domain.ErrNotFound)
		if err := read(p, m.ID, own.ID); err != nil {
			t.Fatalf("%s: the office's own document: %v", p.Username, err)
		}
	}
	got, err := f.svc.Get(f.ctx, thpt, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if docs := got.Items[0].Documents; len(docs) != 1 || docs[0].ID != own.ID {
		t.Errorf("a participant's agenda lists %+v", docs)
	}
	// The managers (the school's clerk is the secretary) see it marked,
	// to replace or remove it.
	for _, p := range []auth.Principal{school, office} {
		got, _ = f.svc.Get(f.ctx, p, m.ID)
		if docs := got.Items[0].Documents; len(docs) != 2 || !docs[1].Withheld || docs[0].Withheld {
			t.Errorf("%s's agenda lists %+v, want the recalled one marked withheld", p.Username, docs)
		}
	}
	src, err := f.svc.Sources(f.ctx, office, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if docs := src.Items[0].Documents; len(docs) != 1 || docs[0].ID != own.ID || len(src.Withheld) != 1 || src.Withheld[0] != ad.ID {
		t.Errorf("packet sources: %+v, withheld %v", docs, src.Withheld)
	}
	after := packet(thpt, m.ID)
	if len(after) >= len(before) {
		t.Errorf("the packet kept the recalled document: %d bytes before, %d after", len(before), len(after))
	}
	var packets int
	if err := f.db.Get(&packets, `SELECT count(*) FROM meeting_packets WHERE meeting_id = $1`, m.ID); err != nil || packets != 2 {
		t.Errorf("%d stored packets (%v), want the first and the one rebuilt without the recalled document", packets, err)
	}

	// The withheld document is replaced by a file, in its place.
	rev := got.Revision
	rep, err := f.svc.ReplaceAgendaDocument(f.ctx, office, m.ID, ad.ID, meetings.Replacement{
		Upload: f.spool(f.pdf(), "cong-van-thay-the.pdf"), Title: "Công văn thay thế"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Position != ad.Position || rep.ItemID != item.ID || rep.FileID == nil || rep.Title != "Công văn thay thế" {
		t.Errorf("replacement = %+v, want a file at %d", rep, ad.Position)
	}
	if err := read(school, m.ID, rep.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = f.svc.Get(f.ctx, office, m.ID)
	if got.Revision != rev+1 || len(got.Items[0].Documents) != 2 {
		t.Errorf("after the replacement: revision %d (was %d), %+v", got.Revision, rev, got.Items[0].Documents)
	}
	// A document cannot replace one with a document the meeting may not share.
	_, err = f.svc.ReplaceAgendaDocument(f.ctx, office, m.ID, rep.ID, meetings.Replacement{DocumentID: onlyOffice.ID})
	wantCode(t, err, "not_shared")
	_, err = f.svc.ReplaceAgendaDocument(f.ctx, office, m.ID, rep.ID, meetings.Replacement{})
	wantInvalid(t, err, "file")

	// Removing: managers only, ids of this meeting only.
	wantIs(t, f.svc.RemoveAgendaDocument(f.ctx, f.who("nhanvien.sgd"), m.ID, rep.ID), domain.ErrNotFound)
	wantIs(t, f.svc.RemoveAgendaDocument(f.ctx, office, m.ID+1000, rep.ID), domain.ErrNotFound)
	wantIs(t, f.svc.RemoveAgendaDocument(f.ctx, office, m.ID, rep.ID+1000), domain.ErrNotFound)
	if err := f.svc.RemoveAgendaDocument(f.ctx, school, m.ID, rep.ID); err != nil {
		t.Fatal(err)
	}
	wantIs(t, read(school, m.ID, rep.ID), domain.ErrNotFound)
	got, _ = f.svc.Get(f.ctx, office, m.ID)
	if got.Revision != rev+2 || len(got.Items[0].Documents) != 1 {
		t.Errorf("after the removal: revision %d, %+v", got.Revision, got.Items[0].Documents)
	}
	var files int
	if err := f.db.Get(&files, `SELECT count(*) FROM meeting_files WHERE meeting_id = $1`, m.ID); err != nil || files != 0 {
		t.Errorf("%d files left (%v)", files, err)
	}
	// Who attached what, for which unit, is recorded.
	var by struct {
		User int64 `db:"attached_by"`
		Unit int64 `db:"attached_unit_id"`
	}
	if err := f.db.Get(&by, `SELECT attached_by, attached_unit_id FROM agenda_documents WHERE id = $1`, own.ID); err != nil ||
		by.User != office.UserID || by.Unit != office.UnitID {
		t.Errorf("attached by %+v (%v)", by, err)
	}
}

// TestRemoveNeedsAManager: a participant may not take documents off.
func TestRemoveNeedsAManager(t *testing.T) {
	f := newMeetingWorld(t).fixture(t, 0)
	sc := f.scene()
	wantIs(t, f.svc.RemoveAgendaDocument(f.ctx, f.who("daibieu.gdtrh"), sc.m.ID, sc.doc.ID), domain.ErrForbidden)
	_, err := f.svc.ReplaceAgendaDocument(f.ctx, f.who("vanthu.q1"), sc.m.ID, sc.doc.ID, meetings.Replacement{Upload: f.spool(f.pdf(), "x.pdf")})
	wantIs(t, err, domain.ErrForbidden)
	// A path naming a meeting and an item of another meeting finds nothing.
	org := f.who("vanthu.sgd")
	other, err := f.svc.Create(f.ctx, org, f.input())
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AttachFile(f.ctx, org, other.ID, sc.item.ID, f.spool(f.pdf(), "x.pdf"), "", false)
	wantIs(t, err, domain.ErrNotFound)
	_, err = f.svc.AttachDocument(f.ctx, org, other.ID, sc.item.ID, f.document(org, "Báo cáo").ID, 0)
	wantIs(t, err, domain.ErrNotFound)
	if _, err := f.svc.AttachFile(f.ctx, org, sc.m.ID, sc.item.ID, f.spool(f.pdf(), "x.pdf"), "", false); err != nil {
		t.Fatal(err)
	}
}

// TestActionsMatchOperations asks Get what each person may do, then does
// it: every operation succeeds exactly where Actions says it may, since
// both come from the same rules.
func TestActionsMatchOperations(t *testing.T) {
	f := newMeetingWorld(t).fixture(t, 0)
	sc := f.scene()
	mid := sc.m.ID
	org := f.who("vanthu.sgd")
	people := []string{"vanthu.sgd", "giamdoc.sgd", "thuky.vp", "daibieu.gdtrh", "vanthu.q1"}
	check := func(who, what string, may bool, err error) {
		t.Helper()
		if may != (err == nil) {
			t.Errorf("%s %s: Actions says %v, the operation says %v", who, what, may, err)
		}
	}
	actions := func(p auth.Principal) meetings.Actions {
		t.Helper()
		m, err := f.svc.Get(f.ctx, p, mid)
		if err != nil {
			t.Fatal(err)
		}
		return m.Actions
	}
	for _, u := range people {
		p := f.who(u)
		a := actions(p)
		_, err := f.svc.AddItem(f.ctx, p, mid, meetings.ItemInput{Title: "Mục của " + u})
		check(u, "manage agenda", a.ManageAgenda, err)
		pt, err := f.svc.AddParticipant(f.ctx, p, mid, meetings.ParticipantInput{UnitID: f.unit("000.92.24.H29").ID, Role: "guest"})
		check(u, "manage participants", a.ManageParticipants, err)
		if err == nil {
			if err := f.svc.RemoveParticipant(f.ctx, org, mid, pt.ID); err != nil {
				t.Fatal(err)
			}
		}
		_, err = f.svc.AddComment(f.ctx, p, mid, 0, 0, "Góp ý của "+u)
		check(u, "comment", a.Comment, err)
		_, err = f.svc.RequestToSpeak(f.ctx, p, mid, 0)
		check(u, "request to speak", a.RequestToSpeak, err)
		if a.Console != (u == "giamdoc.sgd") || a.OrganiserUnit != (p.UnitID == org.UnitID) {
			t.Errorf("%s: %+v", u, a)
		}
	}
	if _, err := f.svc.Get(f.ctx, f.who("nhanvien.sgd"), mid); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("an outsider gets the meeting: %v", err)
	}
	// Not days early: a meeting starts within its check-in window.
	f.setClock(f.start.Add(-2 * time.Hour))
	if a := actions(org); a.Start {
		t.Errorf("a meeting two hours away may be started: %+v", a)
	}
	var pe *domain.PreconditionError
	if _, err := f.svc.Update(f.ctx, org, mid, meetings.Input{Status: meetings.StatusInProgress}); !errors.As(err, &pe) || pe.Code != "too_early_to_start" {
		t.Fatalf("start two hours early: %v, want too_early_to_start", err)
	}
	f.setClock(f.start)
	if a := actions(org); !a.Start || a.End {
		t.Fatalf("a scheduled meeting: %+v", a)
	}
	if _, err := f.svc.Update(f.ctx, org, mid, meetings.Input{Status: meetings.StatusInProgress}); err != nil {
		t.Fatal(err)
	}
	// The chair and the secretary are present by their roles from the start.
	att, err := f.svc.Attendance(f.ctx, org, mid)
	if err != nil {
		t.Fatal(err)
	}
	present := map[int64]bool{}
	for _, a := range att.Present {
		present[a.UserID] = true
	}
	for _, a := range att.Absent {
		if a.UserID == f.who("giamdoc.sgd").UserID || a.UserID == f.who("thuky.vp").UserID {
			t.Errorf("%s is listed as absent from the meeting they conduct", a.Name)
		}
	}
	if !present[f.who("giamdoc.sgd").UserID] || !present[f.who("thuky.vp").UserID] {
		t.Errorf("the chair and the secretary are not present by their roles: %+v", att.Present)
	}
	for _, u := range people {
		p := f.who(u)
		a := actions(p)
		if present[p.UserID] {
			if a.CheckIn {
				t.Errorf("%s is present by role, yet is offered check-in", u)
			}
		} else {
			_, err := f.svc.RequestToSpeak(f.ctx, p, mid, 0)
			check(u, "request to speak before checking in", a.RequestToSpeak, err)
			_, err = f.svc.CheckIn(f.ctx, p, mid)
			check(u, "check in", a.CheckIn, err)
			a = actions(p)
			if a.CheckIn {
				t.Errorf("%s may check in twice", u)
			}
		}
		_, err = f.svc.RequestToSpeak(f.ctx, p, mid, 0)
		check(u, "request to speak", a.RequestToSpeak, err)
		_, err = f.svc.OpenBallot(f.ctx, p, mid, meetings.BallotInput{Question: "Biểu quyết của " + u})
		check(u, "open a ballot", a.OpenBallot, err)
	}
}
