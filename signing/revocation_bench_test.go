package signing_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

// BenchmarkRevocationOCSP measures one OCSP check against `openssl ocsp`
// on loopback with a cold cache (a new checker each time: request,
// response, signature checks) and with a warm one, in the same run, and
// reports the median of each:
//
//	go test -run '^$' -bench RevocationOCSP -benchtime 200x ./signing/
func BenchmarkRevocationOCSP(b *testing.B) {
	ca := signingtest.NewRevocationCA(b)
	url := ca.StartOCSP(b, []signingtest.OCSPEntry{{Serial: serialGood, CN: "good"}})
	k := ca.Issue(b, serialGood, "good", url, "")
	ctx := context.Background()
	medians := map[string]time.Duration{}
	run := func(name string, checker func() *signing.RevocationChecker) {
		b.Run(name, func(b *testing.B) {
			warm := checker()
			if r := warm.Check(ctx, k.Chain[0], k.Chain[1]); r.Status != signing.RevocationGood {
				b.Fatalf("%+v", r)
			}
			samples := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				c := warm
				if name == "cold" {
					c = checker()
				}
				start := time.Now()
				if r := c.Check(ctx, k.Chain[0], k.Chain[1]); r.Status != signing.RevocationGood {
					b.Fatalf("%+v", r)
				}
				samples = append(samples, time.Since(start))
			}
			slices.Sort(samples)
			m := samples[len(samples)/2]
			medians[name] = m
			b.ReportMetric(float64(m.Nanoseconds()), "median-ns/op")
		})
	}
	run("cold", func() *signing.RevocationChecker { return &signing.RevocationChecker{} })
	run("warm", func() *signing.RevocationChecker { return &signing.RevocationChecker{} })
	if medians["cold"] > 0 && medians["warm"] > 0 {
		fmt.Printf("OCSP check median: cold cache %s, warm cache %s\n", medians["cold"], medians["warm"])
	}
}
