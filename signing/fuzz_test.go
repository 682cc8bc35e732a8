package signing_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/pdfguard"
	"github.com/hcm-edu/vanban/internal/pdfguard/hostile"
	"github.com/hcm-edu/vanban/signing"
)

// FuzzSign is the sign path as the service runs it: a file from outside
// is checked by pdfguard, and only a file that passes is signed, in this
// process. Signing then returns an error or a PDF whose new signature
// verifies, intact, trusted and covering the whole file; it never panics
// and never hangs. The hostile corpus and ordinary files are the seeds.
//
//	go test ./signing -run '^$' -fuzz '^FuzzSign$' -fuzztime 15s
func FuzzSign(f *testing.F) {
	f.Add(fixture(f))
	f.Add(minimalPDF("1.4", 0, "x"))
	f.Add(objStreamPDF("x", "y"))
	for _, c := range hostile.Cases() {
		if b := c.Make(); len(b) <= 256<<10 { // larger seeds slow every mutation
			f.Add(b)
		}
	}
	p := testPKI(f)
	g := pdfguard.New(pdfguard.Options{Workers: 1, Limits: pdfguard.Limits{Wall: 10 * time.Second}})
	f.Cleanup(func() { g.Close() })
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, in []byte) {
		path := filepath.Join(dir, "in.pdf")
		if err := os.WriteFile(path, in, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := g.Check(context.Background(), path); err != nil {
			var ge *pdfguard.Error
			if !errors.As(err, &ge) {
				t.Fatal(err)
			}
			return // refused at the boundary: never signed
		}
		type result struct {
			out []byte
			err error
		}
		done := make(chan result, 1)
		go func() {
			out, err := signing.Sign(context.Background(), in, signing.Options{Key: p.Org, Reason: "Ban hành văn bản", Location: "Thành phố Hồ Chí Minh"})
			done <- result{out, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("Sign took over 20 s on a file the guard passed")
		}
		if r.err != nil {
			return
		}
		rep, err := signing.Verify(r.out, signing.VerifyOptions{Roots: p.Roots})
		if err != nil {
			t.Fatalf("the signed file does not verify: %v", err)
		}
		if n := len(rep.Signatures); n == 0 {
			t.Fatal("the signed file has no signature")
		} else if s := rep.Signatures[n-1]; !s.Intact || !s.Trusted || !s.CoversWholeDocument {
			t.Fatalf("the new signature: %+v", s)
		}
	})
}
