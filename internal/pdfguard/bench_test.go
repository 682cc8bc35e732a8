package pdfguard

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hcm-edu/vanban/internal/testenv"
)

// BenchmarkCheck compares, on ordinary files, the whole check run in this
// process (no boundary) with the same check in a pooled worker: the
// difference is what the boundary costs per document.
//
//	go test ./internal/pdfguard -run '^$' -bench Check -benchtime 2s
func BenchmarkCheck(b *testing.B) {
	dir := b.TempDir()
	files := []struct{ name, path string }{{"fixture-87KiB", "../../testdata/206-KH-SGDDT.pdf"}}
	for _, f := range []struct {
		name string
		size int
	}{{"1MiB", 1 << 20}, {"20MiB", 20 << 20}} {
		p := filepath.Join(dir, f.name+".pdf")
		if err := os.WriteFile(p, testenv.PDF(f.size, 1), 0o600); err != nil {
			b.Fatal(err)
		}
		files = append(files, struct{ name, path string }{f.name, p})
	}
	g := New(Options{Workers: 1})
	defer g.Close()
	for _, f := range files {
		b.Run(f.name+"/in-process", func(b *testing.B) {
			for b.Loop() {
				data, done, err := mapFile(f.path)
				if err != nil {
					b.Fatal(err)
				}
				if _, gerr := check(data, DefaultLimits); gerr != nil {
					b.Fatal(gerr)
				}
				done()
			}
		})
		b.Run(f.name+"/worker", func(b *testing.B) {
			if _, err := g.Check(b.Context(), f.path); err != nil { // start the worker
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := g.Check(b.Context(), f.path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("round-trip", func(b *testing.B) {
		var pid int
		for b.Loop() {
			if err := g.Do(b.Context(), Request{Kind: "pid"}, &pid); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("worker-start", func(b *testing.B) {
		for b.Loop() {
			w, err := startWorker(os.Args[0], DefaultLimits)
			if err != nil {
				b.Fatal(err)
			}
			w.kill()
		}
	})
}
