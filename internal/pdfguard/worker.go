package pdfguard

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The worker is this binary started with WorkerArg as its only argument
// and workerEnv set; requests come on fd 3 and answers go out on fd 4, one
// JSON line each, so that nothing a library prints can be taken for one.
const (
	// WorkerArg is the hidden sub-command a worker runs as, seen in ps.
	WorkerArg   = "pdf-worker"
	workerEnv   = "VANBAN_PDFGUARD"
	workerMagic = "worker-v1"
	exitCPU     = 3 // the worker's exit status when it spent its CPU time
	workerNice  = 10
)

// The dispatch is in init, not in main, so that every binary that can
// reach this package (the service, and the test binaries of every package
// that checks uploads) is a worker when started as one, before anything
// else in it runs. The packages a worker needs are this one's imports,
// which are initialised before it.
func init() {
	if os.Getenv(workerEnv) == workerMagic && len(os.Args) == 2 && os.Args[1] == WorkerArg {
		os.Exit(serveWorker())
	}
}

type ready struct {
	VM  int64 `json:"vm"`  // address space in use at start, bytes
	CPU int64 `json:"cpu"` // CPU time used at start, ns
}

type response struct {
	Result json.RawMessage `json:"result,omitempty"`
	Error  *Error          `json:"error,omitempty"`
	Fail   string          `json:"fail,omitempty"` // the worker's own failure
	CPU    int64           `json:"cpu"`            // CPU time used so far, ns
}

// serveWorker is the worker's main loop: it answers requests until its
// input closes.
func serveWorker() int {
	in := bufio.NewReaderSize(os.NewFile(3, "requests"), 64<<10)
	out := os.NewFile(4, "responses")
	// Past the soft CPU limit the kernel sends SIGXCPU, which Go ignores
	// unless asked; past the hard limit, SIGKILL.
	xcpu := make(chan os.Signal, 1)
	signal.Notify(xcpu, syscall.SIGXCPU)
	go func() {
		<-xcpu
		os.Exit(exitCPU)
	}()
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP, syscall.SIGPIPE)
	enc := json.NewEncoder(out)
	vm := vmSize()
	if err := enc.Encode(ready{VM: vm, CPU: cpuUsed()}); err != nil {
		return 1
	}
	for {
		line, err := in.ReadBytes('\n')
		if err != nil {
			return 0
		}
		var req Request
		if err := json.Unmarshal(line, &req); err != nil {
			fmt.Fprintln(os.Stderr, "pdfguard: bad request:", err)
			return 1
		}
		lim := req.Limits.over(DefaultLimits)
		limitCPU(lim.CPU)
		limitMemory(vm + lim.Memory)
		debug.SetMemoryLimit(lim.Memory / 2)
		res, gerr, err := handle(req, lim)
		resp := response{Error: gerr, CPU: cpuUsed()}
		if err != nil {
			resp.Fail = err.Error()
		} else if gerr == nil {
			if resp.Result, err = json.Marshal(res); err != nil {
				resp.Error = refuse(CodeBroken, err.Error(), "Không đọc được tệp PDF")
			}
		}
		if err := enc.Encode(resp); err != nil {
			return 1
		}
	}
}

// limitCPU sets the soft CPU limit to d from now; the hard limit, set by
// the parent, stays.
func limitCPU(d time.Duration) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CPU, &rl); err != nil {
		return
	}
	soft := uint64((time.Duration(cpuUsed()) + d + time.Second - 1) / time.Second)
	rl.Cur = min(soft, rl.Max)
	unix.Setrlimit(unix.RLIMIT_CPU, &rl)
}

// limitMemory sets the soft address-space limit to n bytes, or the hard
// limit the parent set if that is lower: a request may ask for less
// memory than the worker was started with, not more.
func limitMemory(n int64) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_AS, &rl); err != nil {
		return
	}
	rl.Cur = min(uint64(n), rl.Max)
	unix.Setrlimit(unix.RLIMIT_AS, &rl)
}

