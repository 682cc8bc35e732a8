package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

const (
	defaultPartSize = 16 << 20
	minPartSize     = 5 << 20 // the S3 minimum for all parts but the last
	maxPresign      = 7 * 24 * time.Hour
)

// S3Options configures an S3-compatible store.
type S3Options struct {
	Endpoint  string // host:port, without scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string
	UseSSL    bool
	PartSize  uint64 // multipart part size, 0 means 16 MiB; bounds memory per upload
	// ObjectLock creates a missing bucket with Object Lock (WORM), which S3
	// allows only at creation, and makes Delete remove every version.
	ObjectLock bool
}

// S3 keeps objects in a bucket of an S3-compatible server.
type S3 struct {
	client   *minio.Client
	core     minio.Core
	bucket   string
	where    string // endpoint and bucket, for error messages
	partSize uint64
	locking  bool // the bucket is meant to have Object Lock, so is versioned
}

var (
	_ Blobs     = (*S3)(nil)
	_ Presigner = (*S3)(nil)
)

// NewS3 connects to the server and makes sure the bucket exists, creating it
// if needed, so that misconfiguration fails at start-up.
func NewS3(ctx context.Context, o S3Options) (*S3, error) {
	if o.Endpoint == "" || o.Bucket == "" {
		return nil, fmt.Errorf("storage: unable to use S3: endpoint (%q) and bucket (%q) are both required", o.Endpoint, o.Bucket)
	}
	if strings.Contains(o.Endpoint, "://") || strings.Contains(o.Endpoint, "/") {
		return nil, fmt.Errorf("storage: unable to use S3: endpoint %q must be host:port, without scheme or path (set UseSSL for https)", o.Endpoint)
	}
	if err := s3utils.CheckValidBucketNameStrict(o.Bucket); err != nil {
		return nil, fmt.Errorf("storage: unable to use S3 bucket %q: %w", o.Bucket, err)
	}
	part := o.PartSize
	if part == 0 {
		part = defaultPartSize
	}
	if part < minPartSize {
		return nil, fmt.Errorf("storage: unable to use S3: part size %d is below the 5 MiB minimum", part)
	}
	where := fmt.Sprintf("bucket %q at %s", o.Bucket, o.Endpoint)
	client, err := minio.New(o.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure:       o.UseSSL,
		Region:       o.Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: unable to use S3 %s: %w", where, err)
	}
	s := &S3{client: client, core: minio.Core{Client: client}, bucket: o.Bucket, where: where, partSize: part, locking: o.ObjectLock}

	exists, err := client.BucketExists(ctx, o.Bucket)
	if err != nil {
		return nil, s.setupErr(ctx, "reach", err)
	}
	if exists {
		// A bucket made with Object Lock is versioned whatever ObjectLock
		// says: Delete must then remove versions, not add delete markers.
		// A server without Object Lock answers an error: not locked.
		if on, _, _, _, err := client.GetObjectLockConfig(ctx, o.Bucket); err == nil && on == "Enabled" {
			s.locking = true
		}
		return s, nil
	}
	err = client.MakeBucket(ctx, o.Bucket, minio.MakeBucketOptions{Region: o.Region, ObjectLocking: o.ObjectLock})
	if err != nil {
		switch minio.ToErrorResponse(err).Code {
		case "BucketAlreadyOwnedByYou":
			return s, nil
		case "BucketAlreadyExists":
			return nil, fmt.Errorf("storage: unable to create %s: the name is taken by another account: %v", where, err)
		}
		return nil, s.setupErr(ctx, "create", err)
	}
	return s, nil
}

// setupErr explains a failure of NewS3.
func (s *S3) setupErr(ctx context.Context, verb string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("storage: unable to %s %s: %w", verb, s.where, ctx.Err())
	}
	if isUnavailable(err) {
		return fmt.Errorf("%w: unable to %s %s: %w", ErrUnavailable, verb, s.where, err)
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && resp.StatusCode >= 400 && resp.StatusCode < 500 {
		// versitygw answers an unknown access key with 404 XAdminUserNotFound,
		// so any refusal here is reported as a likely credentials problem.
		return fmt.Errorf("storage: unable to %s %s: the server refused (HTTP %d %s: %v); check the access key, secret key and region",
			verb, s.where, resp.StatusCode, resp.Code, err)
	}
	return fmt.Errorf("storage: unable to %s %s: %w", verb, s.where, err)
}

// fail maps a minio-go error to ErrNotExist, ErrUnavailable or a plain error.
func (s *S3) fail(ctx context.Context, verb, key string, err error) error {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("storage: unable to %s %s: %w", verb, key, ctx.Err())
	}
	if isNotFound(err) {
		return fmt.Errorf("storage: unable to %s %s: %w", verb, key, ErrNotExist)
	}
	if isUnavailable(err) {
		return fmt.Errorf("%w: unable to %s %s in %s: %w", ErrUnavailable, verb, key, s.where, err)
	}
	return fmt.Errorf("storage: unable to %s %s in %s: %w", verb, key, s.where, err)
}

func isNotFound(err error) bool {
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey", "NotFound":
		return true
	}
	return false
}

// isUnavailable reports failures to reach the server at all, or a server
// that says it is temporarily unable to serve.
func isUnavailable(err error) bool {
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	switch minio.ToErrorResponse(err).StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return strings.HasSuffix(err.Error(), " is offline.") // minio-go health check
}

