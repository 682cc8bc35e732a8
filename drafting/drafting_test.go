package drafting_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/convert"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/doctemplate"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/drafting"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

const password = "mật-khẩu-thử-nghiệm-1"

// fakeConverter stands for the LibreOffice pool: "ok" converts (any file
// into a fresh PDF, its text being the file's bytes), "down" is
// unavailable, "bad" refuses the file.
type fakeConverter struct {
	mode  atomic.Value
	seq   atomic.Uint64
	calls atomic.Int64
}

func newFake(mode string) *fakeConverter {
	f := &fakeConverter{}
	f.mode.Store(mode)
	return f
}

func (f *fakeConverter) err() error {
	switch f.mode.Load().(string) {
	case "down":
		return convert.ErrUnavailable
	case "bad":
		return &convert.BadFileError{Code: "macros", Reason: "Tệp có macro; hãy lưu lại dạng .docx không có macro rồi tải lên lại"}
	}
	return nil
}

func (f *fakeConverter) ToPDF(ctx context.Context, in []byte, name string) ([]byte, error) {
	f.calls.Add(1)
	if err := f.err(); err != nil {
		return nil, err
	}
	return testenv.PDF(3000, 1000+f.seq.Add(1)), nil
}

func (f *fakeConverter) ToText(ctx context.Context, in []byte, name string) (string, error) {
	if err := f.err(); err != nil {
		return "", err
	}
	return string(in), nil
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *sqlx.DB
	docs  *documents.Service
	svc   *drafting.Service
	conv  *fakeConverter
	users *auth.Service
	seq   uint64
}

// newFixture is a fresh database with the demo organisation, the
// documents service with development signing on a store (S3 when the
// test environment has it), and drafting with a fake converter.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, _ := testenv.NewDB(t)
	users := auth.NewService(db, time.Hour)
	if _, err := demo.Seed(ctx, org.NewStore(db), users, password, 0); err != nil {
		t.Fatal(err)
	}
	docs, err := documents.NewService(db, blobs(t), t.TempDir(), 32<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.EnableDevSigning(ctx, t.TempDir(), users, docs, 64<<20); err != nil {
		t.Fatal(err)
	}
	conv := newFake("ok")
	svc := drafting.New(db, docs, notify.NewStore(db, false), conv)
	return &fixture{t: t, ctx: ctx, db: db, docs: docs, svc: svc, conv: conv, users: users}
}

// blobs is a bucket of its own on the test S3 store, emptied and removed
// at the end, or a local store when there is no S3 in the environment.
func blobs(t *testing.T) storage.Blobs {
	t.Helper()
	if os.Getenv("VANBAN_TEST_S3_ENDPOINT") == "" || testing.Short() {
		l, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	env := testenv.RequireS3(t)
	b := make([]byte, 6)
	rand.Read(b)
	bucket := "vanban-drafting-" + hex.EncodeToString(b)
	ctx := context.Background()
	s, err := storage.NewS3(ctx, storage.S3Options{Endpoint: env.Endpoint, Bucket: bucket, AccessKey: env.AccessKey,
		SecretKey: env.SecretKey, Region: env.Region, UseSSL: env.UseSSL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var keys []string
		s.List(ctx, "", func(i storage.Info) error { keys = append(keys, i.Key); return nil }) //nolint:errcheck
		for _, k := range keys {
			s.Delete(ctx, k) //nolint:errcheck
		}
		c, err := minio.New(env.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(env.AccessKey, env.SecretKey, ""),
			Secure: env.UseSSL, Region: env.Region, BucketLookup: minio.BucketLookupPath})
		if err == nil {
			c.RemoveBucket(ctx, bucket) //nolint:errcheck
		}
	})
	return s
}

func (f *fixture) who(username string) auth.Principal {
	f.t.Helper()
	p, err := f.users.PrincipalByUsername(f.ctx, username)
	if err != nil {
		f.t.Fatalf("%s: %v", username, err)
	}
	return p
}

