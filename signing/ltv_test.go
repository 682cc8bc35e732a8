package signing_test

import (
	"context"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

const serialLTV = 0x2001

// ltvWorld is a CA answering by `openssl ocsp` and a CRL over HTTP, and
// the test TSA.
type ltvWorld struct {
	ca      *signingtest.RevocationCA
	key     signing.Key
	tsa     *signing.TSA
	checker *signing.RevocationChecker
}

func newLTVWorld(t testing.TB) *ltvWorld {
	t.Helper()
	ca := signingtest.NewRevocationCA(t)
	ocspURL := ca.StartOCSP(t, []signingtest.OCSPEntry{{Serial: serialLTV, CN: "ltv"}})
	crl := signingtest.ServeCRL(t, ca.CRL(t, nil, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)))
	return &ltvWorld{
		ca:      ca,
		key:     ca.Issue(t, serialLTV, "Nguyễn Văn An", ocspURL, crl.URL),
		tsa:     &signing.TSA{URL: signingtest.NewTSA(t), Timeout: 10 * time.Second},
		checker: &signing.RevocationChecker{Timeout: 5 * time.Second, Client: &http.Client{}},
	}
}

func (w *ltvWorld) sign(t testing.TB, in []byte, tsa *signing.TSA) []byte {
	t.Helper()
	out, err := signing.Sign(context.Background(), in, signing.Options{Key: w.key, Reason: "Phê duyệt", Location: "Thành phố Hồ Chí Minh", TSA: tsa})
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return out
}

func (w *ltvWorld) lt(t testing.TB, in []byte) []byte {
	t.Helper()
	out, err := signing.AddValidationData(context.Background(), in, signing.ValidationDataOptions{Roots: w.ca.Roots, Revocation: w.checker})
	if err != nil {
		t.Fatalf("AddValidationData: %v", err)
	}
	return out
}

func (w *ltvWorld) lta(t testing.TB, in []byte) []byte {
	t.Helper()
	out, err := signing.AddDocumentTimestamp(context.Background(), in, w.tsa)
	if err != nil {
		t.Fatalf("AddDocumentTimestamp: %v", err)
	}
	return out
}

