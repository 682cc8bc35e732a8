package documents

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sys/unix"
	"golang.org/x/text/unicode/norm"
)

// TextConfig bounds text extraction and OCR; zero values take the defaults.
type TextConfig struct {
	OCRPages    int           // pages read by OCR at most per document (default 50)
	OCRWorkers  int           // OCR processes at once in this instance (default 1)
	PageTimeout time.Duration // longest OCR of one page (default 60s)
	Timeout     time.Duration // longest extraction of one document, OCR included (default 3m)
	Memory      int64         // address-space limit of each tool process (default 2 GiB)
	Language    string        // Tesseract's language (default "vie")
	// The tools; empty: found on PATH. Tests put a hanging one here.
	PDFToText, PDFToPPM, Tesseract string
}

func (c TextConfig) withDefaults() TextConfig {
	if c.OCRPages <= 0 {
		c.OCRPages = 50
	}
	if c.OCRWorkers <= 0 {
		c.OCRWorkers = 1
	}
	if c.PageTimeout <= 0 {
		c.PageTimeout = 60 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 3 * time.Minute
	}
	if c.Memory <= 0 {
		c.Memory = 2 << 30
	}
	if c.Language == "" {
		c.Language = "vie"
	}
	if c.PDFToText == "" {
		c.PDFToText = "pdftotext"
	}
	if c.PDFToPPM == "" {
		c.PDFToPPM = "pdftoppm"
	}
	if c.Tesseract == "" {
		c.Tesseract = "tesseract"
	}
	return c
}

// textRunner runs the tools; its slots bound the OCR processes of the
// instance.
type textRunner struct {
	cfg   TextConfig
	slots chan struct{}
}

func newTextRunner(c TextConfig) *textRunner {
	c = c.withDefaults()
	return &textRunner{cfg: c, slots: make(chan struct{}, c.OCRWorkers)}
}

// maxTextBytes bounds a document's kept text: far more than any official
// document, and the search index reads the first 500,000 characters.
const maxTextBytes = 4 << 20

// errToolTimeout: a tool ran past its time and was killed.
var errToolTimeout = errors.New("documents: the tool ran past its time limit and was killed")

// runTool runs name with args under the limits child processes get here
// (issue 7): its own process group, killed with the service, lower
// priority, an address-space and CPU limit, no core file, and killed (with
// its children) at timeout or when ctx ends. Stdout is kept up to max
// bytes.
func runTool(ctx context.Context, memory int64, timeout time.Duration, max int, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	// One thread: Tesseract's OpenMP would take every core of a machine
	// that also serves requests.
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1", "LC_ALL=C.UTF-8")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out := &capped{max: max}
	errb := &capped{max: 4096}
	cmd.Stdout, cmd.Stderr = out, errb
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("documents: unable to run %s: %v", filepath.Base(name), err)
	}
	pid := cmd.Process.Pid
	unix.Setpriority(unix.PRIO_PROCESS, pid, 10) //nolint:errcheck // only a preference
	cpu := uint64(timeout/time.Second) + 2
	for _, l := range []struct {
		res int
		max uint64
	}{{unix.RLIMIT_AS, uint64(memory)}, {unix.RLIMIT_CPU, cpu}, {unix.RLIMIT_CORE, 0}} {
		if err := unix.Prlimit(pid, l.res, &unix.Rlimit{Cur: l.max, Max: l.max}, nil); err != nil {
			syscall.Kill(-pid, syscall.SIGKILL)
			cmd.Wait()
			return nil, fmt.Errorf("documents: unable to limit %s: %v", filepath.Base(name), err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return out.Bytes(), fmt.Errorf("documents: %s failed: %v %s", filepath.Base(name), err, strings.TrimSpace(errb.String()))
		}
		return out.Bytes(), nil
	case <-timer.C:
		syscall.Kill(-pid, syscall.SIGKILL)
		<-done
		return out.Bytes(), errToolTimeout
	case <-ctx.Done():
		syscall.Kill(-pid, syscall.SIGKILL)
		<-done
		return out.Bytes(), ctx.Err()
	}
}

// capped keeps the first max bytes written to it and drops the rest.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// extraction is what was read of a PDF.
type extraction struct {
	Method string // "text" or "ocr" (some page was read by OCR)
	Pages  int
	Body   string // pages separated by form feeds
	Note   string // what was left out or not found
	Err    string // why it stopped (state failed)
}

// pdfText reads the text layer of the PDF at path, one string per page
// (pdftotext ends each page with a form feed). Reading order, not
// -layout: the layout puts side-by-side columns (the header's two blocks)
// on the same lines, which breaks phrases and snippets.
func (r *textRunner) pdfText(ctx context.Context, path string, timeout time.Duration) ([]string, error) {
	out, err := runTool(ctx, r.cfg.Memory, timeout, maxTextBytes, r.cfg.PDFToText, "-enc", "UTF-8", "-q", path, "-")
	if err != nil {
		return nil, err
	}
	pages := strings.Split(string(out), "\f")
	if len(pages) > 1 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	return pages, nil
}

