package signing_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitorus/pdfsign"
	"github.com/hcm-edu/vanban/signing"
	"software.sslmate.com/src/go-pkcs12"
)

// Benchmarks of signing and verifying a 1 MiB and a 20 MiB PDF, pdfsign
// alone against Sign and Verify with the same options, in the same run.
// After each group a line prints the ratio Sign/pdfsign (or
// Verify/pdfsign) of the time per operation:
//
//	go test -run '^$' -bench . -benchtime 3s ./signing/
//
// BenchmarkSign and BenchmarkSignPeak print their own summary tables.

var benchSizes = []struct {
	name string
	size int
}{{"1MiB", 1 << 20}, {"20MiB", 20 << 20}}

var (
	benchMu      sync.Mutex
	benchResults = map[string]time.Duration{}
)

func record(b *testing.B, key string) {
	benchMu.Lock()
	benchResults[key] = b.Elapsed() / time.Duration(b.N)
	benchMu.Unlock()
}

func printRatios(prefix string) { printRatiosOf(prefix, "pdfsign", "vanban") }

// printRatiosOf prints, per size, the time of b against a's.
func printRatiosOf(prefix, a, b string) {
	benchMu.Lock()
	defer benchMu.Unlock()
	for _, size := range benchSizes {
		base, other := benchResults[prefix+"/"+size.name+"/"+a], benchResults[prefix+"/"+size.name+"/"+b]
		if base > 0 && other > 0 {
			fmt.Printf("%s/%s: %s %v/op, %s %v/op, ratio %s/%s %.2f\n", prefix, size.name, a, base.Round(time.Microsecond), b, other.Round(time.Microsecond), b, a, float64(other)/float64(base))
		}
	}
}

const benchName = "Nguyễn Văn An" // no ĩ: pdfsign alone must write it correctly

// librarySign signs with pdfsign's builder alone, as Sign did before it
// used the low-level signer: invisible, or with png stretched over rect.
func librarySign(in []byte, k signing.Key) ([]byte, error) {
	return librarySignWith(in, k, nil)
}

func librarySignWith(in []byte, k signing.Key, a *signing.Appearance) ([]byte, error) {
	doc, err := pdfsign.Open(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return nil, err
	}
	sb := doc.Sign(k.Signer, k.Chain[0], k.Chain[1:]...).
		Type(pdfsign.ApprovalSignature).
		Permission(pdfsign.AllowFormFilling).
		Format(pdfsign.PAdES_B_B).
		Digest(crypto.SHA256).
		SignerName(benchName).
		Reason("Phê duyệt").
		Location("Thành phố Hồ Chí Minh")
	if a != nil {
		w, h := a.Rect[2]-a.Rect[0], a.Rect[3]-a.Rect[1]
		app := pdfsign.NewAppearance(w, h)
		app.Image(&pdfsign.Image{Name: "appearance", Data: a.PNG}).Rect(0, 0, w, h).ScaleStretch()
		sb.Appearance(app, a.Rect[0], a.Rect[1]).Page(a.Page)
	}
	var out bytes.Buffer
	out.Grow(len(in) + 64<<10)
	_, err = doc.Write(&out)
	return out.Bytes(), err
}