func cpuUsed() int64 {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func vmSize() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmSize:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n << 10
		}
	}
	return 0
}

// worker is the parent's side of one worker process.
type worker struct {
	cmd     *exec.Cmd
	req     *os.File
	res     *bufio.Reader
	stderr  *headBuffer
	exited  chan struct{}
	uses    int
	cpuHard int64 // the hard CPU limit, ns of CPU time
	cpu     int64 // CPU time used after the last request, ns
}

// startWorker starts a worker and limits it: its address space to what it
// has at start plus lim.Memory, its CPU time for life to twenty requests'
// worth (it is replaced before), core dumps to none.
func startWorker(exe string, lim Limits) (*worker, error) {
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pdfguard: unable to make a pipe: %v", err)
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, fmt.Errorf("pdfguard: unable to make a pipe: %v", err)
	}
	w := &worker{req: reqW, res: bufio.NewReader(resR), stderr: &headBuffer{max: 16 << 10}, exited: make(chan struct{})}
	w.cmd = exec.Command(exe, WorkerArg)
	w.cmd.Env = append(os.Environ(), workerEnv+"="+workerMagic, "GOMAXPROCS=1", "GOTRACEBACK=single")
	w.cmd.ExtraFiles = []*os.File{reqR, resW}
	w.cmd.Stdout = w.stderr
	w.cmd.Stderr = w.stderr
	// Its own process group, so that a terminal's ^C reaches only the
	// service, which then closes its workers; killed if the service dies.
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = w.cmd.Start()
	reqR.Close()
	resW.Close()
	if err != nil {
		reqW.Close()
		resR.Close()
		return nil, fmt.Errorf("pdfguard: unable to start a worker: %v", err)
	}
	go func() {
		w.cmd.Wait()
		resR.Close()
		close(w.exited)
	}()
	resR.SetReadDeadline(time.Now().Add(30 * time.Second))
	var r ready
	line, err := w.res.ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &r)
	}
	resR.SetReadDeadline(time.Time{})
	if err != nil || r.VM <= 0 {
		w.kill()
		return nil, fmt.Errorf("pdfguard: the worker %s did not start: %v %s", exe, err, w.stderr.String())
	}
	pid := w.cmd.Process.Pid
	// Below the service's priority: a file that keeps a worker busy must
	// not slow the answers to everyone else.
	unix.Setpriority(unix.PRIO_PROCESS, pid, workerNice) //nolint:errcheck // only a preference
	life := max(20*lim.CPU, 5*time.Minute)
	w.cpuHard = r.CPU + int64(life)
	w.cpu = r.CPU
	for _, l := range []struct {
		res int
		max uint64
	}{
		{unix.RLIMIT_AS, uint64(r.VM + lim.Memory)},
		{unix.RLIMIT_CPU, uint64((time.Duration(w.cpuHard) + time.Second - 1) / time.Second)},
		{unix.RLIMIT_CORE, 0},
	} {
		if err := unix.Prlimit(pid, l.res, &unix.Rlimit{Cur: l.max, Max: l.max}, nil); err != nil {
			w.kill()
			return nil, fmt.Errorf("pdfguard: unable to limit the worker: %v", err)
		}
	}
	return w, nil
}