// ocrPage renders page n (from 1) of the PDF at path at 200 dpi in grey
// and reads it with Tesseract, within the page timeout and one OCR slot.
func (r *textRunner) ocrPage(ctx context.Context, dir, path string, n int, timeout time.Duration) (string, error) {
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-ctx.Done():
		return "", ctx.Err()
	}
	start := time.Now()
	img := filepath.Join(dir, "page-"+strconv.Itoa(n))
	defer os.Remove(img + ".png")
	p := strconv.Itoa(n)
	if _, err := runTool(ctx, r.cfg.Memory, timeout, 0, r.cfg.PDFToPPM, "-r", "200", "-gray", "-png", "-singlefile", "-f", p, "-l", p, path, img); err != nil {
		return "", err
	}
	left := timeout - time.Since(start)
	if left <= 0 {
		return "", errToolTimeout
	}
	out, err := runTool(ctx, r.cfg.Memory, left, maxTextBytes, r.cfg.Tesseract, img+".png", "-", "-l", r.cfg.Language)
	return string(out), err
}

// extract reads the text of the PDF at path: its text layer, and OCR for
// the pages whose layer is empty or garbage (a scan, broken font
// encodings), up to OCRPages of them, within the timeouts. dir takes the
// page images.
func (r *textRunner) extract(ctx context.Context, dir, path string) extraction {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	pages, err := r.pdfText(ctx, path, r.cfg.Timeout)
	if err != nil {
		return extraction{Err: "không đọc được tệp PDF: " + err.Error()}
	}
	ex := extraction{Method: "text", Pages: len(pages)}
	var need []int
	for i, p := range pages {
		if !readable(p) {
			need = append(need, i)
		}
	}
	if len(need) > r.cfg.OCRPages {
		ex.Note = fmt.Sprintf("chỉ nhận dạng OCR %d trang đầu trong %d trang không có lớp chữ (giới hạn OCR_PAGES)", r.cfg.OCRPages, len(need))
		for _, i := range need[r.cfg.OCRPages:] {
			pages[i] = ""
		}
		need = need[:r.cfg.OCRPages]
	}
	for k, i := range need {
		ex.Method = "ocr"
		text, err := r.ocrPage(ctx, dir, path, i+1, r.cfg.PageTimeout)
		switch {
		case errors.Is(err, errToolTimeout) && ctx.Err() == nil:
			ex.Err = fmt.Sprintf("nhận dạng OCR trang %d quá %v, đã dừng; đã đọc %d trang", i+1, r.cfg.PageTimeout, k)
		case ctx.Err() != nil:
			ex.Err = fmt.Sprintf("trích xuất quá %v, đã dừng ở trang %d; đã đọc %d trang", r.cfg.Timeout, i+1, k)
		case err != nil:
			ex.Err = fmt.Sprintf("nhận dạng OCR trang %d lỗi: %v", i+1, err)
		}
		if ex.Err != "" {
			for _, j := range need[k:] {
				pages[j] = ""
			}
			break
		}
		// A page that reads as garbage by OCR too is a photo or noise.
		if readable(text) {
			pages[i] = text
		} else {
			pages[i] = ""
		}
	}
	for i := range pages {
		pages[i] = cleanText(pages[i])
	}
	ex.Body = strings.Join(pages, "\f")
	if len(ex.Body) > maxTextBytes {
		ex.Body = strings.ToValidUTF8(ex.Body[:maxTextBytes], "")
	}
	if strings.TrimSpace(strings.ReplaceAll(ex.Body, "\f", "")) == "" && ex.Err == "" {
		ex.Note = strings.TrimSpace("không tìm thấy chữ trong văn bản (trang trắng hoặc ảnh); " + ex.Note)
		ex.Note = strings.TrimSuffix(ex.Note, ";")
	}
	return ex
}

// cleanText makes a page's text NFC, without control characters but line
// breaks, and without trailing spaces.
func cleanText(s string) string {
	s = norm.NFC.String(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == utf8.RuneError || unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// readable says whether a page's text looks like text: enough letters,
// most words made of Vietnamese or Latin letters (a broken font encoding
// such as TCVN3 shown as Latin-1 gives "Céng hoµ x· héi"), few replacement
// or private-use characters.
func readable(s string) bool {
	s = norm.NFC.String(s)
	var letters, bad, total int
	var words, good int
	for _, w := range strings.Fields(s) {
		hasLetter, ok := false, true
		for _, r := range w {
			total++
			switch {
			case r == utf8.RuneError || r == '\uFFFD' || unicode.In(r, unicode.Co) || unicode.IsControl(r):
				bad++
				ok = false
			case unicode.IsLetter(r):
				hasLetter = true
				if vietLetter(r) {
					letters++
				} else {
					ok = false
				}
			case unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.Is(unicode.Mn, r) || strings.ContainsRune("+-=<>%/\\|$", r):
			default:
				ok = false
			}
		}
		if hasLetter {
			words++
			if ok {
				good++
			}
		}
	}
	if letters < 20 || total == 0 {
		return false
	}
	return bad*50 < total && good*10 >= words*7
}

// vietLetter says whether r is a letter of the Vietnamese alphabet or of
// basic Latin.
func vietLetter(r rune) bool {
	if r < 0x80 {
		return true
	}
	r = unicode.ToLower(r)
	if r >= 0x1EA0 && r <= 0x1EF9 { // Latin Extended Additional: ạ ả ấ ... ỹ
		return true
	}
	return strings.ContainsRune("àáâãèéêìíòóôõùúýăđĩũơư", r)
}