func (w *ltvWorld) verify(t testing.TB, in []byte, o signing.VerifyOptions) signing.Report {
	t.Helper()
	o.Roots = w.ca.Roots
	rep, err := signing.Verify(in, o)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

// fiveYearsLater is the clock of the archive test: after the signer's
// certificate (one year) has expired, just before the test TSA's (five
// years) does.
func fiveYearsLater() time.Time { return time.Now().Add(5*365*24*time.Hour - 24*time.Hour) }

func TestLTVLevels(t *testing.T) {
	w := newLTVWorld(t)
	bt := w.sign(t, fixture(t), w.tsa)
	rep := w.verify(t, bt, signing.VerifyOptions{})
	if !rep.Valid || rep.Level != signing.LevelBT {
		t.Fatalf("B-T: level %q valid %v: %s", rep.Level, rep.Valid, rep.VerdictEN)
	}
	blt := w.lt(t, bt)
	rep = w.verify(t, blt, signing.VerifyOptions{})
	if !rep.Valid || rep.Level != signing.LevelBLT || rep.ModifiedAfterLastSignature {
		t.Fatalf("B-LT: level %q valid %v: %s %+v", rep.Level, rep.Valid, rep.VerdictEN, rep.Signatures)
	}
	if s := rep.Signatures[0]; s.Coverage != signing.CoverageUpToDSS || s.Revocation != signing.RevocationGood {
		t.Errorf("B-LT signature: coverage %q revocation %q", s.Coverage, s.Revocation)
	}
	// a second pass adds nothing new but is still allowed
	blt2 := w.lt(t, blt)
	if rep := w.verify(t, blt2, signing.VerifyOptions{Offline: true}); !rep.Valid || rep.Level != signing.LevelBLT {
		t.Fatalf("B-LT twice: level %q: %s", rep.Level, rep.VerdictEN)
	}
	blta := w.lta(t, blt)
	rep = w.verify(t, blta, signing.VerifyOptions{})
	if !rep.Valid || rep.Level != signing.LevelBLTA || len(rep.Signatures) != 2 {
		t.Fatalf("B-LTA: level %q valid %v: %s %+v", rep.Level, rep.Valid, rep.VerdictEN, rep.Signatures)
	}
	if ts := rep.Signatures[1]; !strings.Contains(ts.Format, "document timestamp") || !ts.Trusted {
		t.Errorf("document timestamp: %+v", ts)
	}
	// re-timestamping: DSS for the timestamp chains, a new document timestamp
	again := w.lta(t, w.lt(t, blta))
	rep = w.verify(t, again, signing.VerifyOptions{At: fiveYearsLater(), Offline: true})
	if !rep.Valid || rep.Level != signing.LevelBLTA || len(rep.Signatures) != 3 {
		t.Fatalf("re-timestamped, five years later: level %q valid %v: %s %+v", rep.Level, rep.Valid, rep.VerdictEN, rep.Signatures)
	}
	at, cert, ok := signing.LastDocumentTimestamp(again)
	if !ok || cert == nil || time.Since(at) > time.Minute {
		t.Errorf("LastDocumentTimestamp: %v %v %v", at, cert, ok)
	}

	for _, f := range []struct {
		name string
		b    []byte
	}{{"blt.pdf", blt}, {"blta.pdf", blta}, {"again.pdf", again}} {
		path := writeTemp(t, f.name, f.b)
		checkQpdf(t, path)
		if _, err := exec.LookPath("mutool"); err == nil {
			if out, err := exec.Command("mutool", "info", path).CombinedOutput(); err != nil {
				t.Errorf("mutool info %s: %v\n%s", f.name, err, out)
			}
		}
	}
	path := writeTemp(t, "blta.pdf", blta)
	checkPdfsigLTV(t, path, 2)
	// mutool checks the signature's digest (it does not read RFC 3161
	// document timestamps: "Signature is not signed")
	if _, err := exec.LookPath("mutool"); err == nil {
		out, _ := exec.Command("mutool", "sign", "-v", path).CombinedOutput()
		if text := string(out); strings.Contains(text, "Digest error") || !strings.Contains(text, "The signature is valid but there have been edits since signing.") {
			t.Errorf("mutool sign -v:\n%s", text)
		}
	}
}

// checkPdfsigLTV runs pdfsig on a file whose last of n signatures is a
// document timestamp: the signatures before it are valid, and it is
// listed, by the test TSA, covering the whole file. (pdfsig 22.12 lists
// a document timestamp but says "Unable to validate this type of
// signature": it does not check RFC 3161 tokens.)
func checkPdfsigLTV(t *testing.T, path string, n int) string {
	t.Helper()
	needTool(t, "pdfsig")
	out, err := exec.Command("pdfsig", path).CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("pdfsig %s: %v\n%s", path, err, text)
	}
	blocks := pdfsigBlock.Split(text, -1)[1:]
	if len(blocks) != n {
		t.Fatalf("pdfsig sees %d signatures, want %d:\n%s", len(blocks), n, text)
	}
	for i, b := range blocks[:n-1] {
		if !strings.Contains(b, "Signature Validation: Signature is Valid.") {
			t.Errorf("pdfsig: signature %d is not valid:\n%s", i+1, b)
		}
	}
	if !strings.Contains(blocks[n-1], "Vanban Test TSA") || !strings.Contains(blocks[n-1], "- Total document signed") {
		t.Errorf("pdfsig: the last one does not cover the document:\n%s", blocks[n-1])
	}
	return text
}

