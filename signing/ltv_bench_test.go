package signing_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/signing"
)

// Benchmarks of long-term validation, with the real parts (`openssl ocsp`,
// the test TSA over HTTP). Each iteration is one round that runs every
// operation once, in turn, so that the machine's drift touches them all
// alike; at the end a line per operation prints the median and the
// spread (min–max) over the rounds:
//
//	go test -run '^$' -bench LTV -benchtime 7x ./signing/

type samples map[string][]time.Duration

func (s samples) time(name string, f func()) {
	t := time.Now()
	f()
	s[name] = append(s[name], time.Since(t))
}

func (s samples) print(b *testing.B, order []string) {
	for _, name := range order {
		d := slices.Clone(s[name])
		if len(d) == 0 {
			continue
		}
		slices.Sort(d)
		med := d[len(d)/2]
		fmt.Printf("%-28s median %9v  min %9v  max %9v  (%d rounds)\n", name, med.Round(10*time.Microsecond),
			d[0].Round(10*time.Microsecond), d[len(d)-1].Round(10*time.Microsecond), len(d))
		b.ReportMetric(float64(med.Microseconds())/1000, strings.ReplaceAll(name, " ", "_")+"-ms")
	}
}

func BenchmarkLTVAugment(b *testing.B) {
	w := newLTVWorld(b)
	ctx := context.Background()
	s := samples{}
	var order []string
	type input struct {
		name      string
		plain, bt []byte
	}
	var inputs []input
	for _, size := range benchSizes {
		plain := minimalPDF("1.7", size.size, "Benchmark")
		inputs = append(inputs, input{size.name, plain, w.sign(b, plain, w.tsa)})
		order = append(order, size.name+" sign B-T", size.name+" sign B-B", size.name+" B-T to B-LT", size.name+" B-T to B-LTA")
	}
	opts := signing.ValidationDataOptions{Roots: w.ca.Roots, Revocation: w.checker}
	for b.Loop() {
		for _, in := range inputs {
			s.time(in.name+" sign B-T", func() { w.sign(b, in.plain, w.tsa) })
			s.time(in.name+" sign B-B", func() { w.sign(b, in.plain, nil) })
			s.time(in.name+" B-T to B-LT", func() {
				if _, err := signing.AddValidationData(ctx, in.bt, opts); err != nil {
					b.Fatal(err)
				}
			})
			s.time(in.name+" B-T to B-LTA", func() {
				lt, err := signing.AddValidationData(ctx, in.bt, opts)
				if err == nil {
					_, err = signing.AddDocumentTimestamp(ctx, lt, w.tsa)
				}
				if err != nil {
					b.Fatal(err)
				}
			})
		}
	}
	s.print(b, order)
}

func BenchmarkLTVVerify(b *testing.B) {
	w := newLTVWorld(b)
	s := samples{}
	var order []string
	type input struct {
		name     string
		bb, blta []byte
	}
	var inputs []input
	for _, size := range benchSizes {
		plain := minimalPDF("1.7", size.size, "Benchmark")
		inputs = append(inputs, input{size.name, w.sign(b, plain, nil), w.lta(b, w.lt(b, w.sign(b, plain, w.tsa)))})
		order = append(order, size.name+" verify B-B", size.name+" verify B-LTA")
	}
	for b.Loop() {
		for _, in := range inputs {
			s.time(in.name+" verify B-B", func() {
				if rep := w.verify(b, in.bb, signing.VerifyOptions{Offline: true}); !rep.Valid {
					b.Fatal(rep.VerdictEN)
				}
			})
			s.time(in.name+" verify B-LTA", func() {
				if rep := w.verify(b, in.blta, signing.VerifyOptions{Offline: true, At: fiveYearsLater()}); !rep.Valid {
					b.Fatal(rep.VerdictEN)
				}
			})
		}
	}
	s.print(b, order)
}

// BenchmarkLTVRetimestamp: one B-LTA document of 1 MiB timestamped again
// (the DSS for the last timestamp's chain, then a new document timestamp)
// per iteration: the scan's throughput is 1/median per core.
func BenchmarkLTVRetimestamp(b *testing.B) {
	w := newLTVWorld(b)
	ctx := context.Background()
	blta := w.lta(b, w.lt(b, w.sign(b, minimalPDF("1.7", 1<<20, "Benchmark"), w.tsa)))
	s := samples{}
	opts := signing.ValidationDataOptions{Roots: w.ca.Roots, Revocation: w.checker}
	for b.Loop() {
		s.time("1MiB re-timestamp", func() {
			lt, err := signing.AddValidationData(ctx, blta, opts)
			if err == nil {
				_, err = signing.AddDocumentTimestamp(ctx, lt, w.tsa)
			}
			if err != nil {
				b.Fatal(err)
			}
		})
	}
	s.print(b, []string{"1MiB re-timestamp"})
	d := slices.Clone(s["1MiB re-timestamp"])
	slices.Sort(d)
	fmt.Printf("re-timestamping: %.1f documents/s on one core\n", float64(time.Second)/float64(d[len(d)/2]))
}
