package pdfguard

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/pdfguard/hostile"
	"github.com/hcm-edu/vanban/internal/testenv"
	"golang.org/x/sys/unix"
)

// corpus is the folder TestMain writes the hostile corpus to: some cases
// are megabytes, too big to commit.
var corpus string

func TestMain(m *testing.M) {
	// This binary is also its own worker: the dispatch happens in the
	// package's init, before TestMain (see worker.go).
	flag.Parse()
	dir, err := os.MkdirTemp("", "pdfguard-corpus-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	corpus = dir
	for _, c := range hostile.Cases() {
		if err := os.WriteFile(filepath.Join(dir, c.Name+".pdf"), c.Make(), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Kinds of request that misbehave, to show that the limits hold whatever
// the parser does. Set during variable initialisation, so before the
// worker's dispatch in init.
// spinSink and allocSink keep the misbehaving kinds' work observable.
var (
	spinSink  int
	allocSink [][]byte
)

var _ = func() bool {
	testKind = func(kind, path string, lim Limits) (any, *Error, error) {
		switch kind {
		case "spin":
			for n := 0; ; n++ { // a worker pinning a core is the case under test
				spinSink = n
			}
		case "sleep":
			time.Sleep(time.Hour)
		case "alloc":
			for {
				b := make([]byte, 16<<20)
				for i := range b {
					b[i] = 1
				}
				allocSink = append(allocSink, b) // kept: the worker's memory grows until its limit
			}
		case "recurse":
			var f func(int) int
			f = func(n int) int { return f(n+1) + 1 }
			return f(0), nil, nil
		case "panic":
			go panic("a parser bug")
			time.Sleep(time.Hour)
		case "pid":
			return os.Getpid(), nil, nil
		}
		return nil, nil, fmt.Errorf("unknown kind of request %q", kind)
	}
	return true
}()

// slow is how much longer things take under the race detector.
func slow() time.Duration {
	if raceEnabled {
		return 5
	}
	return 1
}

func newGuard(t testing.TB, opt Options) *Guard {
	g := New(opt)
	t.Cleanup(func() { g.Close() })
	return g
}

func TestCorpusRefused(t *testing.T) {
	g := newGuard(t, Options{Workers: 2})
	for _, c := range hostile.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			start := time.Now()
			_, err := g.Check(t.Context(), filepath.Join(corpus, c.Name+".pdf"))
			took := time.Since(start)
			var ge *Error
			if !errors.As(err, &ge) || ge.Code != c.Code {
				t.Fatalf("got %v, want a refusal %s", err, c.Code)
			}
			if ge.Message == "" || !ge.Limit() {
				t.Errorf("refusal %+v without a message, or not a limit", ge)
			}
			if took > 2*time.Second*slow() {
				t.Errorf("refused after %v, want within 2 s", took)
			}
			t.Logf("%v: %s", took.Round(time.Millisecond), ge.Message)
		})
	}
	// Bounded memory: the largest worker stayed within its limit.
	g.Close()
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_CHILDREN, &ru); err != nil {
		t.Fatal(err)
	}
	if rss := ru.Maxrss << 10; rss > DefaultLimits.Memory {
		t.Errorf("a worker reached %d MiB resident", rss>>20)
	} else {
		t.Logf("largest worker: %d MiB resident", rss>>20)
	}
}

// ordinary returns files the guard must accept, by name: the real fixture,
// generated files, and the fixture rewritten by qpdf and mutool (object
// and cross-reference streams, PDF 1.4) where they are installed.
func ordinary(t testing.TB) map[string]string {
	dir := t.TempDir()
	files := map[string]string{"fixture": "../../testdata/206-KH-SGDDT.pdf"}
	for name, b := range map[string][]byte{"generated-4k": testenv.PDF(4000, 1), "generated-1m": testenv.PDF(1<<20, 2)} {
		p := filepath.Join(dir, name+".pdf")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		files[name] = p
	}
	for name, args := range map[string][]string{
		"qpdf-object-streams": {"qpdf", "--object-streams=generate", "IN", "OUT"},
		"qpdf-1.4":            {"qpdf", "--force-version=1.4", "IN", "OUT"},
		"qpdf-qdf":            {"qpdf", "--qdf", "IN", "OUT"},
		"mutool-clean":        {"mutool", "clean", "-gggg", "-z", "IN", "OUT"},
	} {
		if _, err := exec.LookPath(args[0]); err != nil {
			continue
		}
		out := filepath.Join(dir, name+".pdf")
		args = slices.Clone(args)
		args[slices.Index(args, "IN")], args[slices.Index(args, "OUT")] = files["fixture"], out
		if b, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", args, err, b)
		}
		files[name] = out
	}
	return files
}

