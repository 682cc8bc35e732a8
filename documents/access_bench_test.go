package documents_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/storage"
)

// BenchmarkReadPath is the access-history figure of issue 14: the read of
// a document as its page does it (Get, then RecordView) with the access
// logging off, written at once, and written behind (BatchAccess), in the
// same run, rounds alternating which goes first. The HTTP layer adds the
// same time to all three, so these ratios are an upper bound of the
// page's:
//
//	go test -run '^$' -bench ReadPath -benchtime 1x ./documents
func BenchmarkReadPath(b *testing.B) {
	const rounds, reads = 6, 400
	ctx := context.Background()
	db, _ := testenv.NewDB(b)
	users := auth.NewService(db, time.Hour)
	if _, err := demo.Seed(ctx, org.NewStore(db), users, password, 0); err != nil {
		b.Fatal(err)
	}
	blobs, err := storage.NewLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	sync, err := documents.NewService(db, blobs, b.TempDir(), 32<<20)
	if err != nil {
		b.Fatal(err)
	}
	behind, err := documents.NewService(db, blobs, b.TempDir(), 32<<20)
	if err != nil {
		b.Fatal(err)
	}
	behind.BatchAccess(nil)
	defer behind.Close()
	clerk, err := users.PrincipalByUsername(ctx, "vanthu.sgd")
	if err != nil {
		b.Fatal(err)
	}
	reader, err := users.PrincipalByUsername(ctx, "chuyenvien.sgd")
	if err != nil {
		b.Fatal(err)
	}
	up, err := sync.Spool(ctx, bytes.NewReader(testenv.PDF(2000, 1)), "a.pdf")
	if err != nil {
		b.Fatal(err)
	}
	d, err := sync.Create(ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch đo", DocDate: "2026-11-20"}, up)
	up.Close()
	if err != nil {
		b.Fatal(err)
	}
	db.MustExec(`UPDATE documents SET status = 'signed' WHERE id = $1`, d.ID)
	modes := []struct {
		name string
		read func() error
	}{
		{"off", func() error { _, err := sync.Get(ctx, reader, d.ID); return err }},
		{"sync", func() error {
			doc, err := sync.Get(ctx, reader, d.ID)
			if err == nil {
				err = sync.RecordView(ctx, reader, doc, "bench")
			}
			return err
		}},
		{"behind", func() error {
			doc, err := behind.Get(ctx, reader, d.ID)
			if err == nil {
				err = behind.RecordView(ctx, reader, doc, "bench")
			}
			return err
		}},
	}
	spent := map[string]time.Duration{}
	for r := range rounds + 1 { // round 0 warms up
		for i := range modes {
			m := modes[(i+r)%len(modes)]
			start := time.Now()
			for range reads {
				if err := m.read(); err != nil {
					b.Fatal(err)
				}
			}
			if r > 0 {
				spent[m.name] += time.Since(start)
			}
		}
	}
	n := float64(rounds * reads)
	for _, m := range modes {
		b.ReportMetric(float64(spent[m.name].Microseconds())/n, "µs/read-"+m.name)
	}
	b.ReportMetric(float64(spent["sync"])/float64(spent["off"]), "sync/off")
	b.ReportMetric(float64(spent["behind"])/float64(spent["off"]), "behind/off")
}