// deputy is the department's second leader (phó giám đốc), whom the demo
// seeds.
func (f *fixture) deputy() auth.Principal {
	f.t.Helper()
	return f.who("phogiamdoc.sgd")
}

func (f *fixture) pdf() drafting.File {
	f.seq++
	return drafting.File{Name: "Kế hoạch.pdf", Data: testenv.PDF(2000, f.seq)}
}

func meta() documents.Meta {
	return documents.Meta{DocType: "KH", Title: "Kế hoạch tổ chức kỳ thi học sinh giỏi năm 2027"}
}

// create makes a PDF draft as p.
func (f *fixture) create(p auth.Principal) drafting.Draft {
	f.t.Helper()
	d, err := f.svc.Create(f.ctx, p, meta(), f.pdf())
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

func due() string { return time.Now().In(domain.VietnamTime).AddDate(0, 0, 3).Format(time.DateOnly) }

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var pe *domain.PreconditionError
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("error %v, want precondition %s", err, code)
	}
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || ve.Fields[field] == "" {
		t.Fatalf("error %v, want a validation error on %s", err, field)
	}
}

func (f *fixture) notes(username, kind string) int {
	f.t.Helper()
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = $1 AND n.kind = $2`, username, kind); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) queue(p auth.Principal, q string) []drafting.Item {
	f.t.Helper()
	items, err := f.svc.Queue(f.ctx, p, q)
	if err != nil {
		f.t.Fatal(err)
	}
	return items
}

// TestDraftStory is the story in the domain: a draft seen by its
// participants only, reviewed, submitted, returned with a reason, revised,
// submitted again, signed by the named signer alone, then found by the
// clerk in "Chờ cấp số".
func TestDraftStory(t *testing.T) {
	f := newFixture(t)
	drafter, reviewer, leader, clerk := f.who("chuyenvien.sgd"), f.who("truongphong.sgd"), f.who("giamdoc.sgd"), f.who("vanthu.sgd")
	d := f.create(drafter)
	if d.State != drafting.StateOpen || len(d.Revisions) != 1 || !d.Actions.Submit.Allowed {
		t.Fatalf("new draft: %+v", d)
	}

	// Visibility: the colleague and the clerk do not see it; the leader does.
	for _, p := range []auth.Principal{reviewer, clerk} {
		if _, err := f.svc.Get(f.ctx, p, d.Document.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("%s sees the draft: %v", p.Username, err)
		}
		if _, err := f.docs.Get(f.ctx, p, d.Document.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("%s sees the document: %v", p.Username, err)
		}
		page, err := f.docs.List(f.ctx, p, documents.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			if it.ID == d.Document.ID {
				t.Fatalf("%s lists the draft", p.Username)
			}
		}
		if _, err := f.svc.Comment(f.ctx, p, d.Document.ID, 0, "Góp ý"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("%s comments: %v", p.Username, err)
		}
	}
	if _, err := f.svc.Get(f.ctx, leader, d.Document.ID); err != nil {
		t.Fatalf("the leader: %v", err)
	}

	// Review.
	if _, err := f.svc.RequestReview(f.ctx, drafter, d.Document.ID, []int64{reviewer.UserID}, "Nhờ anh chị xem giúp"); err != nil {
		t.Fatal(err)
	}
	if f.notes("truongphong.sgd", "draft.review_requested") != 1 {
		t.Error("the reviewer was not notified")
	}
	if items := f.queue(reviewer, drafting.QueueReview); len(items) != 1 || items[0].DocumentID != d.Document.ID {
		t.Fatalf("review queue: %+v", items)
	}
	if _, err := f.svc.Decide(f.ctx, drafter, d.Document.ID, drafting.Approved, ""); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("the drafter decides: %v", err)
	}
	if _, err := f.svc.Decide(f.ctx, reviewer, d.Document.ID, drafting.ChangesRequested, ""); err == nil {
		t.Fatal("changes requested without a note")
	}
	if d, err := f.svc.Comment(f.ctx, reviewer, d.Document.ID, 0, "Mục II cần nêu rõ thời gian"); err != nil || len(d.Comments) != 1 {
		t.Fatalf("comment: %v %+v", err, d.Comments)
	}
	d, err := f.svc.Decide(f.ctx, reviewer, d.Document.ID, drafting.Approved, "Đồng ý")
	if err != nil {
		t.Fatal(err)
	}
	if r := d.Reviews[0]; r.Decision == nil || *r.Decision != drafting.Approved || r.DecidedAt == nil {
		t.Fatalf("review: %+v", r)
	}
	if f.notes("chuyenvien.sgd", "draft.approved") != 1 {
		t.Error("the drafter was not told of the approval")
	}

	// Submit, and the signer's queue.
	if _, err := f.svc.Submit(f.ctx, drafter, d.Document.ID, leader.UserID, "2020-01-01"); err == nil {
		t.Fatal("a due date in the past")
	}
	d, err = f.svc.Submit(f.ctx, drafter, d.Document.ID, leader.UserID, due())
	if err != nil {
		t.Fatal(err)
	}
	if d.State != drafting.StateSubmitted || d.Document.SubmittedTo == nil || *d.Document.SubmittedTo != leader.UserID {
		t.Fatalf("submitted: %+v", d)
	}
	if c, _ := f.svc.Counts(f.ctx, leader); c.Sign != 1 {
		t.Fatalf("counts: %+v", c)
	}
	if where, _ := f.svc.Landing(f.ctx, leader); where != "/queues/sign" {
		t.Errorf("leader lands on %s", where)
	}

	// A revision while submitted: 409.
	if _, err := f.svc.AddRevision(f.ctx, drafter, d.Document.ID, f.pdf(), ""); err == nil {
		t.Fatal("revision of a submitted draft")
	} else {
		wantCode(t, err, "draft_submitted")
	}

	// Return: the signer only, with a reason.
	if _, err := f.svc.Return(f.ctx, drafter, d.Document.ID, "x"); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("the drafter returns: %v", err)
	}
	if _, err := f.svc.Return(f.ctx, leader, d.Document.ID, "  "); err == nil {
		t.Fatal("returned without a reason")
	} else {
		wantField(t, err, "reason")
	}
	if d, err = f.svc.Return(f.ctx, leader, d.Document.ID, "Bổ sung kinh phí ở mục IV"); err != nil {
		t.Fatal(err)
	}
	if d.State != drafting.StateReturned || d.Document.SubmittedTo != nil {
		t.Fatalf("returned: %+v", d)
	}
	if items := f.queue(drafter, drafting.QueueReturned); len(items) != 1 || items[0].ReturnReason != "Bổ sung kinh phí ở mục IV" {
		t.Fatalf("returned queue: %+v", items)
	}
	if len(f.queue(leader, drafting.QueueSign)) != 0 {
		t.Fatal("a returned draft waits for signature")
	}

	// Revise and submit again.
	if d, err = f.svc.AddRevision(f.ctx, drafter, d.Document.ID, f.pdf(), "Bổ sung kinh phí"); err != nil {
		t.Fatal(err)
	}
	if len(d.Revisions) != 2 {
		t.Fatalf("revisions: %+v", d.Revisions)
	}
	// Revised, it is being drafted again: out of "Bị trả lại".
	if d.State != drafting.StateOpen || len(f.queue(drafter, drafting.QueueReturned)) != 0 {
		t.Fatalf("after the revision: state %s, returned queue %+v", d.State, f.queue(drafter, drafting.QueueReturned))
	}
	if _, err := f.svc.Diff(f.ctx, drafter, d.Document.ID, 1, 2); err != nil {
		t.Fatalf("diff: %v", err)
	}
	if d, err = f.svc.Submit(f.ctx, drafter, d.Document.ID, leader.UserID, due()); err != nil {
		t.Fatal(err)
	}
	items := f.queue(leader, drafting.QueueSign)
	if len(items) != 1 || items[0].VersionSHA != d.Latest().SHA256 {
		t.Fatalf("sign queue: %+v", items)
	}

	// The signer signs: the draft leaves the queue; the drafter and the
	// clerk are told; the clerk sees it and finds it in Chờ cấp số.
	if _, err := f.docs.SignAsPerson(f.ctx, leader, d.Document.ID, documents.SignRequest{VersionSHA256: d.Latest().SHA256}); err != nil {
		t.Fatal(err)
	}
	if len(f.queue(leader, drafting.QueueSign)) != 0 {
		t.Fatal("signed, still in Chờ tôi ký")
	}
	if f.notes("chuyenvien.sgd", "draft.signed") != 1 || f.notes("vanthu.sgd", "document.awaiting_number") != 1 {
		t.Error("signature notifications missing")
	}
	if _, err := f.docs.Get(f.ctx, clerk, d.Document.ID); err != nil {
		t.Fatalf("the clerk does not see the signed document: %v", err)
	}
	if items := f.queue(clerk, drafting.QueueRegister); len(items) != 1 {
		t.Fatalf("register queue: %+v", items)
	}
	if where, _ := f.svc.Landing(f.ctx, clerk); where != "/queues/register" {
		t.Errorf("clerk lands on %s", where)
	}
	if _, err := f.svc.AddRevision(f.ctx, drafter, d.Document.ID, f.pdf(), ""); err == nil {
		t.Fatal("revision of a signed draft")
	} else {
		wantCode(t, err, "draft_signed")
	}
	if _, err := f.svc.Withdraw(f.ctx, drafter, d.Document.ID, ""); err == nil {
		t.Fatal("a signed draft withdrawn")
	}
	if _, err := f.docs.AssignNumber(f.ctx, clerk, d.Document.ID, documents.NumberRequest{VersionSHA256: mustLatest(t, f, clerk, d.Document.ID)}); err != nil {
		t.Fatal(err)
	}
	if f.notes("chuyenvien.sgd", "draft.registered") != 1 {
		t.Error("the drafter was not told of the registration")
	}
	var actions int
	f.db.Get(&actions, `SELECT count(*) FROM audit_log WHERE document_id = $1 AND action LIKE 'draft.%'`, d.Document.ID)
	if actions < 6 {
		t.Errorf("%d draft actions in the audit log", actions)
	}
}

func mustLatest(t *testing.T, f *fixture, p auth.Principal, id int64) string {
	d, err := f.docs.Get(f.ctx, p, id)
	if err != nil {
		t.Fatal(err)
	}
	return d.Versions[0].SHA256
}

// TestBadInput: a reviewer or a signer who is not in the unit, a signer
// without the signer role, a second signer signing what was submitted to
// the first, a withdrawn draft.
func TestBadInput(t *testing.T) {
	f := newFixture(t)
	drafter, leader, clerk := f.who("chuyenvien.sgd"), f.who("giamdoc.sgd"), f.who("vanthu.sgd")
	other := f.who("truongphong.q1") // a signer of another unit
	deputy := f.deputy()
	d := f.create(drafter)
	id := d.Document.ID

	_, err := f.svc.RequestReview(f.ctx, drafter, id, []int64{other.UserID}, "")
	wantField(t, err, "reviewer_id")
	_, err = f.svc.RequestReview(f.ctx, drafter, id, []int64{drafter.UserID}, "")
	wantField(t, err, "reviewer_id")
	_, err = f.svc.Submit(f.ctx, drafter, id, clerk.UserID, due())
	wantField(t, err, "signer_id")
	_, err = f.svc.Submit(f.ctx, drafter, id, other.UserID, due())
	wantField(t, err, "signer_id")
	if _, err := f.svc.Submit(f.ctx, leader, id, leader.UserID, due()); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a leader submits someone else's draft: %v", err)
	}

	// Submitted to the director: the deputy may not sign it.
	d, err = f.svc.Submit(f.ctx, drafter, id, leader.UserID, due())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := f.docs.Get(f.ctx, deputy, id)
	if err != nil {
		t.Fatalf("a leader of the unit does not see the draft: %v", err)
	}
	a, err := f.docs.Actions(f.ctx, deputy, doc)
	if err != nil {
		t.Fatal(err)
	}
	if a.Sign.Allowed || !strings.Contains(a.Sign.Reason, "Lê Hoài Nam") {
		t.Fatalf("deputy's sign action: %+v", a.Sign)
	}
	_, err = f.docs.SignAsPerson(f.ctx, deputy, id, documents.SignRequest{VersionSHA256: d.Latest().SHA256})
	wantCode(t, err, "submitted_to_other")

	// Withdrawn: nothing more.
	if _, err := f.svc.Withdraw(f.ctx, drafter, id, "Không ban hành nữa"); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AddRevision(f.ctx, drafter, id, f.pdf(), "")
	wantCode(t, err, "draft_withdrawn")
	_, err = f.svc.Submit(f.ctx, drafter, id, leader.UserID, due())
	wantCode(t, err, "draft_withdrawn")
	_, err = f.docs.SignAsPerson(f.ctx, leader, id, documents.SignRequest{VersionSHA256: d.Latest().SHA256})
	wantCode(t, err, "sign_hold")

	// A draft not submitted is signed as before by a leader who sees it.
	own := f.create(leader)
	if _, err := f.docs.SignAsPerson(f.ctx, leader, own.Document.ID, documents.SignRequest{VersionSHA256: own.Latest().SHA256}); err != nil {
		t.Fatalf("a leader signing their own draft: %v", err)
	}

	// Comments: length, participants.
	d2 := f.create(drafter)
	_, err = f.svc.Comment(f.ctx, drafter, d2.Document.ID, 0, strings.Repeat("a", 4001))
	wantField(t, err, "body")
	_, err = f.svc.Comment(f.ctx, drafter, d2.Document.ID, 9, "x")
	wantField(t, err, "version")
	// A file that is neither PDF nor office.
	_, err = f.svc.Create(f.ctx, drafter, meta(), drafting.File{Name: "a.txt", Data: []byte("hello")})
	wantField(t, err, "file")
}

// TestWordUpload: a Word file becomes a draft with its original kept (and
// kept by the orphan sweep); a file the converter refuses stores nothing;
// with the converter down the upload is kept, and the job makes the draft
// once it is back and tells the drafter.
func TestWordUpload(t *testing.T) {
	f := newFixture(t)
	drafter := f.who("chuyenvien.sgd")
	docx := drafting.File{Name: "Kế hoạch thi.docx", Data: []byte("Điều 1. Tổ chức kỳ thi\nĐiều 2. Thời gian\n")}
	d, err := f.svc.Create(f.ctx, drafter, meta(), docx)
	if err != nil {
		t.Fatal(err)
	}
	src := d.Latest().Source
	if src == nil || src.FileName != "Kế hoạch thi.docx" || d.Latest().FileName != "Kế hoạch thi.pdf" {
		t.Fatalf("revision: %+v %+v", d.Latest(), src)
	}
	if _, err := f.docs.SweepOrphans(f.ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, b, err := f.svc.Source(f.ctx, drafter, d.Document.ID, 1); err != nil || !bytes.Equal(b, docx.Data) {
		t.Fatalf("original after the sweep: %v", err)
	}
	rev := drafting.File{Name: "Kế hoạch thi.docx", Data: []byte("Điều 1. Tổ chức kỳ thi\nĐiều 2. Thời gian: tháng 3\n")}
	if _, err := f.svc.AddRevision(f.ctx, drafter, d.Document.ID, rev, ""); err != nil {
		t.Fatal(err)
	}
	diff, err := f.svc.Diff(f.ctx, drafter, d.Document.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff.Added != 1 || diff.Removed != 1 || diff.Lines[0].Op != "=" {
		t.Fatalf("diff: %+v", diff)
	}

	count := func(q string) int {
		var n int
		if err := f.db.Get(&n, q); err != nil {
			t.Fatal(err)
		}
		return n
	}
	docsBefore := count(`SELECT count(*) FROM documents`)
	f.conv.mode.Store("bad")
	_, err = f.svc.Create(f.ctx, drafter, meta(), docx)
	var bf *convert.BadFileError
	if !errors.As(err, &bf) {
		t.Fatalf("bad file: %v", err)
	}
	if count(`SELECT count(*) FROM documents`) != docsBefore || count(`SELECT count(*) FROM pending_conversions`) != 0 {
		t.Fatal("a refused file left rows")
	}

	f.conv.mode.Store("down")
	_, err = f.svc.Create(f.ctx, drafter, meta(), docx)
	var pe *drafting.PendingError
	if !errors.As(err, &pe) || !errors.Is(err, convert.ErrUnavailable) {
		t.Fatalf("converter down: %v", err)
	}
	if count(`SELECT count(*) FROM documents`) != docsBefore {
		t.Fatal("a draft was made without its PDF")
	}
	pending, err := f.svc.PendingOf(f.ctx, drafter)
	if err != nil || len(pending) != 1 || pending[0].State != "pending" {
		t.Fatalf("pending: %v %+v", err, pending)
	}
	if _, err := f.docs.SweepOrphans(f.ctx, 0); err != nil {
		t.Fatal(err)
	}
	w := notify.NewWorker(f.db, "test", f.svc.Handlers(), notify.WorkerOptions{RetryBase: time.Millisecond})
	if _, err := w.RunOnce(f.ctx); err != nil {
		t.Fatal(err)
	}
	if count(`SELECT count(*) FROM documents`) != docsBefore {
		t.Fatal("the job made a draft while the converter is down")
	}
	f.conv.mode.Store("ok")
	f.db.MustExec(`UPDATE jobs SET run_at = now()`)
	if _, err := w.RunOnce(f.ctx); err != nil {
		t.Fatal(err)
	}
	if count(`SELECT count(*) FROM documents`) != docsBefore+1 || count(`SELECT count(*) FROM pending_conversions WHERE state = 'done'`) != 1 {
		t.Fatal("the job did not make the draft")
	}
	if f.notes("chuyenvien.sgd", "draft.converted") != 1 {
		t.Error("the drafter was not told")
	}
	var id int64
	f.db.Get(&id, `SELECT result_id FROM pending_conversions`)
	if d, err := f.svc.Get(f.ctx, drafter, id); err != nil || d.Latest().Source == nil {
		t.Fatalf("converted draft: %v %+v", err, d)
	}
}

// TestTemplate: a draft from the template of its type, with the DOCX as
// the original; a type without template is a field error.
func TestTemplate(t *testing.T) {
	f := newFixture(t)
	drafter, leader := f.who("chuyenvien.sgd"), f.who("giamdoc.sgd")
	form := drafting.TemplateForm{DocType: "KH", Title: "Kế hoạch tuyển sinh lớp 10", Recipients: []string{"Như trên;", "Lưu: VT."},
		SignerID: leader.UserID}
	other := form
	other.DocType = "GGT" // a type without a template
	_, err := f.svc.CreateFromTemplate(f.ctx, drafter, other)
	wantField(t, err, "doc_type")
	var got doctemplate.Form
	f.svc.DOCX = func(u doctemplate.Unit, fm doctemplate.Form) ([]byte, error) {
		got = fm
		return []byte("DOCX of " + fm.Title), nil
	}
	d, err := f.svc.CreateFromTemplate(f.ctx, drafter, form)
	if err != nil {
		t.Fatal(err)
	}
	if got.Signer.Name != "Lê Hoài Nam" || got.Signer.Title != "GIÁM ĐỐC" || d.Latest().Source == nil || d.SignerID == nil {
		t.Fatalf("template: %+v %+v", got, d)
	}
	form.SignerID = drafter.UserID
	_, err = f.svc.CreateFromTemplate(f.ctx, drafter, form)
	wantField(t, err, "signer_id")
}
