// Package storage keeps the bytes of documents: immutable objects keyed by
// their SHA-256, on local disk or in an S3-compatible store.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"
)

// ErrNotExist is returned when an object is missing. It is os.ErrNotExist so
// callers can test with errors.Is(err, os.ErrNotExist) whatever the backend.
var ErrNotExist = os.ErrNotExist

// ErrUnavailable wraps failures to reach the store (network, disk gone).
var ErrUnavailable = errors.New("storage: store unavailable")

// ErrSizeMismatch is returned by Put when the reader yields more or fewer
// bytes than announced. Nothing is stored in that case.
var ErrSizeMismatch = errors.New("storage: size does not match the bytes read")

// Info describes a stored object.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Blobs is the object store every backend implements.
type Blobs interface {
	// Put stores exactly size bytes read from r under key. Objects are
	// immutable: if key already exists, Put drains nothing, keeps the stored
	// object and returns nil. A failed Put leaves no object visible.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Open reads length bytes starting at offset; length < 0 means to the end.
	Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// Stat describes the object, or returns ErrNotExist.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the object; deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn for every object whose key starts with prefix.
	List(ctx context.Context, prefix string, fn func(Info) error) error
	// Ping reports whether the store is reachable (for readiness checks).
	Ping(ctx context.Context) error
}

// Presigner is offered by backends that can hand out short-lived URLs so
// that large downloads bypass the service.
type Presigner interface {
	// PresignGet returns a URL valid for expiry that downloads key with the
	// given Content-Disposition and Content-Type.
	PresignGet(ctx context.Context, key string, expiry time.Duration, contentDisposition, contentType string) (string, error)
}

var shaHex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// KeyFor returns the object key of content with the given hex SHA-256.
func KeyFor(sha256Hex string) (string, error) {
	if !shaHex.MatchString(sha256Hex) {
		return "", fmt.Errorf("storage: not a hex SHA-256: %q", sha256Hex)
	}
	return "sha256/" + sha256Hex[:2] + "/" + sha256Hex, nil
}

var validKey = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$`)

// checkKey refuses keys that could escape a directory or are not ours.
func checkKey(key string) error {
	if len(key) > 512 || !validKey.MatchString(key) {
		return fmt.Errorf("storage: invalid object key %q", key)
	}
	return nil
}