func TestOrdinaryAccepted(t *testing.T) {
	g := newGuard(t, Options{})
	for name, path := range ordinary(t) {
		t.Run(name, func(t *testing.T) {
			info, err := g.Check(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			want := 1
			if name != "generated-4k" && name != "generated-1m" {
				want = 12
			}
			if info.Pages != want {
				t.Errorf("%d pages, want %d", info.Pages, want)
			}
		})
	}
}

func TestNotPDFAndEncrypted(t *testing.T) {
	g := newGuard(t, Options{})
	dir := t.TempDir()
	notPDF := filepath.Join(dir, "a.pdf")
	os.WriteFile(notPDF, []byte("hello, world"), 0o600)
	truncated := filepath.Join(dir, "b.pdf")
	b, _ := os.ReadFile("../../testdata/206-KH-SGDDT.pdf")
	os.WriteFile(truncated, b[:len(b)/2], 0o600)
	cases := map[string]string{notPDF: CodeNotPDF, truncated: CodeBroken}
	if _, err := exec.LookPath("qpdf"); err == nil {
		enc := filepath.Join(dir, "c.pdf")
		if out, err := exec.Command("qpdf", "--encrypt", "user", "owner", "256", "--", "../../testdata/206-KH-SGDDT.pdf", enc).CombinedOutput(); err != nil {
			t.Fatal(err, string(out))
		}
		cases[enc] = CodeEncrypted
	}
	for path, code := range cases {
		_, err := g.Check(t.Context(), path)
		var ge *Error
		if !errors.As(err, &ge) || ge.Code != code || ge.Limit() {
			t.Errorf("%s: got %v, want %s", filepath.Base(path), err, code)
		}
	}
	if _, err := g.Check(t.Context(), filepath.Join(dir, "missing.pdf")); err == nil || errors.As(err, new(*Error)) {
		t.Errorf("a missing file: got %v, want the service's error", err)
	}
}

// TestLimitsHold shows the boundary holding against a parser that spins,
// sleeps, allocates without end, overflows its stack or crashes: each is a
// refusal within its limit, and the next request gets a fresh worker.
func TestLimitsHold(t *testing.T) {
	g := newGuard(t, Options{Workers: 1, Limits: Limits{Wall: 4 * time.Second * slow(), CPU: time.Second, Memory: 256 << 20}})
	cases := []struct {
		kind, code string
		within     time.Duration
	}{
		{"spin", CodeTime, 6 * time.Second},
		{"sleep", CodeTime, 5 * time.Second},
		{"alloc", CodeMemory, 3 * time.Second},
		{"recurse", CodeMemory, 4 * time.Second},
		{"panic", CodeWorkerCrash, 2 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			start := time.Now()
			err := g.Do(t.Context(), Request{Kind: c.kind}, nil)
			took := time.Since(start)
			var ge *Error
			if !errors.As(err, &ge) || ge.Code != c.code {
				t.Fatalf("got %v, want %s", err, c.code)
			}
			if took > c.within*slow() {
				t.Errorf("took %v, want within %v", took, c.within)
			}
			t.Logf("%v: %v", took.Round(time.Millisecond), err)
			// The pool carries on with a new worker.
			if _, err := g.Check(t.Context(), "../../testdata/206-KH-SGDDT.pdf"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPoolReusesWorkers(t *testing.T) {
	g := newGuard(t, Options{Workers: 1, MaxUses: 3})
	var pids []int
	for range 5 {
		var pid int
		if err := g.Do(t.Context(), Request{Kind: "pid"}, &pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if pids[0] != pids[1] || pids[1] != pids[2] || pids[2] == pids[3] || pids[3] != pids[4] {
		t.Errorf("worker pids %v, want one worker for three requests, then another", pids)
	}
	if slices.Contains(pids, os.Getpid()) {
		t.Error("the request ran in the test process, not in a worker")
	}
}

func TestCancelKillsWorker(t *testing.T) {
	g := newGuard(t, Options{Workers: 1})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := g.Do(ctx, Request{Kind: "sleep"}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's error", err)
	}
	if took := time.Since(start); took > 2*time.Second*slow() {
		t.Errorf("took %v after the context ended", took)
	}
}

// TestParallel: more requests than workers wait for one, and all finish.
func TestParallel(t *testing.T) {
	g := newGuard(t, Options{Workers: 2})
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := "../../testdata/206-KH-SGDDT.pdf"
			if i%2 == 1 {
				path = filepath.Join(corpus, "self-kid-page-tree.pdf")
			}
			_, err := g.Check(t.Context(), path)
			if i%2 == 1 && errors.As(err, new(*Error)) {
				err = nil
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// FuzzCheck runs the whole check, in a worker, on mutations of the corpus
// and the fixture: whatever the input, the answer is Info or an *Error,
// within the wall limit.
func FuzzCheck(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(corpus, "*.pdf"))
	seeds = append(seeds, "../../testdata/206-KH-SGDDT.pdf")
	for _, p := range seeds {
		if fi, err := os.Stat(p); err == nil && fi.Size() < 2<<20 {
			b, _ := os.ReadFile(p)
			f.Add(b)
		}
	}
	g := New(Options{Workers: 1, Limits: Limits{Wall: 10 * time.Second, CPU: 5 * time.Second, Memory: 512 << 20}})
	defer g.Close()
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, fmt.Sprintf("in-%d.pdf", fuzzSeq.Add(1)))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
		info, err := g.Check(context.Background(), p)
		if err == nil && info.Pages < 1 {
			t.Errorf("accepted with %d pages", info.Pages)
		}
		if err != nil && !errors.As(err, new(*Error)) {
			t.Errorf("not a refusal: %v", err)
		}
	})
}

// FuzzScan runs the structural scan alone, in this process: it must never
// panic and must stay linear.
func FuzzScan(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(corpus, "*.pdf"))
	seeds = append(seeds, "../../testdata/206-KH-SGDDT.pdf")
	for _, p := range seeds {
		if fi, err := os.Stat(p); err == nil && fi.Size() < 1<<20 {
			b, _ := os.ReadFile(p)
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		start := time.Now()
		scan(b, DefaultLimits)
		if took := time.Since(start); took > 3*time.Second*slow() && len(b) < 1<<20 {
			t.Errorf("scan of %d bytes took %v", len(b), took)
		}
	})
}

var fuzzSeq atomic.Int64
