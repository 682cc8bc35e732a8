package storage

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestBodyReaderWriteTo copies bodies shorter than, equal to and longer
// than its buffer byte for byte, from a reader that hands out little at a
// time, and passes on a read error.
func TestBodyReaderWriteTo(t *testing.T) {
	for _, n := range []int{0, 1, copyChunk - 1, copyChunk, 2*copyChunk + 7} {
		want := bytes.Repeat([]byte("vanban"), n/6+1)[:n]
		var got bytes.Buffer
		r := bodyReader{io.NopCloser(iotest.HalfReader(bytes.NewReader(want)))}
		m, err := io.Copy(&got, r)
		if err != nil || m != int64(n) || !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("%d bytes: copied %d, err %v, same %v", n, m, err, bytes.Equal(got.Bytes(), want))
		}
	}
	boom := errors.New("boom")
	r := bodyReader{io.NopCloser(io.MultiReader(bytes.NewReader(make([]byte, 10)), iotest.ErrReader(boom)))}
	if _, err := io.Copy(io.Discard, r); !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
}
