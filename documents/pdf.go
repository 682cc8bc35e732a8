package documents

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/digitorus/pdf"
)

// checkPDF reports whether the bytes are a whole PDF that parses: the header,
// the trailer and cross-reference table, and every page of the page tree.
// It reads through ReaderAt and never loads stream contents, so memory stays
// bounded whatever the size.
func checkPDF(r io.ReaderAt, size int64) (pages int, err error) {
	head := make([]byte, 1024)
	n, _ := r.ReadAt(head, 0)
	if !bytes.Contains(head[:n], []byte("%PDF-")) {
		return 0, ErrNotPDF
	}
	defer func() {
		// The parser panics on some malformed input.
		if p := recover(); p != nil {
			pages, err = 0, fmt.Errorf("%w: %v", ErrBadPDF, p)
		}
	}()
	rd, err := pdf.NewReader(r, size)
	if err != nil {
		if errors.Is(err, pdf.ErrInvalidPassword) {
			return 0, ErrEncryptedPDF
		}
		return 0, fmt.Errorf("%w: %v", ErrBadPDF, err)
	}
	if !rd.Trailer().Key("Encrypt").IsNull() {
		return 0, ErrEncryptedPDF
	}
	pages = rd.NumPage()
	if pages <= 0 {
		return 0, fmt.Errorf("%w: no pages", ErrBadPDF)
	}
	for i := 1; i <= pages; i++ {
		if rd.Page(i).V.Kind() != pdf.Dict {
			return 0, fmt.Errorf("%w: page %d is missing", ErrBadPDF, i)
		}
	}
	return pages, nil
}
