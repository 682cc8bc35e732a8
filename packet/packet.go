// Package packet makes a meeting's packet: one PDF with a cover page that
// lists the agenda, then every document of every agenda item in order,
// with a bookmark for the cover, for each item and, under it, for each
// document. Each participant gets a personal copy that carries a light
// watermark (their name, unit and the meeting) so that a leaked copy can
// be traced.
//
// The work is split so that 300 readers cost little:
//
//   - Build merges the documents once per meeting revision into the base
//     packet, which the caller stores, together with the Base that Build
//     returns (JSON), next to it.
//   - Base.Tail makes, for one reader, a small incremental update (a few
//     hundred bytes a page) that adds a Watermark annotation to every page.
//     The reader's copy is the base's bytes followed by the tail, e.g.
//     io.MultiReader(baseFromStore, bytes.NewReader(tail)); the base is
//     never rewritten.
//
// The packet is a reading copy. The documents' own signatures cannot
// survive the merge (their byte ranges no longer match), so their fields
// become plain page content that still shows them, the cover says where
// the signed originals are, and the originals stay downloadable,
// unmodified, on their own. A watermark must never be applied to an original:
// appending to a signed document changes what its signature covers.
package packet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"unicode/utf16"

	"github.com/hcm-edu/vanban/internal/pdfguard"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Document is one document of an agenda item. Open returns its bytes and
// their length (-1 if unknown); Build reads it once, to a temporary file.
type Document struct {
	Title string
	Open  func(ctx context.Context) (io.ReadCloser, int64, error)
}

// Item is one agenda item: what is discussed, who presents it, when
// (free text such as "8:00 – 8:30") and its documents, in order.
type Item struct {
	Title, Presenter, Slot string
	Documents              []Document
}

// Cover is what the cover page says of the meeting, in Vietnamese. When
// is already written out in Vietnam time, e.g. "8 giờ 00, thứ Năm,
// ngày 26/11/2026".
type Cover struct {
	Organisation, Title, When, Place, Chair, Secretary string
}

// Base describes a base packet as Build wrote it: its size, its pages and
// what an incremental update on top of it needs. It is meant to be kept
// as JSON beside the stored packet.
type Base struct {
	Size  int64 `json:"size"`  // bytes of the base packet
	Pages int   `json:"pages"` // the cover's pages included
	Cover int   `json:"cover"` // pages of the cover

	XRef    int64  `json:"xref"`    // offset of the base's cross-reference table (startxref)
	Objects int    `json:"objects"` // the trailer's /Size: the next free object number
	Root    string `json:"root"`    // the trailer's /Root, e.g. "1 0 R"
	Info    string `json:"info,omitempty"`
	ID      string `json:"id,omitempty"` // the first element of the trailer's /ID, as written
	Font    string `json:"font"`         // the watermark font, e.g. "12 0 R"
	FontSum string `json:"font_sum"`     // which font file that is

	PageObjects []Page `json:"page_objects"`
}

// Page is one page of the base packet as written.
type Page struct {
	Object     int        `json:"object"`
	Generation int        `json:"generation,omitempty"`
	Dict       string     `json:"dict"`             // the page dictionary as written, without /Annots
	Annots     string     `json:"annots,omitempty"` // the elements of its /Annots array, if any
	Box        [4]float64 `json:"box"`              // the visible area: the crop box within the media box
	Rotate     int        `json:"rotate,omitempty"` // 0, 90, 180 or 270
}

// DocumentError says which document could not go into the packet.
type DocumentError struct {
	Item  int // from 1
	Title string
	Err   error
}

func (e *DocumentError) Error() string {
	return fmt.Sprintf("packet: document %q of agenda item %d: %v", e.Title, e.Item, e.Err)
}

func (e *DocumentError) Unwrap() error { return e.Err }

