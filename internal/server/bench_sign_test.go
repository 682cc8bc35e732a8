//go:build unix

package server

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
)

// BenchmarkAPISign is figure (c) of the signing issue: the whole API path of
// a signature (fetch the version from the store, sign, store the new
// version, record it), for a 1 MiB and a 20 MiB PDF: the person's visible
// signature (POST /sign) and the registration with the organisation's seal
// (POST /register: number, date and seal) of what was just signed, then
// 8 clients registering at once. Each iteration runs every variant once, in
// turn, after a warm-up round; the figures are per-variant medians with
// p10 and p90, and a summary table is printed at the end. The one-core
// figure is -cpu 1:
//
//	go test ./internal/server -run '^$' -bench APISign -benchtime 20x -cpu 1
//
// To compare with another commit, build both test binaries (go test -c,
// this file copied into the other tree) and run them alternately, a few
// rounds each; VANBAN_BENCH_SIZES=1 runs 1 MiB only.
func BenchmarkAPISign(b *testing.B) {
	e := newEnv(b, envOptions{signing: true, maxUploadBytes: 64 << 20})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	sizes := []int{1 << 20, 20 << 20}
	if os.Getenv("VANBAN_BENCH_SIZES") == "1" {
		sizes = sizes[:1]
	}
	seed := uint64(time.Now().UnixNano())
	upload := func(size int) (int64, string) {
		seed++
		body, ct := multipartBody(b, validFields(), "a.pdf", testenv.PDF(size, seed))
		status, out, _ := e.request("POST", "/api/v1/documents", clerk, body, ct)
		if status != 201 {
			b.Fatalf("upload: %d %s", status, out)
		}
		var d docJSON
		if err := jsonUnmarshal(out, &d); err != nil {
			b.Fatal(err)
		}
		return d.ID, d.Versions[0].SHA256
	}
	sign := func(id int64, sha string) string {
		status, out := e.postJSON(b, fmt.Sprintf("/api/v1/documents/%d/sign", id), director, map[string]any{"version_sha256": sha})
		if status != 200 {
			b.Fatalf("sign: %d %s", status, out)
		}
		var d docJSON
		if err := jsonUnmarshal(out, &d); err != nil {
			b.Fatal(err)
		}
		return d.Versions[0].SHA256
	}
	register := func(id int64, sha string) {
		status, out := e.postJSON(b, fmt.Sprintf("/api/v1/documents/%d/register", id), clerk,
			map[string]any{"version_sha256": sha, "copies": 2, "file_unit": "Văn phòng"})
		if status != 200 {
			b.Fatalf("register: %d %s", status, out)
		}
	}
	times := map[string][]time.Duration{}
	cpu := map[string][]time.Duration{} // this process's CPU time: what other load on the machine disturbs least
	var names []string
	timed := func(name string, f func()) {
		c0 := processCPU()
		start := time.Now()
		f()
		if _, ok := times[name]; !ok {
			names = append(names, name)
		}
		times[name] = append(times[name], time.Since(start))
		cpu[name] = append(cpu[name], processCPU()-c0)
	}
	round := func(record bool) {
		for _, size := range sizes {
			id, sha := upload(size)
			label := fmt.Sprintf("%dMiB", size>>20)
			var signed string
			run := func(name string, f func()) {
				if record {
					timed(name, f)
				} else {
					f()
				}
			}
			run("sign/"+label, func() { signed = sign(id, sha) })
			run("register/"+label, func() { register(id, signed) })
		}
	}
	// Warm-up: the heap, the pools (database, pdfguard workers), the caches.
	for range 3 {
		round(false)
	}
	b.ResetTimer()
	for b.Loop() {
		round(true)
	}
	b.StopTimer()

	// 8 clients registering documents the director has signed, 1 MiB.
	const clients, perClient = 8, 4
	type doc struct {
		id  int64
		sha string
	}
	docs := make(chan doc, clients*perClient)
	for range clients * perClient {
		id, sha := upload(1 << 20)
		docs <- doc{id, sign(id, sha)}
	}
	close(docs)
	var mu sync.Mutex
	var wg sync.WaitGroup
	c0 := processCPU()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for d := range docs {
				t := time.Now()
				register(d.id, d.sha)
				mu.Lock()
				times["register 8 clients/1MiB"] = append(times["register 8 clients/1MiB"], time.Since(t))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	names = append(names, "register 8 clients/1MiB")
	perReg := (processCPU() - c0) / time.Duration(clients*perClient)
	cpu["register 8 clients/1MiB"] = []time.Duration{perReg}

	var sum strings.Builder
	fmt.Fprintf(&sum, "\n%-26s %6s %9s %9s %9s %9s %11s\n", "BenchmarkAPISign", "n", "p10 ms", "p50 ms", "p90 ms", "per s", "CPU ms p50")
	for _, name := range names {
		ds := times[name]
		slices.Sort(ds)
		q := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000 }
		rate := 1000 / q(0.5)
		if strings.Contains(name, "8 clients") {
			rate = float64(len(ds)) / wall.Seconds()
		}
		cs := cpu[name]
		slices.Sort(cs)
		cpuMS := float64(cs[len(cs)/2].Microseconds()) / 1000
		metric := strings.NewReplacer("/", "-", " ", "-").Replace(name)
		b.ReportMetric(q(0.5), metric+"-p50-ms")
		b.ReportMetric(rate, metric+"/s")
		b.ReportMetric(cpuMS, metric+"-cpu-ms")
		fmt.Fprintf(&sum, "%-26s %6d %9.1f %9.1f %9.1f %9.1f %11.1f\n", name, len(ds), q(0.1), q(0.5), q(0.9), rate, cpuMS)
	}
	fmt.Print(sum.String())
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
