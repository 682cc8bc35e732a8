// Package bench measures uploads and downloads of documents through the
// running service (the real binary, on PostgreSQL and the test S3 server)
// against minio-go writing and reading the same bytes on the same S3 server
// directly, and the service's peak memory while it moves a 200 MiB file.
//
// Run it with the services `make bench` starts:
//
//	go test -run '^$' -bench . -benchtime 5x ./bench/
//
// Each benchmark alternates the two variants round by round (api then
// direct, direct then api), after a warm-up of both and once the service's
// job queue is idle, and times each transfer: with -benchtime 5x the 1 MiB
// case runs 200 rounds, the 200 MiB case 5. ns/op is the API's median.
// The jobs an API upload queues (text extraction, verification) are let
// finish, untimed, before the next transfer (see waitJobs).
// The targets: the API reaches at least 70% of the direct
// throughput at 1 MiB and 90% at 200 MiB (ratio of the medians), and the
// service's peak RSS grows by less than 64 MiB for the 200 MiB file. After
// the benchmarks a summary prints, per case, p10 / median / p90 of each
// variant, the ratio of the medians and the spread of the per-round ratio,
// and the RSS growth measured in the same run.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/storage"
	_ "github.com/lib/pq"
	"github.com/minio/minio-go/v7"
)

const (
	clerk     = "vanthu.sgd"
	partSize  = 16 << 20  // as storage.S3 uses
	maxUpload = 300 << 20 // MAX_UPLOAD_BYTES of the service under test
)

// size is a generated PDF: one page, one uncompressed grey image of
// width×height random bytes.
type size struct {
	name          string
	width, height int
}

var sizes = []size{
	{"1MiB", 1024, 1024},
	{"200MiB", 10240, 20480},
}

// workDir holds the generated PDFs for the whole run.
var workDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vanban-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	workDir = dir
	code := m.Run()
	printSummary(os.Stdout)
	os.RemoveAll(dir)
	testenv.RemoveBinary()
	os.Exit(code)
}

// TestGeneratedPDFAccepted checks what the benchmarks rely on: the service
// takes the generated PDF (201), stores the very bytes, and takes it again
// as a new file once a few bytes of the image are rewritten.
func TestGeneratedPDFAccepted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the service")
	}
	st := newStack(t)
	svc := st.serve(t)
	pdf := generate(t, filepath.Join(t.TempDir(), "small.pdf"), 256, 128)

	doc := svc.upload(t, pdf)
	if doc.Size != pdf.size {
		t.Fatalf("stored size %d, want %d", doc.Size, pdf.size)
	}
	sum, err := fileSHA256(pdf.path)
	if err != nil {
		t.Fatal(err)
	}
	if doc.SHA256 != sum {
		t.Fatalf("stored SHA-256 %s, want %s", doc.SHA256, sum)
	}
	var got bytes.Buffer
	if n := svc.download(t, doc.ID, &got); n != pdf.size {
		t.Fatalf("downloaded %d bytes, want %d", n, pdf.size)
	}
	want, err := os.ReadFile(pdf.path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatal("downloaded bytes differ from the uploaded ones")
	}

	if err := pdf.patch(); err != nil {
		t.Fatal(err)
	}
	again := svc.upload(t, pdf)
	if again.SHA256 == doc.SHA256 {
		t.Fatal("patching did not change the file: the benchmarks would upload the same bytes each time")
	}
	if _, err := st.MC.StatObject(context.Background(), st.Bucket, again.key(t), minio.StatObjectOptions{}); err != nil {
		t.Fatalf("the patched upload is not in the bucket: %v", err)
	}
}

// rounds is how many interleaved api/direct pairs one b.N iteration of a
// size runs: the 1 MiB transfers take milliseconds, so one pair says little
// on a shared machine; a 200 MiB pair takes seconds. With `-benchtime 5x`
// the 1 MiB case runs 200 pairs, the 200 MiB case 5.
var rounds = map[string]int{"1MiB": 40, "200MiB": 1}

// warmUpRounds pairs run before the timed ones of each size, unmeasured:
// connections opened, the heap grown, the caches of both paths filled.
var warmUpRounds = map[string]int{"1MiB": 10, "200MiB": 0}