var (
	// ErrEncrypted is a document that opens only with a password. One
	// with only an owner password opens without one and goes in.
	ErrEncrypted = errors.New("the PDF is encrypted")
	// ErrNotPDF is a document that pdfcpu cannot read or validate.
	ErrNotPDF = errors.New("not a valid PDF")
	// ErrShort is a document whose bytes end before the length Open gave.
	ErrShort = errors.New("the document's bytes end early")
	// ErrFont is a Base made with another watermark font than this
	// binary's: build the packet again.
	ErrFont = errors.New("packet: the base packet was made with another font; build it again")
)

// configuration is pdfcpu's default configuration, made without reading
// or writing pdfcpu's configuration directory in the user's home (which
// NewDefaultConfiguration does), and set to write a classic
// cross-reference table, which Tail extends.
func configuration() *model.Configuration {
	return &model.Configuration{
		Reader15:          true,
		ValidationMode:    model.ValidationRelaxed,
		Eol:               types.EolLF,
		WriteObjectStream: false,
		WriteXRefStream:   false,
		Cmd:               model.MERGECREATE,
		Unit:              types.POINTS,
		TimestampFormat:   "2006-01-02 15:04",
		DateFormat:        "2006-01-02",
		Offline:           true,
		Limits:            model.DefaultResourceLimits(),
	}
}

// Build writes the base packet to w and returns its Base. The documents
// are copied to files in a directory of their own under tmpDir (the
// system's default if empty), removed on return. Every document is read
// and checked (first in a pdfguard worker, under limits on time and
// memory, then by pdfcpu) before the first byte is written: a document
// that is not a
// valid PDF, is encrypted or cannot be read gives a *DocumentError and
// nothing is written. An error while writing can leave part of a packet
// in w, which the caller discards (as with any failed upload).
//
// Memory: pdfcpu holds every document's streams in memory until the
// packet is written, so a build needs about the documents' total size:
// for 20 documents of 100 MiB in all, a peak of ~120-130 MiB of heap and
// ~135-140 MiB resident from a collected heap (pdfcpu's own merge of the
// same files: ~105 MiB; of the same documents held in memory: ~205 MiB).
// Builds back to back peak at ~200 MiB of heap (~240 MiB resident), the
// last build's garbage included (GOGC=100); a service that builds packets
// should set GOMEMLIMIT and build one at a time.
func Build(ctx context.Context, w io.Writer, tmpDir string, c Cover, items []Item) (Base, error) {
	dir, err := os.MkdirTemp(tmpDir, "packet-")
	if err != nil {
		return Base{}, fmt.Errorf("packet: unable to make a temporary directory: %v", err)
	}
	defer os.RemoveAll(dir)
	conf := configuration()

	// Read and check every document first, to know its pages.
	var srcs []*model.Context
	docs := make([][]coverDoc, len(items))
	pages := 0
	for i, it := range items {
		for j, d := range it.Documents {
			if err := ctx.Err(); err != nil {
				return Base{}, err
			}
			src, f, err := readDocument(ctx, dir, fmt.Sprintf("%03d-%03d.pdf", i, j), d, conf)
			if f != nil {
				defer f.Close()
			}
			if err != nil {
				if ctx.Err() != nil {
					return Base{}, ctx.Err()
				}
				if ce := (*checkError)(nil); errors.As(err, &ce) {
					return Base{}, ce
				}
				return Base{}, &DocumentError{Item: i + 1, Title: d.Title, Err: err}
			}
			srcs = append(srcs, src)
			docs[i] = append(docs[i], coverDoc{title: d.Title, first: pages + 1, last: pages + src.PageCount})
			pages += src.PageCount
		}
	}

	// Draw the cover; if it takes more than one page, the documents'
	// page numbers move and it is drawn again.
	var coverPDF []byte
	coverPages := 1
	for range 4 {
		shifted := make([][]coverDoc, len(docs))
		for i, ds := range docs {
			for _, d := range ds {
				shifted[i] = append(shifted[i], coverDoc{d.title, d.first + coverPages, d.last + coverPages})
			}
		}
		var n int
		coverPDF, n, err = renderCover(c, items, shifted)
		if err != nil {
			return Base{}, err
		}
		if n == coverPages {
			break
		}
		coverPages = n
	}
	dest, err := readContext(ctx, bytes.NewReader(coverPDF), conf)
	if err != nil {
		return Base{}, fmt.Errorf("packet: unable to read the cover back: %v", err)
	}
	if dest.PageCount != coverPages {
		return Base{}, fmt.Errorf("packet: the cover has %d pages, not %d", dest.PageCount, coverPages)
	}

	for k, src := range srcs {
		if err := pdfcpu.MergeXRefTables("", src, dest, false, false); err != nil {
			return Base{}, fmt.Errorf("packet: unable to merge document %d: %v", k+1, err)
		}
		srcs[k] = nil
	}
	if err := finish(dest, items, docs, coverPages); err != nil {
		return Base{}, err
	}
	font, err := addWatermarkFont(dest)
	if err != nil {
		return Base{}, fmt.Errorf("packet: unable to embed the watermark font: %v", err)
	}
	// The font must be reachable for pdfcpu to write it: the cover's first
	// page lists it among its fonts, unused.
	if err := addFontResource(dest, font); err != nil {
		return Base{}, err
	}

	cw := &countingWriter{w: w}
	if err := api.WriteContext(dest, cw); err != nil {
		return Base{}, fmt.Errorf("packet: unable to write the packet: %v", err)
	}
	return describe(dest, cw, coverPages, *font)
}

