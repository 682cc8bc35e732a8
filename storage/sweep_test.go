package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/hcm-edu/vanban/internal/testenv"
)

func incomplete(t *testing.T, s Sweeper) []Incomplete {
	t.Helper()
	var us []Incomplete
	if err := s.Incomplete(context.Background(), func(u Incomplete) error { us = append(us, u); return nil }); err != nil {
		t.Fatalf("Incomplete: %v", err)
	}
	return us
}

// runSweeper checks that an interrupted upload (left by start) is listed
// with its key, that Abort removes it and nothing else, and that aborting
// it again is not an error.
func runSweeper(t *testing.T, s interface {
	Blobs
	Sweeper
}, start func(t *testing.T, key string)) {
	ctx := context.Background()
	kept := randBytes(t, 100)
	mustPut(t, s, keyOf(t, kept), kept)
	if us := incomplete(t, s); len(us) != 0 {
		t.Fatalf("a store with only finished uploads lists %v", us)
	}
	key := keyOf(t, randBytes(t, 32))
	before := time.Now().Add(-time.Minute)
	start(t, key)
	us := incomplete(t, s)
	if len(us) != 1 || us[0].Key != key || us[0].ID == "" || us[0].Started.Before(before) || us[0].Started.After(time.Now().Add(time.Minute)) {
		t.Fatalf("Incomplete = %+v, want one upload of %s", us, key)
	}
	if err := s.Abort(ctx, us[0]); err != nil {
		t.Fatal(err)
	}
	if us := incomplete(t, s); len(us) != 0 {
		t.Errorf("after Abort: %+v", us)
	}
	if err := s.Abort(ctx, us[0]); err != nil {
		t.Errorf("a second Abort: %v", err)
	}
	if got := readRange(t, s, keyOf(t, kept), 0, -1); !bytes.Equal(got, kept) {
		t.Error("Abort touched a finished object")
	}
	if _, err := s.Stat(ctx, key); !errors.Is(err, ErrNotExist) {
		t.Errorf("an aborted upload became an object: %v", err)
	}
}

func TestLocalSweeper(t *testing.T) {
	l := newTestLocal(t)
	runSweeper(t, l, func(t *testing.T, key string) {
		// What a Put killed mid-write leaves: a temporary file named for its key.
		f, err := os.CreateTemp(l.tmp, tempPattern(key))
		if err != nil {
			t.Fatal(err)
		}
		f.Write(randBytes(t, 1000))
		f.Close()
	})
	// Files that are not the store's are neither listed nor removed.
	other := filepath.Join(l.tmp, "someone-else")
	if err := os.WriteFile(other, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if us := incomplete(t, l); len(us) != 0 {
		t.Errorf("lists a foreign file: %+v", us)
	}
	if err := l.Abort(context.Background(), Incomplete{ID: "../objects"}); err == nil {
		t.Error("Abort accepts a path")
	}
}

func TestTempNames(t *testing.T) {
	key := "sha256/ab/" + strings.Repeat("ab", 32)
	name := strings.Replace(tempPattern(key), "*", "123456789", 1)
	if got := keyOfTemp(name); got != key {
		t.Errorf("keyOfTemp(%q) = %q", name, got)
	}
	for _, n := range []string{"put-123", "put-", "ping-1", "put-a+..+b-1", "upload-1"} {
		if got := keyOfTemp(n); got != "" {
			t.Errorf("keyOfTemp(%q) = %q, want none", n, got)
		}
	}
	if long := strings.Repeat("a", maxKeyInName+1); tempPattern(long) != "put-*" {
		t.Errorf("a long key goes into the file name")
	}
}

func TestS3Sweeper(t *testing.T) {
	env := testenv.RequireS3(t)
	s := newTestS3(t, env)
	runSweeper(t, s, func(t *testing.T, key string) {
		// What a Put killed mid-upload leaves: a multipart upload with a part.
		ctx := context.Background()
		id, err := s.core.NewMultipartUpload(ctx, s.bucket, key, minio.PutObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		part := randBytes(t, testPartSize)
		if _, err := s.core.PutObjectPart(ctx, s.bucket, key, id, 1, bytes.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	// An upload of a key that is not ours is left alone.
	ctx := context.Background()
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, "Not/Ours", minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if us := incomplete(t, s); len(us) != 0 {
		t.Errorf("lists an upload that is not ours: %+v", us)
	}
	if err := s.core.AbortMultipartUpload(ctx, s.bucket, "Not/Ours", id); err != nil {
		t.Error(err)
	}
	if err := s.Abort(ctx, Incomplete{Key: "sha256/00/x"}); err == nil || errors.Is(err, ErrNotExist) {
		t.Errorf("Abort without an upload id: %v", err)
	}
}
