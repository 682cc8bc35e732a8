package convert

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixtureBody returns the fixture's document.xml cut at its body: what
// comes before the body's content, the content, and the rest (sectPr on).
func fixtureBody(b testing.TB) (head, body, tail string) {
	doc := string(zipEntry(b, read(b, fixture+".docx"), "word/document.xml"))
	start := strings.Index(doc, "<w:body>") + len("<w:body>")
	end := strings.LastIndex(doc, "<w:sectPr")
	return doc[:start], doc[start:end], doc[end:]
}

// pagesDOCX is the fixture with its body's paragraphs cut to about one page
// (pages == 1) or repeated to about 50 pages.
func pagesDOCX(b testing.TB, pages int) []byte {
	head, body, tail := fixtureBody(b)
	i := strings.Index(body, "</w:tbl>")
	for n := 0; n < 8; n++ {
		i += strings.Index(body[i:], "</w:p>") + len("</w:p>")
	}
	if pages == 1 {
		body = body[:i]
	} else {
		body = strings.Repeat(body, pages/12) + strings.Repeat(body[:i], 2) // 4 × the fixture: 49 pages
	}
	return withEntries(b, read(b, fixture+".docx"), map[string][]byte{"word/document.xml": []byte(head + body + tail)})
}

// byHand converts as one would at the shell: one soffice per document, with
// a profile that already exists.
func byHand(b testing.TB, dir, profile string, in []byte) time.Duration {
	path := filepath.Join(dir, "in.docx")
	os.WriteFile(path, in, 0o600)
	t0 := time.Now()
	out, err := exec.Command("soffice", "-env:UserInstallation=file://"+profile, "--headless", "--convert-to", "pdf", "--outdir", dir, path).CombinedOutput()
	d := time.Since(t0)
	if err != nil {
		b.Fatalf("soffice: %v %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "in.pdf")); err != nil {
		b.Fatalf("soffice made no PDF: %s", out)
	}
	os.Remove(filepath.Join(dir, "in.pdf"))
	return d
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// The pool against soffice by hand on the same file, alternating which goes
// first, both warmed up; b.N rounds of one conversion each.
func BenchmarkPoolVsHand(b *testing.B) {
	needSoffice(b)
	c := newConverter(b, Config{Workers: 1})
	dir := b.TempDir()
	profile := filepath.Join(dir, "profile")
	for _, pages := range []int{1, 50} {
		in := pagesDOCX(b, pages)
		b.Run(fmt.Sprintf("%dpages", pages), func(b *testing.B) {
			pdf, err := c.ToPDF(context.Background(), in, "a.docx") // warm up both
			if err != nil {
				b.Fatal(err)
			}
			byHand(b, dir, profile, in)
			os.WriteFile(filepath.Join(dir, "p.pdf"), pdf, 0o600)
			info, _ := exec.Command("pdfinfo", filepath.Join(dir, "p.pdf")).Output()
			for _, l := range strings.Split(string(info), "\n") {
				if strings.HasPrefix(l, "Pages:") {
					b.Logf("%d-page input: %s", pages, strings.Join(strings.Fields(l), " "))
				}
			}
			var pool, hand []time.Duration
			for i := 0; i < b.N; i++ {
				runPool := func() {
					t0 := time.Now()
					if _, err := c.ToPDF(context.Background(), in, "a.docx"); err != nil {
						b.Fatal(err)
					}
					pool = append(pool, time.Since(t0))
				}
				if i%2 == 0 {
					runPool()
					hand = append(hand, byHand(b, dir, profile, in))
				} else {
					hand = append(hand, byHand(b, dir, profile, in))
					runPool()
				}
			}
			mp, mh := median(pool), median(hand)
			b.ReportMetric(ms(mp), "pool-ms")
			b.ReportMetric(ms(mh), "hand-ms")
			b.ReportMetric(float64(mp)/float64(mh), "pool/hand")
			b.Logf("pool: median %.0f ms, min %.0f, max %.0f; by hand: median %.0f ms, min %.0f, max %.0f; ratio %.2f (n=%d)",
				ms(mp), ms(slices.Min(pool)), ms(slices.Max(pool)), ms(mh), ms(slices.Min(hand)), ms(slices.Max(hand)), float64(mp)/float64(mh), len(pool))
			b.Logf("worker RSS after %d pages: %d MiB", pages, c.workers[0].rss()>>20)
		})
	}
}

// Throughput: b.N documents of the fixture (13 pages) through 2 workers
// from 4 callers at once; RSS of each worker afterwards.
func BenchmarkThroughput2Workers(b *testing.B) {
	c := newConverter(b, Config{Workers: 2})
	in := read(b, fixture+".docx")
	for range 2 {
		c.ToPDF(context.Background(), in, "a.docx")
	}
	b.ResetTimer()
	t0 := time.Now()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if _, err := c.ToPDF(context.Background(), in, "a.docx"); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := 0; i < b.N; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	d := time.Since(t0)
	b.ReportMetric(float64(b.N)/d.Seconds(), "docs/s")
	for _, w := range c.workers {
		b.ReportMetric(float64(w.rss()>>20), fmt.Sprintf("rss-MiB-w%d", w.id))
	}
}