func BenchmarkUpload(b *testing.B) {
	st := newStack(b)
	svc := st.serve(b)
	pdfs := fixtures(b)
	svc.warmUp(b)
	baseline := svc.hwm(b)
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			st.waitJobs(b)
			pdf := pdfs[sz.name]
			var seq int
			put := func(target string) time.Duration {
				// Every upload stores new bytes: the service skips content
				// it already has.
				if err := pdf.patch(); err != nil {
					b.Fatal(err)
				}
				seq++
				t0 := time.Now()
				if target == "direct" {
					st.putDirect(b, pdf, fmt.Sprintf("bench/direct/%s/%d-%d", sz.name, time.Now().UnixNano(), seq))
					return time.Since(t0)
				}
				svc.upload(b, pdf)
				d := time.Since(t0)
				// The text and verification jobs the upload queued run
				// after its answer: untimed, and not over the next round.
				st.waitJobs(b)
				return d
			}
			s := interleave(b, sz.name, pdf.size, put)
			record(b, "upload", sz.name, pdf.size, s)
			if sz.name == "200MiB" {
				reportRSS(b, "upload", baseline, svc.hwm(b))
			}
		})
	}
}

func BenchmarkDownload(b *testing.B) {
	st := newStack(b)
	pdfs := fixtures(b)
	// A first server stores the documents, so that the measured server's
	// memory has seen nothing but downloads and a warm-up.
	docs := map[string]uploaded{}
	prep := st.serve(b)
	for _, sz := range sizes {
		pdf := pdfs[sz.name]
		if err := pdf.patch(); err != nil {
			b.Fatal(err)
		}
		docs[sz.name] = prep.upload(b, pdf)
	}
	prep.stop(b)

	svc := st.serve(b)
	svc.warmUp(b)
	baseline := svc.hwm(b)
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			st.waitJobs(b)
			doc := docs[sz.name]
			key := doc.key(b)
			get := func(target string) time.Duration {
				t0 := time.Now()
				var n int64
				if target == "api" {
					n = svc.download(b, doc.ID, io.Discard)
				} else {
					n = st.getDirect(b, key)
				}
				d := time.Since(t0)
				if n != doc.Size {
					b.Fatalf("%s read %d bytes, want %d", target, n, doc.Size)
				}
				return d
			}
			s := interleave(b, sz.name, doc.Size, get)
			record(b, "download", sz.name, doc.Size, s)
			if sz.name == "200MiB" {
				reportRSS(b, "download", baseline, svc.hwm(b))
			}
		})
	}
}

// sample is the time of each measured transfer of one variant.
type sample []time.Duration

// quantile returns the q-quantile (0..1), nearest rank, of a sorted sample.
func (s sample) quantile(q float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	i := int(q*float64(len(s)-1) + 0.5)
	return s[i]
}

// pairs is one size's measured rounds: the time of each variant and the
// api/direct throughput ratio of each round (direct time over api time).
type pairs struct {
	api, direct sample
	ratio       []float64
}

// interleave runs the warm-up and then b.N×rounds pairs of transfers, one
// api and one direct, alternating which goes first, so that a slow moment
// of the machine falls on both variants alike. Only the transfers are timed.
func interleave(b *testing.B, size string, bytesPerOp int64, run func(target string) time.Duration) pairs {
	b.Helper()
	for i := 0; i < warmUpRounds[size]; i++ {
		run("api")
		run("direct")
	}
	n := b.N * rounds[size]
	var p pairs
	b.ResetTimer()
	b.StopTimer()
	for i := 0; i < n; i++ {
		var a, d time.Duration
		if i%2 == 0 {
			a, d = run("api"), run("direct")
		} else {
			d, a = run("direct"), run("api")
		}
		p.api = append(p.api, a)
		p.direct = append(p.direct, d)
		p.ratio = append(p.ratio, float64(d)/float64(a))
	}
	sort.Slice(p.api, func(i, j int) bool { return p.api[i] < p.api[j] })
	sort.Slice(p.direct, func(i, j int) bool { return p.direct[i] < p.direct[j] })
	sort.Float64s(p.ratio)
	// ns/op and MB/s are the API's median transfer; the rest as custom
	// metrics (the timer itself stays stopped: it would count both).
	b.ReportMetric(float64(p.api.quantile(0.5).Nanoseconds()), "ns/op")
	b.ReportMetric(float64(bytesPerOp)/p.api.quantile(0.5).Seconds()/1e6, "MB/s")
	b.ReportMetric(float64(p.direct.quantile(0.5).Microseconds())/1e3, "direct-p50-ms")
	b.ReportMetric(100*float64(p.direct.quantile(0.5))/float64(p.api.quantile(0.5)), "api/direct-%")
	return p
}

// ---------------------------------------------------------------------------
// Results and the summary printed after the run.

