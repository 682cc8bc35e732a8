package documents_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
)

const password = "mật-khẩu-thử-nghiệm-1"

// demoEnv is the demo's units and people on a fresh database, with
// signing on (the development keys of the demo's signers and clerks).
type demoEnv struct {
	t     *testing.T
	ctx   context.Context
	db    *sqlx.DB
	docs  *documents.Service
	users *auth.Service
	blobs storage.Blobs
}

func newDemoEnv(t *testing.T) *demoEnv {
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
	return &demoEnv{t: t, ctx: ctx, db: db, docs: docs, users: users, blobs: blobs}
}

func (e *demoEnv) who(username string) auth.Principal {
	e.t.Helper()
	p, err := e.users.PrincipalByUsername(e.ctx, username)
	if err != nil {
		e.t.Fatalf("%s: %v", username, err)
	}
	return p
}

func (e *demoEnv) spool(b []byte) *documents.Upload {
	e.t.Helper()
	up, err := e.docs.Spool(e.ctx, bytes.NewReader(b), "Kế hoạch.pdf")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { up.Close() })
	return up
}

// actions are the audit log's entries about document id, in order.
func (e *demoEnv) actions(id int64) []string {
	e.t.Helper()
	entries, err := audit.ForDocument(e.ctx, e.db, id, true, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, en := range entries {
		out = append(out, en.Action)
	}
	return out
}

// Upload, a new version of the draft, the person's signature and the
// organisation's each write an audit entry in the same transaction, and
// the chain holds.
func TestAuditOfUploadSignatureAndSeal(t *testing.T) {
	e := newDemoEnv(t)
	clerk, signer := e.who("vanthu.sgd"), e.who("giamdoc.sgd")
	d, err := e.docs.Create(e.ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch thử nghiệm", DocDate: "2026-11-20"}, e.spool(testenv.PDF(2000, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(e.actions(d.ID)); got != "[document.create]" {
		t.Fatalf("after upload: %s", got)
	}
	d, err = e.docs.ReplaceDraft(e.ctx, clerk, d.ID, e.spool(testenv.PDF(2000, 2)), "Sửa lỗi chính tả")
	if err != nil {
		t.Fatal(err)
	}
	d, err = e.docs.SignAsPerson(e.ctx, signer, d.ID, documents.SignRequest{VersionSHA256: d.Versions[0].SHA256})
	if err != nil {
		t.Fatal(err)
	}
	d, err = e.docs.AssignNumber(e.ctx, clerk, d.ID, documents.NumberRequest{VersionSHA256: d.Versions[0].SHA256})
	if err != nil {
		t.Fatal(err)
	}
	want := "[document.create document.version document.sign document.seal document.register]"
	if got := fmt.Sprint(e.actions(d.ID)); got != want {
		t.Fatalf("audit entries %s, want %s", got, want)
	}
	entries, _ := audit.ForDocument(e.ctx, e.db, d.ID, true, nil)
	for i, en := range entries[:4] {
		var details map[string]any
		if err := json.Unmarshal([]byte(en.Details), &details); err != nil {
			t.Fatal(err)
		}
		if details["version"] != float64(i+1) || details["sha256"] == "" || en.ActorID == nil {
			t.Errorf("%s: details %s, actor %v", en.Action, en.Details, en.ActorID)
		}
		if i == 1 && details["file_name"] != "Kế hoạch.pdf" {
			t.Errorf("%s: details %s", en.Action, en.Details)
		}
		if i >= 2 && details["certificate_serial"] == "" {
			t.Errorf("%s: no certificate in %s", en.Action, en.Details)
		}
	}
	if *entries[2].ActorID != signer.UserID || *entries[3].ActorID != clerk.UserID {
		t.Errorf("the signature by %d, the seal by %d", *entries[2].ActorID, *entries[3].ActorID)
	}
	if n, err := audit.Check(e.ctx, e.db); err != nil || n != 5 {
		t.Fatalf("audit.Check = %d, %v", n, err)
	}
	// A refused upload writes nothing.
	if _, err := e.docs.Create(e.ctx, clerk, documents.Meta{DocType: "KH", DocDate: "2026-11-20"}, e.spool(testenv.PDF(2000, 3))); err == nil {
		t.Fatal("a document without a title was created")
	}
	if n, _ := audit.Check(e.ctx, e.db); n != 5 {
		t.Fatalf("%d audit entries after a refused upload", n)
	}
}

// Views, downloads and links go to the document's access history, which
// only the clerks and administrators of its unit read.
func TestAccessHistory(t *testing.T) {
	e := newDemoEnv(t)
	clerk, staff, other := e.who("vanthu.sgd"), e.who("chuyenvien.sgd"), e.who("vanthu.q1")
	d, err := e.docs.Create(e.ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch thử nghiệm", DocDate: "2026-11-20"}, e.spool(testenv.PDF(2000, 1)))
	if err != nil {
		t.Fatal(err)
	}
	v := d.Versions[0]
	steps := []error{
		e.docs.RecordView(e.ctx, staff, d, "req-1"),
		e.docs.RecordDownload(e.ctx, staff, v, 0, false, "req-2"),
		e.docs.RecordDownload(e.ctx, staff, v, 65536, false, "req-3"), // the rest of the same read: not counted
		e.docs.RecordDownload(e.ctx, clerk, v, 0, true, "req-4"),
		e.docs.RecordAccess(e.ctx, clerk, d.ID, v.No, documents.AccessLink, ""),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	hist, err := e.docs.AccessHistory(e.ctx, clerk, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range hist {
		got = append(got, fmt.Sprintf("%s %s %v %s", a.UserName, a.Kind, *a.VersionNo, a.RequestID))
	}
	want := []string{
		clerk.FullName + " link 1 ",
		clerk.FullName + " view 1 req-4",
		staff.FullName + " download 1 req-2",
		staff.FullName + " view 1 req-1",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("history:\n%q\nwant\n%q", got, want)
	}
	if hist[0].UnitName == "" || hist[0].UnitID != clerk.UnitID || hist[0].At.IsZero() {
		t.Errorf("entry = %+v", hist[0])
	}
	// Not for staff, nor for another unit.
	for _, p := range []auth.Principal{staff, other} {
		if _, err := e.docs.AccessHistory(e.ctx, p, d.ID); !errors.Is(err, domain.ErrForbidden) && !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s: AccessHistory err = %v, want forbidden", p.Username, err)
		}
	}
	// Reads are not audit-log entries, and the history cannot be edited.
	if n, _ := audit.Check(e.ctx, e.db); n != 1 {
		t.Errorf("%d audit entries, want the upload's alone", n)
	}
	if _, err := e.db.Exec(`UPDATE document_access SET kind = 'view'`); err == nil {
		t.Error("the access history accepted an UPDATE")
	}
	if _, err := e.db.Exec(`DELETE FROM document_access`); err == nil {
		t.Error("the access history accepted a DELETE")
	}
	// Listing documents records nothing.
	if _, err := e.docs.List(e.ctx, clerk, documents.Filter{}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM document_access`); err != nil || n != 4 {
		t.Errorf("%d access rows after a listing, want 4", n)
	}
}

// qpdfEncrypt encrypts the fixture with qpdf: user "" for a file with
// only an owner password.
func qpdfEncrypt(t *testing.T, user string, opts ...string) []byte {
	t.Helper()
	bits := "256"
	if len(opts) > 0 && strings.HasPrefix(opts[0], "--use-aes") {
		bits = "128"
	}
	args := []string{"--encrypt", user, "chủ sở hữu", bits}
	if len(opts) > 0 && strings.HasPrefix(opts[0], "--object-streams") {
		args = append([]string{opts[0]}, args...)
	} else {
		args = append(args, opts...)
	}
	out, err := exec.Command("qpdf", append(args, "--", "../testdata/206-KH-SGDDT.pdf", "-")...).Output()
	if err != nil {
		testenv.Missing(t, "qpdf")
	}
	return out
}

// A file with only an owner password opens: it is accepted as an upload
// and verified, and refused, with what to do, for a draft (which will be
// signed, and a signature cannot keep an encrypted file intact). A file
// with a user password stays refused.
func TestOwnerPasswordOnly(t *testing.T) {
	e := newDemoEnv(t)
	clerk := e.who("vanthu.sgd")
	owner, user := qpdfEncrypt(t, ""), qpdfEncrypt(t, "mật khẩu")

	up := e.spool(owner)
	if !up.Restricted || up.Pages != 12 {
		t.Fatalf("owner-only upload: restricted %v, %d pages", up.Restricted, up.Pages)
	}
	if _, err := e.docs.Spool(e.ctx, bytes.NewReader(user), "khoa.pdf"); !errors.Is(err, documents.ErrEncryptedPDF) {
		t.Fatalf("user-password upload: %v, want ErrEncryptedPDF", err)
	}
	plain := e.spool(testenv.PDF(2000, 1))
	if plain.Restricted {
		t.Fatal("a plain PDF is restricted")
	}

	before := e.count()
	_, err := e.docs.Create(e.ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch", DocDate: "2026-11-20"}, up)
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Fields["file"], "mật khẩu chủ sở hữu") || !strings.Contains(ve.Fields["file"], "lưu lại bản không mã hóa") {
		t.Fatalf("draft from an owner-only file: %v", err)
	}
	d, err := e.docs.Create(e.ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch", DocDate: "2026-11-20"}, plain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.docs.ReplaceDraft(e.ctx, clerk, d.ID, up, ""); !errors.As(err, &ve) || !strings.Contains(ve.Fields["file"], "mật khẩu chủ sở hữu") {
		t.Fatalf("new draft version from an owner-only file: %v", err)
	}
	if after := e.count(); after != before+1 {
		t.Fatalf("documents %d → %d: the refused uploads kept something", before, after)
	}
	// Verified as it is: it carries no signature.
	for _, b := range [][]byte{owner, qpdfEncrypt(t, "", "--use-aes=y"), qpdfEncrypt(t, "", "--object-streams=generate")} {
		rep, err := e.docs.VerifyUpload(e.ctx, e.spool(b))
		if err != nil || rep.SignatureFields != 0 || rep.Valid || !strings.Contains(rep.VerdictVI, "Không có chữ ký") || !strings.Contains(rep.VerdictVI, "mật khẩu chủ sở hữu") {
			t.Fatalf("verification of an owner-only file: %+v, %v", rep, err)
		}
	}
	// One that carries signatures is said to be beyond checking here, and
	// signing it is refused at the moment of signing.
	signed, err := e.docs.SignAsPerson(e.ctx, e.who("giamdoc.sgd"), d.ID, documents.SignRequest{VersionSHA256: d.Versions[0].SHA256})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := e.docs.Open(e.ctx, signed.Versions[0], 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "signed.pdf"), b, 0o600)
	if out, err := exec.Command("qpdf", "--encrypt", "", "chủ", "256", "--", filepath.Join(dir, "signed.pdf"), filepath.Join(dir, "enc.pdf")).CombinedOutput(); err != nil {
		t.Fatal(err, string(out))
	}
	encSigned, _ := os.ReadFile(filepath.Join(dir, "enc.pdf"))
	_, err = e.docs.VerifyUpload(e.ctx, e.spool(encSigned))
	var pe *domain.PreconditionError
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, "mật khẩu chủ sở hữu") || !strings.Contains(pe.Message, "chưa kiểm tra được chữ ký") {
		t.Fatalf("verification of a signed owner-only file: %v", err)
	}
}

// A restricted file stored before drafts refused them is refused when
// it would be signed, saying why.
func TestSigningRestrictedStoredFile(t *testing.T) {
	e := newDemoEnv(t)
	clerk := e.who("vanthu.sgd")
	d, err := e.docs.Create(e.ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch", DocDate: "2026-11-20"}, e.spool(testenv.PDF(2000, 1)))
	if err != nil {
		t.Fatal(err)
	}
	// Swap the stored bytes for an owner-only file, as a file stored by an
	// earlier release would be.
	owner := qpdfEncrypt(t, "")
	up := e.spool(owner)
	key, _ := storage.KeyFor(up.SHA256)
	blobs := e.blobs
	if err := blobs.Put(e.ctx, key, bytes.NewReader(owner), int64(len(owner))); err != nil {
		t.Fatal(err)
	}
	e.db.MustExec(`ALTER TABLE document_versions DISABLE TRIGGER document_versions_immutable`)
	e.db.MustExec(`UPDATE document_versions SET object_key = $1, sha256 = $2, size_bytes = $3 WHERE document_id = $4`, key, up.SHA256, up.Size, d.ID)
	e.db.MustExec(`ALTER TABLE document_versions ENABLE TRIGGER document_versions_immutable`)
	_, err = e.docs.SignAsPerson(e.ctx, e.who("giamdoc.sgd"), d.ID, documents.SignRequest{VersionSHA256: up.SHA256})
	var pe *domain.PreconditionError
	if !errors.As(err, &pe) || pe.Code != "restricted_pdf" || !strings.Contains(pe.Message, "lưu lại bản không mã hóa") {
		t.Fatalf("signing an owner-only file: %v", err)
	}
}

func (e *demoEnv) count() int {
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM documents`); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// A migration that changes a column the hot reads return (PostgreSQL then
// refuses the prepared statements' cached plans) costs no request an
// error: the statements are prepared again.
func TestPreparedReadsOutliveAMigration(t *testing.T) {
	e := newDemoEnv(t)
	clerk := e.who("vanthu.sgd")
	d, err := e.docs.Create(e.ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch thử nghiệm", DocDate: "2026-11-20"}, e.spool(testenv.PDF(2000, 1)))
	if err != nil {
		t.Fatal(err)
	}
	read := func() {
		t.Helper()
		if _, err := e.docs.Get(e.ctx, clerk, d.ID); err != nil {
			t.Fatalf("get: %v", err)
		}
		if _, err := e.docs.ReadableVersion(e.ctx, clerk, d.ID, 1); err != nil {
			t.Fatalf("version: %v", err)
		}
	}
	// Several reads, so that the pool's connections hold the statements.
	for range 5 {
		read()
	}
	e.db.MustExec(`ALTER TABLE users ALTER COLUMN full_name TYPE varchar(500)`)
	for range 5 {
		read()
	}
}
