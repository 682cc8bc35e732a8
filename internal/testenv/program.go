package testenv

import (
	"bufio"
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

// Program is a main package of this module that tests run as a process of
// its own (the service, the signing helper, the test CSC service, the test
// OpenID provider), built once per test process.
type Program struct {
	Package string // relative to the module's root, e.g. "./cmd/vanban-signer"

	once sync.Once
	dir  string
	path string
	err  error
}

// Binary builds the program with the go command in PATH, the first time,
// and returns its path.
func (p *Program) Binary(tb testing.TB) string {
	tb.Helper()
	p.once.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			p.err = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(out)))
		// Not tb.TempDir: the binary outlives the test that built it.
		if p.dir, p.err = os.MkdirTemp("", "vanban-test-bin-"); p.err != nil {
			return
		}
		p.path = filepath.Join(p.dir, filepath.Base(p.Package))
		if runtime.GOOS == "windows" {
			p.path += ".exe"
		}
		cmd := exec.Command("go", "build", "-o", p.path, p.Package)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			p.err = fmt.Errorf("go build %s: %w\n%s", p.Package, err, out)
		}
	})
	if p.err != nil {
		tb.Fatal(p.err)
	}
	return p.path
}

// Remove deletes what Binary built; call it from TestMain after m.Run.
func (p *Program) Remove() {
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}

// Run says how Start runs a program.
type Run struct {
	Name string   // for messages: "the test CSC service"
	Args []string // after the binary
	Env  []string // added to this process's environment
	// Prefix is how the first line of its standard output, which Start
	// returns, must start (its URL, or a sentence naming it).
	Prefix string
	// Interrupt stops it with os.Interrupt (a graceful shutdown) before
	// killing it after five seconds.
	Interrupt bool
}

// Start runs bin for the test and returns the first line it prints. Its standard input stays open, so a program that exits
// when it closes dies with a crashed test process; it is stopped when the
// test ends, and its standard error is logged if the test failed.
func Start(tb testing.TB, bin string, r Run) string {
	tb.Helper()
	cmd := exec.Command(bin, r.Args...)
	cmd.Env = append(os.Environ(), r.Env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	// An io.Pipe rather than StdoutPipe: Wait may then run while the
	// first line is still being read.
	stdout, stdoutW := io.Pipe()
	cmd.Stdout = stdoutW
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("unable to start %s: %v", r.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		stdoutW.Close()
		close(exited)
	}()
	tb.Cleanup(func() {
		if r.Interrupt && runtime.GOOS != "windows" && cmd.Process.Signal(os.Interrupt) == nil {
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
			}
		}
		stdin.Close()
		cmd.Process.Kill()
		<-exited
		if tb.Failed() && stderr.String() != "" {
			tb.Logf("%s's standard error:\n%s", r.Name, stderr.String())
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		for sc.Scan() { // keep the pipe drained
		}
	}()
	select {
	case line, ok := <-lines:
		if !ok || !strings.HasPrefix(line, r.Prefix) {
			<-exited
			tb.Fatalf("%s did not start (first line %q):\n%s", r.Name, line, stderr.String())
		}
		return strings.TrimSpace(line)
	case <-time.After(60 * time.Second):
		tb.Fatalf("%s printed nothing in 60 s:\n%s", r.Name, stderr.String())
	}
	return ""
}
