package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/database"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/storage"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Backup and restore as a tested function (Decree 30, Appendix VI
// III.5.g): signed documents in one instance (PostgreSQL and an S3 bucket)
// are backed up by scripts/backup.sh, restored by scripts/restore.sh into
// a new database and a new bucket, and `vanban check` finds every hash and
// every signature valid there; then it names an object changed in the copy.
func TestBackupAndRestore(t *testing.T) {
	s3 := testenv.RequireS3(t)
	adminURL := testenv.DatabaseURL(t)
	ctx := context.Background()
	db, dbURL := testenv.NewDB(t)
	mc, err := minio.New(s3.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s3.AccessKey, s3.SecretKey, ""),
		Secure: s3.UseSSL, Region: s3.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	suffix := randHex(5)
	source, target := "vanban-backup-"+suffix, "vanban-restore-"+suffix
	for _, b := range []string{source, target} {
		t.Cleanup(func() { dropBucket(t, mc, b) })
	}

	// The instance: the demo organisation, its development keys, and
	// documents signed by the director (his signature and the seal).
	blobs, err := storage.NewS3(ctx, storage.S3Options{Endpoint: s3.Endpoint, Bucket: source, AccessKey: s3.AccessKey,
		SecretKey: s3.SecretKey, Region: s3.Region, UseSSL: s3.UseSSL})
	if err != nil {
		t.Fatal(err)
	}
	users := auth.NewService(db, time.Hour)
	if _, err := demo.Seed(ctx, org.NewStore(db), users, "mật-khẩu-thử-nghiệm-1", 0); err != nil {
		t.Fatal(err)
	}
	docs, err := documents.NewService(db, blobs, t.TempDir(), 32<<20)
	if err != nil {
		t.Fatal(err)
	}
	keys := t.TempDir()
	if err := demo.EnableDevSigning(ctx, keys, users, docs, 64<<20); err != nil {
		t.Fatal(err)
	}
	clerk, _ := users.PrincipalByUsername(ctx, "vanthu.sgd")
	director, _ := users.PrincipalByUsername(ctx, "giamdoc.sgd")
	var signedKeys []string
	for i := range 3 {
		up, err := docs.Spool(ctx, bytes.NewReader(testenv.PDF(3000+i*1000, uint64(100+i))), "Kế hoạch.pdf")
		if err != nil {
			t.Fatal(err)
		}
		d, err := docs.Create(ctx, clerk, documents.Meta{DocType: "KH", Title: fmt.Sprintf("Kế hoạch %d", i+1), DocDate: "2026-11-20"}, up)
		up.Close()
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			break // an unsigned draft too
		}
		d, err = docs.SignAsPerson(ctx, director, d.ID, documents.SignRequest{VersionSHA256: d.Versions[0].SHA256})
		if err != nil {
			t.Fatal(err)
		}
		signedKeys = append(signedKeys, d.Versions[0].ObjectKey)
	}
	var versions, signed int
	db.Get(&versions, `SELECT count(*) FROM document_versions`)
	db.Get(&signed, `SELECT count(DISTINCT (document_id, version_no)) FROM document_signatures`)
	if signed < 2 {
		t.Fatalf("%d signed versions to back up, want at least 2", signed)
	}

	bin := filepath.Join(t.TempDir(), "vanban")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	root, _ := filepath.Abs("../..")
	env := func(dbURL, bucket string) []string {
		e := []string{"DATABASE_URL=" + dbURL, "S3_ENDPOINT=" + s3.Endpoint, "S3_BUCKET=" + bucket,
			"S3_ACCESS_KEY=" + s3.AccessKey, "S3_SECRET_KEY=" + s3.SecretKey, "S3_REGION=" + s3.Region,
			"S3_USE_SSL=" + strconv.FormatBool(s3.UseSSL), "SIGNING_KEYS_DIR=" + keys, "DATA_DIR=" + t.TempDir(),
			"LOG_LEVEL=error", "VANBAN=" + bin}
		for _, k := range []string{"PATH", "HOME", "TMPDIR", "PG_BINDIR"} {
			if v, ok := os.LookupEnv(k); ok {
				e = append(e, k+"="+v)
			}
		}
		return e
	}
	run := func(env []string, name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = root, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	dest := t.TempDir()
	if out, err := run(env(dbURL, source), "bash", "scripts/backup.sh", dest); err != nil {
		t.Fatalf("backup.sh: %v\n%s", err, out)
	}
	// A second run copies no object again.
	if out, err := run(env(dbURL, source), "bash", "scripts/backup.sh", dest); err != nil || !strings.Contains(out, "0 objects copied") {
		t.Fatalf("backup.sh again: %v\n%s", err, out)
	}

	// A new, empty database and a new bucket.
	restoreURL := emptyDatabase(t, adminURL, "vanban_restore_"+suffix)
	out, err := run(env(restoreURL, target), "bash", "scripts/restore.sh", dest)
	if err != nil {
		t.Fatalf("restore.sh: %v\n%s", err, out)
	}
	want := fmt.Sprintf("%d signed versions verified", signed)
	if !strings.Contains(out, want) || !strings.Contains(out, "; 0 fault(s)") || strings.Contains(out, "FAULT") {
		t.Fatalf("restore.sh's check does not say %q with no fault:\n%s", want, out)
	}
	if out, err := run(env(restoreURL, target), "bash", "scripts/restore.sh", dest); err == nil || !strings.Contains(out, "empty database") {
		t.Errorf("restore.sh into a database already restored: %v\n%s", err, out)
	}

	// The restored instance, checked in-process too: every object, every
	// signature, against the development root only.
	rdb, err := database.Open(ctx, restoreURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	rblobs, err := storage.NewS3(ctx, storage.S3Options{Endpoint: s3.Endpoint, Bucket: target, AccessKey: s3.AccessKey,
		SecretKey: s3.SecretKey, Region: s3.Region, UseSSL: s3.UseSSL})
	if err != nil {
		t.Fatal(err)
	}
	roots, err := signing.LoadDevRoots(keys)
	if err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	sum, err := runCheck(ctx, rdb, rblobs, checkOptions{Roots: roots, MaxBytes: 64 << 20}, &report)
	if err != nil || len(sum.Faults) != 0 || sum.Signed != signed || sum.Objects < versions {
		t.Fatalf("check of the restored instance = %+v, %v (want %d signed, %d versions at least)\n%s", sum, err, signed, versions, report.String())
	}

	// One object changed in the copy: the check names it and fails.
	var doc, no int64
	if err := rdb.Get(&doc, `SELECT document_id FROM document_versions WHERE object_key = $1`, signedKeys[0]); err != nil {
		t.Fatal(err)
	}
	rdb.Get(&no, `SELECT version_no FROM document_versions WHERE object_key = $1`, signedKeys[0])
	evil := testenv.PDF(3000, 999)
	if _, err := mc.PutObject(ctx, target, signedKeys[0], bytes.NewReader(evil), int64(len(evil)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	out, err = run(env(restoreURL, target), bin, "check", "--quiet")
	name := fmt.Sprintf("FAULT document %d version %d (%s): SHA-256", doc, no, signedKeys[0])
	if err == nil || !strings.Contains(out, name) || !strings.Contains(out, "; 1 fault(s)") {
		t.Fatalf("check after changing an object: %v, want a failure naming %q:\n%s", err, name, out)
	}
	t.Logf("restore checked: %d objects, %d signed versions; then the changed object named:\n%s", sum.Objects, sum.Signed, out)
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// emptyDatabase creates a database with nothing in it, dropped at cleanup.
func emptyDatabase(t *testing.T, adminURL, name string) string {
	t.Helper()
	admin, err := database.Open(context.Background(), adminURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a, err := database.Open(context.Background(), adminURL, 1)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	u, _ := url.Parse(adminURL)
	u.Path = "/" + name
	return u.String()
}

func dropBucket(t *testing.T, mc *minio.Client, bucket string) {
	ctx := context.Background()
	if ok, _ := mc.BucketExists(ctx, bucket); !ok {
		return
	}
	for oi := range mc.ListObjectsIter(ctx, bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
		if oi.Err == nil {
			mc.RemoveObject(ctx, bucket, oi.Key, minio.RemoveObjectOptions{VersionID: oi.VersionID})
		}
	}
	if err := mc.RemoveBucket(ctx, bucket); err != nil {
		t.Logf("remove bucket %s: %v", bucket, err)
	}
}
