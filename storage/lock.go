package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// Locker is offered by stores that can make objects write-once (WORM):
// archived documents must outlive any mistake or attack on the service.
type Locker interface {
	// LockSupport returns nil when Lock is enforced by the store itself,
	// else an error that says why not.
	LockSupport(ctx context.Context) error
	// Lock keeps key from being deleted or overwritten until at least
	// until. A key already locked for longer stays so: locks only extend.
	Lock(ctx context.Context, key string, until time.Time) error
}

// ErrLockLocalOnly is returned by the local store's LockSupport: its
// read-only files stop mistakes, not an administrator of the machine.
var ErrLockLocalOnly = errors.New("storage: the local store cannot enforce WORM: its read-only files can be changed by whoever administers the machine")

// ErrLocked is returned when deleting an object that is locked.
var ErrLocked = errors.New("storage: object is locked (WORM)")

var (
	_ Locker = (*S3)(nil)
	_ Locker = (*Local)(nil)
)

// LockSupport checks that the bucket was created with Object Lock.
func (s *S3) LockSupport(ctx context.Context) error {
	enabled, _, _, _, err := s.client.GetObjectLockConfig(ctx, s.bucket)
	if err != nil {
		resp := minio.ToErrorResponse(err)
		if resp.Code == "ObjectLockConfigurationNotFoundError" || strings.Contains(err.Error(), "does not exist") {
			return fmt.Errorf("storage: %s has no Object Lock: S3 allows it only on a bucket created with it (S3_OBJECT_LOCK=true creates a missing bucket so; an existing bucket must be replaced): %v", s.where, err)
		}
		return s.fail(ctx, "read the Object Lock configuration of", s.bucket, err)
	}
	if enabled != "Enabled" {
		return fmt.Errorf("storage: %s has Object Lock %q, not Enabled", s.where, enabled)
	}
	return nil
}

// Lock sets compliance-mode retention on the current version of key, unless
// it is already retained in compliance mode until then or later: S3 refuses
// to shorten it anyway.
func (s *S3) Lock(ctx context.Context, key string, until time.Time) error {
	if err := checkKey(key); err != nil {
		return err
	}
	until = until.UTC().Truncate(time.Second).Add(time.Second) // never a moment short
	oi, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return s.fail(ctx, "lock", key, err)
	}
	// versitygw's reply to GetObjectRetention does not parse in minio-go;
	// HEAD carries the same two headers everywhere.
	if mode := oi.Metadata.Get("X-Amz-Object-Lock-Mode"); mode == string(minio.Compliance) {
		if cur, err := time.Parse(time.RFC3339, oi.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date")); err == nil && !cur.Before(until) {
			return nil
		}
	}
	mode := minio.Compliance
	err = s.client.PutObjectRetention(ctx, s.bucket, key, minio.PutObjectRetentionOptions{
		Mode: &mode, RetainUntilDate: &until, VersionID: oi.VersionID,
	})
	if err != nil {
		return s.fail(ctx, "lock", key, err)
	}
	return nil
}

// deleteVersions removes every version of key from a bucket with Object
// Lock (always versioned), where a plain delete only hides the object
// behind a delete marker and keeps its bytes. A locked version is refused
// by the server, and so is the delete.
func (s *S3) deleteVersions(ctx context.Context, key string) error {
	for oi := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
		if oi.Err != nil {
			return s.fail(ctx, "delete", key, oi.Err)
		}
		if oi.Key != key {
			continue
		}
		vid := oi.VersionID
		if vid == "null" {
			vid = "" // a server without versioning (versitygw with no --versioning-dir) lists one
		}
		err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{VersionID: vid})
		if err != nil && !isNotFound(err) {
			if minio.ToErrorResponse(err).StatusCode == 403 {
				return fmt.Errorf("%w: unable to delete %s: %v", ErrLocked, key, err)
			}
			return s.fail(ctx, "delete", key, err)
		}
	}
	return nil
}

// locksDir holds the local store's journal of locks; List skips it, as
// checkKey refuses names starting with a dot.
const locksDir = ".locks"

// LockSupport says the local store cannot enforce WORM (ErrLockLocalOnly):
// an operator may accept that with ARCHIVE_ACCEPT_LOCAL_WORM.
func (l *Local) LockSupport(ctx context.Context) error {
	return ErrLockLocalOnly
}

// Lock makes the object's file read-only (0444), which Delete then refuses
// to remove, and records until in a journal file next to the objects.
func (l *Local) Lock(ctx context.Context, key string, until time.Time) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage: unable to lock %s: %w", key, err)
	}
	p := l.path(key)
	fi, err := os.Lstat(p)
	if err != nil {
		return fmt.Errorf("storage: unable to lock %s: %w", key, fixNotExist(err))
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("storage: unable to lock %s: %w", key, ErrNotExist)
	}
	if err := os.Chmod(p, 0o444); err != nil {
		return fmt.Errorf("storage: unable to lock %s: %w", key, err)
	}
	j := filepath.Join(l.dir, locksDir, filepath.FromSlash(key))
	if b, err := os.ReadFile(j); err == nil {
		if cur, err := time.Parse(time.RFC3339, strings.TrimSpace(string(b))); err == nil && !cur.Before(until) {
			return nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(j), 0o750); err != nil {
		return fmt.Errorf("storage: unable to record the lock of %s: %w", key, err)
	}
	tmp := j + ".new"
	if err := os.WriteFile(tmp, []byte(until.UTC().Format(time.RFC3339)+"\n"), 0o640); err != nil {
		return fmt.Errorf("storage: unable to record the lock of %s: %w", key, err)
	}
	if err := os.Rename(tmp, j); err != nil {
		return fmt.Errorf("storage: unable to record the lock of %s: %w", key, err)
	}
	return nil
}

// lockedFile reports whether the local object's file was locked: no one
// may write it.
func lockedFile(fi fs.FileInfo) bool {
	return fi.Mode().Perm()&0o222 == 0
}
