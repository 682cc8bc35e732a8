package archivepkg

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
)

// BenchmarkExport exports a file of 1,000 documents (small PDFs, and five
// of 1 MiB) from the real S3 server, and reports the peak heap seen while
// exporting and the process's peak RSS (goal: 100 MiB at most, the export
// streaming every object into the ZIP).
func BenchmarkExport(b *testing.B) {
	const docs, big = 1000, 5
	f := newFixture(b, nil)
	ids := make([]int64, 0, docs)
	tx := f.db.MustBegin()
	for i := range docs {
		pdf := testenv.PDF(1500, uint64(i)+1)
		if i%(docs/big) == 0 {
			pdf = testenv.PDF(1<<20, uint64(i)+1)
		}
		key, sum := f.put(b, pdf)
		var id int64
		must(b, tx.Get(&id, `INSERT INTO documents (unit_id, doc_type, title, doc_date, urgency, confidentiality, status, created_by, origin)
			VALUES ($1, 'Công văn', $2, '2026-02-01', 'thuong', 'thuong', 'issued', $3, 'received_paper') RETURNING id`,
			f.unitID, fmt.Sprintf("Văn bản số %d về việc thực hiện nhiệm vụ năm học", i+1), f.userID))
		tx.MustExec(`INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, created_by)
			VALUES ($1, 1, $2, $3, $4, 'application/pdf', $5, $6)`, id, key, sum, len(pdf), fmt.Sprintf("Văn bản %d.pdf", i+1), f.userID)
		ids = append(ids, id)
	}
	must(b, tx.Commit())
	fileID := f.addFile(b, "02.CV", "closed", ids...)
	runtime.GC()

	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var size int64
	for b.Loop() {
		cw := &countWriter{}
		if err := Export(context.Background(), f.db, f.store, fileID, cw); err != nil {
			b.Fatal(err)
		}
		size = cw.n
	}
	close(stop)
	<-done
	heap := float64(peak.Load()) / (1 << 20)
	rss := float64(vmHWM(b)) / 1024
	b.ReportMetric(heap, "peak-heap-MiB")
	b.ReportMetric(rss, "peak-RSS-MiB")
	b.ReportMetric(float64(size)/(1<<20), "package-MiB")
	if heap > 100 || rss > 100 {
		b.Errorf("peak heap %.1f MiB, peak RSS %.1f MiB: more than 100 MiB", heap, rss)
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// vmHWM is the process's peak resident set in KiB.
func vmHWM(b *testing.B) int64 {
	s, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(s), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
