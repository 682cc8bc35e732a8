package documents_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/convert"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/storage"
)

// attach spools b as name and adds it to document id as p, titled title.
func (e *demoEnv) attach(p auth.Principal, id int64, title, name string, b []byte) (documents.Attachment, error) {
	e.t.Helper()
	up, err := e.docs.SpoolAttachment(e.ctx, bytes.NewReader(b), name)
	if err != nil {
		return documents.Attachment{}, err
	}
	defer up.Close()
	return e.docs.AddAttachment(e.ctx, p, id, title, up)
}

func (e *demoEnv) mustAttach(p auth.Principal, id int64, title string, seed uint64) documents.Attachment {
	e.t.Helper()
	a, err := e.attach(p, id, title, "Phụ lục "+title+".pdf", testenv.PDF(1500, seed))
	if err != nil {
		e.t.Fatalf("attaching %s: %v", title, err)
	}
	return a
}

func (e *demoEnv) titles(p auth.Principal, id int64) string {
	e.t.Helper()
	atts, err := e.docs.Attachments(e.ctx, p, id)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for i, a := range atts {
		if a.Position != i+1 {
			e.t.Fatalf("attachment %q at position %d, listed %d", a.Title, a.Position, i+1)
		}
		out = append(out, a.Title)
	}
	return strings.Join(out, ",")
}

// stored counts the rows and objects attachments add.
func (e *demoEnv) stored() string {
	e.t.Helper()
	var rows, audits int
	e.db.Get(&rows, `SELECT count(*) FROM document_attachments`)
	e.db.Get(&audits, `SELECT count(*) FROM audit_log`)
	objects := 0
	e.blobs.List(e.ctx, "sha256/", func(storage.Info) error { objects++; return nil })
	return fmt.Sprintf("%d rows, %d audit entries, %d objects", rows, audits, objects)
}

