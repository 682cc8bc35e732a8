package documents

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
)

// Benchmarks of reading the text of a digital PDF (the 12 pages of the
// 206-KH-SGDDT plan, text layer) and of a 200-dpi scan (an image-only PDF
// of 3 pages: the scanned letter and pages 1-2 of the plan rasterised at
// 200 dpi, made at the start), the service's extraction (runner.extract:
// pdftotext, the checks, pdftoppm and Tesseract under the limits) against
// the same tools run by hand with the same arguments, alternating, in the
// same run. Each prints pages/s; a last line the ratios:
//
//	go test -run '^$' -bench TextExtraction -benchtime 3x ./documents/

var (
	textBenchMu sync.Mutex
	textBench   = map[string][2]float64{} // name: pages, seconds
)

func recordPages(b *testing.B, key string, pages int) {
	pps := float64(pages*b.N) / b.Elapsed().Seconds()
	b.ReportMetric(pps, "pages/s")
	textBenchMu.Lock()
	v := textBench[key]
	textBench[key] = [2]float64{v[0] + float64(pages*b.N), v[1] + b.Elapsed().Seconds()}
	textBenchMu.Unlock()
}

// benchScan makes the 3-page image-only PDF of 200-dpi scans.
func benchScan(b *testing.B) string {
	dir := b.TempDir()
	letter, err := os.ReadFile("../testdata/scanned-letter.pdf")
	if err != nil {
		b.Fatal(err)
	}
	lp := filepath.Join(dir, "letter.pdf")
	os.WriteFile(lp, letter, 0o600)
	var imgs []io.Reader
	for _, src := range []struct {
		path string
		page int
	}{{lp, 1}, {"../testdata/206-KH-SGDDT.pdf", 1}, {"../testdata/206-KH-SGDDT.pdf", 2}} {
		p := strconv.Itoa(src.page)
		out := filepath.Join(dir, "img")
		if err := exec.Command("pdftoppm", "-r", "200", "-gray", "-jpeg", "-singlefile", "-f", p, "-l", p, src.path, out).Run(); err != nil {
			b.Fatal(err)
		}
		jpg, err := os.ReadFile(out + ".jpg")
		if err != nil {
			b.Fatal(err)
		}
		imgs = append(imgs, bytes.NewReader(jpg))
	}
	pdf, err := ImagesToPDF(imgs)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "scan.pdf")
	os.WriteFile(path, pdf, 0o600)
	return path
}

// byHand runs the tools as a person would, with the service's arguments.
func byHand(b *testing.B, dir, path string, pages int, ocr bool) {
	env := append(os.Environ(), "OMP_THREAD_LIMIT=1", "LC_ALL=C.UTF-8")
	if !ocr {
		cmd := exec.Command("pdftotext", "-enc", "UTF-8", "-q", path, "-")
		cmd.Env = env
		if out, err := cmd.Output(); err != nil || len(out) < 1000 {
			b.Fatalf("pdftotext: %v, %d bytes", err, len(out))
		}
		return
	}
	for n := 1; n <= pages; n++ {
		p, img := strconv.Itoa(n), filepath.Join(dir, "hand")
		cmd := exec.Command("pdftoppm", "-r", "200", "-gray", "-png", "-singlefile", "-f", p, "-l", p, path, img)
		cmd.Env = env
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		cmd = exec.Command("tesseract", img+".png", "-", "-l", "vie")
		cmd.Env = env
		if out, err := cmd.Output(); err != nil || len(out) < 100 {
			b.Fatalf("tesseract: %v, %d bytes", err, len(out))
		}
	}
}

func BenchmarkTextExtraction(b *testing.B) {
	testenv.RequireOCR(b)
	r := newTextRunner(TextConfig{})
	dir := b.TempDir()
	cases := []struct {
		name  string
		path  string
		pages int
		ocr   bool
	}{{"digital", "../testdata/206-KH-SGDDT.pdf", 12, false}, {"scan200dpi", benchScan(b), 3, true}}
	ctx := context.Background()
	for _, c := range cases {
		for range 2 {
			b.Run(c.name+"/vanban", func(b *testing.B) {
				for range b.N {
					ex := r.extract(ctx, dir, c.path)
					if ex.Err != "" || ex.Pages != c.pages || (ex.Method == "ocr") != c.ocr {
						b.Fatalf("extract: %+v", ex)
					}
				}
				recordPages(b, c.name+"/vanban", c.pages)
			})
			b.Run(c.name+"/byhand", func(b *testing.B) {
				for range b.N {
					byHand(b, dir, c.path, c.pages, c.ocr)
				}
				recordPages(b, c.name+"/byhand", c.pages)
			})
		}
	}
	textBenchMu.Lock()
	defer textBenchMu.Unlock()
	for _, c := range cases {
		v, h := textBench[c.name+"/vanban"], textBench[c.name+"/byhand"]
		if v[1] > 0 && h[1] > 0 {
			pv, ph := v[0]/v[1], h[0]/h[1]
			fmt.Printf("%s: vanban %.2f pages/s, by hand %.2f pages/s, ratio vanban/by hand %.2f (%v)\n",
				c.name, pv, ph, pv/ph, time.Duration((v[1]+h[1])*float64(time.Second)).Round(time.Second))
		}
	}
}