// readDocument copies d to a file in dir and reads it with pdfcpu. The
// file stays open for pdfcpu until the packet is written.
func readDocument(ctx context.Context, dir, name string, d Document, conf *model.Configuration) (*model.Context, *os.File, error) {
	rc, size, err := d.Open(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, nil, err
	}
	n, err := io.Copy(f, rc)
	if err != nil {
		return nil, f, err
	}
	if size >= 0 && n != size {
		return nil, f, fmt.Errorf("%w: %d bytes of %d", ErrShort, n, size)
	}
	if err := f.Sync(); err != nil {
		return nil, f, err
	}
	if err := guard(ctx, f.Name()); err != nil {
		return nil, f, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, f, err
	}
	src, err := readContext(ctx, f, conf)
	if err != nil {
		return nil, f, err
	}
	if src.PageCount < 1 {
		return nil, f, fmt.Errorf("%w: it has no pages", ErrNotPDF)
	}
	return src, f, nil
}

// guard checks the document at path in a pdfguard worker before pdfcpu
// reads it in this process: a hostile file stored before uploads were
// checked (a page-tree loop, a million declared objects, a /Length beyond
// the file) fails its packet at once instead of taking minutes and
// gigabytes.
func guard(ctx context.Context, path string) error {
	_, err := pdfguard.Default().Check(ctx, path)
	var ge *pdfguard.Error
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &ge):
		return &checkError{err}
	case ge.Code == pdfguard.CodeEncrypted:
		return ErrEncrypted
	}
	return fmt.Errorf("%w: %w", ErrNotPDF, ge)
}

// checkError is the guard failing, not the document.
type checkError struct{ err error }

func (e *checkError) Error() string { return "packet: unable to check a document: " + e.err.Error() }
func (e *checkError) Unwrap() error { return e.err }

// readContext reads and validates a PDF. pdfcpu may panic on a damaged
// file: that is an invalid PDF too.
func readContext(ctx context.Context, rs io.ReadSeeker, conf *model.Configuration) (pc *model.Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			pc, err = nil, fmt.Errorf("%w: %v", ErrNotPDF, r)
		}
	}()
	c := *conf
	pc, err = pdfcpu.ReadWithContext(ctx, rs, &c)
	if errors.Is(err, pdfcpu.ErrEncrypted) {
		// With the merge command set, pdfcpu refuses any encrypted file
		// before it asks for a password. A file with only an owner
		// password opens with the empty one, as in any reader, and is
		// merged decrypted: its restrictions are advisory, and the packet
		// is a reading copy with its own watermark.
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		c.Cmd = model.DECRYPT
		pc, err = pdfcpu.ReadWithContext(ctx, rs, &c)
		if err == nil {
			pc.Encrypt, pc.E = nil, nil
		}
	}
	if err != nil {
		if errors.Is(err, pdfcpu.ErrEncrypted) || errors.Is(err, pdfcpu.ErrWrongPassword) {
			return nil, ErrEncrypted
		}
		return nil, fmt.Errorf("%w: %v", ErrNotPDF, err)
	}
	if pc.Encrypt != nil || pc.E != nil {
		return nil, ErrEncrypted
	}
	if err := api.ValidateContext(pc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPDF, err)
	}
	return pc, nil
}

