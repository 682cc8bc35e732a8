package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
)

// BenchmarkSoak is a bounded mixed load on two instances behind HAProxy:
// clients list the inbox, search, download, upload and sign for a fixed
// time, and the summary gives throughput, p50/p99 per operation, errors
// (the goal is none) and each instance's RSS at start and end.
//
//	go test -run '^$' -bench Soak -benchtime 1x ./cluster
//
// VANBAN_SOAK_CLIENTS (default 50) and VANBAN_SOAK_DURATION (default 5m)
// change the load. Every request goes to loopback only.
func BenchmarkSoak(b *testing.B) {
	clients := envInt("VANBAN_SOAK_CLIENTS", 50)
	duration, err := time.ParseDuration(envOr("VANBAN_SOAK_DURATION", "5m"))
	if err != nil {
		b.Fatal(err)
	}
	st := testenv.NewStack(b)
	a, c := st.Serve(b), st.Serve(b)
	lb := startHAProxy(b, a, c)
	httpc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}}
	clerk := testenv.Login(b, httpc, lb.Base, "vanthu.sgd")
	signer := testenv.Login(b, httpc, lb.Base, "giamdoc.sgd")

	var seed atomic.Uint64
	upload := func() (int64, string, error) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("doc_type", "KH")
		mw.WriteField("title", "Kế hoạch thử tải")
		mw.WriteField("doc_date", time.Now().Format("2006-01-02"))
		fw, _ := mw.CreateFormFile("file", "Kế hoạch thử tải.pdf")
		fw.Write(testenv.PDF(100<<10, seed.Add(1)))
		mw.Close()
		req, _ := http.NewRequest("POST", lb.Base+"/api/v1/documents", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+clerk)
		resp, err := httpc.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		var doc struct {
			ID       int64 `json:"id"`
			Versions []struct {
				SHA256 string `json:"sha256"`
			} `json:"versions"`
			SHA256 string `json:"sha256"`
		}
		if resp.StatusCode != 201 {
			return 0, "", fmt.Errorf("upload: status %d", resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
			return 0, "", err
		}
		sha := doc.SHA256
		if n := len(doc.Versions); n > 0 {
			sha = doc.Versions[n-1].SHA256
		}
		return doc.ID, sha, nil
	}
	do := func(method, url, token string, body any) error {
		var rd io.Reader
		if body != nil {
			j, _ := json.Marshal(body)
			rd = bytes.NewReader(j)
		}
		req, _ := http.NewRequest(method, url, rd)
		req.Header.Set("Authorization", "Bearer "+token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := httpc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("%s %s: status %d", method, url, resp.StatusCode)
		}
		return nil
	}
	docID, _, err := upload()
	if err != nil {
		b.Fatal(err)
	}
	ops := []struct {
		name   string
		weight int
		run    func() error
	}{
		{"inbox", 35, func() error { return do("GET", lb.Base+"/api/v1/inbox", clerk, nil) }},
		{"search", 20, func() error { return do("GET", lb.Base+"/api/v1/documents?q=ke+hoach+thu+tai", clerk, nil) }},
		{"download", 25, func() error {
			return do("GET", fmt.Sprintf("%s/api/v1/documents/%d/versions/1/download", lb.Base, docID), clerk, nil)
		}},
		{"upload", 15, func() error { _, _, err := upload(); return err }},
		{"upload+sign", 5, func() error {
			id, sha, err := upload()
			if err != nil {
				return err
			}
			return do("POST", fmt.Sprintf("%s/api/v1/documents/%d/sign", lb.Base, id), signer, map[string]any{"version_sha256": sha})
		}},
	}
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	type sample struct {
		op  int
		dur time.Duration
		err error
	}
	rssStart := [2]int64{a.RSS(b), c.RSS(b)}
	var (
		mu      sync.Mutex
		samples []sample
		wg      sync.WaitGroup
	)
	b.ResetTimer()
	start := time.Now()
	stop := start.Add(duration)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(r *mrand.Rand) {
			defer wg.Done()
			var mine []sample
			for time.Now().Before(stop) {
				n, k := r.IntN(total), 0
				for n >= ops[k].weight {
					n -= ops[k].weight
					k++
				}
				t0 := time.Now()
				err := ops[k].run()
				mine = append(mine, sample{k, time.Since(t0), err})
			}
			mu.Lock()
			samples = append(samples, mine...)
			mu.Unlock()
		}(mrand.New(mrand.NewPCG(uint64(i), 7)))
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	rssEnd := [2]int64{a.RSS(b), c.RSS(b)}

	errs := 0
	fmt.Printf("\nsoak: %d clients for %s on 2 instances behind HAProxy\n", clients, elapsed.Round(time.Second))
	fmt.Printf("%-12s %8s %8s %10s %10s %7s\n", "operation", "count", "per s", "p50 ms", "p99 ms", "errors")
	for k, o := range ops {
		var ds []time.Duration
		e := 0
		for _, s := range samples {
			if s.op == k {
				ds = append(ds, s.dur)
				if s.err != nil {
					e++
					if e <= 3 {
						fmt.Printf("  %s error: %v\n", o.name, s.err)
					}
				}
			}
		}
		errs += e
		slices.Sort(ds)
		fmt.Printf("%-12s %8d %8.1f %10.1f %10.1f %7d\n", o.name, len(ds), float64(len(ds))/elapsed.Seconds(),
			ms(quantile(ds, 0.5)), ms(quantile(ds, 0.99)), e)
	}
	fmt.Printf("total %d requests, %.1f/s, %d errors; RSS MiB start %d/%d, end %d/%d\n", len(samples),
		float64(len(samples))/elapsed.Seconds(), errs, rssStart[0]>>10, rssStart[1]>>10, rssEnd[0]>>10, rssEnd[1]>>10)
	b.ReportMetric(float64(len(samples))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(errs), "errors")
	if errs > 0 {
		b.Errorf("%d requests failed; the goal is none", errs)
	}
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(k string, def int) int {
	var n int
	if _, err := fmt.Sscan(envOr(k, fmt.Sprint(def)), &n); err != nil || n <= 0 {
		return def
	}
	return n
}
