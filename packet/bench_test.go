package packet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/pdfcpu/pdfcpu/pkg/api"
)

// The figure: 20 documents totalling 100 MiB.
const (
	benchDocs  = 20
	benchTotal = 100 << 20
)

// benchFiles writes the documents to files, so that the benchmark does
// not hold them in memory: pages documents of pages pages each.
func benchFiles(b *testing.B, pages int) ([]string, int64) {
	b.Helper()
	dir := b.TempDir()
	var paths []string
	var total int64
	for i := range benchDocs {
		var pdf []byte
		if pages == 1 {
			pdf = testenv.PDF(benchTotal/benchDocs, uint64(i))
		} else {
			ps := make([]testPage, pages)
			for j := range ps {
				ps[j] = testPage{w: 595, h: 842, image: benchTotal / benchDocs / pages}
			}
			pdf = makePDF(ps, uint64(i))
		}
		p := filepath.Join(dir, fmt.Sprintf("%02d.pdf", i))
		if err := os.WriteFile(p, pdf, 0o600); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
		total += int64(len(pdf))
	}
	return paths, total
}

func benchItems(paths []string) []Item {
	items := make([]Item, 5)
	for i, p := range paths {
		it := &items[i%5]
		it.Title = fmt.Sprintf("Nội dung %d", i%5+1)
		it.Documents = append(it.Documents, fileDoc(fmt.Sprintf("Tài liệu %d", i+1), p))
	}
	return items
}

// peak samples the heap in use, and reads the process's peak resident
// size (VmHWM, reset first where the kernel allows it).
type peak struct {
	heap uint64
	cpu  time.Duration
	stop chan struct{}
	done sync.WaitGroup
}

func startPeak() *peak {
	collect()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) //nolint:errcheck // resets VmHWM; best effort
	p := &peak{stop: make(chan struct{}), cpu: cpuTime()}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		var m runtime.MemStats
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			p.heap = max(p.heap, m.HeapInuse)
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peak) report(b *testing.B) {
	b.ReportMetric(float64((cpuTime()-p.cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	close(p.stop)
	p.done.Wait()
	b.ReportMetric(float64(p.heap)/(1<<20), "peak-heap-MiB")
	if st, err := os.ReadFile("/proc/self/status"); err == nil {
		for l := range strings.SplitSeq(string(st), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
				kb, _ := strconv.Atoi(f[1])
				b.ReportMetric(float64(kb)/1024, "peak-rss-MiB")
			}
		}
	}
}

// BenchmarkBuild builds the base packet of 20 documents, 100 MiB in all,
// read from files and written to a file: each build from a collected heap
// ("fresh": the peak is one build's), and builds back to back (the peak
// also holds the last build's garbage, which GOGC=100 lets grow to about
// the live heap before collecting it).
func BenchmarkBuild(b *testing.B) {
	for _, pages := range []int{1, 10} {
		for _, fresh := range []bool{true, false} {
			name := fmt.Sprintf("20docs-100MiB-%dpages-each/back-to-back", pages)
			if fresh {
				name = fmt.Sprintf("20docs-100MiB-%dpages-each/fresh", pages)
			}
			b.Run(name, func(b *testing.B) {
				paths, total := benchFiles(b, pages)
				items := benchItems(paths)
				out, err := os.Create(filepath.Join(b.TempDir(), "packet.pdf"))
				if err != nil {
					b.Fatal(err)
				}
				defer out.Close()
				tmp := b.TempDir()
				b.SetBytes(total)
				b.ReportAllocs()
				p := startPeak()
				var base Base
				for b.Loop() {
					b.StopTimer()
					out.Truncate(0)
					out.Seek(0, io.SeekStart)
					if fresh {
						collect()
					}
					b.StartTimer()
					if base, err = Build(context.Background(), out, tmp, testCover, items); err != nil {
						b.Fatal(err)
					}
				}
				p.report(b)
				b.ReportMetric(float64(base.Size)/(1<<20), "packet-MiB")
				b.ReportMetric(float64(base.Pages), "pages")
			})
		}
	}
}

func collect() {
	runtime.GC()
	debug.FreeOSMemory()
}

// BenchmarkPdfcpuMerge is pdfcpu's own merge of the same one-page
// documents, for comparison, each from a collected heap: from files, and
// from readers in memory.
func BenchmarkPdfcpuMerge(b *testing.B) {
	paths, total := benchFiles(b, 1)
	b.Run("files", func(b *testing.B) {
		b.SetBytes(total)
		p := startPeak()
		for b.Loop() {
			b.StopTimer()
			collect()
			b.StartTimer()
			if err := api.Merge("", paths, io.Discard, configuration(), false); err != nil {
				b.Fatal(err)
			}
		}
		p.report(b)
	})
	b.Run("in-memory", func(b *testing.B) {
		b.SetBytes(total)
		p := startPeak()
		for b.Loop() {
			b.StopTimer()
			collect()
			var rs []io.ReadSeeker
			for _, path := range paths {
				data, err := os.ReadFile(path)
				if err != nil {
					b.Fatal(err)
				}
				rs = append(rs, bytes.NewReader(data))
			}
			b.StartTimer()
			if err := api.MergeRaw(rs, io.Discard, false, configuration()); err != nil {
				b.Fatal(err)
			}
		}
		p.report(b)
	})
}

// BenchmarkTail makes the tails of 300 readers at once, for a packet of
// 20 documents of 10 pages (201 pages).
func BenchmarkTail(b *testing.B) {
	var ps []testPage
	for range 10 {
		ps = append(ps, testPage{w: 595, h: 842})
	}
	var items []Item
	for i := range 20 {
		items = append(items, Item{Title: fmt.Sprintf("Nội dung %d", i+1), Documents: []Document{memDoc("Tài liệu", makePDF(ps, uint64(i)))}})
	}
	var base bytes.Buffer
	bs, err := Build(context.Background(), &base, b.TempDir(), testCover, items)
	if err != nil {
		b.Fatal(err)
	}
	const readers = 300
	var size int64
	cpu := cpuTime()
	for b.Loop() {
		var wg sync.WaitGroup
		var mu sync.Mutex
		size = 0
		for r := range readers {
			wg.Go(func() {
				tail, err := bs.Tail(fmt.Sprintf("Người dự họp số %d — Phòng Giáo dục Trung học — Họp giao ban 26/11/2026", r+1))
				if err != nil {
					b.Error(err)
				}
				mu.Lock()
				size += int64(len(tail))
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(bs.Pages), "pages")
	b.ReportMetric(float64(size)/readers/1024, "tail-KiB")
	b.ReportMetric(float64(size)/readers/float64(bs.Pages), "tail-B/page")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/readers, "µs/reader")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N)/readers, "cpu-µs/reader")
}

// cpuTime is the CPU time the process has used, user and system: the
// machine the figures come from is shared, so wall time alone misleads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
