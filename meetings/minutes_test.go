package meetings

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/routing"
)

func TestMinutesAndInvitation(t *testing.T) {
	runCases(t, newVoteEnv(t, true), []voteCase{
		{"draft and sign the minutes", testMinutesDraftAndSign},
		{"minutes need the organiser unit", testMinutesNeedTheOrganiserUnit},
		{"invitation and conclusion", testInvitationAndConclusion},
	})
}

func (e *voteEnv) latest(p auth.Principal, id int64) (documents.Document, []byte) {
	e.t.Helper()
	d, err := e.docs.Get(e.ctx, p, id)
	if err != nil {
		e.t.Fatal(err)
	}
	rc, err := e.docs.Open(e.ctx, d.Versions[0], 0, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		e.t.Fatal(err)
	}
	return d, b
}

func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, tool)
		}
	}
}

// pdfText is the text of a PDF as pdftotext reads it.
func pdfTextOf(t *testing.T, pdf []byte) string {
	t.Helper()
	requireTools(t, "pdftotext")
	f := filepath.Join(t.TempDir(), "doc.pdf")
	os.WriteFile(f, pdf, 0o600)
	out, err := exec.Command("pdftotext", "-layout", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// inkIn renders the last page and returns the share of pixels inside the
// rectangle (PDF points) that are not near white.
func inkIn(t *testing.T, pdf []byte, pages int, r [4]float64) float64 {
	t.Helper()
	requireTools(t, "pdftoppm")
	dir := t.TempDir()
	f := filepath.Join(dir, "doc.pdf")
	os.WriteFile(f, pdf, 0o600)
	const dpi = 72
	last := fmt.Sprint(pages)
	if out, err := exec.Command("pdftoppm", "-r", fmt.Sprint(dpi), "-f", last, "-l", last, "-png", "-singlefile", f, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	h := img.Bounds().Dy()
	box := image.Rect(int(r[0]), h-int(r[3]), int(r[2]), h-int(r[1]))
	ink, all := 0, 0
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			all++
			if cr < 0xd000 || cg < 0xd000 || cb < 0xd000 {
				ink++
			}
		}
	}
	return float64(ink) / float64(all)
}

// meetingWithRecord is a meeting of the department with an agenda, people
// checked in, comments and ballots, as the minutes record them.
func (e *voteEnv) meetingWithRecord() (Meeting, map[string]auth.Principal) {
	e.t.Helper()
	ps := map[string]auth.Principal{}
	for _, u := range []string{"vanthu.sgd", "giamdoc.sgd", "chuyenvien.sgd", "truongphong.q1", "vanthu.thpt1", "vanthu.q1"} {
		ps[u] = e.who(u)
	}
	organiser, chair, secretary, member := ps["vanthu.sgd"], ps["giamdoc.sgd"], ps["chuyenvien.sgd"], ps["truongphong.q1"]
	m := e.meeting(organiser, chair, secretary, false)
	e.addParticipant(organiser, m.ID, ParticipantInput{UserID: member.UserID})
	e.addParticipant(organiser, m.ID, ParticipantInput{UnitID: ps["vanthu.thpt1"].UnitID})
	items := make([]Item, 2)
	for i, title := range []string{"Kế hoạch chuyển đổi số năm 2027", "Nhân sự tổ công tác"} {
		it, err := e.svc.AddItem(e.ctx, organiser, m.ID, ItemInput{Title: title, Presenter: "Văn phòng Sở"})
		if err != nil {
			e.t.Fatal(err)
		}
		items[i] = it
	}
	if _, err := e.svc.Update(e.ctx, chair, m.ID, Input{Status: StatusInProgress}); err != nil {
		e.t.Fatal(err)
	}
	for _, p := range []auth.Principal{chair, secretary, member} {
		e.checkIn(p, m.ID)
	}
	if _, err := e.svc.AddComment(e.ctx, member, m.ID, items[0].ID, 0, "Đề nghị bổ sung lộ trình cho các trường ở huyện Cần Giờ."); err != nil {
		e.t.Fatal(err)
	}
	b, err := e.svc.OpenBallot(e.ctx, chair, m.ID, BallotInput{ItemID: items[0].ID, Question: "Thông qua kế hoạch chuyển đổi số năm 2027"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.vote(chair, b.ID, "Tán thành")
	e.vote(member, b.ID, "Tán thành")
	e.vote(secretary, b.ID, "Không biểu quyết")
	if _, err := e.svc.CloseBallot(e.ctx, chair, b.ID); err != nil {
		e.t.Fatal(err)
	}
	b, err = e.svc.OpenBallot(e.ctx, chair, m.ID, BallotInput{ItemID: items[1].ID, Question: "Chọn tổ trưởng", Options: []string{"Ông Lĩnh", "Bà Hà"}, Secret: true})
	if err != nil {
		e.t.Fatal(err)
	}
	e.vote(member, b.ID, "Bà Hà")
	if _, err := e.svc.CloseBallot(e.ctx, chair, b.ID); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.OpenBallot(e.ctx, chair, m.ID, BallotInput{Question: "Họp tiếp vào tuần sau"}); err != nil {
		e.t.Fatal(err)
	}
	m, err = e.svc.Get(e.ctx, chair, m.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return m, ps
}

func testMinutesDraftAndSign(t *testing.T, e *voteEnv) {
	ps := map[string]auth.Principal{}
	for _, u := range []string{"vanthu.sgd", "giamdoc.sgd", "chuyenvien.sgd"} {
		ps[u] = e.who(u)
	}
	scheduled := e.meeting(ps["vanthu.sgd"], ps["giamdoc.sgd"], ps["chuyenvien.sgd"], false)
	if _, err := e.svc.DraftMinutes(e.ctx, ps["chuyenvien.sgd"], scheduled.ID); preconditionCode(err) != "meeting_not_started" {
		t.Errorf("minutes of a meeting not started: %v", err)
	}

	m, ps := e.meetingWithRecord()
	organiser, chair, secretary, member := ps["vanthu.sgd"], ps["giamdoc.sgd"], ps["chuyenvien.sgd"], ps["truongphong.q1"]
	for name, tc := range map[string]struct {
		p    auth.Principal
		want error
	}{
		"organiser": {organiser, domain.ErrForbidden},
		"member":    {member, domain.ErrForbidden},
		"outsider":  {ps["vanthu.q1"], domain.ErrNotFound},
	} {
		if _, err := e.svc.DraftMinutes(e.ctx, tc.p, m.ID); !errors.Is(err, tc.want) {
			t.Errorf("%s drafts the minutes: %v, want %v", name, err, tc.want)
		}
	}

	drafted := time.Now()
	e.svc.SetClock(func() time.Time { return drafted })
	t.Cleanup(func() { e.svc.SetClock(time.Now) })
	d, err := e.svc.DraftMinutes(e.ctx, secretary, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.DocType != "BB" || d.Status != "draft" || d.UnitID != m.OrganiserUnitID || d.Title != "Biên bản họp: "+m.Title || len(d.Versions) != 1 {
		t.Errorf("minutes = %+v", d)
	}
	if got, _ := e.svc.Get(e.ctx, member, m.ID); got.MinutesDocumentID == nil || *got.MinutesDocumentID != d.ID {
		t.Errorf("meeting's minutes = %v", got.MinutesDocumentID)
	}
	_, file := e.latest(secretary, d.ID)
	text := pdfTextOf(t, file)
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "SỞ GIÁO DỤC VÀ ĐÀO TẠO",
		"BIÊN BẢN HỌP", m.Title, "Chủ trì: Lê Hoài Nam, Giám đốc", "Thư ký: Trần Văn Lĩnh, Chuyên viên",
		"Có mặt: 3 người", "Võ Minh Quân", "Đại diện Trường THPT Bùi Thị Xuân", "Kế hoạch chuyển đổi số năm 2027",
		"Đề nghị bổ sung lộ trình", "Biểu quyết công khai: Thông qua kế hoạch chuyển đổi số năm 2027",
		"Tán thành: 2; Không tán thành: 0; Không biểu quyết: 1", "Biểu quyết kín: Chọn tổ trưởng", "Ông Lĩnh: 0; Bà Hà: 1",
		"Họp tiếp vào tuần sau", "chưa kết thúc", "THƯ KÝ", "CHỦ TRÌ"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the minutes do not say %q:\n%s", want, text)
		}
	}
	layout, ok := findBlocks(file)
	if !ok || layout.Page != strings.Count(text, "\f") {
		t.Fatalf("signer blocks %+v %v in a document of %d pages", layout, ok, strings.Count(text, "\f"))
	}
	for _, role := range []string{RoleSecretary, RoleChair} {
		if ink := inkIn(t, file, layout.Page, layout.rect(role)); ink > 0.001 {
			t.Errorf("the %s's signature space is not blank before signing: %.3f", role, ink)
		}
	}

	// Drafting again with nothing changed changes nothing; after a change,
	// it replaces the draft: a new version of the same document.
	if again, err := e.svc.DraftMinutes(e.ctx, chair, m.ID); err != nil || again.ID != d.ID || len(again.Versions) != 1 {
		t.Errorf("the same draft again: %v, %d versions", err, len(again.Versions))
	}
	if _, err := e.svc.AddComment(e.ctx, chair, m.ID, 0, 0, "Giao Văn phòng hoàn thiện kế hoạch trước ngày 15/12."); err != nil {
		t.Fatal(err)
	}
	d2, err := e.svc.DraftMinutes(e.ctx, chair, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d2.ID != d.ID || len(d2.Versions) != 2 {
		t.Errorf("second draft = %d with %d versions", d2.ID, len(d2.Versions))
	}
	if _, file := e.latest(chair, d.ID); !strings.Contains(strings.Join(strings.Fields(pdfTextOf(t, file)), " "), "Giao Văn phòng hoàn thiện") {
		t.Error("the new draft misses the new comment")
	}

	// Signing: each at their block, the version they read, once.
	v2 := d2.Versions[0].SHA256
	if _, err := e.svc.SignMinutes(e.ctx, member, m.ID, v2, ""); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("member signs: %v", err)
	}
	var ce *documents.ConflictError
	if _, err := e.svc.SignMinutes(e.ctx, secretary, m.ID, d.Versions[0].SHA256, ""); !errors.As(err, &ce) {
		t.Errorf("signing an old version: %v", err)
	}
	d3, err := e.svc.SignMinutes(e.ctx, secretary, m.ID, v2, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SignMinutes(e.ctx, secretary, m.ID, d3.Versions[0].SHA256, ""); preconditionCode(err) != "already_signed" {
		t.Errorf("secretary signs twice: %v", err)
	}
	if _, err := e.svc.DraftMinutes(e.ctx, secretary, m.ID); preconditionCode(err) != "minutes_signed" {
		t.Errorf("drafting signed minutes again: %v", err)
	}
	// The capacity is documents' to check: only the holder of the office
	// signs through it, whatever the caller claims.
	other, err := e.createDoc(secretary, "CV", "Công văn khác của Sở")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		p      auth.Principal
		office documents.MeetingOffice
		doc    documents.Document
	}{
		"a member of the unit as the chair":     {organiser, documents.AsChair, d3},
		"a member of the unit as the secretary": {organiser, documents.AsSecretary, d3},
		"the secretary as the chair":            {secretary, documents.AsChair, d3},
		"the chair on another document":         {chair, documents.AsChair, other},
		"the chair in an unknown office":        {chair, documents.MeetingOffice("organiser"), d3},
	} {
		rect := layout.rect(RoleChair)
		_, err := e.docs.SignAsMeetingOfficer(e.ctx, tc.p, tc.office, tc.doc.ID,
			documents.SignRequest{VersionSHA256: tc.doc.Versions[0].SHA256, Page: layout.Page, Rect: &rect})
		if !errors.Is(err, domain.ErrForbidden) {
			t.Errorf("%s signs as a meeting officer: %v", name, err)
		}
	}
	d4, err := e.svc.SignMinutes(e.ctx, chair, m.ID, d3.Versions[0].SHA256, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(d4.Versions) != 4 || d4.Status != "signed" {
		t.Errorf("signed minutes: %d versions, status %s", len(d4.Versions), d4.Status)
	}
	sigs, err := e.docs.Signatures(e.ctx, chair, d.ID)
	if err != nil || len(sigs) != 2 {
		t.Fatal(sigs, err)
	}
	for i, role := range []string{RoleSecretary, RoleChair} {
		r, g := layout.rect(role), sigs[i]
		if g.Page != layout.Page {
			t.Errorf("the %s signed page %d, not %d", role, g.Page, layout.Page)
		}
		if g.LLX < r[0]-0.01 || g.URX > r[2]+0.01 || g.LLY < r[1]-0.01 || g.URY > r[3]+0.01 {
			t.Errorf("the %s's signature %+v is outside the block %v", role, g, r)
		}
	}
	if sigs[0].SignedBy != secretary.UserID || sigs[1].SignedBy != chair.UserID {
		t.Errorf("signed by %d then %d", sigs[0].SignedBy, sigs[1].SignedBy)
	}

	_, signed := e.latest(chair, d.ID)
	testenv.CheckSignedPDF(t, signed, 2)
	for _, role := range []string{RoleSecretary, RoleChair} {
		if ink := inkIn(t, signed, layout.Page, layout.rect(role)); ink < 0.01 {
			t.Errorf("the %s's signature image does not show: %.3f of the block inked", role, ink)
		}
	}
	v, err := e.docs.Verification(e.ctx, chair, d.ID, d4.Versions[0].No)
	if err != nil || !v.Report.Valid {
		t.Errorf("verification: %+v %v", v.Report, err)
	}
}

func testMinutesNeedTheOrganiserUnit(t *testing.T, e *voteEnv) {
	organiser, chair, outside := e.who("vanthu.sgd"), e.who("giamdoc.sgd"), e.who("truongphong.q1")
	m := e.meeting(organiser, chair, outside, true)
	if _, err := e.svc.DraftMinutes(e.ctx, outside, m.ID); preconditionCode(err) != "not_organiser_unit" {
		t.Errorf("a secretary of another unit drafts: %v", err)
	}
	// The chair of the organiser unit can draft instead.
	if _, err := e.svc.DraftMinutes(e.ctx, chair, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SignMinutes(e.ctx, outside, m.ID, "x", ""); preconditionCode(err) != "not_organiser_unit" {
		t.Errorf("a secretary of another unit signs: %v", err)
	}
}

func testInvitationAndConclusion(t *testing.T, e *voteEnv) {
	ps := map[string]auth.Principal{}
	for _, u := range []string{"vanthu.sgd", "giamdoc.sgd", "chuyenvien.sgd", "truongphong.q1", "vanthu.thpt1", "vanthu.q1"} {
		ps[u] = e.who(u)
	}
	organiser, chair, secretary, member := ps["vanthu.sgd"], ps["giamdoc.sgd"], ps["chuyenvien.sgd"], ps["truongphong.q1"]
	thpt, q1 := ps["vanthu.thpt1"].UnitID, member.UnitID
	m := e.meeting(organiser, chair, secretary, false)
	if _, err := e.svc.CreateInvitation(e.ctx, organiser, m.ID); preconditionCode(err) != "no_participants" {
		t.Errorf("invitation without participants: %v", err)
	}
	e.addParticipant(organiser, m.ID, ParticipantInput{UserID: member.UserID})
	e.addParticipant(organiser, m.ID, ParticipantInput{UnitID: thpt})
	e.addParticipant(organiser, m.ID, ParticipantInput{UserID: secretary.UserID}) // of the organiser unit: not a recipient
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, domain.VietnamTime)
	end := at.Add(30 * time.Minute)
	if _, err := e.svc.AddItem(e.ctx, organiser, m.ID, ItemInput{Title: "Báo cáo tiến độ", Presenter: "Phòng GDĐT Quận 1", StartsAt: &at, EndsAt: &end}); err != nil {
		t.Fatal(err)
	}

	if _, err := e.svc.CreateInvitation(e.ctx, member, m.ID); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("member drafts the invitation: %v", err)
	}
	gm, err := e.svc.CreateInvitation(e.ctx, organiser, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gm.DocType != "GM" || gm.Status != "draft" || gm.UnitID != organiser.UnitID || gm.Title != "Giấy mời họp: "+m.Title {
		t.Errorf("invitation = %+v", gm)
	}
	_, file := e.latest(organiser, gm.ID)
	flat := strings.Join(strings.Fields(pdfTextOf(t, file)), " ")
	for _, want := range []string{"GIẤY MỜI", "trân trọng kính mời", "Võ Minh Quân, Trưởng phòng, Phòng Giáo dục và Đào tạo Quận 1",
		"Đại diện lãnh đạo Trường THPT Bùi Thị Xuân", "Chủ trì: Lê Hoài Nam, Giám đốc", "Phòng họp số 1",
		"1. Báo cáo tiến độ (trình bày: Phòng GDĐT Quận 1; 08:00 - 08:30)", "GIÁM ĐỐC", "Nơi nhận"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the invitation does not say %q:\n%s", want, flat)
		}
	}

	recipients, err := e.svc.InvitationRecipients(e.ctx, organiser, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{q1, thpt}
	slices.Sort(want)
	if !slices.Equal(recipients, want) {
		t.Errorf("recipients = %v, want %v", recipients, want)
	}
	if _, err := e.svc.InvitationRecipients(e.ctx, ps["vanthu.q1"], m.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("an outsider asks for the recipients: %v", err)
	}
	// Another clerk of the organiser unit issues it, meeting or not.
	if _, err := e.users.CreateUser(e.ctx, auth.NewUser{Username: "vanthu2.sgd", FullName: "Lê Thị Mai", Position: "Văn thư",
		UnitID: organiser.UnitID, Roles: []string{auth.RoleClerk}, Password: "Secret-Pass-2026"}); err != nil {
		t.Fatal(err)
	}
	clerk := e.who("vanthu2.sgd")
	if got, err := e.svc.InvitationRecipients(e.ctx, clerk, m.ID); err != nil || !slices.Equal(got, want) {
		t.Errorf("the unit's clerk asks for the recipients: %v %v", got, err)
	}

	// The normal flow: the signer signs at the block, the clerk registers
	// and issues it to the recipients.
	signed, err := e.docs.SignAsPerson(e.ctx, chair, gm.ID, documents.SignRequest{VersionSHA256: gm.Versions[0].SHA256})
	if err != nil {
		t.Fatal(err)
	}
	sigs, _ := e.docs.Signatures(e.ctx, chair, gm.ID)
	if len(sigs) != 1 || sigs[0].LLX < pageW/2 || sigs[0].LLY < marginB {
		t.Errorf("the signer's signature is not in the block: %+v", sigs)
	}
	if _, err := e.svc.CreateInvitation(e.ctx, organiser, m.ID); preconditionCode(err) != "invitation_signed" {
		t.Errorf("drafting a signed invitation again: %v", err)
	}
	issued := e.issue(clerk, signed, recipients)
	testenv.CheckSignedPDF(t, issued, 2)
	if _, err := e.docs.Get(e.ctx, member, gm.ID); err != nil {
		t.Errorf("the participant's unit did not receive the invitation: %v", err)
	}
	if got, _ := e.svc.Get(e.ctx, member, m.ID); got.InvitationDocumentID == nil || *got.InvitationDocumentID != gm.ID {
		t.Errorf("meeting's invitation = %v", got.InvitationDocumentID)
	}

	// The conclusion notice: a document of the organiser unit, issued.
	tb, err := e.createDoc(organiser, "TB", "Thông báo kết luận cuộc họp giao ban")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetConclusion(e.ctx, organiser, m.ID, tb.ID); preconditionCode(err) != "conclusion_not_issued" {
		t.Errorf("conclusion not issued: %v", err)
	}
	if err := e.svc.SetConclusion(e.ctx, member, m.ID, tb.ID); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("member sets the conclusion: %v", err)
	}
	other, err := e.createDoc(ps["vanthu.q1"], "TB", "Thông báo của Phòng")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetConclusion(e.ctx, organiser, m.ID, other.ID); !invalidField(err, "document_id") {
		t.Errorf("another unit's document as conclusion: %v", err)
	}
	tb, err = e.docs.SignAsPerson(e.ctx, chair, tb.ID, documents.SignRequest{VersionSHA256: tb.Versions[0].SHA256})
	if err != nil {
		t.Fatal(err)
	}
	e.issue(clerk, tb, recipients)
	if err := e.svc.SetConclusion(e.ctx, secretary, m.ID, tb.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.Get(e.ctx, member, m.ID); got.ConclusionDocumentID == nil || *got.ConclusionDocumentID != tb.ID {
		t.Errorf("meeting's conclusion = %v", got.ConclusionDocumentID)
	}
}

// issue registers d (sealing it) and issues it to units; it returns the
// issued file.
func (e *voteEnv) issue(clerk auth.Principal, d documents.Document, units []int64) []byte {
	e.t.Helper()
	d, err := e.docs.AssignNumber(e.ctx, clerk, d.ID, documents.NumberRequest{VersionSHA256: d.Versions[0].SHA256})
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := routing.New(e.db, e.docs, notify.NewStore(e.db, false)).Issue(e.ctx, clerk, d.ID,
		routing.IssueRequest{Recipients: routing.Recipients{Units: units}})
	if err != nil {
		e.t.Fatal(err)
	}
	if res.Delivered != len(units) {
		e.t.Errorf("delivered to %d units, want %d", res.Delivered, len(units))
	}
	_, b := e.latest(clerk, d.ID)
	return b
}

func (e *voteEnv) createDoc(p auth.Principal, docType, title string) (documents.Document, error) {
	up, err := e.docs.Spool(e.ctx, bytes.NewReader(testenv.PDF(4000, uint64(time.Now().UnixNano()))), "van-ban.pdf")
	if err != nil {
		return documents.Document{}, err
	}
	defer up.Close()
	return e.docs.Create(e.ctx, p, documents.Meta{DocType: docType, Title: title, DocDate: time.Now().In(domain.VietnamTime).Format(time.DateOnly)}, up)
}

// TestMinutesLayout: however long the minutes, the signer blocks are found
// where they were drawn, and never alone on their page.
func TestMinutesLayout(t *testing.T) {
	start := time.Date(2026, 11, 26, 8, 0, 0, 0, domain.VietnamTime)
	for n := 0; n <= 70; n += 2 {
		md := minutesData{
			org:        orgHeader{Name: "Văn phòng Sở", Abbreviation: "VP", Parent: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh"},
			meeting:    Meeting{Title: "Họp giao ban", StartsAt: start, EndsAt: start.Add(time.Hour), Place: "Phòng họp 1"},
			chair:      person{Name: "Lê Hoài Nam", Position: "Giám đốc"},
			secretary:  person{Name: "Trần Văn Lĩnh", Position: "Chuyên viên"},
			attendance: Attendance{Present: make([]Attendee, n), Absent: []Attendee{}},
			at:         start.Add(time.Hour),
		}
		for i := range md.attendance.Present {
			md.attendance.Present[i] = Attendee{UserID: int64(i + 1), Name: fmt.Sprintf("Người dự họp \t%d\x00 😀", i+1), UnitName: "Trường THPT Bùi Thị Xuân"}
		}
		file, drawn, err := minutesPDF(md)
		if err != nil {
			t.Fatal(err)
		}
		if n%10 == 0 {
			if again, _, _ := minutesPDF(md); !bytes.Equal(again, file) {
				t.Errorf("%d present: the same record makes different files", n)
			}
		}
		found, ok := findBlocks(file)
		if !ok || found.Page != drawn.Page || math.Abs(found.PosY-drawn.PosY) > 0.05 {
			t.Errorf("%d present: blocks drawn at %+v, found at %+v (%v)", n, drawn, found, ok)
		}
		if n%10 == 0 {
			pages := strings.Split(pdfTextOf(t, file), "\f")
			last := pages[drawn.Page-1]
			if !strings.Contains(last, "Biên bản được lập lúc") || !strings.Contains(last, "THƯ KÝ") {
				t.Errorf("%d present: the last page holds no text but the blocks:\n%s", n, last)
			}
		}
	}
}
