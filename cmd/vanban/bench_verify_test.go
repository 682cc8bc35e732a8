package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

// BenchmarkVerifyCommand is goal 3 of issue 17: `vanban verify` as a
// one-shot command against poppler's pdfsig on the same signed 1 MiB PDF,
// each started as a process, alternating within every iteration after a
// warm-up. The goal: vanban no slower than pdfsig.
//
//	go test -run '^$' -bench VerifyCommand -benchtime 200x ./cmd/vanban
func BenchmarkVerifyCommand(b *testing.B) {
	pdfsig, err := exec.LookPath("pdfsig")
	if err != nil {
		b.Skip("pdfsig (poppler-utils) is not installed")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "vanban")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	pki := signingtest.NewPKI(b)
	signed, err := signing.Sign(context.Background(), testenv.PDF(1<<20, 1), signing.Options{Key: pki.Person, Reason: "Phê duyệt"})
	if err != nil {
		b.Fatal(err)
	}
	file, roots := filepath.Join(dir, "signed.pdf"), filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(file, signed, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(roots, pki.RootPEM(), 0o644); err != nil {
		b.Fatal(err)
	}
	// No database: the records of how signatures were made are not asked.
	env := append(os.Environ(), "DATABASE_URL=")
	variants := []struct {
		name string
		args []string
		ok   bool // exit status 0 expected
	}{
		{"vanban verify --trust", []string{bin, "verify", "--trust", roots, file}, true},
		{"pdfsig", []string{pdfsig, file}, true},
		// the system's roots do not hold the test root: status 1
		{"vanban verify", []string{bin, "verify", file}, false},
	}
	run := func(i int) time.Duration {
		v := variants[i]
		cmd := exec.Command(v.args[0], v.args[1:]...)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		if (err == nil) != v.ok {
			b.Fatalf("%s: %v\n%s", v.name, err, out.Bytes())
		}
		return d
	}
	for range 5 { // page cache, binaries mapped once
		for i := range variants {
			run(i)
		}
	}
	times := make([][]time.Duration, len(variants))
	b.SetBytes(int64(len(signed)))
	for b.Loop() {
		for i := range variants {
			times[i] = append(times[i], run(i))
		}
	}
	spreads := make([]timeSpread, len(variants))
	names := make([]string, len(variants))
	for i, v := range variants {
		spreads[i], names[i] = spread(times[i]), v.name
	}
	b.ReportMetric(ms(spreads[0].median), "vanban-ms")
	b.ReportMetric(ms(spreads[1].median), "pdfsig-ms")
	printSpreads(fmt.Sprintf("One-shot verification of a signed 1 MiB PDF, %d rounds", len(times[0])), names, spreads,
		fmt.Sprintf("vanban verify --trust / pdfsig: %.2f (goal ≤ 1); vanban verify (system roots) / pdfsig: %.2f",
			float64(spreads[0].median)/float64(spreads[1].median), float64(spreads[2].median)/float64(spreads[1].median)))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// timeSpread summarises the times of one variant.
type timeSpread struct{ median, p10, p90, min, max time.Duration }

func spread(ds []time.Duration) timeSpread {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[int(q*float64(len(s)-1)+0.5)] }
	return timeSpread{median: at(0.5), p10: at(0.1), p90: at(0.9), min: s[0], max: s[len(s)-1]}
}

func printSpreads(title string, names []string, ss []timeSpread, verdict string) {
	f := func(d time.Duration) string { return fmt.Sprintf("%.1f", ms(d)) }
	w := os.Stdout
	fmt.Fprintf(w, "\n%s\n", title)
	fmt.Fprintf(w, "| %-22s | %9s | %7s | %7s | %7s | %7s | %6s |\n", "variant", "median ms", "p10", "p90", "min", "max", "per s")
	fmt.Fprintf(w, "|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------", "-----------", "---------", "---------", "---------", "---------", "--------")
	for i, s := range ss {
		fmt.Fprintf(w, "| %-22s | %9s | %7s | %7s | %7s | %7s | %6.1f |\n", names[i], f(s.median), f(s.p10), f(s.p90), f(s.min), f(s.max), float64(time.Second)/float64(s.median))
	}
	fmt.Fprintln(w, verdict)
}