// benchPDF writes a PDF of about size bytes in pages of a heading and a
// 512 KiB greyscale image of noise each (a scanned letter does not
// compress either), at least four pages.
func benchPDF(size int) []byte {
	pages := benchPages(size)
	side := 16
	for side*side*pages < size {
		side += 16
	}
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s", len(offsets), body)
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	kids := make([]string, pages)
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", 4+3*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n", strings.Join(kids, " "), pages))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>\nendobj\n")
	rng := mrand.NewChaCha8([32]byte{42})
	pixels := make([]byte, side*side)
	for i := range pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>\nendobj\n", 6+3*i, 5+3*i))
		content := fmt.Sprintf("BT /F1 14 Tf 72 780 Td (Page %d of the benchmark letter) Tj ET\nq 451 0 0 451 72 300 cm /Im0 Do Q\n", i+1)
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream\nendobj\n", len(content), content))
		obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n", side, side, len(pixels)))
		rng.Read(pixels)
		b.Write(pixels)
		b.WriteString("\nendstream\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

func benchPages(size int) int { return max(4, size/(512<<10)) }

// benchAppearance is the person's visible signature as vanban draws it:
// the demo signature image, position and name, on the last page.
func benchAppearance(b testing.TB) *signing.Appearance {
	png, w, h, err := signing.PersonAppearance(signing.DemoSignatureImage(benchName), "Trưởng phòng", benchName)
	if err != nil {
		b.Fatal(err)
	}
	return &signing.Appearance{Rect: [4]float64{330, 120, 330 + w, 120 + h}, PNG: png}
}

// A variant is one way of signing, timed in alternation with the others.
type variant struct {
	name string
	sign func() ([]byte, error)
	// samples, allocated bytes and objects of the measured iterations
	times          []time.Duration
	bytes, objects uint64
}

var allocMetrics = []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:objects"}}

func (v *variant) run(b *testing.B, measure bool) {
	metrics.Read(allocMetrics)
	bytes0, objects0 := allocMetrics[0].Value.Uint64(), allocMetrics[1].Value.Uint64()
	start := time.Now()
	if _, err := v.sign(); err != nil {
		b.Fatalf("%s: %v", v.name, err)
	}
	d := time.Since(start)
	metrics.Read(allocMetrics)
	if measure {
		v.times = append(v.times, d)
		v.bytes += allocMetrics[0].Value.Uint64() - bytes0
		v.objects += allocMetrics[1].Value.Uint64() - objects0
	}
}

// rate returns the signatures per second at quantile q of the times
// (q = 0.5: the median; a low q is a fast iteration).
func (v *variant) rate(q float64) float64 {
	t := slices.Clone(v.times)
	slices.Sort(t)
	return 1 / t[int(q*float64(len(t)-1)+0.5)].Seconds()
}

type signRow struct {
	size     string
	variants []*variant
	fileSize int
}

var (
	signRows []signRow
	peakRows []string
)

// BenchmarkSign times, per size, four variants in alternating iterations
// (the first of each round rotates) after two warm-up rounds: Sign with
// the person's visible signature, pdfsign's builder alone with the same
// PNG, pdfsign alone invisible and Sign invisible. Each iteration of the
// benchmark is one round; the summary after the run gives the median rate
// of each variant with p10-p90, allocations per signature and the ratios
// the goals name. For stable medians and the one-core figure:
//
//	go test -run '^$' -bench 'Sign$' -benchtime 30x -cpu 1 ./signing/
func BenchmarkSign(b *testing.B) {
	k := testPKI(b).Person
	app := benchAppearance(b)
	signRows = nil
	for _, size := range benchSizes {
		in := benchPDF(size.size)
		visible := signing.Options{Key: k, Name: benchName, Reason: "Phê duyệt", Location: "Thành phố Hồ Chí Minh", Appearance: app}
		invisible := visible
		invisible.Appearance = nil
		libApp := *app
		libApp.Page = benchPages(size.size) // the last page, as Sign's Page 0
		ctx := context.Background()
		b.Run(size.name, func(b *testing.B) {
			vs := []*variant{
				{name: "vanban visible", sign: func() ([]byte, error) { return signing.Sign(ctx, in, visible) }},
				{name: "pdfsign visible", sign: func() ([]byte, error) { return librarySignWith(in, k, &libApp) }},
				{name: "pdfsign invisible", sign: func() ([]byte, error) { return librarySign(in, k) }},
				{name: "vanban invisible", sign: func() ([]byte, error) { return signing.Sign(ctx, in, invisible) }},
			}
			for range 2 {
				for _, v := range vs {
					v.run(b, false)
				}
			}
			runtime.GC()
			round := 0
			for b.Loop() {
				for i := range vs {
					vs[(round+i)%len(vs)].run(b, true)
				}
				round++
			}
			for _, v := range vs {
				b.ReportMetric(v.rate(0.5), strings.ReplaceAll(v.name, " ", "-")+"-sig/s")
			}
			signRows = append(slices.DeleteFunc(signRows, func(r signRow) bool { return r.size == size.name }),
				signRow{size: size.name, variants: vs, fileSize: len(in)})
		})
	}
	printSignSummary(os.Stdout)
}

func printSignSummary(w io.Writer) {
	fmt.Fprintf(w, "\nsigning bench summary (this run, GOMAXPROCS=%d; signatures/s median [p10-p90], alternating rounds)\n", runtime.GOMAXPROCS(0))
	fmt.Fprintln(w, "| size | variant | sig/s median | p10-p90 | MB alloc/sig | allocs/sig | rounds |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, r := range signRows {
		for _, v := range r.variants {
			n := uint64(len(v.times))
			fmt.Fprintf(w, "| %s | %s | %.1f | %.1f-%.1f | %.1f (%.1f× file) | %d | %d |\n", r.size, v.name, v.rate(0.5), v.rate(0.9), v.rate(0.1),
				float64(v.bytes/n)/1e6, float64(v.bytes/n)/float64(r.fileSize), v.objects/n, n)
		}
	}
	for _, r := range signRows {
		get := func(name string) float64 {
			for _, v := range r.variants {
				if v.name == name {
					return v.rate(0.5)
				}
			}
			return 0
		}
		vv, pv, pi, vi := get("vanban visible"), get("pdfsign visible"), get("pdfsign invisible"), get("vanban invisible")
		fmt.Fprintf(w, "%s: vanban visible / pdfsign visible %.2f (goal ≥ 1.5 at 1 MiB); vanban visible / pdfsign invisible %.2f (goal ≥ 0.5); vanban invisible / pdfsign invisible %.2f\n",
			r.size, vv/pv, vv/pi, vi/pi)
	}
}

// BenchmarkSignPeak signs the 20 MiB PDF four times at once, three times
// per variant, and reports the growth of the process's peak resident memory
// (/proc/self VmHWM, reset through clear_refs after a collection) per
// signature, against the file's size (the goal: ≤ 4×). The four
// inputs are in memory before, as a server holding four requests holds
// them; SignOwned signs into their buffers' spare room.
func BenchmarkSignPeak(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the peak RSS: %v", err)
	}
	k := testPKI(b).Person
	app := benchAppearance(b)
	const concurrent = 4
	ins := make([][]byte, concurrent)
	for i := range ins {
		pdf := benchPDF(20 << 20)
		// as a server reads a version it is about to sign: sized, with room
		ins[i] = append(make([]byte, 0, len(pdf)+signing.SignHeadroom), pdf...)
	}
	libApp := *app
	libApp.Page = benchPages(20 << 20)
	visible := signing.Options{Key: k, Name: benchName, Reason: "Phê duyệt", Location: "Thành phố Hồ Chí Minh", Appearance: app}
	invisible := visible
	invisible.Appearance = nil
	ctx := context.Background()
	variants := []struct {
		name string
		sign func(in []byte) ([]byte, error)
	}{
		{"vanban visible", func(in []byte) ([]byte, error) { return signing.Sign(ctx, in, visible) }},
		{"vanban invisible", func(in []byte) ([]byte, error) { return signing.Sign(ctx, in, invisible) }},
		{"vanban SignOwned visible", func(in []byte) ([]byte, error) { return signing.SignOwned(ctx, in, visible) }},
		{"pdfsign visible", func(in []byte) ([]byte, error) { return librarySignWith(in, k, &libApp) }},
		{"pdfsign invisible", func(in []byte) ([]byte, error) { return librarySign(in, k) }},
	}
	peakRows = nil
	for _, v := range variants {
		if _, err := v.sign(ins[0]); err != nil { // warm-up: the appearance cache, the code
			b.Fatal(err)
		}
		var growth []float64
		for range 3 {
			runtime.GC()
			debug.FreeOSMemory()
			base := procStatusKB(b, "VmRSS:")
			if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
				b.Fatal(err)
			}
			var wg sync.WaitGroup
			outs := make([][]byte, concurrent)
			for i := range concurrent {
				wg.Go(func() {
					out, err := v.sign(ins[i])
					if err != nil {
						b.Error(err)
					}
					outs[i] = out
				})
			}
			wg.Wait()
			peak := procStatusKB(b, "VmHWM:")
			growth = append(growth, float64(peak-base)*1024/concurrent/float64(len(ins[0])))
			runtime.KeepAlive(outs)
		}
		slices.Sort(growth)
		b.ReportMetric(growth[len(growth)/2], strings.ReplaceAll(v.name, " ", "-")+"-peak×file")
		peakRows = append(peakRows, fmt.Sprintf("| %s | %.2f× | %.2f-%.2f× | %d |", v.name, growth[len(growth)/2], growth[0], growth[len(growth)-1], len(growth)))
	}
	fmt.Printf("\npeak RSS growth per signature, %d concurrent signatures of a %.1f MiB PDF (goal ≤ 4× the file; the signed output counts)\n", concurrent, float64(len(ins[0]))/(1<<20))
	fmt.Println("| variant | median | min-max | runs |")
	fmt.Println("|---|---|---|---|")
	for _, r := range peakRows {
		fmt.Println(r)
	}
}

