package documents

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/hcm-edu/vanban/database"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/storage"
)

const crashChildEnv = "VANBAN_CRASH_CHILD"

// stallingReader yields n zero bytes, then blocks for good, like a client
// that stops sending mid-upload.
type stallingReader struct{ n int }

func (r *stallingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		for {
			time.Sleep(time.Hour)
		}
	}
	k := min(len(p), r.n)
	clear(p[:k])
	r.n -= k
	return k, nil
}

func crashStore(t *testing.T, ctx context.Context, where string) storage.Blobs {
	t.Helper()
	kind, arg, _ := strings.Cut(where, ":")
	if kind == "local" {
		l, err := storage.NewLocal(arg)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	env := testenv.RequireS3(t)
	s, err := storage.NewS3(ctx, storage.S3Options{Endpoint: env.Endpoint, Bucket: arg, AccessKey: env.AccessKey,
		SecretKey: env.SecretKey, Region: env.Region, UseSSL: env.UseSSL, PartSize: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCrashChild is the process TestCrashLeavesNoDebris kills: it receives
// an upload into the spool and stores an object the way Create does (under
// the key's lock), both stalled midway, and waits.
func TestCrashChild(t *testing.T) {
	where := os.Getenv(crashChildEnv)
	if where == "" {
		t.Skip("run by TestCrashLeavesNoDebris")
	}
	ctx := context.Background()
	db, err := database.Open(ctx, os.Getenv("VANBAN_CRASH_DB"), 2)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewService(db, crashStore(t, ctx, where), os.Getenv("VANBAN_CRASH_SPOOL"), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	go s.Spool(ctx, &stallingReader{n: 1 << 20}, "cong-van.pdf") //nolint:errcheck
	go func() {
		tx, err := s.db.BeginTxx(ctx, nil)
		if err != nil {
			panic(err)
		}
		key := os.Getenv("VANBAN_CRASH_KEY")
		if err := lockObject(ctx, tx, key); err != nil {
			panic(err)
		}
		// More than one 5 MiB part: a multipart upload on S3.
		s.blobs.Put(ctx, key, &stallingReader{n: 6 << 20}, 12<<20) //nolint:errcheck
	}()
	time.Sleep(time.Hour)
}

func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && isSpoolName(e.Name()) && fi.Size() > 0 {
			names = append(names, e.Name())
		}
	}
	return names
}

func unfinished(t *testing.T, b storage.Blobs) []storage.Incomplete {
	t.Helper()
	var us []storage.Incomplete
	err := b.(storage.Sweeper).Incomplete(context.Background(), func(u storage.Incomplete) error {
		us = append(us, u)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return us
}

// Issue 10: spool files of interrupted uploads stayed forever, and an
// interrupted multipart upload left its parts in the store. A process is
// killed (SIGKILL) during both; a restart finds and removes the debris, and
// never what a live process is still writing.
func TestCrashLeavesNoDebris(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		dir := t.TempDir()
		crashAndRestart(t, "local:"+dir, crashStore(t, context.Background(), "local:"+dir))
	})
	t.Run("s3", func(t *testing.T) {
		env := testenv.RequireS3(t)
		b := make([]byte, 6)
		rand.Read(b)
		bucket := "vanban-crash-" + hex.EncodeToString(b)
		store := crashStore(t, context.Background(), "s3:"+bucket)
		t.Cleanup(func() {
			c, err := minio.New(env.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(env.AccessKey, env.SecretKey, ""),
				Secure: env.UseSSL, Region: env.Region, BucketLookup: minio.BucketLookupPath})
			if err != nil {
				t.Error(err)
				return
			}
			ctx := context.Background()
			for u := range c.ListIncompleteUploads(ctx, bucket, "", true) {
				if u.Err == nil {
					c.RemoveIncompleteUpload(ctx, bucket, u.Key) //nolint:errcheck
				}
			}
			if err := c.RemoveBucket(ctx, bucket); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
		crashAndRestart(t, "s3:"+bucket, store)
	})
}

func crashAndRestart(t *testing.T, where string, blobs storage.Blobs) {
	ctx := context.Background()
	db, dbURL := testenv.NewDB(t)
	spool := t.TempDir()
	b := make([]byte, 32)
	rand.Read(b)
	key, _ := storage.KeyFor(hex.EncodeToString(b))

	var out bytes.Buffer
	child := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	child.Env = append(os.Environ(), crashChildEnv+"="+where, "VANBAN_CRASH_DB="+dbURL,
		"VANBAN_CRASH_SPOOL="+spool, "VANBAN_CRASH_KEY="+key)
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			child.Process.Kill()
			child.Wait()
		}
	}()
	deadline := time.Now().Add(time.Minute)
	for len(spoolFiles(t, spool)) != 1 || len(unfinished(t, blobs)) != 1 {
		if time.Now().After(deadline) || child.ProcessState != nil {
			t.Fatalf("the child never had both uploads under way (spool %v, store %v):\n%s", spoolFiles(t, spool), unfinished(t, blobs), out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// While the child lives, a sweep (a second instance starting) takes
	// nothing of its work.
	s, err := NewService(db, blobs, spool, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if files, uploads, err := s.SweepDebris(ctx); err != nil || files != 0 || uploads != 0 {
		t.Errorf("a sweep took %d spool files and %d uploads of a live process (%v)", files, uploads, err)
	}
	if len(spoolFiles(t, spool)) != 1 || len(unfinished(t, blobs)) != 1 {
		t.Fatal("a sweep removed the work of a live process")
	}

	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	killed = true
	if len(spoolFiles(t, spool)) != 1 || unfinished(t, blobs)[0].Key != key {
		t.Fatalf("the crash left no debris to test with: spool %v, store %v", spoolFiles(t, spool), unfinished(t, blobs))
	}

	// Restart: the spool is swept as the service starts...
	s, err = NewService(db, blobs, spool, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if files := spoolFiles(t, spool); len(files) != 0 {
		t.Errorf("spool files left after a restart: %v", files)
	}
	// ...and the store by the first housekeeping pass, as serve runs it,
	// once PostgreSQL has seen the dead process's connection close.
	deadline = time.Now().Add(30 * time.Second)
	for {
		if _, err := s.SweepOrphans(ctx, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		if len(unfinished(t, blobs)) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("unfinished uploads left after a restart: %+v", unfinished(t, blobs))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if entries, _ := os.ReadDir(spool); len(entries) != 0 {
		t.Errorf("spool folder not empty: %v", entries)
	}
}
