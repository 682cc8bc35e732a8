// Package signertest runs the signing helper, cmd/vanban-signer, as a child
// process for tests, the way a signer's PC runs it.
package signertest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configures the helper process.
type Options struct {
	Module string // PKCS#11 module (libsofthsm2.so in tests)
	Conf   string // SOFTHSM2_CONF for the process
	Origin string // the vanban origin(s) it answers, comma-separated
	Token  string // token label; "" for every token
}

const prefix = "vanban-signer listening on "

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary builds cmd/vanban-signer once per test process and returns its path.
func Binary(tb testing.TB) string {
	tb.Helper()
	build.once.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			build.err = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(out)))
		// Not tb.TempDir: the binary outlives the test that built it.
		build.dir, build.err = os.MkdirTemp("", "vanban-signer-bin-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "vanban-signer")
		if runtime.GOOS == "windows" {
			build.path += ".exe"
		}
		cmd := exec.Command("go", "build", "-o", build.path, "./cmd/vanban-signer")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/vanban-signer: %w\n%s", err, out)
		}
	})
	if build.err != nil {
		tb.Fatal(build.err)
	}
	return build.path
}

// RemoveBinary deletes what Binary built; call it from TestMain.
func RemoveBinary() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// Start runs the helper on 127.0.0.1 with a free port, SOFTHSM2_CONF set to
// o.Conf, and returns its base URL (http://127.0.0.1:PORT), read from the
// first line it prints. The process is stopped when the test ends; its log
// (stderr) is shown if the test failed.
func Start(tb testing.TB, o Options) string {
	tb.Helper()
	bin := Binary(tb)
	args := []string{"-listen", "127.0.0.1:0", "-origin", o.Origin, "-module", o.Module}
	if o.Token != "" {
		args = append(args, "-token", o.Token)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+o.Conf)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("signertest: unable to start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, r)
	}()
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	tb.Cleanup(func() {
		stop(cmd, exited)
		if tb.Failed() {
			tb.Logf("vanban-signer log:\n%s", stderr.String())
		}
	})
	select {
	case line := <-lines:
		if !strings.HasPrefix(line, prefix) {
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
			}
			tb.Fatalf("signertest: vanban-signer printed %q instead of its address:\n%s", line, stderr.String())
		}
		return strings.TrimSpace(strings.TrimPrefix(line, prefix))
	case <-time.After(30 * time.Second):
		tb.Fatalf("signertest: vanban-signer did not start within 30s:\n%s", stderr.String())
	}
	return ""
}

// stop interrupts the helper (a graceful shutdown) and kills it if it has
// not exited in five seconds.
func stop(cmd *exec.Cmd, exited <-chan struct{}) {
	select {
	case <-exited:
		return
	default:
	}
	if runtime.GOOS == "windows" || cmd.Process.Signal(os.Interrupt) != nil {
		_ = cmd.Process.Kill()
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
