// Package pdfguard is the boundary around PDFs that came from outside.
// Every parse of such bytes runs in a child process (the same binary,
// re-executed as a worker) under limits no parser bug can escape: an
// address-space limit, a CPU-time limit and a wall deadline after which the
// child is killed. Inside the worker, cheap structural checks run first
// (declared object count against the file's size, nesting depth, declared
// stream lengths, decompressed sizes, image and font sizes, page-tree
// cycles and page count), so a hostile file is refused quickly with a
// reason, and an ordinary one costs little more than its parse.
//
// A small pool of long-lived workers keeps the cost per document small.
// Any binary that imports this package can be a worker: the dispatch is in
// the package's init, so the service's binary and every test binary serve
// as their own workers without further wiring.
package pdfguard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Limits bound one request. The zero value of a field means its default.
type Limits struct {
	Wall   time.Duration `json:"wall,omitempty"`   // wall time of one request; the worker is killed after it
	CPU    time.Duration `json:"cpu,omitempty"`    // CPU time of one request
	Memory int64         `json:"memory,omitempty"` // address space a worker may add to what it had at start; a request may lower it, not raise it

	MaxPages         int   `json:"max_pages,omitempty"`
	MaxDepth         int   `json:"max_depth,omitempty"`          // nesting of arrays and dictionaries
	MaxStreamDecoded int64 `json:"max_stream_decoded,omitempty"` // decompressed bytes of one stream
	MaxDecoded       int64 `json:"max_decoded,omitempty"`        // decompressed bytes of the whole file
	MaxImagePixels   int64 `json:"max_image_pixels,omitempty"`
}

// DefaultLimits are the limits of a Guard made with zero Limits: far above
// any official document (the largest upload is 256 MiB), far below what
// hurts the service.
var DefaultLimits = Limits{
	Wall:             30 * time.Second,
	CPU:              15 * time.Second,
	Memory:           1 << 30,
	MaxPages:         10_000,
	MaxDepth:         100,
	MaxStreamDecoded: 256 << 20,
	MaxDecoded:       1 << 30,
	MaxImagePixels:   1 << 28,
}

// over returns l with its zero fields taken from base.
func (l Limits) over(base Limits) Limits {
	d := base
	if l.Wall > 0 {
		d.Wall = l.Wall
	}
	if l.CPU > 0 {
		d.CPU = l.CPU
	}
	if l.Memory > 0 {
		d.Memory = l.Memory
	}
	if l.MaxPages > 0 {
		d.MaxPages = l.MaxPages
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxStreamDecoded > 0 {
		d.MaxStreamDecoded = l.MaxStreamDecoded
	}
	if l.MaxDecoded > 0 {
		d.MaxDecoded = l.MaxDecoded
	}
	if l.MaxImagePixels > 0 {
		d.MaxImagePixels = l.MaxImagePixels
	}
	return d
}

// maxObjects is how many objects a file of size bytes may declare: no
// real file spends fewer than 8 bytes an object, while the parsers spend
// memory and time on every object declared.
func maxObjects(size int64) int64 {
	return min(8_388_607, 1024+size/8) // ISO 32000-1, annex C: 8,388,607 at most
}

// Kinds of request (more in verify.go); a new kind goes in the worker's
// switch (handle).
const (
	// KindCheck: the structural checks, then a full parse of every page
	// with the reader that signs and verifies, then a read and validation
	// with the reader that builds meeting packets.
	KindCheck = "check"
)

// Request is one piece of work for a worker: a kind, the file, limits,
// and what else the kind needs (for a verification, say, the trust roots).
type Request struct {
	Kind   string          `json:"kind"`
	Path   string          `json:"path"`
	Limits Limits          `json:"limits"`
	Args   json.RawMessage `json:"args,omitempty"`
}

// Info is what a check learns of a file that passed it.
type Info struct {
	Pages      int  `json:"pages"`
	Restricted bool `json:"restricted,omitempty"` // encrypted with only an owner password: opens, but cannot be signed intact
}

// Codes of an Error.
const (
	CodeNotPDF      = "not_pdf"   // the bytes are not a PDF
	CodeEncrypted   = "encrypted" // password-protected
	CodeBroken      = "bad_pdf"   // does not parse
	CodeObjects     = "too_many_objects"
	CodeDepth       = "too_deep"
	CodePageTree    = "page_tree"
	CodeResources   = "resource_cycle"
	CodePages       = "too_many_pages"
	CodeStream      = "bad_stream"
	CodeDecoded     = "decompression_bomb"
	CodeXRef        = "bad_xref"
	CodeImage       = "image_too_large"
	CodeFont        = "bad_font"
	CodeTime        = "too_slow"
	CodeMemory      = "too_much_memory"
	CodeWorkerCrash = "parser_crash"
)

// Error is a file refused by the guard: Code says why for programs, Message
// says it in Vietnamese for the user, Detail in English for the log. Every
// Error is the file's fault (HTTP 422), never the service's.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  string `json:"detail,omitempty"`
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return "pdfguard: " + e.Code + ": " + e.Detail
	}
	return "pdfguard: " + e.Code
}