func (e *demoEnv) newDraft(p auth.Principal, seed uint64) documents.Document {
	e.t.Helper()
	d, err := e.docs.Create(e.ctx, p, documents.Meta{DocType: "KH", Title: fmt.Sprintf("Kế hoạch thử nghiệm %d", seed), DocDate: "2026-11-20"}, e.spool(testenv.PDF(2000, seed)))
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func wantPrecondition(t *testing.T, what string, err error, code string) {
	t.Helper()
	var pe *domain.PreconditionError
	if !errors.As(err, &pe) || pe.Code != code || pe.Message == "" {
		t.Fatalf("%s: err = %v, want the precondition %s", what, err, code)
	}
}

type fakeConverter struct{ calls int }

func (f *fakeConverter) ToPDF(_ context.Context, in []byte, name string) ([]byte, error) {
	f.calls++
	return testenv.PDF(1500, uint64(900+len(in))), nil
}

// The drafter adds, orders and removes the attachments of a draft; the
// unit sees them, another unit does not, and only the drafter and the
// unit's clerks change them.
func TestAttachmentsOfADraft(t *testing.T) {
	e := newDemoEnv(t)
	staff, clerk, signer, other := e.who("chuyenvien.sgd"), e.who("vanthu.sgd"), e.who("giamdoc.sgd"), e.who("vanthu.q1")
	if _, err := e.users.CreateUser(e.ctx, auth.NewUser{Username: "chuyenvien2.sgd", FullName: "Trần Văn Bình", Position: "Chuyên viên",
		UnitID: staff.UnitID, Roles: []string{auth.RoleStaff}, Password: password}); err != nil {
		t.Fatal(err)
	}
	colleague := e.who("chuyenvien2.sgd")
	// An unsigned draft is seen only by those who take part in it (the
	// drafting package's reviewers): the clerk and the colleague do here.
	e.docs.AddLink(documents.Link{Participant: fmt.Sprintf(`:user IN (%d, %d)`, clerk.UserID, colleague.UserID)})
	d := e.newDraft(staff, 1)
	a := e.mustAttach(staff, d.ID, "A", 11)
	e.mustAttach(staff, d.ID, "B", 12)
	c := e.mustAttach(clerk, d.ID, "C", 13)
	if got := e.titles(staff, d.ID); got != "A,B,C" {
		t.Fatalf("order %s", got)
	}
	if a.FileName != "Phụ lục A.pdf" || a.MediaType != "application/pdf" || a.Sealed || a.AddedBy != staff.UserID {
		t.Fatalf("attachment = %+v", a)
	}
	if _, err := e.docs.MoveAttachment(e.ctx, staff, d.ID, c.ID, 1); err != nil {
		t.Fatal(err)
	}
	if got := e.titles(staff, d.ID); got != "C,A,B" {
		t.Fatalf("after moving C first: %s", got)
	}
	if _, err := e.docs.MoveAttachment(e.ctx, clerk, d.ID, c.ID, 99); err != nil {
		t.Fatal(err)
	}
	if got := e.titles(staff, d.ID); got != "A,B,C" {
		t.Fatalf("after moving C last: %s", got)
	}
	if err := e.docs.RemoveAttachment(e.ctx, staff, d.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.titles(colleague, d.ID); got != "B,C" {
		t.Fatalf("after removing A, as a colleague sees it: %s", got)
	}

	// Another unit: as if it did not exist. The unit's other people: read,
	// not change.
	before := e.stored()
	if _, err := e.docs.Attachments(e.ctx, other, d.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another unit lists: %v", err)
	}
	if _, err := e.attach(other, d.ID, "X", "x.pdf", testenv.PDF(1500, 20)); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another unit adds: %v", err)
	}
	if _, err := e.docs.Attachment(e.ctx, other, d.ID, c.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another unit downloads: %v", err)
	}
	for _, p := range []auth.Principal{colleague, signer} {
		if _, err := e.attach(p, d.ID, "X", "x.pdf", testenv.PDF(1500, 21)); !errors.Is(err, domain.ErrForbidden) {
			t.Fatalf("%s adds: %v", p.Username, err)
		}
		if err := e.docs.RemoveAttachment(e.ctx, p, d.ID, c.ID); !errors.Is(err, domain.ErrForbidden) {
			t.Fatalf("%s removes: %v", p.Username, err)
		}
		if _, err := e.docs.MoveAttachment(e.ctx, p, d.ID, c.ID, 1); !errors.Is(err, domain.ErrForbidden) {
			t.Fatalf("%s moves: %v", p.Username, err)
		}
	}
	if err := e.docs.RemoveAttachment(e.ctx, staff, 999999, c.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("removing from a missing document: %v", err)
	}
	e.unchangedSince(before, "refused changes")

	// A download is in the document's access history.
	got, err := e.docs.Attachment(e.ctx, colleague, d.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.docs.RecordAttachmentDownload(e.ctx, colleague, got, 0, false, "req-1"); err != nil {
		t.Fatal(err)
	}
	var n int
	e.db.Get(&n, `SELECT count(*) FROM document_access WHERE attachment_id = $1 AND kind = 'download' AND user_id = $2`, c.ID, colleague.UserID)
	if n != 1 {
		t.Fatalf("%d accesses recorded", n)
	}

	// Word goes through the converter, which the lead wires: without it,
	// 503 semantics; with it, the PDF is attached and the original kept.
	docx := append([]byte("PK\x03\x04"), bytes.Repeat([]byte("word"), 100)...)
	if _, err := e.attach(staff, d.ID, "Phụ lục Word", "Phụ lục II.docx", docx); !errors.Is(err, convert.ErrUnavailable) {
		t.Fatalf("Word without a converter: %v", err)
	}
	e.unchangedSince(before, "Word without a converter")
	fc := &fakeConverter{}
	e.docs.SetConverter(fc)
	w, err := e.attach(staff, d.ID, "Phụ lục Word", "Phụ lục II.docx", docx)
	if err != nil || fc.calls != 1 {
		t.Fatalf("Word with a converter: %v, %d calls", err, fc.calls)
	}
	if w.FileName != "Phụ lục II.pdf" || w.OriginalFileName == nil || *w.OriginalFileName != "Phụ lục II.docx" {
		t.Fatalf("converted = %+v", w)
	}
	var src string
	e.db.Get(&src, `SELECT source_object_key FROM document_attachments WHERE id = $1`, w.ID)
	if rc, err := e.blobs.Open(e.ctx, src, 0, -1); err != nil {
		t.Fatalf("the Word original is not stored: %v", err)
	} else {
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, docx) {
			t.Fatal("the Word original stored differs")
		}
	}
	// The orphan sweep takes the removed attachment's bytes and keeps
	// every object an attachment names.
	if n, err := e.docs.SweepOrphans(e.ctx, 0); err != nil || n != 1 {
		t.Fatalf("sweep deleted %d objects: %v", n, err)
	}
	if _, err := e.blobs.Stat(e.ctx, a.ObjectKey); err == nil {
		t.Fatal("the removed attachment's bytes were kept")
	}
	atts, _ := e.docs.Attachments(e.ctx, staff, d.ID)
	for _, key := range []string{atts[0].ObjectKey, atts[1].ObjectKey, atts[2].ObjectKey, src} {
		if _, err := e.blobs.Stat(e.ctx, key); err != nil {
			t.Fatalf("%s swept: %v", key, err)
		}
	}
}

// Hostile or wrong files are refused with nothing stored.
func TestAttachmentRefusals(t *testing.T) {
	e := newDemoEnv(t)
	staff := e.who("chuyenvien.sgd")
	d := e.newDraft(staff, 1)
	e.mustAttach(staff, d.ID, "Một", 2)
	truncated := testenv.PDF(3000, 3)
	truncated = truncated[:len(truncated)/2]
	owner, user := qpdfEncrypt(t, ""), qpdfEncrypt(t, "mật khẩu")
	before := e.stored()
	for _, tc := range []struct {
		name, file string
		b          []byte
		want       func(error) bool
	}{
		{"not a PDF", "a.pdf", []byte("Xin chào, đây không phải PDF"), func(err error) bool { return isField(err, "file") }},
		{"an executable", "a.exe", []byte("MZ\x90\x00"), func(err error) bool { return isField(err, "file") }},
		{"a fake docx", "a.docx", []byte("not a zip at all"), func(err error) bool { return isField(err, "file") }},
		{"damaged", "a.pdf", truncated, func(err error) bool { return errors.Is(err, documents.ErrBadPDF) }},
		{"encrypted", "a.pdf", user, func(err error) bool { return errors.Is(err, documents.ErrEncryptedPDF) }},
		{"owner password", "a.pdf", owner, func(err error) bool { return isField(err, "file") }},
		{"duplicate", "b.pdf", testenv.PDF(1500, 2), func(err error) bool { return isField(err, "file") }},
		{"the main file again", "c.pdf", testenv.PDF(2000, 1), func(err error) bool { return isField(err, "file") }},
	} {
		if _, err := e.attach(staff, d.ID, "Phụ lục", tc.file, tc.b); !tc.want(err) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	if _, err := e.attach(staff, d.ID, "  ", "t.pdf", testenv.PDF(1500, 40)); !isField(err, "title") {
		t.Errorf("no title: %v", err)
	}
	// Over the size limit: a service with a small one.
	small, err := documents.NewService(e.db, e.blobs, t.TempDir(), 2000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := small.SpoolAttachment(e.ctx, bytes.NewReader(testenv.PDF(5000, 41)), "big.pdf"); !errors.Is(err, documents.ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
	if _, err := small.SpoolAttachment(e.ctx, bytes.NewReader(append([]byte("PK\x03\x04"), make([]byte, 5000)...)), "big.docx"); !errors.Is(err, documents.ErrTooLarge) {
		t.Errorf("too large Word: %v", err)
	}
	e.unchangedSince(before, "hostile files")
	for i := 2; i <= documents.MaxAttachments; i++ {
		e.mustAttach(staff, d.ID, fmt.Sprint(i), uint64(100+i))
	}
	before = e.stored()
	if _, err := e.attach(staff, d.ID, "Quá nhiều", "x.pdf", testenv.PDF(1500, 99)); !isField(err, "file") {
		t.Errorf("one too many: %v", err)
	}
	e.unchangedSince(before, "one attachment too many")
}

func isField(err error, field string) bool {
	var ve *domain.ValidationError
	return errors.As(err, &ve) && ve.Fields[field] != ""
}

func (e *demoEnv) unchangedSince(before, what string) {
	e.t.Helper()
	if after := e.stored(); after != before {
		e.t.Fatalf("%s changed what is stored: before %s, after %s", what, before, after)
	}
}

// Registration seals every attachment with the organisation's text
// signature, which independent verifiers accept; after the signatures
// nothing changes; a seal that fails leaves the document unnumbered and
// the number free.
func TestRegistrationSealsAttachments(t *testing.T) {
	e := newDemoEnv(t)
	staff, clerk, signer := e.who("chuyenvien.sgd"), e.who("vanthu.sgd"), e.who("giamdoc.sgd")
	d := e.newDraft(staff, 1)
	e.mustAttach(staff, d.ID, "Phụ lục I", 2)
	e.mustAttach(staff, d.ID, "Phụ lục II", 3)
	d, err := e.docs.SignAsPerson(e.ctx, signer, d.ID, documents.SignRequest{VersionSHA256: d.Versions[0].SHA256})
	if err != nil {
		t.Fatal(err)
	}
	before := e.stored()
	_, err = e.attach(staff, d.ID, "Muộn", "late.pdf", testenv.PDF(1500, 4))
	wantPrecondition(t, "adding after the person's signature", err, "attachments_frozen")
	e.unchangedSince(before, "a late attachment")
	d, err = e.docs.AssignNumber(e.ctx, clerk, d.ID, documents.NumberRequest{VersionSHA256: d.Versions[0].SHA256})
	if err != nil {
		t.Fatal(err)
	}
	atts, err := e.docs.Attachments(e.ctx, clerk, d.ID)
	if err != nil || len(atts) != 2 {
		t.Fatalf("attachments %v %v", atts, err)
	}
	for _, a := range atts {
		if !a.Sealed || a.Valid == nil || !*a.Valid || a.VerdictVI == "" || !strings.HasSuffix(a.FileName, ".signed.pdf") {
			t.Fatalf("attachment after registration = %+v", a)
		}
		rc, err := e.docs.OpenAttachment(e.ctx, a, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		testenv.CheckSignedPDF(t, b, 1)
	}
	// Sealed: frozen, in the domain and in SQL.
	wantPrecondition(t, "removing after the seal", e.docs.RemoveAttachment(e.ctx, clerk, d.ID, atts[0].ID), "attachments_frozen")
	if _, err := e.db.Exec(`DELETE FROM document_attachments WHERE id = $1`, atts[0].ID); err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Fatalf("deleting a sealed attachment in SQL: %v", err)
	}
	if _, err := e.db.Exec(`UPDATE document_attachments SET title = 'x' WHERE id = $1`, atts[0].ID); err == nil {
		t.Fatal("renaming a sealed attachment in SQL")
	}
	if got := fmt.Sprint(e.actions(d.ID)); !strings.Contains(got, "document.seal document.attachment.seal document.attachment.seal document.register") {
		t.Fatalf("audit %s", got)
	}

	// A second document whose second attachment cannot be read: nothing
	// is numbered, and once the file is back it gets the next number.
	d2 := e.newDraft(staff, 10)
	e.mustAttach(staff, d2.ID, "Phụ lục I", 11)
	lost := e.mustAttach(staff, d2.ID, "Phụ lục II", 12)
	d2, err = e.docs.SignAsPerson(e.ctx, signer, d2.ID, documents.SignRequest{VersionSHA256: d2.Versions[0].SHA256})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.blobs.Delete(e.ctx, lost.ObjectKey); err != nil {
		t.Fatal(err)
	}
	counter := func() (n int) {
		e.db.Get(&n, `SELECT coalesce(sum(last_number), 0) FROM number_counters`)
		return n
	}
	if counter() != 1 {
		t.Fatalf("counter %d", counter())
	}
	_, err = e.docs.AssignNumber(e.ctx, clerk, d2.ID, documents.NumberRequest{VersionSHA256: d2.Versions[0].SHA256})
	wantPrecondition(t, "registering with an attachment lost", err, "attachment_seal_failed")
	got, _ := e.docs.Get(e.ctx, clerk, d2.ID)
	var sealed int
	e.db.Get(&sealed, `SELECT count(*) FROM document_attachments WHERE document_id = $1 AND sealed_at IS NOT NULL`, d2.ID)
	if counter() != 1 || got.Number != nil || got.SealKind != "" || got.Status != "signed" || sealed != 0 || len(got.Versions) != len(d2.Versions) {
		t.Fatalf("after the failed registration: counter %d, document %+v, %d sealed", counter(), got, sealed)
	}
	if err := e.blobs.Put(e.ctx, lost.ObjectKey, bytes.NewReader(testenv.PDF(1500, 12)), int64(len(testenv.PDF(1500, 12)))); err != nil {
		t.Fatal(err)
	}
	d2, err = e.docs.AssignNumber(e.ctx, clerk, d2.ID, documents.NumberRequest{VersionSHA256: d2.Versions[0].SHA256})
	if err != nil || *d2.NumberSymbol != "02/KH-SGDĐT" {
		t.Fatalf("registering again: %v", err)
	}
}

// A digitised paper original's attachments get the copy mark with it; the
// registration's preview says how many attachments it seals.
func TestCopyMarkAndPreviewCoverAttachments(t *testing.T) {
	e := newDemoEnv(t)
	clerk, signer := e.who("vanthu.sgd"), e.who("giamdoc.sgd")
	paper, err := e.docs.CreatePaperCopy(e.ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch (bản giấy)", DocDate: "2021-01-22",
		Number: "206", Symbol: "KH-SGDĐT"}, e.spool(testenv.PDF(2000, 1)))
	if err != nil {
		t.Fatal(err)
	}
	e.mustAttach(clerk, paper.ID, "Phụ lục", 2)
	paper, err = e.docs.Seal(e.ctx, clerk, paper.ID, documents.SealRequest{VersionSHA256: paper.Versions[0].SHA256, Copy: true})
	if err != nil {
		t.Fatal(err)
	}
	atts, _ := e.docs.Attachments(e.ctx, clerk, paper.ID)
	if len(atts) != 1 || !atts[0].Sealed || !atts[0].Verified() {
		t.Fatalf("the paper copy's attachment = %+v", atts)
	}
	d := e.newDraft(clerk, 10)
	e.mustAttach(clerk, d.ID, "Phụ lục I", 11)
	e.mustAttach(clerk, d.ID, "Phụ lục II", 12)
	d, err = e.docs.SignAsPerson(e.ctx, signer, d.ID, documents.SignRequest{VersionSHA256: d.Versions[0].SHA256})
	if err != nil {
		t.Fatal(err)
	}
	pv, err := e.docs.PreviewRegister(e.ctx, clerk, d.ID, documents.NumberRequest{VersionSHA256: d.Versions[0].SHA256})
	if err != nil || pv.Attachments != 2 || !strings.Contains(pv.Message, "2 tệp kèm theo") {
		t.Fatalf("preview = %+v, %v", pv, err)
	}
	if err := e.docs.RecordAttachmentDownload(e.ctx, clerk, atts[0], 0, true, ""); err != nil {
		t.Fatal(err)
	}
	history, _ := e.docs.AccessHistory(e.ctx, clerk, paper.ID)
	if len(history) != 1 || history[0].AttachmentID == nil || *history[0].AttachmentID != atts[0].ID || history[0].Kind != documents.AccessView {
		t.Fatalf("history = %+v", history)
	}
}