// finish makes the merged packet a reading copy: the bookmarks, the
// outline shown when it opens, and no form fields or scripts of the
// documents (their signatures cannot verify in the packet, and a viewer
// would flag them as broken: their appearances become page content).
func finish(ctx *model.Context, items []Item, docs [][]coverDoc, coverPages int) error {
	root, err := ctx.Catalog()
	if err != nil {
		return fmt.Errorf("packet: no catalog after the merge: %v", err)
	}
	if err := flattenSignatures(ctx, coverPages+1); err != nil {
		return err
	}
	root.Delete("AcroForm")
	root.Delete("Perms")
	root.Delete("OpenAction")
	root.Delete("AA")
	if o, ok := root.Find("Names"); ok {
		if names, err := ctx.DereferenceDict(o); err == nil && names != nil {
			names.Delete("JavaScript")
		}
	}
	var tree []outlineItem
	tree = append(tree, outlineItem{title: "Chương trình họp", page: 1})
	for i, it := range items {
		n := outlineItem{title: fmt.Sprintf("%d. %s", i+1, it.Title), page: 1}
		for j, d := range docs[i] {
			if j == 0 {
				n.page = d.first + coverPages
			}
			n.kids = append(n.kids, outlineItem{title: d.title, page: d.first + coverPages})
		}
		tree = append(tree, n)
	}
	if err := addOutline(ctx, root, tree); err != nil {
		return fmt.Errorf("packet: unable to add the bookmarks: %v", err)
	}
	root["PageMode"] = types.Name("UseOutlines")
	return nil
}

type outlineItem struct {
	title string
	page  int
	kids  []outlineItem
}

// addOutline writes the bookmarks with explicit destinations. pdfcpu's
// AddBookmarks is not used: it wants the pages of bookmarks to grow, so an
// item without documents could not point back to the agenda, and it keys
// a named destination on each title.
func addOutline(ctx *model.Context, root types.Dict, tree []outlineItem) error {
	top := types.Dict{"Type": types.Name("Outlines")}
	topRef, err := ctx.IndRefForNewObject(top)
	if err != nil {
		return err
	}
	var level func(parent types.IndirectRef, pd types.Dict, items []outlineItem) (int, error)
	level = func(parent types.IndirectRef, pd types.Dict, items []outlineItem) (int, error) {
		var prev types.Dict
		var prevRef *types.IndirectRef
		for _, it := range items {
			_, pageRef, _, err := ctx.PageDict(it.page, false)
			if err != nil {
				return 0, err
			}
			d := types.Dict{
				"Title":  utf16Text(it.title),
				"Parent": parent,
				"Dest":   types.Array{*pageRef, types.Name("Fit")},
			}
			ref, err := ctx.IndRefForNewObject(d)
			if err != nil {
				return 0, err
			}
			if len(it.kids) > 0 {
				n, err := level(*ref, d, it.kids)
				if err != nil {
					return 0, err
				}
				d["Count"] = types.Integer(n)
			}
			if prev == nil {
				pd["First"] = *ref
			} else {
				prev["Next"] = *ref
				d["Prev"] = *prevRef
			}
			prev, prevRef = d, ref
		}
		pd["Last"] = *prevRef
		return count(items), nil // every item is open, so all show
	}
	n, err := level(*topRef, top, tree)
	if err != nil {
		return err
	}
	top["Count"] = types.Integer(n)
	root["Outlines"] = *topRef
	return nil
}

