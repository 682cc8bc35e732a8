package pdfguard

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/pdfguard/hostile"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

// A verification in a worker gives the very report of one in this
// process, in JSON byte for byte: signed once, twice, and not at all.
func TestVerifyInWorkerSameReport(t *testing.T) {
	pki := signingtest.NewPKI(t)
	in, err := os.ReadFile("../../testdata/206-KH-SGDDT.pdf")
	if err != nil {
		t.Fatal(err)
	}
	sign := func(in []byte, k signing.Key) []byte {
		out, err := signing.Sign(context.Background(), in, signing.Options{Key: k, Reason: "Ban hành văn bản", Location: "Thành phố Hồ Chí Minh"})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	once := sign(in, pki.Person)
	twice := sign(once, pki.Org)
	roots := []*x509.Certificate{pki.Root, signingtest.TSARoot(t)}
	pool := x509.NewCertPool()
	for _, c := range roots {
		pool.AddCert(c)
	}
	g := newGuard(t, Options{Workers: 1})
	dir := t.TempDir()
	for name, b := range map[string][]byte{"unsigned": in, "once": once, "twice": twice, "tampered": append(append([]byte{}, twice...), "\n% later\n"...)} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".pdf")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			want, err := signing.Verify(b, signing.VerifyOptions{Roots: pool})
			if err != nil {
				t.Fatal(err)
			}
			got, err := g.Verify(t.Context(), path, roots, false)
			if err != nil {
				t.Fatal(err)
			}
			wj, _ := json.Marshal(want)
			gj, _ := json.Marshal(got)
			if string(wj) != string(gj) {
				t.Fatalf("worker's report:\n%s\nthis process's:\n%s", gj, wj)
			}
		})
	}
	// Without the roots, nothing is trusted.
	path := filepath.Join(dir, "twice.pdf")
	rep, err := g.Verify(t.Context(), path, nil, false)
	if err != nil || rep.Valid || rep.Signatures[0].Trusted {
		t.Errorf("verified without roots: %v %+v", err, rep.Signatures)
	}
}

// The signer block found in a worker is the one found in this process.
func TestSignerBlockInWorker(t *testing.T) {
	in, err := os.ReadFile("../../testdata/206-KH-SGDDT.pdf")
	if err != nil {
		t.Fatal(err)
	}
	want := FindSignerBlock(in)
	if !want.Found {
		t.Fatal("no signer block in the fixture")
	}
	got, err := newGuard(t, Options{Workers: 1}).SignerBlock(t.Context(), "../../testdata/206-KH-SGDDT.pdf")
	if err != nil || got != want {
		t.Fatalf("worker: %+v %v, this process: %+v", got, err, want)
	}
}

// Every hostile file is refused by the verification and the signer-block
// search too, quickly, with a reason.
func TestCorpusRefusedByEveryKind(t *testing.T) {
	g := newGuard(t, Options{Workers: 2})
	for _, c := range hostile.Cases() {
		path := filepath.Join(corpus, c.Name+".pdf")
		for _, kind := range []string{KindVerify, KindSignerBlock} {
			t.Run(c.Name+"/"+kind, func(t *testing.T) {
				start := time.Now()
				var err error
				if kind == KindVerify {
					_, err = g.Verify(t.Context(), path, nil, false)
				} else {
					_, err = g.SignerBlock(t.Context(), path)
				}
				var ge *Error
				if !errors.As(err, &ge) || ge.Message == "" {
					t.Fatalf("got %v, want a refusal", err)
				}
				if took := time.Since(start); took > 2*time.Second*slow() {
					t.Errorf("refused after %v, want within 2 s", took)
				}
			})
		}
	}
}
