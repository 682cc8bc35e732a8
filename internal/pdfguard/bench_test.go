package pdfguard

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

// BenchmarkCheck compares, on ordinary files, the whole check run in this
// process (no boundary) with the same check in a pooled worker: the
// difference is what the boundary costs per document.
//
//	go test ./internal/pdfguard -run '^$' -bench Check -benchtime 2s
func BenchmarkCheck(b *testing.B) {
	dir := b.TempDir()
	files := []struct{ name, path string }{{"fixture-87KiB", "../../testdata/206-KH-SGDDT.pdf"}}
	for _, f := range []struct {
		name string
		size int
	}{{"1MiB", 1 << 20}, {"20MiB", 20 << 20}} {
		p := filepath.Join(dir, f.name+".pdf")
		if err := os.WriteFile(p, testenv.PDF(f.size, 1), 0o600); err != nil {
			b.Fatal(err)
		}
		files = append(files, struct{ name, path string }{f.name, p})
	}
	g := New(Options{Workers: 1})
	defer g.Close()
	for _, f := range files {
		b.Run(f.name+"/in-process", func(b *testing.B) {
			for b.Loop() {
				data, done, err := mapFile(f.path)
				if err != nil {
					b.Fatal(err)
				}
				if _, gerr := check(data, DefaultLimits); gerr != nil {
					b.Fatal(gerr)
				}
				done()
			}
		})
		b.Run(f.name+"/worker", func(b *testing.B) {
			if _, err := g.Check(b.Context(), f.path); err != nil { // start the worker
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := g.Check(b.Context(), f.path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("round-trip", func(b *testing.B) {
		var pid int
		for b.Loop() {
			if err := g.Do(b.Context(), Request{Kind: "pid"}, &pid); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("worker-start", func(b *testing.B) {
		for b.Loop() {
			w, err := startWorker(os.Args[0], DefaultLimits)
			if err != nil {
				b.Fatal(err)
			}
			w.kill()
		}
	})
}

// BenchmarkBoundary is the boundary's cost on ordinary files (issue 10's
// figures): check, verify and sign of a 1, 20 and 100 MiB file, each
// iteration running the same work without the boundary (in this process)
// and with it (the parse in a pooled worker; for signing, the worker's
// check, then the signature in this process, as the service signs),
// alternating, so that both see the same machine. Reported per operation:
// ms-direct, ms-guarded and their ratio.
//
//	go test ./internal/pdfguard -run '^$' -bench Boundary -benchtime 3x
func BenchmarkBoundary(b *testing.B) {
	dir := b.TempDir()
	pki := signingtest.NewPKI(b)
	roots := []*x509.Certificate{pki.Root, signingtest.TSARoot(b)}
	g := New(Options{Workers: 1})
	defer g.Close()
	sign := func(in []byte) []byte {
		out, err := signing.Sign(context.Background(), in, signing.Options{Key: pki.Org, Reason: "Ban hành văn bản", Location: "Thành phố Hồ Chí Minh"})
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	for _, size := range []int{1 << 20, 20 << 20, 100 << 20} {
		name := fmt.Sprintf("%dMiB", size>>20)
		plain := testenv.PDF(size, uint64(size))
		signed := sign(plain)
		plainPath, signedPath := filepath.Join(dir, name+".pdf"), filepath.Join(dir, name+"-signed.pdf")
		if err := os.WriteFile(plainPath, plain, 0o600); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(signedPath, signed, 0o600); err != nil {
			b.Fatal(err)
		}
		ops := []struct {
			op              string
			direct, guarded func() error
		}{
			{"check", func() error {
				data, done, err := mapFile(plainPath)
				if err != nil {
					return err
				}
				defer done()
				if _, gerr := check(data, DefaultLimits); gerr != nil {
					return gerr
				}
				return nil
			}, func() error {
				_, err := g.Check(context.Background(), plainPath)
				return err
			}},
			{"verify", func() error {
				in, err := os.ReadFile(signedPath)
				if err != nil {
					return err
				}
				pool := x509.NewCertPool()
				for _, c := range roots {
					pool.AddCert(c)
				}
				_, err = signing.Verify(in, signing.VerifyOptions{Roots: pool})
				return err
			}, func() error {
				_, err := g.Verify(context.Background(), signedPath, roots, false)
				return err
			}},
			{"sign", func() error {
				sign(plain)
				return nil
			}, func() error {
				if _, err := g.Check(context.Background(), plainPath); err != nil {
					return err
				}
				sign(plain)
				return nil
			}},
		}
		for _, o := range ops {
			b.Run(name+"/"+o.op, func(b *testing.B) {
				if err := o.guarded(); err != nil { // the worker starts
					b.Skipf("refused by the boundary: %v", err)
				}
				var direct, guarded time.Duration
				for b.Loop() {
					t := time.Now()
					if err := o.direct(); err != nil {
						b.Fatal(err)
					}
					direct += time.Since(t)
					t = time.Now()
					if err := o.guarded(); err != nil {
						b.Fatal(err)
					}
					guarded += time.Since(t)
				}
				b.ReportMetric(float64(direct.Microseconds())/1000/float64(b.N), "ms-direct")
				b.ReportMetric(float64(guarded.Microseconds())/1000/float64(b.N), "ms-guarded")
				b.ReportMetric(float64(guarded)/float64(direct), "ratio")
			})
		}
	}
}
