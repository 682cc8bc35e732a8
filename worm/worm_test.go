package worm

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/prometheus/client_golang/prometheus"
)

func randBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// put stores data under its content key.
func put(t *testing.T, s storage.Blobs, data []byte) string {
	t.Helper()
	sum := sha256.Sum256(data)
	key, err := storage.KeyFor(hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	return key
}

// seed makes a unit with an administrator and a document whose version is
// key; it returns the administrator's and the document's ids.
func seed(t *testing.T, db *sqlx.DB, key string) (admin, doc int64) {
	t.Helper()
	db.MustExec(`INSERT INTO units (code, name, abbreviation, kind) VALUES ('000.00.24.H29', 'Sở', 'SGDĐT', 'department')`)
	db.MustExec(`INSERT INTO users (username, full_name, unit_id, roles, password_hash) VALUES
		('vanthu', 'Văn thư', 1, '{clerk}', 'x'), ('quantri', 'Quản trị', 1, '{admin}', 'x')`)
	if err := db.Get(&doc, `INSERT INTO documents (unit_id, doc_type, title, doc_date, urgency, confidentiality, status, created_by)
		VALUES (1, 'KH', 'Kế hoạch', '2026-11-20', 'thuong', 'thuong', 'draft', 1) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	db.MustExec(`INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, created_by)
		VALUES ($1, 1, $2, $3, 1, 'application/pdf', 'a.pdf', 1)`, doc, key, SumOfKey(key))
	db.Get(&admin, `SELECT id FROM users WHERE username = 'quantri'`)
	return admin, doc
}

// faults reads the fault metric of kind through a registry, as /metrics would.
func faults(t *testing.T, s *Store, kind string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := s.Register(reg); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if mf.GetName() == "vanban_archive_object_faults_total" && l.GetName() == "kind" && l.GetValue() == kind {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

type lockRow struct {
	Key         string     `db:"object_key"`
	RetainUntil time.Time  `db:"retain_until"`
	Mode        string     `db:"mode"`
	CheckedAt   *time.Time `db:"last_checked_at"`
	OK          *bool      `db:"last_ok"`
	Error       string     `db:"last_error"`
}

func row(t *testing.T, db *sqlx.DB, key string) lockRow {
	t.Helper()
	var r lockRow
	if err := db.Get(&r, `SELECT object_key, retain_until, mode, last_checked_at, last_ok, last_error FROM locked_objects WHERE object_key = $1`, key); err != nil {
		t.Fatalf("locked_objects row of %s: %v", key, err)
	}
	return r
}

func TestLocalRefusedUnlessAccepted(t *testing.T) {
	db, _ := testenv.NewDB(t)
	blobs, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s := New(db, blobs, nil, false)
	err = s.Check(ctx)
	var u *Unsupported
	if !errors.As(err, &u) || !errors.Is(err, storage.ErrLockLocalOnly) ||
		!strings.Contains(err.Error(), "không tự khóa") || !strings.Contains(err.Error(), "ARCHIVE_ACCEPT_LOCAL_WORM") {
		t.Fatalf("Check on the local store = %v, want a Vietnamese and English reason", err)
	}
	key := put(t, blobs, []byte("a document"))
	if err := s.Freeze(ctx, []string{key}, time.Now().AddDate(10, 0, 0)); !errors.As(err, &u) {
		t.Errorf("Freeze on the local store = %v, want *Unsupported", err)
	}
	var n int
	db.Get(&n, `SELECT count(*) FROM locked_objects`)
	if n != 0 {
		t.Errorf("%d objects recorded as locked after a refused Freeze", n)
	}
}

func TestLocalFreezeAndCheck(t *testing.T) {
	db, _ := testenv.NewDB(t)
	dir := t.TempDir()
	blobs, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s := New(db, blobs, notify.NewStore(db, false), true)
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check with the local fallback accepted: %v", err)
	}
	good := put(t, blobs, randBytes(t, 5000))
	bad := put(t, blobs, randBytes(t, 7000))
	gone := put(t, blobs, randBytes(t, 100))
	admin, doc := seed(t, db, bad)
	until := time.Date(2036, 12, 31, 0, 0, 0, 0, time.UTC)
	if err := s.Freeze(ctx, []string{good, bad, gone, good}, until); err != nil {
		t.Fatal(err)
	}
	// Freezing again for less keeps the longer retention.
	if err := s.Freeze(ctx, []string{good}, until.AddDate(-5, 0, 0)); err != nil {
		t.Fatal(err)
	}
	r := row(t, db, good)
	if r.Mode != ModeLocal || !r.RetainUntil.Equal(until) || r.CheckedAt != nil {
		t.Errorf("row after Freeze = %+v, want local, until %v, not checked", r, until)
	}
	fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(good)))
	if err != nil || fi.Mode().Perm() != 0o444 {
		t.Errorf("frozen file mode %v (%v), want 0444", fi.Mode().Perm(), err)
	}
	if err := blobs.Delete(ctx, good); !errors.Is(err, storage.ErrLocked) {
		t.Errorf("Delete of a frozen object = %v, want ErrLocked", err)
	}

	sum, err := s.VerifyDue(ctx)
	if err != nil || sum.Checked != 3 || len(sum.Faults) != 0 {
		t.Fatalf("first check = %+v, %v; want 3 checked, no fault", sum, err)
	}
	if sum, _ := s.VerifyDue(ctx); sum.Checked != 0 {
		t.Errorf("a second check at once re-read %d objects, want none before the interval", sum.Checked)
	}

	// Someone with access to the disk changes one file and removes another.
	p := filepath.Join(dir, filepath.FromSlash(bad))
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, filepath.FromSlash(gone)))

	s.now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	s.BatchSize = 2 // three objects in two batches
	sum, err = s.VerifyDue(ctx)
	if err != nil || sum.Checked != 3 || len(sum.Faults) != 2 {
		t.Fatalf("check after tampering = %+v, %v; want 3 checked, 2 faults", sum, err)
	}
	if r := row(t, db, bad); r.OK == nil || *r.OK || !strings.Contains(r.Error, "SHA-256") {
		t.Errorf("row of the changed object = %+v, want not ok with the SHA-256", r)
	}
	if r := row(t, db, gone); r.OK == nil || *r.OK || !strings.Contains(r.Error, "missing") {
		t.Errorf("row of the removed object = %+v, want not ok, missing", r)
	}
	if r := row(t, db, good); r.OK == nil || !*r.OK || r.Error != "" {
		t.Errorf("row of the intact object = %+v, want ok", r)
	}
	if faults(t, s, FaultMismatch) != 1 || faults(t, s, FaultMissing) != 1 {
		t.Errorf("fault metric: mismatch %v, missing %v; want 1 and 1", faults(t, s, FaultMismatch), faults(t, s, FaultMissing))
	}
	var actions []string
	db.Select(&actions, `SELECT action || ':' || coalesce(document_id::text, '-') FROM audit_log ORDER BY action`)
	if strings.Join(actions, " ") != "archive.object_mismatch:"+itoa(doc)+" archive.object_missing:-" {
		t.Errorf("audit = %v, want the mismatch on document %d and the missing object", actions, doc)
	}
	var told []string
	db.Select(&told, `SELECT user_id || ':' || coalesce(document_id::text, '-') FROM notifications ORDER BY document_id NULLS LAST`)
	if len(told) != 2 || told[0] != itoa(admin)+":"+itoa(doc) || told[1] != itoa(admin)+":-" {
		t.Errorf("notifications = %v, want the administrator told of both", told)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func minioClient(t *testing.T, env testenv.S3) *minio.Client {
	mc, err := minio.New(env.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(env.AccessKey, env.SecretKey, ""),
		Secure: env.UseSSL, Region: env.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	return mc
}

// newBucket creates a store on a fresh bucket, with Object Lock or not,
// removed at cleanup once after (objects the test locks must be retained
// no longer).
func newBucket(t *testing.T, env testenv.S3, lock bool, after time.Duration) (*storage.S3, string) {
	t.Helper()
	bucket := "vanban-worm-" + hex.EncodeToString(randBytes(t, 5))
	s, err := storage.NewS3(context.Background(), storage.S3Options{Endpoint: env.Endpoint, Bucket: bucket,
		AccessKey: env.AccessKey, SecretKey: env.SecretKey, Region: env.Region, UseSSL: env.UseSSL, ObjectLock: lock})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	t.Cleanup(func() {
		time.Sleep(time.Until(start.Add(after)))
		ctx := context.Background()
		mc := minioClient(t, env)
		for oi := range mc.ListObjectsIter(ctx, bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
			if err := mc.RemoveObject(ctx, bucket, oi.Key, minio.RemoveObjectOptions{VersionID: oi.VersionID}); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
		if err := mc.RemoveBucket(ctx, bucket); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return s, bucket
}

func TestS3Refused(t *testing.T) {
	env := testenv.RequireS3(t)
	db, _ := testenv.NewDB(t)
	ctx := context.Background()
	blobs, _ := newBucket(t, env, false, 0)
	// Accepting the local fallback does not accept an S3 bucket without lock.
	s := New(db, blobs, nil, true)
	err := s.Check(ctx)
	var u *Unsupported
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "Object Lock") || !strings.Contains(err.Error(), "S3_OBJECT_LOCK") {
		t.Fatalf("Check on a bucket without Object Lock = %v, want the reason", err)
	}
	key := put(t, blobs, []byte("a document"))
	if err := s.Freeze(ctx, []string{key}, time.Now().Add(time.Hour)); !errors.As(err, &u) {
		t.Errorf("Freeze = %v, want *Unsupported", err)
	}
}

func TestS3FreezeAndCheck(t *testing.T) {
	env := testenv.RequireS3(t)
	db, _ := testenv.NewDB(t)
	ctx := context.Background()
	const hold = 8 * time.Second
	blobs, bucket := newBucket(t, env, true, hold+2*time.Second)
	s := New(db, blobs, notify.NewStore(db, false), false)
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check on a bucket with Object Lock: %v", err)
	}
	data := randBytes(t, 20000)
	key := put(t, blobs, data)
	admin, doc := seed(t, db, key)
	if err := s.Freeze(ctx, []string{key}, time.Now().Add(hold)); err != nil {
		t.Fatal(err)
	}
	if r := row(t, db, key); r.Mode != ModeObjectLock {
		t.Errorf("mode %q, want object_lock", r.Mode)
	}
	if sum, err := s.VerifyDue(ctx); err != nil || sum.Checked != 1 || len(sum.Faults) != 0 {
		t.Fatalf("check = %+v, %v; want 1 checked, no fault", sum, err)
	}

	// Whoever holds the bucket's keys cannot remove the locked version...
	mc := minioClient(t, env)
	oi, err := mc.StatObject(ctx, bucket, key, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := mc.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{VersionID: oi.VersionID}); err == nil {
		t.Fatal("RemoveObject of the locked version succeeded")
	}
	if err := mc.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{VersionID: oi.VersionID, GovernanceBypass: true}); err == nil {
		t.Fatal("RemoveObject of the locked version with governance bypass succeeded")
	}
	// ...and writing over the key only adds a newer version, which the
	// check reports, while the locked one keeps its bytes.
	evil := []byte("tampered")
	if _, err := mc.PutObject(ctx, bucket, key, bytes.NewReader(evil), int64(len(evil)), minio.PutObjectOptions{}); err != nil {
		t.Logf("PutObject over the key: %v", err)
	}
	s.now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	sum, err := s.VerifyDue(ctx)
	if err != nil || len(sum.Faults) != 1 || sum.Faults[0].Kind != FaultMismatch {
		t.Fatalf("check after overwriting = %+v, %v; want one mismatch", sum, err)
	}
	rc, err := mc.GetObject(ctx, bucket, key, minio.GetObjectOptions{VersionID: oi.VersionID})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(kept, data) {
		t.Errorf("the locked version reads %d bytes (%v), want the %d frozen", len(kept), err, len(data))
	}
	var n int
	db.Get(&n, `SELECT count(*) FROM notifications WHERE user_id = $1 AND document_id = $2 AND kind = 'archive.object_fault'`, admin, doc)
	if n != 1 {
		t.Errorf("%d notifications to the administrator, want 1", n)
	}
}
