package records_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/records"
	"github.com/hcm-edu/vanban/storage"
	"github.com/hcm-edu/vanban/worm"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/crypto/bcrypt"
)

func TestMain(m *testing.M) {
	auth.PasswordCost = bcrypt.MinCost
	os.Exit(m.Run())
}

const password = "mật-khẩu-thử-nghiệm-1"

type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *sqlx.DB
	docs  *documents.Service
	rec   *records.Service
	users *auth.Service
	blobs storage.Blobs
	seq   uint64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, _ := testenv.NewDB(t)
	users := auth.NewService(db, time.Hour)
	if _, err := demo.Seed(ctx, org.NewStore(db), users, password, 0); err != nil {
		t.Fatal(err)
	}
	blobs, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	docs, err := documents.NewService(db, blobs, t.TempDir(), 32<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.EnableDevSigning(ctx, t.TempDir(), users, docs, 64<<20); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, db: db, docs: docs, rec: records.New(db, docs, notify.NewStore(db, false)), users: users, blobs: blobs}
}

func (f *fixture) who(username string) auth.Principal {
	f.t.Helper()
	p, err := f.users.PrincipalByUsername(f.ctx, username)
	if err != nil {
		f.t.Fatalf("%s: %v", username, err)
	}
	return p
}

// draft uploads a draft of p's unit.
func (f *fixture) draft(p auth.Principal, confidentiality string) documents.Document {
	f.t.Helper()
	f.seq++
	up, err := f.docs.Spool(f.ctx, bytes.NewReader(testenv.PDF(2000, f.seq)), "Kế hoạch.pdf")
	if err != nil {
		f.t.Fatal(err)
	}
	defer up.Close()
	d, err := f.docs.Create(f.ctx, p, documents.Meta{DocType: "KH", Title: fmt.Sprintf("Kế hoạch thử nghiệm %d", f.seq),
		DocDate: "2026-11-20", Confidentiality: confidentiality}, up)
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

// registered is a department document signed by its director and
// registered by its clerk: complete, as files hold them.
func (f *fixture) registered() documents.Document {
	f.t.Helper()
	clerk := f.who("vanthu.sgd")
	d := f.draft(clerk, "thuong")
	d, err := f.docs.SignAsPerson(f.ctx, f.who("giamdoc.sgd"), d.ID, documents.SignRequest{VersionSHA256: d.Versions[0].SHA256})
	if err != nil {
		f.t.Fatal(err)
	}
	d, err = f.docs.AssignNumber(f.ctx, clerk, d.ID, documents.NumberRequest{VersionSHA256: d.Versions[0].SHA256})
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var pe *domain.PreconditionError
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("err = %v, want precondition %s", err, code)
	}
}

func wantInvalid(t *testing.T, err error, field, words string) {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Fields[field], words) {
		t.Fatalf("err = %v (%v), want %s: …%s…", err, ve, field, words)
	}
}

