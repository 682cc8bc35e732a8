package signing_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing"
)

// SignOwned writes the signed file into the buffer handed over, leaves
// the PDF in it unchanged, and signs as Sign does; without room it copies.
func TestSignOwned(t *testing.T) {
	k := testPKI(t).Person
	in := benchPDF(256 << 10)
	o := signing.Options{Key: k, Name: benchName, Reason: "Phê duyệt", Location: "Thành phố Hồ Chí Minh", Appearance: benchAppearance(t)}
	for _, room := range []int{signing.SignHeadroom, 0} {
		buf := make([]byte, len(in), len(in)+room)
		copy(buf, in)
		out, err := signing.SignOwned(context.Background(), buf, o)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, in) || !bytes.HasPrefix(out, in) {
			t.Fatalf("room %d: the PDF changed", room)
		}
		if shared := &out[0] == &buf[0]; shared != (room > 0) {
			t.Errorf("room %d: result shares the buffer: %v", room, shared)
		}
		testenv.CheckSignedPDF(t, out, 1)
		again, err := signing.SignOwned(context.Background(), out, o)
		if err != nil {
			t.Fatal(err)
		}
		testenv.CheckSignedPDF(t, again, 2)
	}
}
