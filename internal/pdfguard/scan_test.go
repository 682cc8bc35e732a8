package pdfguard

import (
	"bytes"
	"compress/zlib"
	"fmt"
	mrand "math/rand/v2"
	"testing"
)

// streamPDF is a small PDF with n content streams, each data inflated.
func streamPDF(n int, data []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(data)
	zw.Close()
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	for i := range n {
		fmt.Fprintf(&b, "%d 0 obj\n<< /Filter /FlateDecode /Length %d >>\nstream\n", i+1, z.Len())
		b.Write(z.Bytes())
		b.WriteString("\nendstream\nendobj\n")
	}
	return b.Bytes()
}

// TestScanDecodedLimits: the caps on inflated bytes hold for streams that
// do not look like bombs (a few times their size), one at a time and in
// all.
func TestScanDecodedLimits(t *testing.T) {
	text := make([]byte, 3<<20) // compresses about 4:1, like content streams
	rng := mrand.New(mrand.NewPCG(1, 2))
	for i := range text {
		text[i] = "q Q 0 1 2 3 cm Tj\n"[rng.IntN(18)]
	}
	lim := DefaultLimits
	lim.MaxStreamDecoded, lim.MaxDecoded = 2<<20, 5<<20
	if err := scan(streamPDF(1, text), lim); err == nil || err.Code != CodeDecoded {
		t.Errorf("one 3 MiB stream under a 2 MiB cap: %v", err)
	}
	if err := scan(streamPDF(2, text[:2<<20]), lim); err != nil {
		t.Errorf("two 2 MiB streams under a 5 MiB total: %v", err)
	}
	if err := scan(streamPDF(3, text[:2<<20]), lim); err == nil || err.Code != CodeDecoded {
		t.Errorf("three 2 MiB streams under a 5 MiB total: %v", err)
	}
}
