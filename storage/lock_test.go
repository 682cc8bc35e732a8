package storage

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/minio/minio-go/v7"
)

// newLockedS3 creates a store on a fresh bucket with Object Lock. Objects
// the test locks must be retained for less than wait: the bucket is
// emptied and removed after it.
func newLockedS3(t *testing.T, env testenv.S3, wait time.Duration) *S3 {
	t.Helper()
	bucket := "vanban-lock-" + hex.EncodeToString(randBytes(t, 6))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o := s3Options(env, bucket)
	o.ObjectLock = true
	s, err := NewS3(ctx, o)
	if err != nil {
		t.Fatalf("NewS3 with Object Lock: %v", err)
	}
	start := time.Now()
	t.Cleanup(func() {
		time.Sleep(time.Until(start.Add(wait)))
		removeBucket(t, s)
	})
	return s
}

func TestS3LockConformance(t *testing.T) {
	env := testenv.RequireS3(t)
	runConformance(t, func(t *testing.T) Blobs {
		return newLockedS3(t, env, 0)
	})
}

func TestS3Lock(t *testing.T) {
	env := testenv.RequireS3(t)
	ctx := context.Background()
	const hold = 6 * time.Second
	s := newLockedS3(t, env, hold+2*time.Second)
	if err := s.LockSupport(ctx); err != nil {
		t.Fatalf("LockSupport on a bucket with Object Lock: %v", err)
	}
	data := randBytes(t, 3000)
	key := keyOf(t, data)
	mustPut(t, s, key, data)
	until := time.Now().Add(hold)
	if err := s.Lock(ctx, key, until); err != nil {
		t.Fatalf("Lock: %v", err)
	}
	// Locks extend, never shorten: asking for less is no error and no change.
	if err := s.Lock(ctx, key, until.Add(-time.Hour)); err != nil {
		t.Fatalf("Lock for a shorter time: %v", err)
	}
	oi, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := oi.Metadata.Get("X-Amz-Object-Lock-Mode"); m != "COMPLIANCE" {
		t.Errorf("lock mode %q, want COMPLIANCE", m)
	}
	got, err := time.Parse(time.RFC3339, oi.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date"))
	if err != nil || got.Before(until.Truncate(time.Second)) {
		t.Errorf("retained until %v (%v), want at least %v", got, err, until)
	}

	// The locked version cannot be deleted, by the store or by anyone with
	// the keys, nor its bytes replaced.
	if err := s.Delete(ctx, key); !errors.Is(err, ErrLocked) {
		t.Errorf("Delete of a locked object = %v, want ErrLocked", err)
	}
	err = s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{VersionID: oi.VersionID})
	if err == nil {
		t.Error("RemoveObject of the locked version succeeded")
	}
	err = s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{VersionID: oi.VersionID, GovernanceBypass: true})
	if err == nil {
		t.Error("RemoveObject of the locked version with governance bypass succeeded")
	}
	evil := []byte("tampered")
	if _, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(evil), int64(len(evil)), minio.PutObjectOptions{}); err != nil {
		t.Logf("PutObject over the locked key refused: %v", err)
	}
	rc, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{VersionID: oi.VersionID})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(kept, data) {
		t.Errorf("the locked version reads %d bytes (%v), want the %d stored", len(kept), err, len(data))
	}

	// Once the retention has passed, the object may go.
	time.Sleep(time.Until(until.Add(1500 * time.Millisecond)))
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("Delete after the retention: %v", err)
	}
}

func TestS3LockUnsupported(t *testing.T) {
	env := testenv.RequireS3(t)
	ctx := context.Background()
	s := newTestS3(t, env)
	err := s.LockSupport(ctx)
	if err == nil || !strings.Contains(err.Error(), "Object Lock") {
		t.Fatalf("LockSupport on a bucket without Object Lock = %v, want a reason naming Object Lock", err)
	}
	data := randBytes(t, 100)
	key := keyOf(t, data)
	mustPut(t, s, key, data)
	if err := s.Lock(ctx, key, time.Now().Add(time.Minute)); err == nil {
		t.Error("Lock on a bucket without Object Lock succeeded")
	}
}

func TestLocalLock(t *testing.T) {
	ctx := context.Background()
	l := newTestLocal(t)
	if err := l.LockSupport(ctx); !errors.Is(err, ErrLockLocalOnly) {
		t.Errorf("LockSupport = %v, want ErrLockLocalOnly", err)
	}
	data := randBytes(t, 100)
	key := keyOf(t, data)
	mustPut(t, l, key, data)
	until := time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := l.Lock(ctx, key, until); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(l.path(key))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o444 {
		t.Errorf("locked file mode %v, want 0444", fi.Mode().Perm())
	}
	if err := l.Delete(ctx, key); !errors.Is(err, ErrLocked) {
		t.Errorf("Delete of a locked object = %v, want ErrLocked", err)
	}
	if got := readRange(t, l, key, 0, -1); !bytes.Equal(got, data) {
		t.Error("the locked object changed")
	}
	if err := l.Lock(ctx, key, until.AddDate(-5, 0, 0)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(l.dir, locksDir, filepath.FromSlash(key)))
	if err != nil || strings.TrimSpace(string(b)) != "2036-01-01T00:00:00Z" {
		t.Errorf("lock journal = %q (%v), want the longer date kept", b, err)
	}
	if keys := listKeys(t, l, ""); len(keys) != 1 || keys[0] != key {
		t.Errorf("List = %v, want only %s (not the journal)", keys, key)
	}
	if err := l.Lock(ctx, keyOf(t, []byte("missing")), until); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Lock of a missing object = %v, want ErrNotExist", err)
	}
}

// A bucket made with Object Lock keeps its versioned deletes when the
// store is opened again without ObjectLock.
func TestS3ExistingLockedBucket(t *testing.T) {
	env := testenv.RequireS3(t)
	ctx := context.Background()
	s := newLockedS3(t, env, 0)
	again, err := NewS3(ctx, s3Options(env, s.bucket))
	if err != nil {
		t.Fatal(err)
	}
	data := randBytes(t, 100)
	key := keyOf(t, data)
	mustPut(t, again, key, data)
	if err := again.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	n := 0
	for oi := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
		if oi.Err != nil {
			t.Fatal(oi.Err)
		}
		n++
	}
	if n != 0 {
		t.Errorf("%d versions or delete markers left after Delete, want none", n)
	}
}
