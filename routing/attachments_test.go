package routing_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/edxml"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/routing"
)

// attach adds a PDF attachment titled title to the draft d of p's unit.
func (f *fixture) attach(p auth.Principal, d documents.Document, title string) documents.Attachment {
	f.t.Helper()
	f.seq++
	up, err := f.docs.SpoolAttachment(f.ctx, bytes.NewReader(testenv.PDF(1500, 1000+f.seq)), title+".pdf")
	if err != nil {
		f.t.Fatal(err)
	}
	defer up.Close()
	a, err := f.docs.AddAttachment(f.ctx, p, d.ID, title, up)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// attachmentsOf lists what p sees of document id's attachments, as
// "title|file name|media type" in order, reading each file.
func (f *fixture) attachmentsOf(p auth.Principal, id int64) ([]string, [][]byte) {
	f.t.Helper()
	atts, err := f.docs.Attachments(f.ctx, p, id)
	if err != nil {
		f.t.Fatalf("attachments of %d for %s: %v", id, p.Username, err)
	}
	var out []string
	var files [][]byte
	for _, a := range atts {
		out = append(out, a.Title+"|"+a.FileName+"|"+a.MediaType)
		rc, err := f.docs.OpenAttachment(f.ctx, a, 0, -1)
		if err != nil {
			f.t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		files = append(files, b)
	}
	return out, files
}

// A document's attachments go with it: its recipients see them, relayed
// too, and its edXML package carries them after the main file, in order,
// under their names; importing the package keeps them all.
func TestAttachmentsTravelWithTheDocument(t *testing.T) {
	f := newFixture(t, 3)
	clerk := f.who("vanthu.sgd")
	q1 := f.unit("000.01.24.H29")
	d := f.draft(clerk, "thuong")
	for _, title := range []string{"Phụ lục I. Danh sách trường", "Phụ lục II. Kinh phí", "Phụ lục III. Lịch"} {
		f.attach(clerk, d, title)
	}
	d = f.register(clerk, f.sign(clerk, d))
	f.issue(clerk, d.ID, routing.Recipients{Units: []int64{q1.ID}}, "")
	sent, sentFiles := f.attachmentsOf(clerk, d.ID)
	q1clerk := f.who("vanthu.q1")
	got, _ := f.attachmentsOf(q1clerk, d.ID)
	if len(sent) != 3 || fmt.Sprint(got) != fmt.Sprint(sent) {
		t.Fatalf("the recipient sees %v, the sender %v", got, sent)
	}
	if _, err := f.docs.Attachments(f.ctx, f.who("vanthu.thpt1"), d.ID); err != domain.ErrNotFound {
		t.Fatalf("a unit it did not go to: %v", err)
	}
	// Relayed to a school of Quận 1: the school sees them too.
	dl := f.inboxOf(q1clerk, d.ID)
	if _, err := f.rt.Accept(f.ctx, q1clerk, dl.ID); err != nil {
		t.Fatal(err)
	}
	school := f.unit("001.01.24.H29") // THCS Văn Lang, under Quận 1
	if _, err := f.rt.Relay(f.ctx, q1clerk, dl.ID, routing.IssueRequest{Recipients: routing.Recipients{Units: []int64{school.ID}}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.attachmentsOf(f.who("vanthu.thcs1"), d.ID); fmt.Sprint(got) != fmt.Sprint(sent) {
		t.Fatalf("the school sees %v", got)
	}

	// edXML: main file first, then the attachments in order, names kept.
	pkgBytes, _, err := f.rt.ExportPackage(f.ctx, clerk, d.ID, q1.Code)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := edxml.Parse(pkgBytes, edxml.ParseOptions{MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Attachments) != 4 || pkg.Attachments[0].Description != d.Title {
		t.Fatalf("package attachments %d, first %q", len(pkg.Attachments), pkg.Attachments[0].Description)
	}
	for i, a := range pkg.Attachments[1:] {
		if a.Description+"|"+a.FileName+"|"+a.ContentType != sent[i] || !bytes.Equal(a.Data, sentFiles[i]) {
			t.Fatalf("package attachment %d = %s|%s|%s, want %s", i+2, a.Description, a.FileName, a.ContentType, sent[i])
		}
	}
	// Imported by the recipient: the main file and every attachment, in order.
	imp, err := f.rt.ImportPackage(f.ctx, q1clerk, pkgBytes)
	if err != nil {
		t.Fatal(err)
	}
	got, gotFiles := f.attachmentsOf(q1clerk, imp.DocumentID)
	if fmt.Sprint(got) != fmt.Sprint(sent) {
		t.Fatalf("imported attachments %v, want %v", got, sent)
	}
	for i := range gotFiles {
		if !bytes.Equal(gotFiles[i], sentFiles[i]) {
			t.Fatalf("imported attachment %d differs", i+1)
		}
	}
	main, _ := f.docs.Get(f.ctx, q1clerk, imp.DocumentID)
	if main.Versions[0].SHA256 != d.Versions[0].SHA256 {
		t.Fatal("the imported main file is not the document's")
	}
}

// A package from another system with its main file among three other
// files, one not a PDF: the main one is the signed PDF, and the three
// others are kept in order (the import used to keep the first PDF and
// drop the rest).
func TestImportKeepsEveryAttachment(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	signed := f.document(clerk, "yes", "thuong")
	rc, err := f.docs.Open(f.ctx, signed.Versions[0], 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	mainPDF, _ := io.ReadAll(rc)
	rc.Close()
	cover, appendix := testenv.PDF(1500, 501), testenv.PDF(1500, 502)
	docx := append([]byte("PK\x03\x04"), bytes.Repeat([]byte("x"), 300)...)
	damaged := testenv.PDF(1500, 503)
	damaged = damaged[:len(damaged)/2]
	sgd := f.unit(clerkUnitCode(f, clerk))
	h := edxml.MessageHeader{
		From: edxml.Organisation{OrganID: sgd.Code, OrganName: sgd.Name},
		To:   []edxml.Organisation{{OrganID: "000.01.24.H29", OrganName: "Phòng Giáo dục và Đào tạo Quận 1"}},
		Code: edxml.Code{Number: "07", Notation: "KH-SGDĐT"},
		PromulgationInfo: edxml.PromulgationInfo{Place: domain.Place,
			Date: time.Date(2026, 11, 20, 0, 0, 0, 0, domain.VietnamTime)},
		DocumentType: edxml.DocumentType{Type: 1, TypeName: "Kế hoạch"},
		Subject:      "Kế hoạch có phụ lục", SignerInfo: edxml.SignerInfo{Position: "Giám đốc", FullName: "Lê Hoài Nam"},
		SteeringType: edxml.SteeringNone, DocumentID: sgd.Code + "/external-1",
	}
	files := []edxml.Attachment{
		{ContentID: "a1", ContentType: "application/pdf", FileName: "To trinh.pdf", Description: "Tờ trình kèm theo", Data: cover},
		{ContentID: "a2", ContentType: "application/pdf", FileName: "Kế hoạch.pdf", Description: "Kế hoạch", Data: mainPDF},
		{ContentID: "a3", ContentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", FileName: "Biểu mẫu.docx", Description: "Biểu mẫu", Data: docx},
		{ContentID: "a4", ContentType: "application/pdf", FileName: "Phụ lục.pdf", Description: "Phụ lục", Data: appendix},
		{ContentID: "a5", ContentType: "application/pdf", FileName: "Hỏng.pdf", Description: "", Data: damaged},
	}
	key, release, err := f.docs.OrgKey(f.ctx, sgd.Code)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	pkg, err := edxml.Build(edxml.Package{Header: h,
		Trace: edxml.TraceHeaderList{Business: edxml.Business{Type: edxml.BusinessNew, Staff: edxml.StaffInfo{Staff: "Nguyễn Thị Thu Hà"}},
			Traces: []edxml.TraceHeader{{OrganID: sgd.Code, Timestamp: time.Now()}}},
		Attachments: files}, edxml.Signer(key))
	if err != nil {
		t.Fatal(err)
	}
	q1clerk := f.who("vanthu.q1")
	dl, err := f.rt.ImportPackage(f.ctx, q1clerk, pkg)
	if err != nil {
		t.Fatal(err)
	}
	got, gotFiles := f.attachmentsOf(q1clerk, dl.DocumentID)
	want := []string{"Tờ trình kèm theo|To trinh.pdf|application/pdf",
		"Biểu mẫu|Biểu mẫu.docx|application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"Phụ lục|Phụ lục.pdf|application/pdf",
		"Hỏng.pdf|Hỏng.pdf|application/octet-stream"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("imported attachments:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i, b := range [][]byte{cover, docx, appendix, damaged} {
		if !bytes.Equal(gotFiles[i], b) {
			t.Fatalf("attachment %d differs from the package's", i+1)
		}
	}
	main, _ := f.docs.Get(f.ctx, q1clerk, dl.DocumentID)
	if main.Versions[0].SHA256 != signed.Versions[0].SHA256 {
		t.Fatal("the main file is not the signed PDF")
	}
}

func clerkUnitCode(f *fixture, p auth.Principal) string {
	var code string
	if err := f.db.Get(&code, `SELECT code FROM units WHERE id = $1`, p.UnitID); err != nil {
		f.t.Fatal(err)
	}
	return code
}