func procStatusKB(b *testing.B, field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

func BenchmarkVerify(b *testing.B) {
	p := testPKI(b)
	for _, size := range benchSizes {
		signed, err := librarySign(minimalPDF("1.7", size.size, "Benchmark"), p.Person)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(size.name+"/pdfsign", func(b *testing.B) {
			b.SetBytes(int64(len(signed)))
			b.ReportAllocs()
			for b.Loop() {
				doc, err := pdfsign.Open(bytes.NewReader(signed), int64(len(signed)))
				if err != nil {
					b.Fatal(err)
				}
				if !doc.Verify().TrustedRoots(p.Roots).ValidateTimestampCertificates(true).Valid() {
					b.Fatal("not valid")
				}
			}
			record(b, "Verify/"+size.name+"/pdfsign")
		})
		b.Run(size.name+"/vanban", func(b *testing.B) {
			b.SetBytes(int64(len(signed)))
			b.ReportAllocs()
			for b.Loop() {
				rep, err := signing.Verify(signed, signing.VerifyOptions{Roots: p.Roots})
				if err != nil || !rep.Valid {
					b.Fatal(err, rep.VerdictEN)
				}
			}
			record(b, "Verify/"+size.name+"/vanban")
		})
	}
	printRatios("Verify")
}

// BenchmarkTwoStep: one-step Sign against Prepare + the device's signature
// (the same key, held in process) + Complete, same file, same key, same
// run; a line prints the ratio two-step/one-step. The helper's and the
// remote service's own times are benchmarked in localsigner and remotesign.
func BenchmarkTwoStep(b *testing.B) {
	k := testPKI(b).Person
	opts := signing.Options{Key: k, Name: benchName, Reason: "Phê duyệt", Location: "Thành phố Hồ Chí Minh"}
	for _, size := range benchSizes {
		in := minimalPDF("1.7", size.size, "Benchmark")
		b.Run(size.name+"/one-step", func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := signing.Sign(context.Background(), in, opts); err != nil {
					b.Fatal(err)
				}
			}
			record(b, "TwoStep/"+size.name+"/one-step")
		})
		b.Run(size.name+"/two-step", func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				prep, err := signing.Prepare(context.Background(), in, k.Chain, opts)
				if err != nil {
					b.Fatal(err)
				}
				value, err := k.Signer.Sign(rand.Reader, prep.Digest, crypto.SHA256)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := signing.Complete(context.Background(), prep.PDF, prep.Digest, value, k.Certificate(), nil); err != nil {
					b.Fatal(err)
				}
			}
			record(b, "TwoStep/"+size.name+"/two-step")
		})
	}
	printRatiosOf("TwoStep", "one-step", "two-step")
}

// TestWriteBenchFiles writes the benchmark's PDFs, appearance PNG (and
// its size in points) and key (PKCS#12, password "bench", with its chain)
// into $VANBAN_BENCH_OUT, for scripts/bench-peers.sh to sign the same
// files with other tools.
func TestWriteBenchFiles(t *testing.T) {
	dir := os.Getenv("VANBAN_BENCH_OUT")
	if dir == "" {
		t.Skip("VANBAN_BENCH_OUT is not set")
	}
	k := testPKI(t).Person
	for _, size := range benchSizes {
		if err := os.WriteFile(filepath.Join(dir, size.name+".pdf"), benchPDF(size.size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	app := benchAppearance(t)
	p12, err := pkcs12.Modern.Encode(k.Signer, k.Chain[0], k.Chain[1:], "bench")
	if err != nil {
		t.Fatal(err)
	}
	rect := fmt.Sprintf("%.3f %.3f\n", app.Rect[2]-app.Rect[0], app.Rect[3]-app.Rect[1])
	for name, data := range map[string][]byte{"appearance.png": app.PNG, "appearance.size": []byte(rect), "key.p12": p12} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
