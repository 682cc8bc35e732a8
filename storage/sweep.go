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

// Incomplete is an upload that was started and neither finished nor
// aborted, which a process killed during Put leaves behind: a multipart
// upload on S3, a temporary file on the local store.
type Incomplete struct {
	Key     string    // the object key being stored; "" when the store cannot tell
	ID      string    // the store's name for the upload
	Started time.Time // when it began (S3) or was last written to (local)
	Size    int64     // bytes it holds (0 when the store does not say)
}

// Sweeper is offered by stores where an interrupted Put leaves debris.
type Sweeper interface {
	// Incomplete calls fn for every unfinished upload of one of our keys.
	Incomplete(ctx context.Context, fn func(Incomplete) error) error
	// Abort removes what the upload left; a missing one is not an error.
	Abort(ctx context.Context, u Incomplete) error
}

var (
	_ Sweeper = (*Local)(nil)
	_ Sweeper = (*S3)(nil)
)

// tempPrefix starts the name of every temporary file Put writes; the key
// follows, with "+" for "/" (a character keys never hold), when it fits in
// a file name, so that a sweeper can tell whose upload a leftover was.
const tempPrefix = "put-"

// maxKeyInName keeps temporary file names under NAME_MAX (255).
const maxKeyInName = 200

func tempPattern(key string) string {
	if len(key) > maxKeyInName {
		return tempPrefix + "*"
	}
	return tempPrefix + strings.ReplaceAll(key, "/", "+") + "-*"
}

// keyOfTemp returns the key a temporary file name carries, or "".
func keyOfTemp(name string) string {
	rest, ok := strings.CutPrefix(name, tempPrefix)
	if !ok {
		return ""
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return ""
	}
	key := strings.ReplaceAll(rest[:i], "+", "/")
	if checkKey(key) != nil {
		return ""
	}
	return key
}

// ownTemp reports whether name is one of the temporary files this package
// writes in the store's temporary folder (Put and Ping).
func ownTemp(name string) bool {
	return (strings.HasPrefix(name, tempPrefix) || strings.HasPrefix(name, "ping-")) &&
		!strings.ContainsAny(name, `/\`) && name != "." && name != ".."
}

// Incomplete calls fn for the temporary files of Puts that did not finish.
func (l *Local) Incomplete(ctx context.Context, fn func(Incomplete) error) error {
	entries, err := os.ReadDir(l.tmp)
	if err != nil {
		return fmt.Errorf("storage: unable to list %s: %w", l.tmp, err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("storage: unable to list %s: %w", l.tmp, err)
		}
		if !e.Type().IsRegular() || !ownTemp(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // finished or removed meanwhile
		}
		if err != nil {
			return fmt.Errorf("storage: unable to list %s: %w", l.tmp, err)
		}
		if err := fn(Incomplete{Key: keyOfTemp(e.Name()), ID: e.Name(), Started: fi.ModTime(), Size: fi.Size()}); err != nil {
			return err
		}
	}
	return nil
}

// Abort removes the temporary file of an unfinished Put.
func (l *Local) Abort(ctx context.Context, u Incomplete) error {
	if !ownTemp(u.ID) {
		return fmt.Errorf("storage: unable to abort %q: not a temporary file of the store", u.ID)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage: unable to abort %s: %w", u.ID, err)
	}
	if err := os.Remove(filepath.Join(l.tmp, u.ID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: unable to abort %s: %w", u.ID, err)
	}
	return nil
}

// Incomplete calls fn for the multipart uploads of our keys that were
// neither completed nor aborted.
func (s *S3) Incomplete(ctx context.Context, fn func(Incomplete) error) error {
	// Cancelling on return stops minio-go's listing goroutine.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for u := range s.client.ListIncompleteUploads(lctx, s.bucket, "", true) {
		if u.Err != nil {
			return s.fail(ctx, "list unfinished uploads of", s.bucket, u.Err)
		}
		if checkKey(u.Key) != nil {
			continue // not one of ours
		}
		if err := fn(Incomplete{Key: u.Key, ID: u.UploadID, Started: u.Initiated, Size: u.Size}); err != nil {
			return err
		}
	}
	return nil
}

// Abort aborts a multipart upload, which deletes the parts it stored.
func (s *S3) Abort(ctx context.Context, u Incomplete) error {
	if err := checkKey(u.Key); err != nil {
		return err
	}
	if u.ID == "" {
		return fmt.Errorf("storage: unable to abort the upload of %s: no upload id", u.Key)
	}
	err := s.core.AbortMultipartUpload(ctx, s.bucket, u.Key, u.ID)
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
		return s.fail(ctx, "abort the upload of", u.Key, err)
	}
	return nil
}
