package convert

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// bridgeScript drives one LibreOffice through UNO (python3-uno), the way
// unoserver does, so that a conversion does not pay LibreOffice's start.
//
//go:embed bridge.py
var bridgeScript []byte

// isolation is how a worker is cut off from the network, tried in order
// until one starts: a network namespace of its own (as root), the same in a
// user namespace (as anyone, where the kernel allows it), then nothing (the
// inputs are still cleaned of external links). A PID namespace makes the
// whole worker die with its bridge.
type isolation int

const (
	isolateNet isolation = iota
	isolateUserNet
	isolateNone
)

var isolationNames = [...]string{"network namespace", "user and network namespace", "none"}

// isolate is false in tests that show the input cleaning alone keeps
// LibreOffice off the network.
var isolate = true

var (
	modeMu sync.Mutex
	mode   = isolateNet // the first mode that worked on this machine
)

// answer is one line from the bridge.
type answer struct {
	Ready  bool   `json:"ready"`
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

// worker is one bridge process and its LibreOffice. Whoever took it from
// the pool's idle channel owns it.
type worker struct {
	c       *Converter
	id      int
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	answers chan answer
	exited  chan struct{}
	stderr  *tailBuffer
	mode    isolation
	pipe    string // the name of LibreOffice's UNO pipe
}

func (w *worker) dir(name string) string {
	return filepath.Join(w.c.cfg.WorkDir, fmt.Sprintf("%s-%d", name, w.id))
}

// running tells whether the worker's bridge still runs.
func (w *worker) running() bool {
	if w.cmd == nil {
		return false
	}
	select {
	case <-w.exited:
		return false
	default:
		return true
	}
}

// start starts the bridge and its LibreOffice, waits until it answers and
// converts a small document to load Writer and the PDF export.
func (w *worker) start() error {
	w.stop()
	profile, job := w.dir("profile"), w.dir("job")
	for _, d := range []string{filepath.Join(profile, "user"), job} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("convert: unable to make %s: %v", d, err)
		}
	}
	// Written before every start: LibreOffice merges its own changes into
	// it, ours stay authoritative.
	if err := os.WriteFile(filepath.Join(profile, "user", "registrymodifications.xcu"), []byte(profileSettings), 0o600); err != nil {
		return fmt.Errorf("convert: unable to write the profile: %v", err)
	}
	pipe := fmt.Sprintf("vanban-convert-%d-%d-%d", os.Getpid(), w.id, time.Now().UnixNano())
	w.pipe = pipe

	modeMu.Lock()
	m := mode
	modeMu.Unlock()
	if !isolate {
		m = isolateNone
	}
	var err error
	for ; m <= isolateNone; m++ {
		cmd := exec.Command(w.c.python, w.c.bridge, w.c.cfg.Soffice, profile, pipe, strconv.FormatInt(w.c.cfg.MemoryLimit, 10))
		cmd.Dir = job
		cmd.Env = append(os.Environ(), "SAL_USE_VCLPLUGIN=svp", "PYTHONDONTWRITEBYTECODE=1")
		cmd.SysProcAttr = sysProcAttr(m)
		w.stderr = &tailBuffer{}
		cmd.Stderr = w.stderr
		var stdout io.ReadCloser
		if w.stdin, err = cmd.StdinPipe(); err != nil {
			return fmt.Errorf("convert: unable to start the worker: %v", err)
		}
		if stdout, err = cmd.StdoutPipe(); err != nil {
			return fmt.Errorf("convert: unable to start the worker: %v", err)
		}
		if err = cmd.Start(); err != nil {
			if m < isolateNone && (errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EACCES)) {
				continue
			}
			return fmt.Errorf("convert: unable to start the worker: %v", err)
		}
		w.cmd, w.mode = cmd, m
		w.answers, w.exited = make(chan answer, 1), make(chan struct{})
		go w.read(stdout)
		break
	}
	if w.cmd == nil {
		return fmt.Errorf("convert: unable to start the worker: %v", err)
	}
	if isolate {
		modeMu.Lock()
		mode = w.mode
		modeMu.Unlock()
	}

	select {
	case a, ok := <-w.answers:
		if !ok || !a.Ready {
			w.stop()
			return fmt.Errorf("convert: LibreOffice did not start: %s %s", a.Error, w.stderr.String())
		}
	case <-time.After(startTimeout):
		w.stop()
		return fmt.Errorf("convert: LibreOffice did not start in %v: %s", startTimeout, w.stderr.String())
	}
	if _, err := w.run(context.Background(), warmupDOCX(), "docx", "writer_pdf_Export", "", ".pdf", startTimeout); err != nil {
		w.stop()
		return fmt.Errorf("convert: LibreOffice does not convert: %v %s", err, w.stderr.String())
	}
	return nil
}

