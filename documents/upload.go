package documents

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/internal/domain"
	"golang.org/x/text/unicode/norm"
)

// Upload is a file received and spooled to a private temporary file.
type Upload struct {
	FileName string
	Size     int64
	SHA256   string
	Pages    int
	// Restricted is a file with only an owner password (permissions
	// restricted): it opens and can be kept and verified, not signed.
	Restricted bool
	f          *os.File
}

// Close removes the spooled file.
func (u *Upload) Close() error {
	if u == nil || u.f == nil {
		return nil
	}
	name := u.f.Name()
	u.f.Close()
	u.f = nil
	return os.Remove(name)
}

// Content reads the spooled bytes from their start; each call starts
// afresh. Other stores of the same upload (a meeting's files) use it.
func (u *Upload) Content() io.Reader { return io.NewSectionReader(u.f, 0, u.Size) }

// Spool reads a file from r into a temporary file, hashing it, enforcing the
// size limit and checking that it is a whole PDF. On error nothing is kept.
func (s *Service) Spool(ctx context.Context, r io.Reader, fileName string) (*Upload, error) {
	name, err := CleanFileName(fileName)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.spoolDir, spoolPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("documents: unable to create spool file: %w", err)
	}
	lockSpool(f)
	up := &Upload{FileName: name, f: f}
	ok := false
	defer func() {
		if !ok {
			up.Close()
		}
	}()
	h := sha256.New()
	// The multipart reader hands out 4 KiB at a time: buffer the writes.
	w := bufio.NewWriterSize(f, 256<<10)
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(&ctxReader{ctx, r}, s.maxBytes+1))
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %v", ErrIncomplete, err)
	}
	if n > s.maxBytes {
		return nil, ErrTooLarge
	}
	if n == 0 {
		return nil, &domain.ValidationError{Fields: map[string]string{"file": "tệp rỗng: hãy chọn tệp PDF của văn bản"}}
	}
	up.Size = n
	up.SHA256 = hex.EncodeToString(h.Sum(nil))
	info, err := checkPDFInfo(ctx, f)
	if err != nil {
		return nil, err
	}
	guardPassed.add(up.SHA256)
	up.Pages, up.Restricted = info.Pages, info.Restricted
	ok = true
	return up, nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// CleanFileName keeps the last path element of a client's file name,
// normalised to NFC (Vietnamese from macOS arrives decomposed), and refuses
// control characters and names that are only dots.
func CleanFileName(name string) (string, error) {
	bad := func(msg string) (string, error) {
		return "", &domain.ValidationError{Fields: map[string]string{"file": msg}}
	}
	if !utf8.ValidString(name) {
		return bad("tên tệp không phải UTF-8 hợp lệ")
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return bad("tên tệp chứa ký tự điều khiển; hãy đổi tên tệp")
		}
	}
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(norm.NFC.String(name))
	if strings.Trim(name, ".") == "" {
		name = "van-ban.pdf"
	}
	if utf8.RuneCountInString(name) > 200 {
		r := []rune(name)
		name = string(r[:196]) + ".pdf"
	}
	if !strings.HasSuffix(strings.ToLower(name), ".pdf") {
		name += ".pdf"
	}
	return name, nil
}

// storing is a Put of a spooled upload under way (putSpooled).
type storing struct {
	done chan struct{}
	err  error
}

// wait returns once the Put is over, with its error.
func (st *storing) wait() error {
	<-st.done
	return st.err
}

// putSpooled starts storing the spooled bytes of up under key and
// returns at once, so that the caller's inserts overlap the upload to the
// store. The caller holds key's lock (lockObject) and waits (storing.wait)
// before it commits or returns: a row is never committed before its bytes
// are stored, and the spool file is not closed under the Put.
func (s *Service) putSpooled(ctx context.Context, key string, up *Upload) *storing {
	st := &storing{done: make(chan struct{})}
	if _, err := up.f.Seek(0, io.SeekStart); err != nil {
		st.err = fmt.Errorf("documents: unable to rewind spool file: %w", err)
		close(st.done)
		return st
	}
	go func() {
		defer close(st.done)
		// The file itself: the store reads it in place (ReadAt), with no
		// part buffers.
		if err := s.blobs.Put(ctx, key, up.f, up.Size); err != nil {
			st.err = fmt.Errorf("documents: unable to store file: %w", err)
		}
	}()
	return st
}
