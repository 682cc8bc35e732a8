package documents

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

// padded returns the blank 206-KH draft grown to size bytes by an
// unreferenced stream of random bytes, in an incremental update.
func padded(b *testing.B, size int) []byte {
	in := readTestdata(b, "206-KH-SGDDT-blank.pdf")
	m := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(in)
	prev, _ := strconv.Atoi(string(m[1]))
	var buf bytes.Buffer
	buf.Write(in)
	n := size - len(in) - 400
	data := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{})
	rng.Read(data)
	off := buf.Len()
	fmt.Fprintf(&buf, "46 0 obj\n<< /Length %d >>\nstream\n", n)
	buf.Write(data)
	buf.WriteString("\nendstream\nendobj\n")
	x := buf.Len()
	fmt.Fprintf(&buf, "xref\n46 1\n%010d 00000 n\r\ntrailer\n<< /Size 47 /Root 1 0 R /Info 2 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", off, prev, x)
	return buf.Bytes()
}

// BenchmarkRegistration: the number and date written onto page 1 plus the
// organisation's signature, against the organisation's signature alone,
// on a draft the person has signed.
func BenchmarkRegistration(b *testing.B) {
	pki := signingtest.NewPKI(b)
	ctx := context.Background()
	seal := signing.DemoSealImage("Sở Giáo dục và Đào tạo")
	oa, err := signing.SealAppearance(seal, "Sở Giáo dục và Đào tạo", time.Now(), signing.Rect{X: 10, Y: 10, W: 140, H: 56})
	if err != nil {
		b.Fatal(err)
	}
	app := &signing.Appearance{Page: 12, Rect: [4]float64{330, 150, 330 + oa.Width, 150 + oa.Height}, PNG: oa.PNG}
	for _, size := range []int{1 << 20, 20 << 20} {
		in := padded(b, size)
		signed, err := signing.Sign(ctx, in, signing.Options{Key: pki.Person, Appearance: &signing.Appearance{Page: 12, Rect: [4]float64{350, 170, 500, 230}, PNG: signing.DemoSignatureImage("Lê Hồng Sơn")}})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("seal alone/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(len(signed)))
			for b.Loop() {
				if _, err := signing.Sign(ctx, signed, signing.Options{Key: pki.Org, Appearance: app}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("number, date and seal/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(len(signed)))
			for b.Loop() {
				numbered, _, notice, err := writeIssueMarks(signed, "01/KH-SGDĐT", time.Now())
				if err != nil || notice != "" {
					b.Fatalf("%v %q", err, notice)
				}
				if _, err := signing.Sign(ctx, numbered, signing.Options{Key: pki.Org, Appearance: app}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