func sysProcAttr(m isolation) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	switch m {
	case isolateNet:
		a.Cloneflags = syscall.CLONE_NEWNET | syscall.CLONE_NEWPID
	case isolateUserNet:
		a.Cloneflags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET | syscall.CLONE_NEWPID
		uid, gid := os.Getuid(), os.Getgid()
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
		a.GidMappingsEnableSetgroups = false
	}
	return a
}

// read passes the bridge's answers on, then waits for it to end.
func (w *worker) read(stdout io.Reader) {
	answers, exited, cmd := w.answers, w.exited, w.cmd
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var a answer
		if json.Unmarshal(sc.Bytes(), &a) != nil {
			a = answer{Error: "bridge", Detail: sc.Text()}
		}
		answers <- a
	}
	close(answers)
	cmd.Wait()
	close(exited)
}

// stop kills the worker's process group and waits for the bridge to end.
func (w *worker) stop() {
	if w.cmd == nil {
		return
	}
	syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
	w.stdin.Close()
	<-w.exited
	w.cmd = nil
	// A killed LibreOffice leaves its pipe's socket behind, always in /tmp.
	os.Remove(fmt.Sprintf("/tmp/OSL_PIPE_%d_%s", os.Getuid(), w.pipe))
}

// restartLater restarts the worker in the background and hands it back to
// the pool, so that the caller whose conversion was killed returns at once.
func (w *worker) restartLater() {
	c := w.c
	c.restarts.Add(1)
	go func() {
		defer c.restarts.Done()
		select {
		case <-c.closing:
			w.stop()
		default:
			w.start() // on failure the next taker tries again
		}
		c.idle <- w
	}()
}

// convert runs one conversion on the worker, restarting it first when it
// is dead. keep tells whether the caller hands the worker back to the pool
// (false: a restart in the background does).
func (w *worker) convert(ctx context.Context, in []byte, kind, filter, options, ext string) (out []byte, err error, keep bool) {
	for attempt := 0; ; attempt++ {
		if !w.running() {
			if err := w.start(); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrUnavailable, err), true
			}
		}
		out, err = w.run(ctx, in, kind, filter, options, ext, w.c.cfg.Timeout)
		switch {
		case err == nil:
			return out, nil, true
		case errors.Is(err, errWorkerDied) && attempt == 0:
			continue // killed from outside, or the file crashed it: once more
		case errors.Is(err, errWorkerDied):
			w.restartLater()
			return nil, &BadFileError{Code: "corrupt", Reason: "LibreOffice dừng lại khi mở tệp này (tệp hỏng hoặc quá lớn); hãy mở tệp bằng Word, lưu lại rồi tải lên lại"}, false
		case w.cmd == nil: // killed at the time limit or when ctx ended
			w.restartLater()
			return nil, err, false
		}
		return nil, err, true
	}
}

var errWorkerDied = errors.New("convert: the worker stopped during the conversion")

// run sends one request and waits for its answer, killing the worker when
// the time is up or ctx ends.
func (w *worker) run(ctx context.Context, in []byte, kind, filter, options, ext string, timeout time.Duration) ([]byte, error) {
	job := w.dir("job")
	inPath, outPath := filepath.Join(job, "in."+kind), filepath.Join(job, "out"+ext)
	os.Remove(outPath)
	defer os.Remove(inPath)
	defer os.Remove(outPath)
	if err := os.WriteFile(inPath, in, 0o600); err != nil {
		return nil, fmt.Errorf("convert: unable to write the input: %v", err)
	}
	req, _ := json.Marshal(map[string]string{"in": inPath, "out": outPath, "filter": filter, "options": options})
	if _, err := w.stdin.Write(append(req, '\n')); err != nil {
		w.stop()
		return nil, errWorkerDied
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case a, ok := <-w.answers:
		switch {
		case !ok:
			w.stop()
			return nil, errWorkerDied
		case a.OK:
			b, err := os.ReadFile(outPath)
			if err != nil {
				return nil, fmt.Errorf("convert: unable to read the result: %v", err)
			}
			return b, nil
		case a.Error == "encrypted":
			return nil, errEncrypted
		case a.Error == "load":
			return nil, &BadFileError{Code: "corrupt", Reason: "Không đọc được tệp (tệp có thể bị hỏng); hãy mở tệp bằng Word, lưu lại rồi tải lên lại"}
		default:
			return nil, fmt.Errorf("convert: unable to convert: %s %s", a.Error, a.Detail)
		}
	case <-timer.C:
		w.stop()
		return nil, ErrTimeout
	case <-ctx.Done():
		w.stop()
		return nil, ctx.Err()
	}
}

// pids lists the processes of the worker (bridge, LibreOffice's launcher
// and soffice.bin): those of its process group.
func (w *worker) pids() []int {
	if w.cmd == nil {
		return nil
	}
	pgid := w.cmd.Process.Pid
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// rss is the resident memory of the worker's processes, in bytes.
func (w *worker) rss() int64 {
	var total int64
	for _, pid := range w.pids() {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				total += kb << 10
			}
		}
	}
	return total
}

// tailBuffer keeps the last few KiB a worker wrote on stderr, for errors.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.b))
}
