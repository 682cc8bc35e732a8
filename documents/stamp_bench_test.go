package documents

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
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
// on a draft the person has signed, 1 MiB and 20 MiB. Each iteration runs
// every variant once, in turn, after a warm-up round; it reports medians
// with p10 and p90 and prints a summary table (one core: -cpu 1). The
// registration through the service, with 8 clients at once, is in
// BenchmarkAPISign (internal/server).
func BenchmarkRegistration(b *testing.B) {
	pki := signingtest.NewPKI(b)
	ctx := context.Background()
	seal := signing.DemoSealImage("Sở Giáo dục và Đào tạo")
	oa, err := signing.SealAppearance(seal, "Sở Giáo dục và Đào tạo", time.Now(), signing.Rect{X: 10, Y: 10, W: 140, H: 56})
	if err != nil {
		b.Fatal(err)
	}
	app := &signing.Appearance{Page: 12, Rect: [4]float64{330, 150, 330 + oa.Width, 150 + oa.Height}, PNG: oa.PNG}
	type variant struct {
		name string
		run  func()
	}
	var variants []variant
	for _, size := range []int{1 << 20, 20 << 20} {
		in := padded(b, size)
		signed, err := signing.Sign(ctx, in, signing.Options{Key: pki.Person, Appearance: &signing.Appearance{Page: 12, Rect: [4]float64{350, 170, 500, 230}, PNG: signing.DemoSignatureImage("Lê Hồng Sơn")}})
		if err != nil {
			b.Fatal(err)
		}
		variants = append(variants, variant{fmt.Sprintf("seal alone/%dMiB", size>>20), func() {
			if _, err := signing.Sign(ctx, signed, signing.Options{Key: pki.Org, Appearance: app}); err != nil {
				b.Fatal(err)
			}
		}}, variant{fmt.Sprintf("number, date and seal/%dMiB", size>>20), func() {
			numbered, _, notice, err := writeIssueMarks(signed, "01/KH-SGDĐT", time.Now())
			if err != nil || notice != "" {
				b.Fatalf("%v %q", err, notice)
			}
			if _, err := signing.Sign(ctx, numbered, signing.Options{Key: pki.Org, Appearance: app}); err != nil {
				b.Fatal(err)
			}
		}})
	}
	for _, v := range variants {
		v.run() // warm-up
	}
	times := make([][]time.Duration, len(variants))
	b.ResetTimer()
	for b.Loop() {
		for i, v := range variants {
			t := time.Now()
			v.run()
			times[i] = append(times[i], time.Since(t))
		}
	}
	b.StopTimer()
	var sum strings.Builder
	fmt.Fprintf(&sum, "\n%-30s %6s %9s %9s %9s %9s\n", "BenchmarkRegistration", "n", "p10 ms", "p50 ms", "p90 ms", "per s")
	for i, v := range variants {
		ds := times[i]
		slices.Sort(ds)
		q := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000 }
		b.ReportMetric(q(0.5), strings.NewReplacer(" ", "-", ",", "", "/", "-").Replace(v.name)+"-p50-ms")
		fmt.Fprintf(&sum, "%-30s %6d %9.1f %9.1f %9.1f %9.1f\n", v.name, len(ds), q(0.1), q(0.5), q(0.9), 1000/q(0.5))
	}
	fmt.Print(sum.String())
}