// do sends req and waits for the answer, the wall deadline or ctx. keep
// says whether the worker can take another request.
func (w *worker) do(ctx context.Context, req Request, out any) (keep bool, err error) {
	w.uses++
	b, err := json.Marshal(req)
	if err != nil {
		return true, err
	}
	type answer struct {
		line []byte
		err  error
	}
	got := make(chan answer, 1)
	timer := time.NewTimer(req.Limits.Wall)
	defer timer.Stop()
	if _, err := w.req.Write(append(b, '\n')); err != nil {
		return false, w.died(req.Limits)
	}
	go func() {
		line, err := w.res.ReadBytes('\n')
		got <- answer{line, err}
	}()
	select {
	case a := <-got:
		if a.err != nil {
			return false, w.died(req.Limits)
		}
		var resp response
		if err := json.Unmarshal(a.line, &resp); err != nil {
			return false, fmt.Errorf("pdfguard: unable to read the worker's answer: %v", err)
		}
		w.cpu = resp.CPU
		// Replace the worker before its lifetime CPU runs out.
		keep = w.cpuHard-w.cpu > 2*int64(req.Limits.CPU)
		if resp.Fail != "" {
			return keep, fmt.Errorf("pdfguard: the worker failed: %s", resp.Fail)
		}
		if resp.Error != nil {
			return keep, resp.Error
		}
		if out != nil {
			if err := json.Unmarshal(resp.Result, out); err != nil {
				return keep, fmt.Errorf("pdfguard: unable to read the worker's answer: %v", err)
			}
		}
		return keep, nil
	case <-timer.C:
		w.kill()
		return false, refuse(CodeTime, fmt.Sprintf("no answer within %v", req.Limits.Wall),
			"Đọc tệp PDF mất quá %d giây: tệp quá phức tạp hoặc được tạo để gây quá tải; hãy xuất lại tệp PDF từ phần mềm soạn thảo", int(req.Limits.Wall.Seconds()))
	case <-ctx.Done():
		w.kill()
		return false, ctx.Err()
	}
}

// died says why the worker ended during a request: out of memory, out of
// CPU time, or a crash of the parser. All are the file's fault.
func (w *worker) died(lim Limits) error {
	select {
	case <-w.exited:
	case <-time.After(5 * time.Second):
		w.kill()
	}
	out := w.stderr.String()
	state := w.cmd.ProcessState
	switch {
	case strings.Contains(out, "out of memory") || strings.Contains(out, "cannot allocate memory") || strings.Contains(out, "failed to allocate") ||
		strings.Contains(out, "stack exceeds") || strings.Contains(out, "stack overflow"):
		return refuse(CodeMemory, firstLine(out),
			"Đọc tệp PDF cần quá %d MiB bộ nhớ: tệp quá phức tạp hoặc được tạo để gây quá tải; hãy xuất lại tệp PDF từ phần mềm soạn thảo", lim.Memory>>20)
	case state != nil && (state.ExitCode() == exitCPU || signalOf(state) == syscall.SIGXCPU ||
		signalOf(state) == syscall.SIGKILL && int64(state.UserTime()+state.SystemTime()) >= w.cpu+int64(lim.CPU)-int64(time.Second)):
		return refuse(CodeTime, fmt.Sprintf("worker: %v", state),
			"Đọc tệp PDF cần quá %d giây xử lý: tệp quá phức tạp hoặc được tạo để gây quá tải; hãy xuất lại tệp PDF từ phần mềm soạn thảo", int(lim.CPU.Seconds()))
	}
	return refuse(CodeWorkerCrash, fmt.Sprintf("worker: %v: %s", state, firstLine(out)),
		"Trình đọc PDF gặp lỗi khi đọc tệp này: tệp hỏng hoặc được tạo để gây lỗi; hãy xuất lại tệp PDF từ phần mềm soạn thảo")
}

func signalOf(s *os.ProcessState) syscall.Signal {
	if ws, ok := s.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal()
	}
	return 0
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// kill ends the worker and waits for it.
func (w *worker) kill() {
	w.req.Close()
	if w.cmd.Process != nil {
		w.cmd.Process.Kill()
	}
	<-w.exited
}

// headBuffer keeps the first max bytes written to it: a crashing Go
// program says why on its first line.
type headBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (h *headBuffer) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := h.max - h.b.Len(); n > 0 {
		h.b.Write(p[:min(n, len(p))])
	}
	return len(p), nil
}

func (h *headBuffer) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.b.String()
}
