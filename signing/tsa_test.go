package signing_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

func failingTSA(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "timestamping is down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func notATSA(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>hello</html>"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestTSAClient(t *testing.T) {
	ctx := context.Background()
	good := &signing.TSA{URL: signingtest.NewTSA(t), Timeout: 5 * time.Second}
	ts, err := good.Timestamp(ctx, []byte("văn bản"))
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(ts.Time) > time.Minute || len(ts.Certificates) == 0 {
		t.Errorf("token: %+v", ts)
	}
	if err := good.Check(ctx); err != nil {
		t.Fatal(err)
	}
	for name, url := range map[string]string{"503": failingTSA(t), "not RFC 3161": notATSA(t), "hangs": signingtest.HangingTSA(t), "no server": "http://127.0.0.1:1"} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := (&signing.TSA{URL: url, Timeout: 300 * time.Millisecond}).Check(ctx)
			if !errors.Is(err, signing.ErrTSA) {
				t.Fatalf("error %v, want ErrTSA", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// A TSA that hangs, fails or answers nonsense makes Sign fail with ErrTSA
// within the TSA's timeout, and produce nothing.
func TestSignTSAFailures(t *testing.T) {
	p := testPKI(t)
	in := fixture(t)
	for name, url := range map[string]string{"hangs": signingtest.HangingTSA(t), "503": failingTSA(t), "not RFC 3161": notATSA(t)} {
		t.Run(name, func(t *testing.T) {
			const timeout = time.Second
			start := time.Now()
			out, err := signing.Sign(context.Background(), in, signing.Options{Key: p.Person, TSA: &signing.TSA{URL: url, Timeout: timeout}})
			elapsed := time.Since(start)
			if !errors.Is(err, signing.ErrTSA) || out != nil {
				t.Fatalf("Sign = %d bytes, %v; want no bytes and ErrTSA", len(out), err)
			}
			if elapsed > timeout+2*time.Second {
				t.Errorf("took %v with a %v timeout", elapsed, timeout)
			}
			t.Logf("%v after %v", err, elapsed.Round(time.Millisecond))
		})
	}
}

// Cancelling the caller's context stops a signature waiting for the TSA.
func TestSignCancelledWhileTimestamping(t *testing.T) {
	p := testPKI(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	out, err := signing.Sign(ctx, fixture(t), signing.Options{Key: p.Person, TSA: &signing.TSA{URL: signingtest.HangingTSA(t), Timeout: time.Minute}})
	if !errors.Is(err, context.Canceled) || out != nil {
		t.Fatalf("Sign = %d bytes, %v; want no bytes and context.Canceled", len(out), err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}