// Put uploads exactly size bytes unless key already exists.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("storage: unable to store %s: negative size %d", key, size)
	}
	_, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err == nil {
		return nil
	}
	if !isNotFound(err) {
		return s.fail(ctx, "store", key, err)
	}
	if sr, ok, err := fileSection(r, size); ok || err != nil {
		if err != nil {
			return fmt.Errorf("storage: unable to store %s: %w", key, err)
		}
		// A file of known length goes to minio-go as a ReaderAt: parts are
		// uploaded in parallel straight from the file, with no part buffers.
		_, err = s.client.PutObject(ctx, s.bucket, key, sr, size, minio.PutObjectOptions{
			ContentType: "application/octet-stream",
			PartSize:    s.partSize,
			NumThreads:  4,
		})
		if err != nil {
			return s.fail(ctx, "store", key, err)
		}
		return nil
	}
	er := newExactReader(ctx, r, size)
	// minio-go streams a single PUT for size <= PartSize, and otherwise
	// buffers one part at a time and aborts the multipart upload on error.
	_, err = s.client.PutObject(ctx, s.bucket, key, er, size, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		PartSize:    s.partSize,
		NumThreads:  1,
	})
	if rerr := er.failure(); rerr != nil {
		// The reader's own failure explains the upload's; report that.
		if errors.Is(rerr, ErrSizeMismatch) || errors.Is(rerr, context.Canceled) || errors.Is(rerr, context.DeadlineExceeded) {
			return fmt.Errorf("storage: unable to store %s: %w", key, rerr)
		}
		return fmt.Errorf("storage: unable to store %s: reading the content: %w", key, rerr)
	}
	if err != nil {
		return s.fail(ctx, "store", key, err)
	}
	return nil
}

// Open reads length bytes from offset; length < 0 means to the end.
func (s *S3) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("storage: unable to open %s: negative offset %d", key, offset)
	}
	if length == 0 {
		if _, err := s.Stat(ctx, key); err != nil {
			return nil, err
		}
		return emptyReader{}, nil
	}
	var opts minio.GetObjectOptions
	switch {
	case length > 0:
		err := opts.SetRange(offset, offset+length-1)
		if err != nil {
			return nil, fmt.Errorf("storage: unable to open %s: %w", key, err)
		}
	case offset > 0:
		err := opts.SetRange(offset, 0)
		if err != nil {
			return nil, fmt.Errorf("storage: unable to open %s: %w", key, err)
		}
	}
	// Core.GetObject sends the request now (unlike Client.GetObject), so a
	// missing key is reported here rather than at the first Read.
	body, _, _, err := s.core.GetObject(ctx, s.bucket, key, opts)
	if err != nil {
		if minio.ToErrorResponse(err).StatusCode == http.StatusRequestedRangeNotSatisfiable {
			// A range starting at or past the end: empty, if the object exists.
			if _, err := s.Stat(ctx, key); err != nil {
				return nil, err
			}
			return emptyReader{}, nil
		}
		return nil, s.fail(ctx, "open", key, err)
	}
	return bodyReader{body}, nil
}

// Stat describes the object, or returns ErrNotExist.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := checkKey(key); err != nil {
		return Info{}, err
	}
	oi, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.fail(ctx, "stat", key, err)
	}
	return Info{Key: key, Size: oi.Size, ModTime: oi.LastModified}, nil
}

// Delete removes the object; a missing object is not an error.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if s.locking {
		return s.deleteVersions(ctx, key)
	}
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && !isNotFound(err) {
		return s.fail(ctx, "delete", key, err)
	}
	return nil
}

// List calls fn, in key order, for every object whose key starts with prefix.
// Keys that checkKey refuses (not written by this package) are skipped.
func (s *S3) List(ctx context.Context, prefix string, fn func(Info) error) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	for oi := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			return s.fail(ctx, "list", prefix, oi.Err)
		}
		if checkKey(oi.Key) != nil {
			continue // not one of ours
		}
		if err := fn(Info{Key: oi.Key, Size: oi.Size, ModTime: oi.LastModified}); err != nil {
			return err
		}
	}
	return nil
}

// Ping checks that the bucket is reachable.
func (s *S3) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("storage: unable to reach %s: %w", s.where, ctx.Err())
		}
		if isUnavailable(err) {
			return fmt.Errorf("%w: unable to reach %s: %w", ErrUnavailable, s.where, err)
		}
		return fmt.Errorf("storage: unable to reach %s: %w", s.where, err)
	}
	if !ok {
		return fmt.Errorf("%w: %s does not exist", ErrUnavailable, s.where)
	}
	return nil
}

// PresignGet returns a GET URL valid for expiry whose response carries the
// given Content-Disposition and Content-Type.
func (s *S3) PresignGet(ctx context.Context, key string, expiry time.Duration, contentDisposition, contentType string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	if expiry < time.Second || expiry > maxPresign {
		return "", fmt.Errorf("storage: unable to presign %s: expiry %v is not between 1s and 7 days", key, expiry)
	}
	params := url.Values{}
	if contentDisposition != "" {
		params.Set("response-content-disposition", contentDisposition)
	}
	if contentType != "" {
		params.Set("response-content-type", contentType)
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, expiry, params)
	if err != nil {
		return "", s.fail(ctx, "presign", key, err)
	}
	return u.String(), nil
}

// Bucket is the name of the bucket the store keeps its objects in.
func (s *S3) Bucket() string { return s.bucket }
