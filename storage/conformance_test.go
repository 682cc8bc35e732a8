package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/minio/minio-go/v7"
)

// testPartSize is the smallest S3 allows, so that the large cases below go
// through multipart uploads.
const testPartSize = 5 << 20

var errDisconnect = errors.New("client disconnected")

func randBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func keyOf(t testing.TB, data []byte) string {
	t.Helper()
	sum := sha256.Sum256(data)
	k, err := KeyFor(hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustPut(t testing.TB, s Blobs, key string, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put(%s, %d bytes): %v", key, len(data), err)
	}
}

func readRange(t testing.TB, s Blobs, key string, off, n int64) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), key, off, n)
	if err != nil {
		t.Fatalf("Open(%s, %d, %d): %v", key, off, n, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s [%d, %d): %v", key, off, n, err)
	}
	return got
}

func listKeys(t testing.TB, s Blobs, prefix string) []string {
	t.Helper()
	var keys []string
	err := s.List(context.Background(), prefix, func(i Info) error {
		keys = append(keys, i.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}

// assertAbsent checks that key is neither stat-able, openable nor listed.
func assertAbsent(t testing.TB, s Blobs, key string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Stat(ctx, key); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat(%s) = %v, want os.ErrNotExist", key, err)
	}
	if rc, err := s.Open(ctx, key, 0, -1); !errors.Is(err, os.ErrNotExist) {
		if rc != nil {
			rc.Close()
		}
		t.Errorf("Open(%s) = %v, want os.ErrNotExist", key, err)
	}
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Errorf("List shows %v, want nothing", keys)
	}
}

// cancelReader cancels its context once after bytes have been read.
type cancelReader struct {
	r      io.Reader
	after  int
	read   int
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	if c.read >= c.after {
		c.cancel()
	}
	return n, err
}

// countReader counts the bytes read from it.
type countReader struct {
	r io.Reader
	n int
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// failedPut describes a Put that must fail and leave nothing behind.
type failedPut struct {
	name string
	// put runs the Put; data is the content announced.
	put     func(ctx context.Context, s Blobs, key string, data []byte) error
	wantErr error
}

func failedPuts() []failedPut {
	return []failedPut{
		{"short reader", func(ctx context.Context, s Blobs, key string, data []byte) error {
			return s.Put(ctx, key, bytes.NewReader(data[:len(data)-7]), int64(len(data)))
		}, ErrSizeMismatch},
		{"long reader", func(ctx context.Context, s Blobs, key string, data []byte) error {
			r := io.MultiReader(bytes.NewReader(data), strings.NewReader("x"))
			return s.Put(ctx, key, r, int64(len(data)))
		}, ErrSizeMismatch},
		{"reader errors mid-way", func(ctx context.Context, s Blobs, key string, data []byte) error {
			r := io.MultiReader(bytes.NewReader(data[:len(data)/2]), iotest.ErrReader(errDisconnect))
			return s.Put(ctx, key, r, int64(len(data)))
		}, errDisconnect},
		{"reader errors on the last byte", func(ctx context.Context, s Blobs, key string, data []byte) error {
			r := io.MultiReader(bytes.NewReader(data[:len(data)-1]), iotest.ErrReader(errDisconnect))
			return s.Put(ctx, key, r, int64(len(data)))
		}, errDisconnect},
		{"context cancelled mid-way", func(ctx context.Context, s Blobs, key string, data []byte) error {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			r := &cancelReader{r: bytes.NewReader(data), after: len(data) / 2, cancel: cancel}
			return s.Put(ctx, key, r, int64(len(data)))
		}, context.Canceled},
		{"context cancelled before", func(ctx context.Context, s Blobs, key string, data []byte) error {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			return s.Put(ctx, key, bytes.NewReader(data), int64(len(data)))
		}, context.Canceled},
	}
}

// runConformance checks the behaviour every Blobs backend must share.
// newStore returns an empty store that lives until t ends.
func runConformance(t *testing.T, newStore func(t *testing.T) Blobs) {
	ctx := context.Background()
	cases := []struct {
		name string
		run  func(t *testing.T, s Blobs)
	}{
		{"round trip", func(t *testing.T, s Blobs) {
			for _, n := range []int{0, 1, 1000, 5<<20 + 123} {
				data := randBytes(t, n)
				key := keyOf(t, data)
				mustPut(t, s, key, data)
				got := readRange(t, s, key, 0, -1)
				if sha256.Sum256(got) != sha256.Sum256(data) || len(got) != n {
					t.Errorf("%d bytes: read back %d bytes with another SHA-256", n, len(got))
				}
			}
		}},
		{"ranged reads", func(t *testing.T, s Blobs) {
			data := randBytes(t, 1000)
			key := keyOf(t, data)
			mustPut(t, s, key, data)
			for _, r := range []struct {
				off, n     int64
				start, end int
			}{
				{0, -1, 0, 1000},
				{10, -1, 10, 1000},
				{10, 100, 10, 110},
				{0, 1, 0, 1},
				{999, 1, 999, 1000},
				{999, -1, 999, 1000},
				{990, 100, 990, 1000}, // clamped to the end
				{500, 0, 500, 500},
				{1000, -1, 1000, 1000},
				{2000, 10, 1000, 1000},
			} {
				got := readRange(t, s, key, r.off, r.n)
				if want := data[r.start:r.end]; !bytes.Equal(got, want) {
					t.Errorf("Open(off=%d, len=%d) gave %d bytes, want %d", r.off, r.n, len(got), len(want))
				}
			}
			if rc, err := s.Open(ctx, key, -1, 10); err == nil {
				rc.Close()
				t.Error("Open with a negative offset succeeded")
			}
		}},
		{"stat", func(t *testing.T, s Blobs) {
			data := randBytes(t, 4321)
			key := keyOf(t, data)
			before := time.Now().Add(-time.Hour)
			mustPut(t, s, key, data)
			info, err := s.Stat(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if info.Key != key || info.Size != 4321 || info.ModTime.Before(before) {
				t.Errorf("Stat = %+v, want key %s, size 4321 and a recent time", info, key)
			}
		}},
		{"missing key", func(t *testing.T, s Blobs) {
			assertAbsent(t, s, keyOf(t, []byte("never stored")))
			if rc, err := s.Open(ctx, "sha256/00/missing", 5, 10); !errors.Is(err, os.ErrNotExist) {
				if rc != nil {
					rc.Close()
				}
				t.Errorf("ranged Open of a missing key = %v, want os.ErrNotExist", err)
			}
		}},
		{"put existing key is a no-op", func(t *testing.T, s Blobs) {
			data := randBytes(t, 2000)
			key := keyOf(t, data)
			mustPut(t, s, key, data)
			other := &countReader{r: bytes.NewReader(randBytes(t, 3000))}
			if err := s.Put(ctx, key, other, 3000); err != nil {
				t.Fatalf("second Put: %v", err)
			}
			if other.n != 0 {
				t.Errorf("second Put read %d bytes, want none", other.n)
			}
			if got := readRange(t, s, key, 0, -1); !bytes.Equal(got, data) {
				t.Error("second Put changed the stored bytes")
			}
		}},
		{"concurrent puts of one key", func(t *testing.T, s Blobs) {
			data := randBytes(t, 300<<10)
			key := keyOf(t, data)
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Go(func() {
					errs[i] = s.Put(ctx, key, bytes.NewReader(data), int64(len(data)))
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("Put %d: %v", i, err)
				}
			}
			if got := readRange(t, s, key, 0, -1); !bytes.Equal(got, data) {
				t.Error("concurrent Puts stored other bytes")
			}
		}},
		{"failed puts leave nothing", func(t *testing.T, s Blobs) {
			for _, fp := range failedPuts() {
				for _, n := range []int{100 << 10, testPartSize + 1<<20} {
					t.Run(fmt.Sprintf("%s/%d", fp.name, n), func(t *testing.T) {
						data := randBytes(t, n)
						key := keyOf(t, data)
						err := fp.put(ctx, s, key, data)
						if !errors.Is(err, fp.wantErr) {
							t.Fatalf("Put = %v, want %v", err, fp.wantErr)
						}
						assertAbsent(t, s, key)
					})
				}
			}
		}},
		{"invalid keys refused", func(t *testing.T, s Blobs) {
			for _, key := range []string{"../x", "/abs", "a/../b", "", "Sha256/ab", "a\x00b", "a\nb", "a//b", "a/", ".tmp/x", "a b"} {
				if err := s.Put(ctx, key, strings.NewReader("x"), 1); err == nil {
					t.Errorf("Put(%q) succeeded", key)
				}
				if rc, err := s.Open(ctx, key, 0, -1); err == nil {
					rc.Close()
					t.Errorf("Open(%q) succeeded", key)
				}
				if _, err := s.Stat(ctx, key); err == nil || errors.Is(err, os.ErrNotExist) {
					t.Errorf("Stat(%q) = %v, want an invalid key error", key, err)
				}
				if err := s.Delete(ctx, key); err == nil {
					t.Errorf("Delete(%q) succeeded", key)
				}
			}
			for _, prefix := range []string{"../", "/", "a//", "A"} {
				if err := s.List(ctx, prefix, func(Info) error { return nil }); err == nil {
					t.Errorf("List(%q) succeeded", prefix)
				}
			}
			if keys := listKeys(t, s, ""); len(keys) != 0 {
				t.Errorf("List shows %v after refused puts", keys)
			}
		}},
		{"delete", func(t *testing.T, s Blobs) {
			data := randBytes(t, 100)
			key := keyOf(t, data)
			mustPut(t, s, key, data)
			if err := s.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			assertAbsent(t, s, key)
			if err := s.Delete(ctx, key); err != nil {
				t.Errorf("deleting it again: %v", err)
			}
			if err := s.Delete(ctx, "sha256/00/never"); err != nil {
				t.Errorf("deleting a key never stored: %v", err)
			}
			mustPut(t, s, key, data)
			if got := readRange(t, s, key, 0, -1); !bytes.Equal(got, data) {
				t.Error("Put after Delete did not store the bytes")
			}
		}},
		{"list", func(t *testing.T, s Blobs) {
			keys := []string{"list/a/1", "list/a/2", "list/ab/1", "list/b/1", "other/x"}
			for _, k := range keys {
				mustPut(t, s, k, []byte(k))
			}
			for _, c := range []struct {
				prefix string
				want   []string
			}{
				{"", keys},
				{"list/", keys[:4]},
				{"list/a/", keys[:2]},
				{"list/a", keys[:3]},
				{"list/b/1", keys[3:4]},
				{"o", keys[4:]},
				{"nothing/", nil},
				{"list/c", nil},
			} {
				got := listKeys(t, s, c.prefix)
				if strings.Join(got, ",") != strings.Join(c.want, ",") {
					t.Errorf("List(%q) = %v, want %v", c.prefix, got, c.want)
				}
			}
			var sizes []int64
			s.List(ctx, "list/a/", func(i Info) error {
				sizes = append(sizes, i.Size)
				return nil
			})
			if fmt.Sprint(sizes) != "[8 8]" {
				t.Errorf("List sizes = %v, want [8 8]", sizes)
			}
			stop := errors.New("stop")
			calls := 0
			err := s.List(ctx, "", func(Info) error { calls++; return stop })
			if !errors.Is(err, stop) || calls != 1 {
				t.Errorf("List with fn failing = %v after %d calls, want stop after 1", err, calls)
			}
		}},
		{"ping", func(t *testing.T, s Blobs) {
			if err := s.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newStore(t))
		})
	}
}

func TestLocalConformance(t *testing.T) {
	runConformance(t, func(t *testing.T) Blobs {
		return newTestLocal(t)
	})
}

func newTestLocal(t *testing.T) *Local {
	t.Helper()
	l, err := NewLocal(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLocalFailedPutLeavesNoTemp(t *testing.T) {
	l := newTestLocal(t)
	for _, fp := range failedPuts() {
		data := randBytes(t, 300<<10)
		if err := fp.put(context.Background(), l, keyOf(t, data), data); !errors.Is(err, fp.wantErr) {
			t.Fatalf("%s: Put = %v, want %v", fp.name, err, fp.wantErr)
		}
		if ents, err := os.ReadDir(l.tmp); err != nil || len(ents) != 0 {
			t.Errorf("%s: .tmp holds %v (%v), want nothing", fp.name, ents, err)
		}
	}
}

func TestLocalListSkipsTemp(t *testing.T) {
	l := newTestLocal(t)
	if err := os.WriteFile(filepath.Join(l.tmp, "put-123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustPut(t, l, "a/b", []byte("x"))
	if got := listKeys(t, l, ""); strings.Join(got, ",") != "a/b" {
		t.Errorf("List = %v, want [a/b]", got)
	}
}

func TestLocalSweepTemp(t *testing.T) {
	l := newTestLocal(t)
	old := filepath.Join(l.tmp, "put-old")
	fresh := filepath.Join(l.tmp, "put-fresh")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}
	if err := l.SweepTemp(time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file survived: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
}

func TestLocalPingMissingDir(t *testing.T) {
	l := newTestLocal(t)
	if err := l.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(l.dir); err != nil {
		t.Fatal(err)
	}
	if err := l.Ping(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Ping after removing the directory = %v, want ErrUnavailable", err)
	}
}

func TestLocalObjectLayout(t *testing.T) {
	l := newTestLocal(t)
	data := []byte("hello")
	key := keyOf(t, data)
	mustPut(t, l, key, data)
	got, err := os.ReadFile(filepath.Join(l.dir, filepath.FromSlash(key)))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("file for %s = %q, %v", key, got, err)
	}
}

// newTestS3 creates a store on a fresh bucket, emptied and removed when t ends.
func newTestS3(t *testing.T, env testenv.S3) *S3 {
	t.Helper()
	bucket := "vanban-test-" + hex.EncodeToString(randBytes(t, 6))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := NewS3(ctx, s3Options(env, bucket))
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	t.Cleanup(func() { removeBucket(t, s) })
	return s
}

func s3Options(env testenv.S3, bucket string) S3Options {
	return S3Options{
		Endpoint:  env.Endpoint,
		Bucket:    bucket,
		AccessKey: env.AccessKey,
		SecretKey: env.SecretKey,
		Region:    env.Region,
		UseSSL:    env.UseSSL,
		PartSize:  testPartSize,
	}
}

func removeBucket(t *testing.T, s *S3) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for oi := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
		if oi.Err != nil {
			t.Errorf("cleanup: listing %s: %v", s.bucket, oi.Err)
			return
		}
		err := s.client.RemoveObject(ctx, s.bucket, oi.Key, minio.RemoveObjectOptions{VersionID: oi.VersionID})
		if err != nil {
			t.Errorf("cleanup: removing %s: %v", oi.Key, err)
		}
	}
	for u := range s.client.ListIncompleteUploads(ctx, s.bucket, "", true) {
		if u.Err != nil {
			t.Errorf("cleanup: listing uploads of %s: %v", s.bucket, u.Err)
			break
		}
		t.Errorf("cleanup: incomplete upload left for %s", u.Key)
		s.client.RemoveIncompleteUpload(ctx, s.bucket, u.Key)
	}
	if err := s.client.RemoveBucket(ctx, s.bucket); err != nil {
		t.Errorf("cleanup: removing bucket %s: %v", s.bucket, err)
	}
}

func TestS3Conformance(t *testing.T) {
	env := testenv.RequireS3(t)
	runConformance(t, func(t *testing.T) Blobs {
		return newTestS3(t, env)
	})
}

func TestS3PresignGet(t *testing.T) {
	env := testenv.RequireS3(t)
	s := newTestS3(t, env)
	ctx := context.Background()
	data := randBytes(t, 70<<10)
	key := keyOf(t, data)
	mustPut(t, s, key, data)

	const disposition = `attachment; filename="Ke hoach.pdf"; filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch.pdf`
	u, err := s.PresignGet(ctx, key, 5*time.Minute, disposition, "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET presigned URL: %s: %s", resp.Status, body)
	}
	if !bytes.Equal(body, data) {
		t.Errorf("presigned GET gave %d bytes, not the %d stored", len(body), len(data))
	}
	if got := resp.Header.Get("Content-Disposition"); got != disposition {
		t.Errorf("Content-Disposition = %q, want %q", got, disposition)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/pdf" {
		t.Errorf("Content-Type = %q, want application/pdf", got)
	}

	for _, bad := range []time.Duration{0, 8 * 24 * time.Hour} {
		if _, err := s.PresignGet(ctx, key, bad, "", ""); err == nil {
			t.Errorf("PresignGet with expiry %v succeeded", bad)
		}
	}
	if _, err := s.PresignGet(ctx, "../x", time.Minute, "", ""); err == nil {
		t.Error("PresignGet of an invalid key succeeded")
	}
}

func TestS3ExistingBucket(t *testing.T) {
	env := testenv.RequireS3(t)
	s := newTestS3(t, env)
	mustPut(t, s, "a/b", []byte("x"))
	again, err := NewS3(context.Background(), s3Options(env, s.bucket))
	if err != nil {
		t.Fatalf("NewS3 on an existing bucket: %v", err)
	}
	if got := readRange(t, again, "a/b", 0, -1); string(got) != "x" {
		t.Errorf("read %q through the second store", got)
	}
}

func TestS3BadCredentials(t *testing.T) {
	env := testenv.RequireS3(t)
	for _, c := range []struct {
		name string
		edit func(*S3Options)
	}{
		{"wrong secret key", func(o *S3Options) { o.SecretKey += "-wrong" }},
		{"wrong access key", func(o *S3Options) { o.AccessKey += "-wrong" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			bucket := "vanban-test-" + hex.EncodeToString(randBytes(t, 6))
			o := s3Options(env, bucket)
			c.edit(&o)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			s, err := NewS3(ctx, o)
			if err == nil {
				removeBucket(t, s)
				t.Fatal("NewS3 succeeded")
			}
			msg := err.Error()
			for _, want := range []string{env.Endpoint, bucket, "secret key"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
			if errors.Is(err, ErrUnavailable) {
				t.Errorf("error %q is ErrUnavailable, want a configuration error", msg)
			}
		})
	}
}

func TestS3Unreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := NewS3(ctx, S3Options{
		Endpoint:  "127.0.0.1:1",
		Bucket:    "vanban-test-unreachable",
		AccessKey: "k",
		SecretKey: "secret123",
		Region:    "us-east-1",
	})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("NewS3 against a closed port = %v, want ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), "vanban-test-unreachable") {
		t.Errorf("error %q does not name the endpoint and bucket", err)
	}
}

// TestS3ServerGone checks that a store whose server went away reports
// ErrUnavailable, not a missing object.
func TestS3ServerGone(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK) // every bucket exists
	}))
	endpoint := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	s, err := NewS3(ctx, S3Options{Endpoint: endpoint, Bucket: "vanban-gone", AccessKey: "k", SecretKey: "secret123", Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	// minio-go retries for a few seconds; run the calls side by side.
	t.Run("ping", func(t *testing.T) {
		t.Parallel()
		if err := s.Ping(ctx); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), endpoint) {
			t.Errorf("Ping = %v, want ErrUnavailable naming %s", err, endpoint)
		}
	})
	t.Run("stat", func(t *testing.T) {
		t.Parallel()
		_, err := s.Stat(ctx, "a/b")
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("Stat = %v, want ErrUnavailable keeping the cause", err)
		}
	})
	t.Run("open", func(t *testing.T) {
		t.Parallel()
		rc, err := s.Open(ctx, "a/b", 0, -1)
		if err == nil {
			rc.Close()
		}
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, os.ErrNotExist) {
			t.Errorf("Open = %v, want ErrUnavailable", err)
		}
	})
}

func TestS3Options(t *testing.T) {
	ctx := context.Background()
	for _, o := range []S3Options{
		{Bucket: "b"},
		{Endpoint: "127.0.0.1:1"},
		{Endpoint: "127.0.0.1:1", Bucket: "b", PartSize: 1 << 20},
		{Endpoint: "http://127.0.0.1:1", Bucket: "bucket"},
		{Endpoint: "127.0.0.1:1/path", Bucket: "bucket"},
		{Endpoint: "127.0.0.1:1", Bucket: "Not_A_Bucket"},
	} {
		if _, err := NewS3(ctx, o); err == nil || errors.Is(err, ErrUnavailable) {
			t.Errorf("NewS3(%+v) = %v, want a configuration error", o, err)
		}
	}
}
