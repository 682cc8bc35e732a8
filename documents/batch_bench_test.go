package documents_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/storage"
)

// BenchmarkSignBatch is the batch-signing figure of issue 12: 20 documents
// of 1 MiB signed by one SignBatch against the same 20 signed one by one
// with SignAsPerson, on PostgreSQL and S3, in the same run, alternating
// which goes first, after a warm-up round. It runs its rounds itself:
//
//	go test -run '^$' -bench SignBatch -benchtime 1x ./documents
func BenchmarkSignBatch(b *testing.B) {
	const docs, size, rounds = 20, 1 << 20, 5
	ctx := context.Background()
	db, _ := testenv.NewDB(b)
	s3 := testenv.RequireS3(b)
	users := auth.NewService(db, time.Hour)
	if _, err := demo.Seed(ctx, org.NewStore(db), users, password, 0); err != nil {
		b.Fatal(err)
	}
	bucket := make([]byte, 6)
	rand.Read(bucket)
	blobs, err := storage.NewS3(ctx, storage.S3Options{Endpoint: s3.Endpoint, Bucket: "vanban-bench-" + hex.EncodeToString(bucket),
		AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, Region: s3.Region})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := documents.NewService(db, blobs, b.TempDir(), 32<<20)
	if err != nil {
		b.Fatal(err)
	}
	if err := demo.EnableDevSigning(ctx, b.TempDir(), users, svc, 64<<20); err != nil {
		b.Fatal(err)
	}
	clerk, _ := users.PrincipalByUsername(ctx, "vanthu.sgd")
	director, _ := users.PrincipalByUsername(ctx, "giamdoc.sgd")
	seed := uint64(1000)
	upload := func() []documents.BatchItem {
		items := make([]documents.BatchItem, docs)
		for i := range items {
			seed++
			up, err := svc.Spool(ctx, bytes.NewReader(testenv.PDF(size, seed)), "Kế hoạch.pdf")
			if err != nil {
				b.Fatal(err)
			}
			d, err := svc.Create(ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch thường kỳ", DocDate: "2026-11-20"}, up)
			up.Close()
			if err != nil {
				b.Fatal(err)
			}
			items[i] = documents.BatchItem{ID: d.ID, VersionSHA256: d.Versions[0].SHA256}
		}
		return items
	}
	batch := func() time.Duration {
		items := upload()
		t0 := time.Now()
		res, err := svc.SignBatch(ctx, director, items, "", "")
		el := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
		return el
	}
	single := func() time.Duration {
		items := upload()
		t0 := time.Now()
		for _, it := range items {
			if _, err := svc.SignAsPerson(ctx, director, it.ID, documents.SignRequest{VersionSHA256: it.VersionSHA256}); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(t0)
	}
	batch() // warm-up: keys, images, connections, the pdfguard workers
	single()
	var bs, ss []time.Duration
	b.ResetTimer()
	for r := range rounds {
		if r%2 == 0 {
			bs, ss = append(bs, batch()), append(ss, single())
		} else {
			ss, bs = append(ss, single()), append(bs, batch())
		}
	}
	b.StopTimer()
	med := func(d []time.Duration) time.Duration { s := slices.Clone(d); slices.Sort(s); return s[len(s)/2] }
	b.ReportMetric(float64(med(bs).Milliseconds()), "batch20-median-ms")
	b.ReportMetric(float64(med(ss).Milliseconds()), "single20-median-ms")
	b.ReportMetric(float64(med(ss))/float64(med(bs)), "single/batch")
	b.Logf("batch of %d × %d MiB: %v (min %v, max %v); %d single signatures: %v (min %v, max %v); single/batch %.2f",
		docs, size>>20, bs, slices.Min(bs), slices.Max(bs), docs, ss, slices.Min(ss), slices.Max(ss), float64(med(ss))/float64(med(bs)))
}
