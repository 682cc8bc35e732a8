package signing_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/digitorus/pdfsign"
	"github.com/hcm-edu/vanban/signing"
)

// Benchmarks of signing and verifying a 1 MiB and a 20 MiB PDF, pdfsign
// alone against Sign and Verify with the same options, in the same run.
// After each group a line prints the ratio Sign/pdfsign (or
// Verify/pdfsign) of the time per operation:
//
//	go test -run '^$' -bench . -benchtime 3s ./signing/

var benchSizes = []struct {
	name string
	size int
}{{"1MiB", 1 << 20}, {"20MiB", 20 << 20}}

var (
	benchMu      sync.Mutex
	benchResults = map[string]time.Duration{}
)

func record(b *testing.B, key string) {
	benchMu.Lock()
	benchResults[key] = b.Elapsed() / time.Duration(b.N)
	benchMu.Unlock()
}

func printRatios(prefix string) { printRatiosOf(prefix, "pdfsign", "vanban") }

// printRatiosOf prints, per size, the time of b against a's.
func printRatiosOf(prefix, a, b string) {
	benchMu.Lock()
	defer benchMu.Unlock()
	for _, size := range benchSizes {
		base, other := benchResults[prefix+"/"+size.name+"/"+a], benchResults[prefix+"/"+size.name+"/"+b]
		if base > 0 && other > 0 {
			fmt.Printf("%s/%s: %s %v/op, %s %v/op, ratio %s/%s %.2f\n", prefix, size.name, a, base.Round(time.Microsecond), b, other.Round(time.Microsecond), b, a, float64(other)/float64(base))
		}
	}
}

const benchName = "Nguyễn Văn An" // no ĩ: pdfsign alone must write it correctly

func librarySign(in []byte, k signing.Key) ([]byte, error) {
	doc, err := pdfsign.Open(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return nil, err
	}
	doc.Sign(k.Signer, k.Chain[0], k.Chain[1:]...).
		Type(pdfsign.ApprovalSignature).
		Permission(pdfsign.AllowFormFilling).
		Format(pdfsign.PAdES_B_B).
		Digest(crypto.SHA256).
		SignerName(benchName).
		Reason("Phê duyệt").
		Location("Thành phố Hồ Chí Minh")
	var out bytes.Buffer
	out.Grow(len(in) + 64<<10) // as Sign does
	_, err = doc.Write(&out)
	return out.Bytes(), err
}

func BenchmarkSign(b *testing.B) {
	k := testPKI(b).Person
	opts := signing.Options{Key: k, Name: benchName, Reason: "Phê duyệt", Location: "Thành phố Hồ Chí Minh"}
	for _, size := range benchSizes {
		in := minimalPDF("1.7", size.size, "Benchmark")
		b.Run(size.name+"/pdfsign", func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := librarySign(in, k); err != nil {
					b.Fatal(err)
				}
			}
			record(b, "Sign/"+size.name+"/pdfsign")
		})
		b.Run(size.name+"/vanban", func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := signing.Sign(context.Background(), in, opts); err != nil {
					b.Fatal(err)
				}
			}
			record(b, "Sign/"+size.name+"/vanban")
		})
	}
	printRatios("Sign")
}

func BenchmarkVerify(b *testing.B) {
	p := testPKI(b)
	for _, size := range benchSizes {
		signed, err := librarySign(minimalPDF("1.7", size.size, "Benchmark"), p.Person)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(size.name+"/pdfsign", func(b *testing.B) {
			b.SetBytes(int64(len(signed)))
			b.ReportAllocs()
			for b.Loop() {
				doc, err := pdfsign.Open(bytes.NewReader(signed), int64(len(signed)))
				if err != nil {
					b.Fatal(err)
				}
				if !doc.Verify().TrustedRoots(p.Roots).ValidateTimestampCertificates(true).Valid() {
					b.Fatal("not valid")
				}
			}
			record(b, "Verify/"+size.name+"/pdfsign")
		})
		b.Run(size.name+"/vanban", func(b *testing.B) {
			b.SetBytes(int64(len(signed)))
			b.ReportAllocs()
			for b.Loop() {
				rep, err := signing.Verify(signed, signing.VerifyOptions{Roots: p.Roots})
				if err != nil || !rep.Valid {
					b.Fatal(err, rep.VerdictEN)
				}
			}
			record(b, "Verify/"+size.name+"/vanban")
		})
	}
	printRatios("Verify")
}

// BenchmarkTwoStep: one-step Sign against Prepare + the device's signature
// (the same key, held in process) + Complete, same file, same key, same
// run; a line prints the ratio two-step/one-step. The helper's and the
// remote service's own times are benchmarked in localsigner and remotesign.
func BenchmarkTwoStep(b *testing.B) {
	k := testPKI(b).Person
	opts := signing.Options{Key: k, Name: benchName, Reason: "Phê duyệt", Location: "Thành phố Hồ Chí Minh"}
	for _, size := range benchSizes {
		in := minimalPDF("1.7", size.size, "Benchmark")
		b.Run(size.name+"/one-step", func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := signing.Sign(context.Background(), in, opts); err != nil {
					b.Fatal(err)
				}
			}
			record(b, "TwoStep/"+size.name+"/one-step")
		})
		b.Run(size.name+"/two-step", func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				prep, err := signing.Prepare(context.Background(), in, k.Chain, opts)
				if err != nil {
					b.Fatal(err)
				}
				value, err := k.Signer.Sign(rand.Reader, prep.Digest, crypto.SHA256)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := signing.Complete(context.Background(), prep.PDF, prep.Digest, value, k.Certificate(), nil); err != nil {
					b.Fatal(err)
				}
			}
			record(b, "TwoStep/"+size.name+"/two-step")
		})
	}
	printRatiosOf("TwoStep", "one-step", "two-step")
}