// Limit reports whether the file was refused by a limit rather than for
// not being a PDF, being encrypted or failing to parse.
func (e *Error) Limit() bool {
	switch e.Code {
	case CodeNotPDF, CodeEncrypted, CodeBroken:
		return false
	}
	return true
}

func refuse(code, detail, message string, a ...any) *Error {
	return &Error{Code: code, Detail: detail, Message: fmt.Sprintf(message, a...)}
}

// ErrClosed is returned by a Guard after Close.
var ErrClosed = errors.New("pdfguard: the guard is closed")

// Options configure a Guard.
type Options struct {
	Workers int    // workers at most, 2 if zero
	Limits  Limits // per request; zero fields take DefaultLimits
	MaxUses int    // requests before a worker is replaced, 1000 if zero
	// Executable is the worker binary. If empty, the running binary
	// itself: /proc/self/exe, which stays this program even when a
	// deployment replaces or removes the file it was started from.
	Executable string
}

// Guard runs requests in a pool of worker processes.
type Guard struct {
	opt   Options
	slots chan struct{}
	mu    sync.Mutex
	idle  []*worker
	done  bool
}

// New returns a Guard. Workers start on first use.
func New(opt Options) *Guard {
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	if opt.MaxUses <= 0 {
		opt.MaxUses = 1000
	}
	opt.Limits = opt.Limits.over(DefaultLimits)
	return &Guard{opt: opt, slots: make(chan struct{}, opt.Workers)}
}

var (
	defaultOnce  sync.Once
	defaultGuard *Guard
)

// Default is the process's shared Guard, with DefaultLimits and two
// workers. It is one per process, like the worker processes it owns, so
// that every package that reads uploads shares the same bound on CPU and
// memory.
func Default() *Guard {
	defaultOnce.Do(func() { defaultGuard = New(Options{}) })
	return defaultGuard
}

// Limits returns the limits the Guard applies.
func (g *Guard) Limits() Limits { return g.opt.Limits }

// Check runs the structural checks and the full parse of the PDF at path
// in a worker. A refused file gives an *Error; ctx's error is returned as
// is; any other error is the service's (a worker that cannot start).
func (g *Guard) Check(ctx context.Context, path string) (Info, error) {
	var info Info
	err := g.Do(ctx, Request{Kind: KindCheck, Path: path}, &info)
	return info, err
}

// Do runs req in a worker and decodes its result into out. Zero limits in
// req take the Guard's.
func (g *Guard) Do(ctx context.Context, req Request, out any) error {
	req.Limits = req.Limits.over(g.opt.Limits)
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-g.slots }()
	w, err := g.take()
	if err != nil {
		return err
	}
	keep, err := w.do(ctx, req, out)
	if keep && w.uses < g.opt.MaxUses {
		g.put(w)
	} else {
		w.kill()
	}
	return err
}

func (g *Guard) take() (*worker, error) {
	g.mu.Lock()
	if g.done {
		g.mu.Unlock()
		return nil, ErrClosed
	}
	for len(g.idle) > 0 {
		w := g.idle[len(g.idle)-1]
		g.idle = g.idle[:len(g.idle)-1]
		select {
		case <-w.exited: // died while idle: not the next file's fault
			continue
		default:
		}
		g.mu.Unlock()
		return w, nil
	}
	g.mu.Unlock()
	exe := g.opt.Executable
	if exe == "" {
		exe = "/proc/self/exe"
		if _, err := os.Stat(exe); err != nil {
			if exe, err = os.Executable(); err != nil {
				return nil, fmt.Errorf("pdfguard: unable to find the executable: %v", err)
			}
		}
	}
	return startWorker(exe, g.opt.Limits)
}

func (g *Guard) put(w *worker) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.done {
		w.kill()
		return
	}
	g.idle = append(g.idle, w)
}

// Close stops the idle workers; requests under way finish first.
func (g *Guard) Close() error {
	g.mu.Lock()
	g.done = true
	idle := g.idle
	g.idle = nil
	g.mu.Unlock()
	for _, w := range idle {
		w.kill()
	}
	return nil
}
