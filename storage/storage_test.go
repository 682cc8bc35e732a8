package storage

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

func TestErrNotExistIsOS(t *testing.T) {
	if !errors.Is(ErrNotExist, os.ErrNotExist) {
		t.Fatal("ErrNotExist is not os.ErrNotExist")
	}
}

func TestKeyFor(t *testing.T) {
	const sum = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	key, err := KeyFor(sum)
	if err != nil {
		t.Fatal(err)
	}
	if want := "sha256/e3/" + sum; key != want {
		t.Errorf("KeyFor = %q, want %q", key, want)
	}
	if err := checkKey(key); err != nil {
		t.Errorf("KeyFor gave a key checkKey refuses: %v", err)
	}
	for _, bad := range []string{
		"",
		sum[:63],
		sum + "0",
		strings.ToUpper(sum),
		"../" + sum[3:],
		sum[:62] + "g0",
		sum[:63] + "\n",
	} {
		if k, err := KeyFor(bad); err == nil {
			t.Errorf("KeyFor(%q) = %q, want an error", bad, k)
		}
	}
}

func TestCheckKey(t *testing.T) {
	for _, c := range []struct {
		key string
		ok  bool
	}{
		{"a", true},
		{"sha256/ab/abcdef", true},
		{"a.b-c_d", true},
		{"a..b", true},
		{"0/1/2", true},
		{strings.Repeat("a", 512), true},
		{strings.Repeat("a", 513), false},
		{"", false},
		{"../x", false},
		{"/abs", false},
		{"a/../b", false},
		{"a/./b", false},
		{"./a", false},
		{".tmp/x", false},
		{"a/", false},
		{"a//b", false},
		{"Upper", false},
		{"a b", false},
		{"a\x00b", false},
		{"a\nb", false},
		{"a\tb", false},
		{"a\\b", false},
		{"ké", false},
		{"-a", false},
	} {
		if err := checkKey(c.key); (err == nil) != c.ok {
			t.Errorf("checkKey(%q) = %v, want ok=%v", c.key, err, c.ok)
		}
	}
}

func TestCheckPrefix(t *testing.T) {
	for _, c := range []struct {
		prefix string
		ok     bool
	}{
		{"", true},
		{"sha256/", true},
		{"sha256/ab", true},
		{"s", true},
		{"a.", true},
		{"/", false},
		{"../", false},
		{"a/.", false},
		{"a//", false},
		{"A", false},
		{"a\x00", false},
	} {
		if err := checkPrefix(c.prefix); (err == nil) != c.ok {
			t.Errorf("checkPrefix(%q) = %v, want ok=%v", c.prefix, err, c.ok)
		}
	}
}

func TestExactReader(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		r       io.Reader
		size    int64
		want    string
		wantErr error
	}{
		{"exact", strings.NewReader("hello"), 5, "hello", nil},
		{"exact one byte at a time", iotest.OneByteReader(strings.NewReader("hello")), 5, "hello", nil},
		{"exact with data and EOF together", iotest.DataErrReader(strings.NewReader("hello")), 5, "hello", nil},
		{"empty", strings.NewReader(""), 0, "", nil},
		{"short", strings.NewReader("hell"), 5, "hell", ErrSizeMismatch},
		{"empty but size announced", strings.NewReader(""), 1, "", ErrSizeMismatch},
		{"long", strings.NewReader("hello!"), 5, "", ErrSizeMismatch},
		{"long by one byte at a time", iotest.OneByteReader(strings.NewReader("hello!")), 5, "hell", ErrSizeMismatch},
		{"data when none announced", strings.NewReader("x"), 0, "", ErrSizeMismatch},
		{"reader error", io.MultiReader(strings.NewReader("he"), iotest.ErrReader(errDisconnect)), 5, "he", errDisconnect},
		{"error instead of EOF", io.MultiReader(strings.NewReader("hello"), iotest.ErrReader(errDisconnect)), 5, "", errDisconnect},
	} {
		t.Run(c.name, func(t *testing.T) {
			er := newExactReader(ctx, c.r, c.size)
			got, err := io.ReadAll(er)
			if string(got) != c.want || !errors.Is(err, c.wantErr) {
				t.Errorf("read %q, %v; want %q, %v", got, err, c.want, c.wantErr)
			}
			if !errors.Is(er.failure(), c.wantErr) {
				t.Errorf("failure() = %v, want %v", er.failure(), c.wantErr)
			}
			// A consumer stopping at size never gets every byte of a bad input.
			if c.wantErr != nil && int64(len(got)) >= c.size && c.size > 0 {
				t.Errorf("handed out all %d bytes of a bad input", c.size)
			}
		})
	}
}

func TestExactReaderCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	er := newExactReader(ctx, strings.NewReader("hello"), 5)
	buf := make([]byte, 2)
	if n, err := er.Read(buf); n != 2 || err != nil {
		t.Fatalf("first Read = %d, %v", n, err)
	}
	cancel()
	if _, err := er.Read(buf); !errors.Is(err, context.Canceled) {
		t.Errorf("Read after cancel = %v, want context.Canceled", err)
	}
	if !errors.Is(er.failure(), context.Canceled) {
		t.Errorf("failure() = %v, want context.Canceled", er.failure())
	}
}