// result is one size of one operation, as the summary prints it.
type result struct {
	size       int64
	api, dir   [3]time.Duration // p10, p50, p90
	ratio      [3]float64       // per-round direct/api: p10, p50, p90
	rounds     int
	apiMBps    float64 // of the median
	directMBps float64
}

var results = struct {
	sync.Mutex
	byKey map[string]result  // "upload 1MiB"
	rss   map[string]float64 // "upload" → MiB of VmHWM growth
	peak  map[string]float64 // "upload" → MiB of VmHWM
}{byKey: map[string]result{}, rss: map[string]float64{}, peak: map[string]float64{}}

// record keeps the figures of the benchmark's last (largest) run.
func record(b *testing.B, op, size string, bytesPerOp int64, p pairs) {
	if len(p.api) == 0 {
		return
	}
	q := func(s sample) [3]time.Duration {
		return [3]time.Duration{s.quantile(0.1), s.quantile(0.5), s.quantile(0.9)}
	}
	fq := func(f float64) float64 { return p.ratio[int(f*float64(len(p.ratio)-1)+0.5)] }
	r := result{size: bytesPerOp, api: q(p.api), dir: q(p.direct), rounds: len(p.api),
		ratio: [3]float64{fq(0.1), fq(0.5), fq(0.9)}}
	r.apiMBps = float64(bytesPerOp) / r.api[1].Seconds() / 1e6
	r.directMBps = float64(bytesPerOp) / r.dir[1].Seconds() / 1e6
	results.Lock()
	defer results.Unlock()
	results.byKey[op+" "+size] = r
}

func reportRSS(b *testing.B, op string, baselineKB, peakKB int64) {
	growth := float64(peakKB-baselineKB) / 1024
	b.ReportMetric(growth, "rss-growth-MiB")
	b.ReportMetric(float64(peakKB)/1024, "peak-rss-MiB")
	results.Lock()
	defer results.Unlock()
	results.rss[op] = growth
	results.peak[op] = float64(peakKB) / 1024
}

func printSummary(w io.Writer) {
	results.Lock()
	defer results.Unlock()
	if len(results.byKey) == 0 {
		return
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
	fmt.Fprintln(w, "\nvanban bench summary (this run; api and direct interleaved, times in ms as p10 / median / p90;")
	fmt.Fprintln(w, "targets: api ≥ 70% of direct at 1 MiB, ≥ 90% at 200 MiB, RSS growth < 64 MiB at 200 MiB)")
	fmt.Fprintf(w, "  %-8s %-6s %6s  %-26s %-26s %9s %9s  %s\n", "op", "size", "rounds", "api ms", "direct ms", "api MB/s", "dir MB/s", "api/direct: of medians (per-round p10–p90)")
	for _, op := range []string{"upload", "download"} {
		for _, sz := range sizes {
			r, ok := results.byKey[op+" "+sz.name]
			if !ok {
				continue
			}
			fmt.Fprintf(w, "  %-8s %-6s %6d  %-26s %-26s %9.1f %9.1f  %5.1f%% (%.0f%%–%.0f%%)\n", op, sz.name, r.rounds,
				fmt.Sprintf("%.1f / %.1f / %.1f", ms(r.api[0]), ms(r.api[1]), ms(r.api[2])),
				fmt.Sprintf("%.1f / %.1f / %.1f", ms(r.dir[0]), ms(r.dir[1]), ms(r.dir[2])),
				r.apiMBps, r.directMBps, 100*float64(r.dir[1])/float64(r.api[1]), 100*r.ratio[0], 100*r.ratio[2])
		}
	}
	ops := make([]string, 0, len(results.rss))
	for op := range results.rss {
		ops = append(ops, op)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ops))) // upload, download
	for _, op := range ops {
		fmt.Fprintf(w, "  %-8s service peak RSS %.1f MiB, growth %.1f MiB over the warmed-up baseline\n", op, results.peak[op], results.rss[op])
	}
}

// ---------------------------------------------------------------------------
// The service under test: its database, bucket and processes.

// stack is a fresh database with the demo organisation and a fresh bucket.
// server is a running instance with a clerk's bearer token.
type server struct {
	*testenv.Instance
	token string
}

// stack is the binary on its own database and bucket.
type stack struct {
	*testenv.Stack
	db *sql.DB // for waitJobs
}

