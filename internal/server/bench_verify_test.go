package server

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing"
)

// BenchmarkAPIVerify is goal 3 of issue 17: POST /api/v1/verify on a running
// server against signing.Verify in this process, on the same signed 1 MiB
// PDF with the same roots, alternating one of each per iteration after a
// warm-up. The target is an API rate of at least 70% of the in-process one:
//
//	go test -run '^$' -bench APIVerify -benchtime 200x ./internal/server
func BenchmarkAPIVerify(b *testing.B) {
	e := newEnv(b, envOptions{signing: true})
	token := e.login("vanthu.sgd")
	k, err := signing.LoadFile(signing.DevPersonPath(e.cfg.KeysDir, "giamdoc.sgd"), "")
	if err != nil {
		b.Fatal(err)
	}
	signed, err := signing.Sign(context.Background(), testenv.PDF(1<<20, 17), signing.Options{Key: k, Reason: "Phê duyệt"})
	if err != nil {
		b.Fatal(err)
	}
	roots := e.docs.Roots()
	api := func() time.Duration {
		body, ct := multipartBody(b, nil, "a.pdf", signed)
		start := time.Now()
		status, out, _ := e.request("POST", "/api/v1/verify", token, body, ct)
		d := time.Since(start)
		var r signing.Report
		if status != 200 || json.Unmarshal(out, &r) != nil || !r.Valid {
			b.Fatalf("verify through the API: %d %s", status, out)
		}
		return d
	}
	local := func() time.Duration {
		start := time.Now()
		r, err := signing.Verify(signed, signing.VerifyOptions{Roots: roots})
		d := time.Since(start)
		if err != nil || !r.Valid {
			b.Fatal(err, r.VerdictEN)
		}
		return d
	}
	for range 10 { // workers started, heap grown, caches warm
		api()
		local()
	}
	var apiTimes, localTimes []time.Duration
	b.SetBytes(int64(len(signed)))
	for b.Loop() {
		apiTimes = append(apiTimes, api())
		localTimes = append(localTimes, local())
	}
	a, l := spread(apiTimes), spread(localTimes)
	b.ReportMetric(float64(a.median.Microseconds())/1000, "api-ms")
	b.ReportMetric(float64(l.median.Microseconds())/1000, "verify-ms")
	printSpreads(fmt.Sprintf("API verify against signing.Verify in process, 1 MiB, %d rounds", len(apiTimes)),
		[]string{"POST /api/v1/verify", "signing.Verify"}, []timeSpread{a, l},
		fmt.Sprintf("API rate / in-process rate: %.0f%% (goal ≥ 70%%)", 100*float64(l.median)/float64(a.median)))
}

// timeSpread summarises the times of one variant.
type timeSpread struct{ median, p10, p90, min, max time.Duration }

func spread(ds []time.Duration) timeSpread {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[int(q*float64(len(s)-1)+0.5)] }
	return timeSpread{median: at(0.5), p10: at(0.1), p90: at(0.9), min: s[0], max: s[len(s)-1]}
}

func printSpreads(title string, names []string, ss []timeSpread, verdict string) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
	w := os.Stdout
	fmt.Fprintf(w, "\n%s\n", title)
	fmt.Fprintf(w, "| %-22s | %9s | %7s | %7s | %7s | %7s | %6s |\n", "variant", "median ms", "p10", "p90", "min", "max", "per s")
	fmt.Fprintf(w, "|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------", "-----------", "---------", "---------", "---------", "---------", "--------")
	for i, s := range ss {
		fmt.Fprintf(w, "| %-22s | %9s | %7s | %7s | %7s | %7s | %6.1f |\n", names[i], ms(s.median), ms(s.p10), ms(s.p90), ms(s.min), ms(s.max), float64(time.Second)/float64(s.median))
	}
	fmt.Fprintln(w, verdict)
}