func intp(n int) *int    { return &n }
func idp(n int64) *int64 { return &n }
func (f *fixture) audits(action string) int {
	var n int
	f.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1`, action)
	return n
}

type recFreezer struct {
	checkErr error
	keys     []string
	until    []time.Time
}

func (r *recFreezer) Check(context.Context) error { return r.checkErr }
func (r *recFreezer) Freeze(_ context.Context, keys []string, until time.Time) error {
	r.keys = append(r.keys, keys...)
	r.until = append(r.until, until)
	return nil
}

// countingFreezer counts the calls that reach the freezer it wraps.
type countingFreezer struct {
	records.Freezer
	calls int
}

func (c *countingFreezer) Freeze(ctx context.Context, keys []string, until time.Time) error {
	c.calls++
	return c.Freezer.Freeze(ctx, keys, until)
}

type recArchiver struct{ docs []int64 }

func (r *recArchiver) EnqueueArchival(_ context.Context, _ sqlx.ExtContext, id int64) error {
	r.docs = append(r.docs, id)
	return nil
}

// TestFileLifeCycle: the clerk sets up the list, staff file documents,
// the file is closed and handed over, and then nothing changes it.
func TestFileLifeCycle(t *testing.T) {
	f := newFixture(t)
	clerk, staff, archivist, director := f.who("vanthu.sgd"), f.who("chuyenvien.sgd"), f.who("luutru.sgd"), f.who("giamdoc.sgd")
	fr, ar := &recFreezer{}, &recArchiver{}
	f.rec.Freezer, f.rec.Archiver = fr, ar

	if _, err := f.rec.CreateList(f.ctx, staff, 2026); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("staff creates a list: %v", err)
	}
	l, err := f.rec.CreateList(f.ctx, archivist, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.rec.CreateList(f.ctx, clerk, 2026); err == nil {
		t.Fatal("a second list of 2026")
	}
	big, err := f.rec.AddHeading(f.ctx, clerk, l.ID, records.HeadingInput{Code: "VP", Title: "Văn phòng"})
	if err != nil {
		t.Fatal(err)
	}
	small, err := f.rec.AddHeading(f.ctx, clerk, l.ID, records.HeadingInput{ParentID: &big.ID, Title: "Tổng hợp"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.rec.AddFile(f.ctx, clerk, l.ID, records.FileInput{Code: "", Title: "", RetentionYears: intp(0)})
	wantInvalid(t, err, "retention_years", "vĩnh viễn")
	file, err := f.rec.AddFile(f.ctx, clerk, l.ID, records.FileInput{HeadingID: &small.ID, Code: "01.VP",
		Title: "Hồ sơ kế hoạch năm học 2026", RetentionYears: intp(20), ResponsibleID: &staff.UserID})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.rec.AddFile(f.ctx, clerk, l.ID, records.FileInput{Code: "01.VP", Title: "Trùng"})
	wantInvalid(t, err, "code", "đã có")
	perm, err := f.rec.AddFile(f.ctx, clerk, l.ID, records.FileInput{HeadingID: &big.ID, Code: "02.VP", Title: "Quy chế làm việc"})
	if err != nil || perm.RetentionYears != nil || perm.Retention() != "Vĩnh viễn" {
		t.Fatalf("permanent file: %+v, %v", perm, err)
	}

	doc1, doc2 := f.registered(), f.registered()
	_, err = f.rec.AddItem(f.ctx, staff, file.ID, doc1.ID, "")
	wantCode(t, err, "file_state") // planned, not open
	if _, err := f.rec.OpenFile(f.ctx, director, file.ID); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a leader who is not responsible opens it: %v", err)
	}
	if file, err = f.rec.OpenFile(f.ctx, staff, file.ID); err != nil || file.State != records.Open {
		t.Fatalf("open: %+v %v", file, err)
	}
	it1, err := f.rec.AddItem(f.ctx, staff, file.ID, doc1.ID, "")
	if err != nil || it1.Seq != 1 || it1.NumberSymbol == "" {
		t.Fatalf("item 1: %+v %v", it1, err)
	}
	_, err = f.rec.AddItem(f.ctx, staff, file.ID, doc1.ID, "")
	wantInvalid(t, err, "document_id", "đã có")
	it2, err := f.rec.AddItem(f.ctx, clerk, file.ID, doc2.ID, "bản chính")
	if err != nil || it2.Seq != 2 {
		t.Fatalf("item 2: %+v %v", it2, err)
	}
	// One document in several files (III.4.e).
	f.rec.OpenFile(f.ctx, clerk, perm.ID)
	if _, err := f.rec.AddItem(f.ctx, clerk, perm.ID, doc1.ID, ""); err != nil {
		t.Fatal(err)
	}
	// Numbering closes up after a removal.
	doc3 := f.registered()
	f.rec.AddItem(f.ctx, staff, file.ID, doc3.ID, "")
	if err := f.rec.RemoveItem(f.ctx, staff, file.ID, 2); err != nil {
		t.Fatal(err)
	}
	got, _ := f.rec.File(f.ctx, staff, file.ID)
	if len(got.Items) != 2 || got.Items[0].DocumentID != doc1.ID || got.Items[1].DocumentID != doc3.ID || got.Items[1].Seq != 2 {
		t.Fatalf("items after removal: %+v", got.Items)
	}
	f.rec.AddItem(f.ctx, staff, file.ID, doc2.ID, "")

	// Bad documents.
	_, err = f.rec.AddItem(f.ctx, staff, file.ID, f.draft(staff, "thuong").ID, "")
	wantInvalid(t, err, "document_id", "dự thảo")
	secret := f.registered()
	if _, err := f.db.Exec(`UPDATE documents SET confidentiality = 'mat' WHERE id = $1`, secret.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.rec.AddItem(f.ctx, clerk, file.ID, secret.ID, "")
	wantInvalid(t, err, "document_id", "mật")
	recalled := f.registered()
	if _, err := f.db.Exec(`UPDATE documents SET status = 'recalled' WHERE id = $1`, recalled.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.rec.AddItem(f.ctx, staff, file.ID, recalled.ID, "")
	wantInvalid(t, err, "document_id", "thu hồi")
	_, err = f.rec.AddItem(f.ctx, staff, file.ID, 999999, "")
	wantInvalid(t, err, "document_id", "không tìm thấy")

	// Another unit sees nothing, and cannot tell it exists.
	q1 := f.who("vanthu.q1")
	if _, err := f.rec.File(f.ctx, q1, file.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another unit reads the file: %v", err)
	}
	if _, err := f.rec.AddItem(f.ctx, q1, file.ID, doc1.ID, ""); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another unit files in it: %v", err)
	}
	if _, err := f.rec.List(f.ctx, q1, 2026); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another unit's list: %v", err)
	}
	if _, err := f.rec.AddFile(f.ctx, q1, l.ID, records.FileInput{Code: "X", Title: "X"}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another unit plans in the list: %v", err)
	}

	// Close: due a year later, the documents queued for archival signatures.
	f.rec.SetClock(func() time.Time { return time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC) })
	file, err = f.rec.CloseFile(f.ctx, staff, file.ID)
	if err != nil || file.State != records.Closed || file.DueText() != "2027-12-06" {
		t.Fatalf("closed: %+v %v", file, err)
	}
	if len(ar.docs) != 3 {
		t.Fatalf("archival queued for %v", ar.docs)
	}
	_, err = f.rec.AddItem(f.ctx, staff, file.ID, doc3.ID, "")
	wantCode(t, err, "file_state")

	// Index and list PDFs.
	var b bytes.Buffer
	if err := f.rec.IndexPDF(f.ctx, staff, file.ID, &b); err != nil || !bytes.HasPrefix(b.Bytes(), []byte("%PDF")) {
		t.Fatalf("index: %v", err)
	}
	b.Reset()
	if err := f.rec.ListPDF(f.ctx, staff, 2026, &b); err != nil || !bytes.HasPrefix(b.Bytes(), []byte("%PDF")) {
		t.Fatalf("list: %v", err)
	}
	rows := records.ListRows(l2(t, f, staff))
	if rows[0][1] != "I. VĂN PHÒNG" || rows[1][0] != "02.VP" || rows[2][1] != "1. Tổng hợp" || rows[3][0] != "01.VP" {
		t.Fatalf("list rows: %q", rows)
	}

	// Hand-over: only the clerk prepares, only closed files.
	if _, err := f.rec.PrepareHandover(f.ctx, staff, []int64{file.ID}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("staff prepares: %v", err)
	}
	_, err = f.rec.PrepareHandover(f.ctx, clerk, []int64{perm.ID})
	wantInvalid(t, err, "file_ids", "02.VP")
	h, err := f.rec.PrepareHandover(f.ctx, clerk, []int64{file.ID})
	if err != nil || h.State != "prepared" || len(h.Files) != 1 || h.ListDocumentID == nil || h.RecordDocumentID == nil {
		t.Fatalf("prepared: %+v %v", h, err)
	}
	rec, err := f.docs.Get(f.ctx, clerk, *h.RecordDocumentID)
	if err != nil || rec.DocType != "BB" || rec.UnitID != clerk.UnitID {
		t.Fatalf("record document: %+v %v", rec, err)
	}
	// The record takes the director's signature and the register's
	// number with the organisation's signature, as any outgoing document.
	rec, err = f.docs.SignAsPerson(f.ctx, director, rec.ID, documents.SignRequest{VersionSHA256: rec.Versions[0].SHA256})
	if err != nil {
		t.Fatalf("sign the record: %v", err)
	}
	rec, err = f.docs.AssignNumber(f.ctx, clerk, rec.ID, documents.NumberRequest{VersionSHA256: rec.Versions[0].SHA256})
	if err != nil || rec.SealKind != "organisation" || rec.NumberSymbol == nil {
		t.Fatalf("register and seal the record: %+v %v", rec, err)
	}
	list, err := f.docs.Get(f.ctx, clerk, *h.ListDocumentID)
	if err != nil {
		t.Fatal(err)
	}
	if list, err = f.docs.SignAsPerson(f.ctx, director, list.ID, documents.SignRequest{VersionSHA256: list.Versions[0].SHA256}); err != nil {
		t.Fatalf("sign the list: %v", err)
	}
	if list, err = f.docs.AssignNumber(f.ctx, clerk, list.ID, documents.NumberRequest{VersionSHA256: list.Versions[0].SHA256}); err != nil || list.SealKind != "organisation" {
		t.Fatalf("register and seal the list: %+v %v", list, err)
	}
	if _, err := f.rec.PrepareHandover(f.ctx, clerk, []int64{file.ID}); err == nil {
		t.Fatal("a file in two hand-overs")
	}
	if _, err := f.rec.ReceiveHandover(f.ctx, clerk, h.ID); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("the clerk receives: %v", err)
	}
	// A store that cannot freeze: nothing is received.
	fr.checkErr = errors.New("bucket has no Object Lock")
	_, err = f.rec.ReceiveHandover(f.ctx, archivist, h.ID)
	wantCode(t, err, "archive_unavailable")
	if !strings.Contains(err.(*domain.PreconditionError).Message, "Object Lock") {
		t.Fatalf("message: %v", err)
	}
	fr.checkErr = nil
	h, err = f.rec.ReceiveHandover(f.ctx, archivist, h.ID)
	if err != nil || h.State != "handed_over" || h.HandedAt == nil || h.ReceiverName == "" || h.Files[0].State != records.HandedOver {
		t.Fatalf("received: %+v %v", h, err)
	}
	if len(fr.keys) < 3 || len(fr.until) != 1 || fr.until[0].Year() != h.HandedAt.Year()+20 {
		t.Fatalf("frozen: %v until %v", fr.keys, fr.until)
	}
	_, err = f.rec.ReceiveHandover(f.ctx, archivist, h.ID)
	wantCode(t, err, "handover_state")
	b.Reset()
	if err := f.rec.HandoverPDF(f.ctx, archivist, h.ID, "record", &b); err != nil || !bytes.HasPrefix(b.Bytes(), []byte("%PDF")) {
		t.Fatalf("record PDF: %v", err)
	}
	if dir := os.Getenv("RECORDS_PDF_DIR"); dir != "" {
		os.WriteFile(dir+"/record.pdf", b.Bytes(), 0o644)
		var l bytes.Buffer
		f.rec.HandoverPDF(f.ctx, archivist, h.ID, "list", &l)
		os.WriteFile(dir+"/list.pdf", l.Bytes(), 0o644)
		l.Reset()
		f.rec.ListPDF(f.ctx, staff, 2026, &l)
		os.WriteFile(dir+"/filelist.pdf", l.Bytes(), 0o644)
		l.Reset()
		f.rec.IndexPDF(f.ctx, staff, file.ID, &l)
		os.WriteFile(dir+"/index.pdf", l.Bytes(), 0o644)
		v, _ := f.docs.Version(f.ctx, clerk, rec.ID, rec.Versions[0].No)
		rc, _ := f.docs.Open(f.ctx, v, 0, -1)
		if rc != nil {
			sealed, _ := io.ReadAll(rc)
			rc.Close()
			os.WriteFile(dir+"/record-sealed.pdf", sealed, 0o644)
		}
	}

	// Frozen: refused by the rule and audited, and by the database itself.
	before := f.audits("file.refused")
	err = f.rec.RemoveItem(f.ctx, staff, file.ID, 1)
	wantCode(t, err, "file_frozen")
	_, err = f.rec.AddItem(f.ctx, clerk, file.ID, doc3.ID, "")
	wantCode(t, err, "file_frozen")
	if f.audits("file.refused") != before+2 {
		t.Fatalf("refused attempts audited: %d → %d", before, f.audits("file.refused"))
	}
	for _, q := range []string{
		`DELETE FROM file_items WHERE file_id = $1`,
		`INSERT INTO file_items (file_id, seq, document_id, added_by) VALUES ($1, 9, ` + fmt.Sprint(doc3.ID) + `, 1)`,
		`UPDATE files SET title = 'khác' WHERE id = $1`,
		`UPDATE files SET state = 'open' WHERE id = $1`,
		`DELETE FROM files WHERE id = $1`,
	} {
		if _, err := f.db.Exec(q, file.ID); err == nil || !strings.Contains(err.Error(), "frozen") {
			t.Errorf("%s: %v", q, err)
		}
	}
	for _, a := range []string{"file_list.create", "file_heading.create", "file.create", "file.open", "file.item_add",
		"file.item_remove", "file.close", "handover.prepare", "handover.receive"} {
		if f.audits(a) == 0 {
			t.Errorf("no audit of %s", a)
		}
	}

	// The hourly scan locks, in the real store, what the hand-over left
	// unlocked (the freezer above only recorded the keys), and once every
	// lock is in place it has nothing more to do.
	cf := &countingFreezer{Freezer: worm.New(f.db, f.blobs, nil, true)}
	f.rec.Freezer = cf
	if err := f.rec.FreezeHandedOver(f.ctx); err != nil || cf.calls != 1 {
		t.Fatalf("scan: %d freezes, %v", cf.calls, err)
	}
	var locked int
	f.db.Get(&locked, `SELECT count(*) FROM locked_objects WHERE object_key = ANY($1)`, pq.Array(fr.keys))
	if locked != len(slices.Compact(slices.Sorted(slices.Values(fr.keys)))) {
		t.Fatalf("%d of %v locked", locked, fr.keys)
	}
	if err := f.rec.FreezeHandedOver(f.ctx); err != nil || cf.calls != 1 {
		t.Fatalf("scan again: %d freezes, %v", cf.calls, err)
	}
	// A lock that ends before the file's retention is taken again.
	f.db.MustExec(`UPDATE locked_objects SET retain_until = now() WHERE object_key = $1`, fr.keys[0])
	if err := f.rec.FreezeHandedOver(f.ctx); err != nil || cf.calls != 2 {
		t.Fatalf("scan after a short lock: %d freezes, %v", cf.calls, err)
	}
}

func l2(t *testing.T, f *fixture, p auth.Principal) records.FileList {
	l, err := f.rec.List(f.ctx, p, 2026)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCopyFromLastYear(t *testing.T) {
	f := newFixture(t)
	clerk := f.who("vanthu.sgd")
	if _, err := f.rec.CopyList(f.ctx, clerk, 2026); err == nil {
		t.Fatal("copied a list that does not exist")
	}
	l, _ := f.rec.CreateList(f.ctx, clerk, 2025)
	big, _ := f.rec.AddHeading(f.ctx, clerk, l.ID, records.HeadingInput{Title: "Tổ chức cán bộ"})
	small, _ := f.rec.AddHeading(f.ctx, clerk, l.ID, records.HeadingInput{ParentID: &big.ID, Title: "Tuyển dụng"})
	old, err := f.rec.AddFile(f.ctx, clerk, l.ID, records.FileInput{HeadingID: &small.ID, Code: "01.TCCB", Title: "Tuyển dụng viên chức",
		RetentionYears: intp(70), ResponsibleID: idp(clerk.UserID)})
	if err != nil {
		t.Fatal(err)
	}
	f.rec.OpenFile(f.ctx, clerk, old.ID)
	n, err := f.rec.CopyList(f.ctx, clerk, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if n.Year != 2026 || len(n.Headings) != 2 || len(n.Files) != 1 {
		t.Fatalf("copy: %+v", n)
	}
	c := n.Files[0]
	if c.Code != "01.TCCB" || c.State != records.Planned || *c.RetentionYears != 70 || *c.ResponsibleID != clerk.UserID || c.ID == old.ID {
		t.Fatalf("copied file: %+v", c)
	}
	var parent *int64
	for _, h := range n.Headings {
		if h.ID == *c.HeadingID {
			parent = h.ParentID
		}
	}
	if parent == nil || *parent == big.ID {
		t.Fatalf("the copy's heading is not under the copied large heading: %v", parent)
	}
	if _, err := f.rec.CopyList(f.ctx, clerk, 2026); err == nil {
		t.Fatal("copied twice")
	}
	// Adjust: change the copy, add one, drop one.
	c, err = f.rec.UpdateFile(f.ctx, clerk, c.ID, records.FileInput{HeadingID: c.HeadingID, Code: "01.TCCB", Title: "Tuyển dụng viên chức năm 2026"})
	if err != nil || c.RetentionYears != nil || c.Title != "Tuyển dụng viên chức năm 2026" {
		t.Fatalf("update: %+v %v", c, err)
	}
	extra, _ := f.rec.AddFile(f.ctx, clerk, n.ID, records.FileInput{Code: "02.TCCB", Title: "Thừa"})
	_, err = f.rec.UpdateFile(f.ctx, clerk, extra.ID, records.FileInput{Code: "01.TCCB", Title: "Trùng"})
	wantInvalid(t, err, "code", "đã có")
	if err := f.rec.DeleteFile(f.ctx, f.who("chuyenvien.sgd"), extra.ID); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("staff deletes: %v", err)
	}
	if err := f.rec.DeleteFile(f.ctx, clerk, extra.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.rec.DeleteFile(f.ctx, clerk, old.ID); err == nil {
		t.Fatal("deleted an open file")
	}
	if n, _ = f.rec.List(f.ctx, clerk, 2026); len(n.Files) != 1 {
		t.Fatalf("files after the adjustments: %+v", n.Files)
	}

	// Export: through the Exporter, for the unit's own people only.
	var b bytes.Buffer
	if err := f.rec.Export(f.ctx, clerk, old.ID, &b); !errors.Is(err, records.ErrNoExporter) {
		t.Fatalf("export without exporter: %v", err)
	}
	f.rec.Exporter = func(_ context.Context, w io.Writer, id int64) error {
		_, err := fmt.Fprintf(w, "package of %d", id)
		return err
	}
	if err := f.rec.Export(f.ctx, f.who("vanthu.q1"), old.ID, &b); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another unit exports: %v", err)
	}
	if err := f.rec.Export(f.ctx, f.who("chuyenvien.sgd"), old.ID, &b); err != nil || b.String() != fmt.Sprintf("package of %d", old.ID) {
		t.Fatalf("export: %q %v", b.String(), err)
	}
}

// TestHeadingBySection: a heading by organisation takes a section of the
// unit, named after it; another unit's section is refused.
func TestHeadingBySection(t *testing.T) {
	f := newFixture(t)
	q1, sgd := f.who("vanthu.q1"), f.who("vanthu.sgd")
	if _, err := f.db.Exec(`INSERT INTO sections (unit_id, name) VALUES ($1, 'Bộ phận Giáo dục Tiểu học')`, q1.UnitID); err != nil {
		t.Fatal(err)
	}
	var sections []records.Section
	var err error
	if sections, err = f.rec.Sections(f.ctx, q1); err != nil || len(sections) == 0 {
		t.Fatalf("sections: %v %v", sections, err)
	}
	l, _ := f.rec.CreateList(f.ctx, q1, 2026)
	h, err := f.rec.AddHeading(f.ctx, q1, l.ID, records.HeadingInput{SectionID: &sections[0].ID})
	if err != nil || h.Title != sections[0].Name || h.SectionID == nil {
		t.Fatalf("heading: %+v %v", h, err)
	}
	other, _ := f.rec.CreateList(f.ctx, sgd, 2026)
	_, err = f.rec.AddHeading(f.ctx, sgd, other.ID, records.HeadingInput{SectionID: &sections[0].ID, Title: "X"})
	wantInvalid(t, err, "section_id", "không thuộc")
	_, err = f.rec.AddHeading(f.ctx, sgd, other.ID, records.HeadingInput{})
	wantInvalid(t, err, "title", "cần tên")
}

func TestDueNotification(t *testing.T) {
	f := newFixture(t)
	clerk := f.who("vanthu.sgd")
	l, _ := f.rec.CreateList(f.ctx, clerk, 2026)
	file, _ := f.rec.AddFile(f.ctx, clerk, l.ID, records.FileInput{Code: "01", Title: "Hồ sơ sắp đến hạn", RetentionYears: intp(5)})
	f.rec.OpenFile(f.ctx, clerk, file.ID)
	if _, err := f.rec.AddItem(f.ctx, clerk, file.ID, f.registered().ID, ""); err != nil {
		t.Fatal(err)
	}
	closed := time.Date(2026, 1, 10, 3, 0, 0, 0, time.UTC)
	f.rec.SetClock(func() time.Time { return closed })
	if _, err := f.rec.CloseFile(f.ctx, clerk, file.ID); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var n int
		f.db.Get(&n, `SELECT count(*) FROM notifications WHERE kind = 'file_due'`)
		return n
	}
	f.rec.SetClock(func() time.Time { return closed.AddDate(0, 10, 0) })
	if err := f.rec.ScanDue(f.ctx); err != nil || count() != 0 {
		t.Fatalf("two months early: %d %v", count(), err)
	}
	f.rec.SetClock(func() time.Time { return closed.AddDate(1, 0, -20) })
	if err := f.rec.ScanDue(f.ctx); err != nil {
		t.Fatal(err)
	}
	// The department's clerk and archive officer.
	var who []string
	f.db.Select(&who, `SELECT u.username FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'file_due' ORDER BY 1`)
	if strings.Join(who, ",") != "luutru.sgd,vanthu.sgd" {
		t.Fatalf("notified: %v", who)
	}
	if err := f.rec.ScanDue(f.ctx); err != nil || count() != 2 {
		t.Fatalf("again: %d %v", count(), err)
	}
}
