package storage

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
)

// exactReader hands out exactly size bytes of r and fails with
// ErrSizeMismatch if r has fewer or more. It checks for an extra byte before
// handing out the last bytes, so a consumer that stops at size never sees a
// complete body for input that is too long. It stops when ctx is done.
type exactReader struct {
	ctx       context.Context
	r         io.Reader
	remaining int64
	probed    bool
	err       error // first error returned, io.EOF once complete
}

func newExactReader(ctx context.Context, r io.Reader, size int64) *exactReader {
	return &exactReader{ctx: ctx, r: r, remaining: size}
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if err := e.ctx.Err(); err != nil {
		return 0, e.fail(err)
	}
	if e.remaining == 0 {
		if !e.probed {
			if err := e.probe(); err != nil {
				return 0, e.fail(err)
			}
		}
		e.err = io.EOF
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > e.remaining {
		p = p[:e.remaining]
	}
	n, err := e.r.Read(p)
	e.remaining -= int64(n)
	switch {
	case e.remaining == 0 && err == io.EOF:
		e.probed = true
		return n, nil
	case e.remaining == 0 && err == nil:
		if perr := e.probe(); perr != nil {
			return 0, e.fail(perr)
		}
		return n, nil
	case err == io.EOF:
		return n, e.fail(ErrSizeMismatch)
	case err != nil:
		return n, e.fail(err)
	}
	return n, nil
}

// probe makes sure r has nothing left.
func (e *exactReader) probe() error {
	e.probed = true
	var one [1]byte
	_, err := io.ReadFull(e.r, one[:])
	switch err {
	case io.EOF:
		return nil
	case nil:
		return ErrSizeMismatch
	default:
		return err
	}
}

func (e *exactReader) fail(err error) error {
	e.err = err
	return err
}

// failure returns the error that stopped reading, or nil.
func (e *exactReader) failure() error {
	if e.err == io.EOF {
		return nil
	}
	return e.err
}

// checkPrefix accepts "" and any beginning of a valid key.
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if checkKey(prefix+"0") != nil {
		return fmt.Errorf("storage: invalid key prefix %q", prefix)
	}
	return nil
}

// emptyReader is what Open returns for a range past the end.
type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, io.EOF }
func (emptyReader) Close() error             { return nil }

// fileSection returns the rest of an *os.File as a section reader when r is
// one, checking that exactly size bytes remain.
func fileSection(r io.Reader, size int64) (*io.SectionReader, bool, error) {
	f, ok := r.(*os.File)
	if !ok {
		return nil, false, nil
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, false, nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil, false, nil
	}
	if st.Size()-off != size {
		return nil, true, ErrSizeMismatch
	}
	return io.NewSectionReader(f, off, size), true, nil
}

// copyChunk is the buffer of bodyReader.WriteTo.
const copyChunk = 512 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyChunk); return &b }}

// bodyReader is an object's body that copies itself out in large chunks.
// io.Copy into a socket otherwise moves 32 KiB (and fasthttp 4 KiB) at a
// time: a download passed on by the service then costs a pair of
// system calls and a wake-up of the client per 32 KiB.
type bodyReader struct{ io.ReadCloser }

// WriteTo fills a pooled buffer from the body and writes it whole, until
// the body ends.
func (b bodyReader) WriteTo(w io.Writer) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var total int64
	for {
		n, rerr := io.ReadFull(b.ReadCloser, buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
			if m != n {
				return total, io.ErrShortWrite
			}
		}
		switch rerr {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return total, nil
		default:
			return total, rerr
		}
	}
}
