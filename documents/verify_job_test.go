package documents

import (
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"log/slog"
	"testing"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
)

// verifyEnv is a Service with verification on, on a fresh database with one
// unit and its clerk.
func verifyEnv(t *testing.T) (*Service, *sqlx.DB, auth.Principal) {
	t.Helper()
	db, _ := testenv.NewDB(t)
	blobs, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewService(db, blobs, t.TempDir(), 32<<20)
	if err != nil {
		t.Fatal(err)
	}
	s.EnableSigning(SigningDeps{Roots: x509.NewCertPool(), MaxBytes: 32 << 20})
	p := auth.Principal{FullName: "Nguyễn Thị Minh Khai", UnitName: "Sở Giáo dục và Đào tạo", Roles: []string{auth.RoleClerk}}
	if err := db.Get(&p.UnitID, `INSERT INTO units (code, name, abbreviation, kind) VALUES ('000.00.00.G01', 'Sở Giáo dục và Đào tạo', 'SGDĐT', 'department') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&p.UserID, `INSERT INTO users (username, full_name, unit_id, roles, password_hash) VALUES ('vanthu', $1, $2, '{clerk}', 'x') RETURNING id`, p.FullName, p.UnitID); err != nil {
		t.Fatal(err)
	}
	return s, db, p
}

func (s *Service) createForTest(t *testing.T, p auth.Principal, seed uint64) Document {
	t.Helper()
	ctx := context.Background()
	up, err := s.Spool(ctx, bytes.NewReader(testenv.PDF(4000, seed)), "ke-hoach.pdf")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	d, err := s.Create(ctx, p, Meta{DocType: "KH", Title: "Kế hoạch chuyển đổi số năm học 2026-2027", DocDate: "2026-09-05"}, up)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func reportCount(t *testing.T, db *sqlx.DB, id int64) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM verification_reports WHERE document_id = $1 AND version_no = 1`, id); err != nil {
		t.Fatal(err)
	}
	return n
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// A new document's verification is a job queued with it: a worker, on any
// instance, stores the report.
func TestVerifyJob(t *testing.T) {
	s, db, p := verifyEnv(t)
	ctx := context.Background()
	d := s.createForTest(t, p, 1)
	var state string
	if err := db.Get(&state, `SELECT state FROM jobs WHERE kind = $1 AND payload->>'document_id' = $2`, JobVerifyVersion, d.ID); err != nil {
		t.Fatalf("no verification job queued with the document: %v", err)
	}
	if state != "queued" || reportCount(t, db, d.ID) != 0 {
		t.Fatalf("job %s, %d reports before any worker ran; want queued, 0", state, reportCount(t, db, d.ID))
	}
	w := notify.NewWorker(db, "other-instance", s.Handlers(), notify.WorkerOptions{Logger: quiet})
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v; want 1 job", n, err)
	}
	if reportCount(t, db, d.ID) != 1 {
		t.Fatal("no verification report after the job ran")
	}
	if err := db.Get(&state, `SELECT state FROM jobs WHERE kind = $1`, JobVerifyVersion); err != nil || state != "done" {
		t.Fatalf("job state %q, %v; want done", state, err)
	}
	v, err := s.Verification(ctx, p, d.ID, 1)
	if err != nil || v.Report.SignatureFields != 0 {
		t.Fatalf("Verification = %+v, %v", v, err)
	}
}

// A job left running by an instance that died is taken again once its
// lease is over, and the report still appears.
func TestVerifyJobAfterDeadWorker(t *testing.T) {
	s, db, p := verifyEnv(t)
	ctx := context.Background()
	d := s.createForTest(t, p, 2)
	if _, err := db.Exec(`UPDATE jobs SET state = 'running', attempts = 1, locked_by = 'dead-instance',
		locked_until = now() + interval '1 hour' WHERE kind = $1`, JobVerifyVersion); err != nil {
		t.Fatal(err)
	}
	w := notify.NewWorker(db, "survivor", s.Handlers(), notify.WorkerOptions{Logger: quiet})
	if n, err := w.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce during the dead worker's lease = %d, %v; want 0", n, err)
	}
	if _, err := db.Exec(`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE kind = $1`, JobVerifyVersion); err != nil {
		t.Fatal(err)
	}
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce after the lease = %d, %v; want 1", n, err)
	}
	if reportCount(t, db, d.ID) != 1 {
		t.Fatal("no verification report after the job was taken again")
	}
	var row struct {
		State    string `db:"state"`
		By       string `db:"locked_by"`
		Attempts int    `db:"attempts"`
	}
	if err := db.Get(&row, `SELECT state, locked_by, attempts FROM jobs WHERE kind = $1`, JobVerifyVersion); err != nil {
		t.Fatal(err)
	}
	if row.State != "done" || row.By != "survivor" || row.Attempts != 2 {
		t.Fatalf("job = %+v; want done by survivor on attempt 2", row)
	}
}

// Without signing nothing is queued, as nothing was verified before.
func TestVerifyJobSigningOff(t *testing.T) {
	s, db, p := verifyEnv(t)
	s.sign = nil
	d := s.createForTest(t, p, 3)
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM jobs WHERE kind = $1`, JobVerifyVersion); err != nil || n != 0 {
		t.Fatalf("%d jobs, %v; want none for document %d", n, err, d.ID)
	}
}