func TestLTVFiveYearsLaterOffline(t *testing.T) {
	w := newLTVWorld(t)
	bb := w.sign(t, fixture(t), nil)
	blta := w.lta(t, w.lt(t, w.sign(t, fixture(t), w.tsa)))
	later := signing.VerifyOptions{At: fiveYearsLater(), Offline: true}
	if rep := w.verify(t, blta, later); !rep.Valid || rep.Level != signing.LevelBLTA {
		t.Fatalf("B-LTA five years later, offline: level %q: %s %+v", rep.Level, rep.VerdictEN, rep.Signatures)
	} else if p := rep.Signatures[0].ProvenAt; p == nil || time.Since(*p) > time.Minute {
		t.Errorf("proven at %v", p)
	}
	rep := w.verify(t, bb, later)
	if rep.Valid || rep.Level != signing.LevelBB {
		t.Fatalf("B-B five years later: level %q valid %v: %s", rep.Level, rep.Valid, rep.VerdictEN)
	}
	if !strings.Contains(strings.Join(rep.Signatures[0].Problems, "; "), "expired") {
		t.Errorf("B-B: the problems do not say the certificate expired: %v", rep.Signatures[0].Problems)
	}
	// B-B proven by a document timestamp over its validation data is B-LT
	// (ETSI EN 319 142-1: a document timestamp may make it B-T); one more
	// round (the DSS for that timestamp, a second one) makes it B-LTA
	bbLT := w.lta(t, w.lt(t, bb))
	if rep := w.verify(t, bbLT, signing.VerifyOptions{}); !rep.Valid || rep.Level != signing.LevelBLT {
		t.Fatalf("B-B with DSS and a document timestamp: level %q: %s", rep.Level, rep.VerdictEN)
	}
	bbLTA := w.lta(t, w.lt(t, bbLT))
	if rep := w.verify(t, bbLTA, later); !rep.Valid || rep.Level != signing.LevelBLTA {
		t.Fatalf("B-B made B-LTA, five years later: level %q: %s %+v", rep.Level, rep.VerdictEN, rep.Signatures)
	}
	// B-T: the time is proven, but nothing in the file says the expired
	// certificate was not revoked
	bt := w.sign(t, fixture(t), w.tsa)
	if rep := w.verify(t, bt, later); rep.Valid || rep.Level != signing.LevelBT {
		t.Errorf("B-T five years later, offline: level %q: %s", rep.Level, rep.VerdictEN)
	}
	// today, offline, it stands with its revocation unknown
	if rep := w.verify(t, bt, signing.VerifyOptions{Offline: true}); !rep.Valid || rep.Signatures[0].Revocation != signing.RevocationUnknown {
		t.Errorf("B-T offline today: %s %+v", rep.VerdictEN, rep.Signatures[0])
	}
}

func TestLTVServicesDown(t *testing.T) {
	w := newLTVWorld(t)
	down := w.ca.Issue(t, serialLTV, "Trần Thị Bình", signingtest.ClosedURL(t), signingtest.ClosedURL(t))
	bt, err := signing.Sign(context.Background(), fixture(t), signing.Options{Key: down, TSA: w.tsa})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signing.AddValidationData(context.Background(), bt, signing.ValidationDataOptions{Roots: w.ca.Roots, Revocation: w.checker}); !errors.Is(err, signing.ErrValidationData) {
		t.Errorf("responders down: %v", err)
	}
	hanging := &signing.TSA{URL: signingtest.HangingTSA(t), Timeout: 300 * time.Millisecond}
	if _, err := signing.AddDocumentTimestamp(context.Background(), w.sign(t, fixture(t), w.tsa), hanging); !errors.Is(err, signing.ErrTSA) {
		t.Errorf("TSA down: %v", err)
	}
	if _, err := signing.AddDocumentTimestamp(context.Background(), bt, &signing.TSA{URL: signingtest.ClosedURL(t)}); !errors.Is(err, signing.ErrTSA) {
		t.Errorf("TSA closed: %v", err)
	}
}