func newStack(tb testing.TB) *stack {
	st := &stack{Stack: testenv.NewStack(tb)}
	db, err := sql.Open("postgres", st.DBURL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	st.db = db
	st.MaxUpload = maxUpload
	return st
}

func (st *stack) serve(tb testing.TB) *server {
	tb.Helper()
	in := st.Serve(tb)
	return &server{Instance: in, token: testenv.Login(tb, in.Client, in.Base, clerk)}
}

func (s *server) stop(tb testing.TB)      { s.Stop(tb) }
func (s *server) hwm(tb testing.TB) int64 { return s.HWM(tb) }

func (s *server) warmUp(tb testing.TB) {
	tb.Helper()
	pdf := generate(tb, filepath.Join(tb.TempDir(), "warm-up.pdf"), 1024, 1024)
	doc := s.upload(tb, pdf)
	if n := s.download(tb, doc.ID, io.Discard); n != pdf.size {
		tb.Fatalf("warm-up download: %d bytes, want %d", n, pdf.size)
	}
}

// waitJobs waits until the service's queue has no job due: the text and
// verification jobs each upload queues run in the background on the same
// two cores once the upload is answered, and would otherwise weigh on
// whichever transfer of the next round they meet. Their own cost is not in
// the upload's figure (they start at the commit, so they do overlap the
// end of the upload that queued them).
func (st *stack) waitJobs(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var n int
		err := st.db.QueryRow(`SELECT count(*) FROM jobs WHERE (state = 'queued' AND run_at <= now()) OR state = 'running'`).Scan(&n)
		if err != nil {
			tb.Fatalf("count the jobs: %v", err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Logf("still %d jobs due after 5 minutes: measuring anyway", n)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// uploaded is what the API says of a new document's first version.
type uploaded struct {
	ID     int64
	SHA256 string
	Size   int64
}

// key is where the service keeps the bytes.
func (u uploaded) key(tb testing.TB) string {
	k, err := storage.KeyFor(u.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// upload posts the file as a new document, streaming it from disk in a
// multipart body of known length.
func (s *server) upload(tb testing.TB, pdf *pdfFile) uploaded {
	tb.Helper()
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	for _, kv := range [][2]string{
		{"doc_type", "BC"}, {"title", "Báo cáo đo hiệu năng tải lên " + pdf.name},
		{"doc_date", "2021-01-22"}, {"urgency", "thuong"}, {"confidentiality", "thuong"},
	} {
		mw.WriteField(kv[0], kv[1])
	}
	if _, err := mw.CreateFormFile("file", "Báo cáo "+pdf.name+".pdf"); err != nil {
		tb.Fatal(err)
	}
	prefix := bytes.Clone(head.Bytes())
	head.Reset()
	mw.Close()
	suffix := head.Bytes()

	f, err := os.Open(pdf.path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Base+"/api/v1/documents",
		io.MultiReader(bytes.NewReader(prefix), f, bytes.NewReader(suffix)))
	if err != nil {
		tb.Fatal(err)
	}
	req.ContentLength = int64(len(prefix)) + pdf.size + int64(len(suffix))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.Client.Do(req)
	if err != nil {
		tb.Fatalf("upload %s: %v\n%s", pdf.name, err, s.LogTail())
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		tb.Fatalf("upload %s: status %d: %s", pdf.name, resp.StatusCode, body)
	}
	var doc struct {
		ID       int64 `json:"id"`
		Versions []struct {
			SHA256 string `json:"sha256"`
			Size   int64  `json:"size"`
		} `json:"versions"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Versions) != 1 {
		tb.Fatalf("upload %s: unexpected answer (%v): %s", pdf.name, err, body)
	}
	return uploaded{ID: doc.ID, SHA256: doc.Versions[0].SHA256, Size: doc.Versions[0].Size}
}

// download reads the first version of a document into w.
func (s *server) download(tb testing.TB, id int64, w io.Writer) int64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/documents/%d/versions/1/download", s.Base, id), nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.Client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		tb.Fatalf("download %d: status %d: %s", id, resp.StatusCode, body)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		tb.Fatalf("download %d: %v after %d bytes", id, err, n)
	}
	return n
}

// putDirect writes the file with minio-go as the service does: known size,
// 16 MiB parts, one at a time, from a reader without ReadAt (the service
// hands minio-go a plain reader, so minio-go buffers each part).
func (st *stack) putDirect(tb testing.TB, pdf *pdfFile, key string) {
	tb.Helper()
	f, err := os.Open(pdf.path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err = st.MC.PutObject(ctx, st.Bucket, key, struct{ io.Reader }{f}, pdf.size, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		PartSize:    partSize,
		NumThreads:  1,
	})
	if err != nil {
		tb.Fatalf("put %s: %v", key, err)
	}
}

// getDirect reads an object with minio-go and discards it. It uses
// Core.GetObject, as storage.S3 does: the plain response body, without the
// per-Read round trips of minio.Object.
func (st *stack) getDirect(tb testing.TB, key string) int64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	body, _, _, err := minio.Core{Client: st.MC}.GetObject(ctx, st.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		tb.Fatalf("get %s: %v", key, err)
	}
	defer body.Close()
	n, err := io.Copy(io.Discard, body)
	if err != nil {
		tb.Fatalf("get %s: %v after %d bytes", key, err, n)
	}
	return n
}

// ---------------------------------------------------------------------------
// The binary, built once per run.

type pdfFile struct {
	name      string
	path      string
	size      int64
	imageAt   int64 // offset of the image's bytes
	imageSize int64
}

// patch rewrites 32 bytes inside the image with random ones: a new file for
// the content-addressed store, and still a valid PDF.
func (p *pdfFile) patch() error {
	f, err := os.OpenFile(p.path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	var b [32]byte
	rand.Read(b[:])
	off := p.imageAt + mrand.Int64N(p.imageSize-int64(len(b)))
	if _, err := f.WriteAt(b[:], off); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var fixtureCache struct {
	sync.Mutex
	files map[string]*pdfFile
}

// fixtures returns the PDFs of every size, generated once per run.
func fixtures(tb testing.TB) map[string]*pdfFile {
	tb.Helper()
	fixtureCache.Lock()
	defer fixtureCache.Unlock()
	if fixtureCache.files == nil {
		m := map[string]*pdfFile{}
		for _, sz := range sizes {
			p := generate(tb, filepath.Join(workDir, sz.name+".pdf"), sz.width, sz.height)
			p.name = sz.name
			m[sz.name] = p
		}
		fixtureCache.files = m
	}
	return fixtureCache.files
}

// generate writes a one-page PDF with one uncompressed 8-bit grey image of
// width×height random bytes under a line of text, and a correct
// cross-reference table.
func generate(tb testing.TB, path string, width, height int) *pdfFile {
	tb.Helper()
	p, err := writePDF(path, width, height)
	if err != nil {
		tb.Fatalf("generate %s: %v", path, err)
	}
	p.name = strings.TrimSuffix(filepath.Base(path), ".pdf")
	return p
}

func writePDF(path string, width, height int) (*pdfFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w := &countWriter{w: bufio.NewWriterSize(f, 1<<20)}
	imageSize := int64(width) * int64(height)
	// A line of text over the image, as official documents have: the text
	// job then finds a text layer and does not OCR a page of noise in the
	// background while the transfers are timed.
	content := "q 595 0 0 842 0 0 cm /Im0 Do Q\nBT /F1 12 Tf 72 800 Td (Bao cao do hieu nang tai len va tai xuong van ban) Tj ET\n"
	offsets := make([]int64, 7)

	w.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets[1] = w.n
	w.WriteString("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	offsets[2] = w.n
	w.WriteString("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n")
	offsets[3] = w.n
	w.WriteString("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " +
		"/Resources << /XObject << /Im0 5 0 R >> /Font << /F1 6 0 R >> >> /Contents 4 0 R >>\nendobj\n")
	offsets[4] = w.n
	fmt.Fprintf(w, "4 0 obj\n<< /Length %d >>\nstream\n%sendstream\nendobj\n", len(content), content)
	offsets[5] = w.n
	fmt.Fprintf(w, "5 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d "+
		"/ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n", width, height, imageSize)
	imageAt := w.n
	var seed [32]byte
	rand.Read(seed[:])
	rng := mrand.NewChaCha8(seed)
	buf := make([]byte, 1<<20)
	for left := imageSize; left > 0; {
		chunk := buf[:min(int64(len(buf)), left)]
		rng.Read(chunk)
		w.Write(chunk)
		left -= int64(len(chunk))
	}
	w.WriteString("\nendstream\nendobj\n")
	offsets[6] = w.n
	w.WriteString("6 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n")
	xref := w.n
	w.WriteString("xref\n0 7\n0000000000 65535 f \n")
	for _, off := range offsets[1:] {
		fmt.Fprintf(w, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(w, "trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", xref)
	if w.err != nil {
		return nil, w.err
	}
	if err := w.w.Flush(); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return &pdfFile{path: path, size: w.n, imageAt: imageAt, imageSize: imageSize}, nil
}

// countWriter counts what it writes and keeps the first error.
type countWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

func (c *countWriter) WriteString(s string) (int, error) { return c.Write([]byte(s)) }

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
