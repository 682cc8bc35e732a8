package documents

import (
	"bytes"
	"context"
	"os"

	"github.com/hcm-edu/vanban/internal/pdfguard"
)

// checkPDF reports whether the spooled file f is a whole PDF that parses:
// the header, the trailer and cross-reference table, and every page of the
// page tree, read both by the reader that signs and by the one that builds
// meeting packets. The parse runs in a pdfguard worker, under limits on
// time and memory, after structural checks that refuse hostile files
// (page-tree cycles, decompression bombs, absurd declared sizes).
func checkPDF(ctx context.Context, f *os.File) (pages int, err error) {
	head := make([]byte, 1024)
	n, _ := f.ReadAt(head, 0)
	if !bytes.Contains(head[:n], []byte("%PDF-")) {
		return 0, ErrNotPDF
	}
	info, err := pdfguard.Default().Check(ctx, f.Name())
	if err != nil {
		return 0, guardError(err)
	}
	return info.Pages, nil
}