func count(items []outlineItem) int {
	n := len(items)
	for _, it := range items {
		n += count(it.kids)
	}
	return n
}

// utf16Text is a text string as PDF wants any that is not plain ASCII:
// UTF-16BE with a byte order mark, written in hex.
func utf16Text(s string) types.HexLiteral {
	b := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return types.NewHexLiteral(b)
}

// addFontResource lists font among the fonts of the first page, as /VBWM.
func addFontResource(ctx *model.Context, font *types.IndirectRef) error {
	d, _, _, err := ctx.PageDict(1, false)
	if err != nil {
		return fmt.Errorf("packet: no cover page: %v", err)
	}
	res, err := ctx.DereferenceDict(d["Resources"])
	if err != nil || res == nil {
		res = types.Dict{}
		d["Resources"] = res
	}
	fd, err := ctx.DereferenceDict(res["Font"])
	if err != nil || fd == nil {
		fd = types.Dict{}
		res["Font"] = fd
	}
	fd["VBWM"] = *font
	return nil
}

// describe reads back from pdfcpu's context, as written, what Tail needs.
func describe(ctx *model.Context, cw *countingWriter, coverPages int, font types.IndirectRef) (Base, error) {
	m := startxref.FindSubmatch(cw.last)
	if m == nil {
		return Base{}, errors.New("packet: no startxref at the end of the written packet")
	}
	xref, _ := strconv.ParseInt(string(m[1]), 10, 64)
	fc, err := regular()
	if err != nil {
		return Base{}, err
	}
	b := Base{
		Size:    cw.n,
		Pages:   ctx.PageCount,
		Cover:   coverPages,
		XRef:    xref,
		Objects: *ctx.XRefTable.Size,
		Root:    ctx.XRefTable.Root.PDFString(),
		Font:    font.PDFString(),
		FontSum: fc.sum,
	}
	if ctx.XRefTable.Info != nil {
		b.Info = ctx.XRefTable.Info.PDFString()
	}
	if len(ctx.XRefTable.ID) > 0 {
		b.ID = ctx.XRefTable.ID[0].PDFString()
	}
	for i := 1; i <= ctx.PageCount; i++ {
		d, ref, inh, err := ctx.PageDict(i, false)
		if err != nil {
			return Base{}, fmt.Errorf("packet: page %d: %v", i, err)
		}
		p := Page{Object: ref.ObjectNumber.Value(), Generation: ref.GenerationNumber.Value()}
		if o, ok := d.Find("Annots"); ok {
			a, err := ctx.DereferenceArray(o)
			if err != nil {
				return Base{}, fmt.Errorf("packet: page %d: annotations: %v", i, err)
			}
			if len(a) > 0 {
				s := a.PDFString()
				p.Annots = s[1 : len(s)-1]
			}
		}
		dd := d.Clone().(types.Dict)
		dd.Delete("Annots")
		p.Dict = dd.PDFString()
		box := inh.MediaBox
		if box == nil {
			box = types.RectForFormat("A4")
		}
		if cb := inh.CropBox; cb != nil {
			box = types.NewRectangle(max(box.LL.X, cb.LL.X), max(box.LL.Y, cb.LL.Y), min(box.UR.X, cb.UR.X), min(box.UR.Y, cb.UR.Y))
		}
		p.Box = [4]float64{box.LL.X, box.LL.Y, box.UR.X, box.UR.Y}
		p.Rotate = ((inh.Rotate % 360) + 360) % 360
		b.PageObjects = append(b.PageObjects, p)
	}
	return b, nil
}

var startxref = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)

// countingWriter counts what goes through it and keeps the last bytes,
// where the startxref is.
type countingWriter struct {
	w    io.Writer
	n    int64
	last []byte
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	const keep = 1024
	p = p[:n]
	if len(p) > keep {
		p = p[len(p)-keep:]
	}
	if len(c.last)+len(p) > 2*keep {
		c.last = append(c.last[:0], c.last[len(c.last)-(keep-len(p)):]...)
	}
	c.last = append(c.last, p...)
	return n, err
}
