package signing_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/ThalesGroup/crypto11"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

func prepareOptions() signing.Options {
	return signing.Options{Reason: "Ký ban hành văn bản", Location: "Sở Giáo dục và Đào tạo",
		Appearance: &signing.Appearance{Rect: [4]float64{330, 120, 510, 200}, PNG: testPNG(360, 160, blue)}}
}

// The device signs the prepared digest (here the key held apart, as on a
// token); Complete makes a file that every verifier accepts, with the
// earlier signature still valid.
func TestPrepareComplete(t *testing.T) {
	tsaURL := signingtest.NewTSA(t)
	p := testPKI(t)
	for _, tc := range []struct {
		name   string
		tsa    *signing.TSA
		format string
	}{
		{"B-B", nil, "PAdES B-B"},
		{"B-T", &signing.TSA{URL: tsaURL}, "PAdES B-T"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, err := signing.Sign(context.Background(), fixture(t), signing.Options{Key: p.Org, Reason: "Trình ký", TSA: tc.tsa,
				Appearance: &signing.Appearance{Rect: [4]float64{100, 120, 200, 200}, PNG: testPNG(200, 160, red)}})
			if err != nil {
				t.Fatal(err)
			}
			o := prepareOptions()
			o.TSA = tc.tsa
			prep, err := signing.Prepare(context.Background(), first, p.Person.Chain, o)
			if err != nil {
				t.Fatal(err)
			}
			if rep, err := signing.Verify(prep.PDF, signing.VerifyOptions{Roots: p.Roots}); err == nil && rep.Valid {
				t.Fatal("a prepared file verifies before it is completed")
			}
			value, err := p.Person.Signer.Sign(rand.Reader, prep.Digest, crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			out, err := signing.Complete(context.Background(), prep.PDF, prep.Digest, value, p.Person.Certificate(), tc.tsa)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != len(prep.PDF) {
				t.Errorf("completed file %d bytes, prepared %d: only /Contents may change", len(out), len(prep.PDF))
			}
			requireValid(t, mustVerify(t, out), 2, tc.format)
			checkTools(t, writeTemp(t, "two-step.pdf", out), 2)
		})
	}
}

// Each way a completion can be wrong is refused, and returns no file.
func TestCompleteRefuses(t *testing.T) {
	p := testPKI(t)
	ctx := context.Background()
	prep, err := signing.Prepare(ctx, fixture(t), p.Person.Chain, prepareOptions())
	if err != nil {
		t.Fatal(err)
	}
	good, err := p.Person.Signer.Sign(rand.Reader, prep.Digest, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	other := p.NewKey(t, "Người khác", "Sở", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	byOther, err := other.Signer.Sign(rand.Reader, prep.Digest, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	o := prepareOptions()
	o.Reason = "Ký văn bản khác"
	elsewhere, err := signing.Prepare(ctx, fixture(t), p.Person.Chain, o)
	if err != nil {
		t.Fatal(err)
	}
	forElsewhere, err := p.Person.Signer.Sign(rand.Reader, elsewhere.Digest, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(prep.PDF)
	if i := bytes.Index(tampered, []byte("/Reason")); i > 0 {
		tampered[i+10] ^= 0x01
	}
	for _, c := range []struct {
		name   string
		file   []byte
		digest []byte
		value  []byte
		leaf   *x509.Certificate
		want   error
	}{
		{"a signature by another key", prep.PDF, prep.Digest, byOther, p.Person.Certificate(), signing.ErrSignatureMismatch},
		{"completed with another certificate", prep.PDF, prep.Digest, byOther, other.Certificate(), signing.ErrSignatureMismatch},
		{"a signature made for another prepared document", prep.PDF, prep.Digest, forElsewhere, p.Person.Certificate(), signing.ErrSignatureMismatch},
		{"another document's digest", prep.PDF, elsewhere.Digest, forElsewhere, p.Person.Certificate(), signing.ErrNotPrepared},
		{"garbage", prep.PDF, prep.Digest, []byte("không phải chữ ký"), p.Person.Certificate(), signing.ErrSignatureMismatch},
		{"a file that is not prepared", fixture(t), prep.Digest, good, p.Person.Certificate(), signing.ErrNotPrepared},
		{"bytes appended to the prepared file", append(bytes.Clone(prep.PDF), "\n% thêm\n"...), prep.Digest, good, p.Person.Certificate(), signing.ErrNotPrepared},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := signing.Complete(ctx, c.file, c.digest, c.value, c.leaf, nil)
			if !errors.Is(err, c.want) || out != nil {
				t.Fatalf("Complete = %d bytes, %v; want %v", len(out), err, c.want)
			}
		})
	}
	// A change inside what the signature covers passes Complete (it only
	// rewrites /Contents) but not verification: the caller verifies.
	if out, err := signing.Complete(ctx, tampered, prep.Digest, good, p.Person.Certificate(), nil); err == nil {
		if rep, err := signing.Verify(out, signing.VerifyOptions{Roots: p.Roots}); err == nil && rep.Valid {
			t.Fatal("a prepared file changed before completion verifies")
		}
	}
}

// An ECDSA key's signature varies in length; the placeholder keeps room
// for the longest.
func TestPrepareCompleteECDSA(t *testing.T) {
	p := testPKI(t)
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	chain := p.Issue(t, "Trần Thị Bích", k.Public())
	for range 5 {
		prep, err := signing.Prepare(context.Background(), fixture(t), chain, prepareOptions())
		if err != nil {
			t.Fatal(err)
		}
		value, err := k.Sign(rand.Reader, prep.Digest, crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		out, err := signing.Complete(context.Background(), prep.PDF, prep.Digest, value, chain[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		requireValid(t, mustVerify(t, out), 1, "PAdES B-B")
	}
}

// The key on a SoftHSM token, as on a person's USB token: the server
// prepares with the certificate alone.
func TestPrepareCompleteWithToken(t *testing.T) {
	p := testPKI(t)
	tok := signingtest.NewToken(t, "token-lanh-dao", "1234-5678")
	chain := tok.AddKey(t, "giamdoc", func(pub crypto.PublicKey) []*x509.Certificate { return p.Issue(t, "Lê Hoài Nam", pub) })
	prep, err := signing.Prepare(context.Background(), fixture(t), chain, prepareOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: tok.Module, TokenLabel: tok.Label, Pin: tok.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	signer, err := ctx.FindKeyPair(nil, []byte("giamdoc"))
	if err != nil || signer == nil {
		t.Fatalf("key on the token: %v", err)
	}
	value, err := signer.Sign(rand.Reader, prep.Digest, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	out, err := signing.Complete(context.Background(), prep.PDF, prep.Digest, value, chain[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, mustVerify(t, out), 1, "PAdES B-B")
	checkTools(t, writeTemp(t, "token.pdf", out), 1)
}
