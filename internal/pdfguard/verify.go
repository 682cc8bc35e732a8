package pdfguard

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/digitorus/pdf"
	"github.com/hcm-edu/vanban/signing"
)

// More kinds of request: the other parses of untrusted bytes.
const (
	// KindVerify: the structural checks and the page tree, then
	// signing.Verify with the trust roots of VerifyArgs.
	KindVerify = "verify"
	// KindSignerBlock: the structural checks and the page tree, then the
	// search for the signer block in the text of the last page.
	KindSignerBlock = "signer-block"
)

// VerifyArgs are the Args of a KindVerify request.
type VerifyArgs struct {
	// Roots are the trusted roots, DER; System: the system's roots instead
	// (signing.VerifyOptions with nil Roots).
	Roots  [][]byte `json:"roots,omitempty"`
	System bool     `json:"system,omitempty"`
}

// Verify runs signing.Verify on the PDF at path in a worker, trusting
// roots, or the system's roots when system is true. A file that cannot be
// examined gives an *Error (CodeEncrypted, CodeBroken or a limit); an
// invalid signature is a Report, as with signing.Verify.
func (g *Guard) Verify(ctx context.Context, path string, roots []*x509.Certificate, system bool) (signing.Report, error) {
	a := VerifyArgs{System: system}
	for _, c := range roots {
		a.Roots = append(a.Roots, c.Raw)
	}
	args, err := json.Marshal(a)
	if err != nil {
		return signing.Report{}, err
	}
	var rep signing.Report
	err = g.Do(ctx, Request{Kind: KindVerify, Path: path, Args: args}, &rep)
	return rep, err
}

// TextLine is a run of text on one baseline, in PDF points.
type TextLine struct {
	X0 float64 `json:"x0"`
	X1 float64 `json:"x1"`
	Y  float64 `json:"y"`
}

// SignerBlock is where the signer block of a document is: the position
// line (Top) and the signer's name (Bottom) on Page.
type SignerBlock struct {
	Found  bool     `json:"found"`
	Page   int      `json:"page,omitempty"`
	Top    TextLine `json:"top"`
	Bottom TextLine `json:"bottom"`
}

// SignerBlock finds the signer block of the PDF at path in a worker (see
// FindSignerBlock): the search interprets the last page's content stream,
// which no check reads, so its time and memory are bounded too.
func (g *Guard) SignerBlock(ctx context.Context, path string) (SignerBlock, error) {
	var sb SignerBlock
	err := g.Do(ctx, Request{Kind: KindSignerBlock, Path: path}, &sb)
	return sb, err
}

// structure is the part of the check that the signing reader relies on:
// the header, the structural checks and the page tree.
func structure(b []byte, lim Limits) *Error {
	if !bytes.Contains(b[:min(len(b), 1024)], []byte("%PDF-")) {
		return refuse(CodeNotPDF, "", "Chỉ nhận tệp PDF: nội dung tệp này không phải PDF")
	}
	if err := scan(b, lim); err != nil {
		return err
	}
	_, err := checkPages(b, lim)
	return err
}

func handleVerify(b []byte, args json.RawMessage, lim Limits) (any, *Error, error) {
	var a VerifyArgs
	if len(args) > 0 {
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, nil, fmt.Errorf("bad verification arguments: %v", err)
		}
	}
	if gerr := structure(b, lim); gerr != nil {
		return nil, gerr, nil
	}
	var o signing.VerifyOptions
	if !a.System {
		o.Roots = x509.NewCertPool()
		for _, der := range a.Roots {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, nil, fmt.Errorf("bad trust root: %v", err)
			}
			o.Roots.AddCert(c)
		}
	}
	rep, err := signing.Verify(b, o)
	switch {
	case err == nil:
		return rep, nil, nil
	case errors.Is(err, signing.ErrEncrypted):
		return nil, errEncrypted, nil
	case errors.Is(err, signing.ErrBadPDF):
		return nil, broken(err.Error()), nil
	}
	return nil, nil, err
}

func handleSignerBlock(b []byte, lim Limits) (any, *Error, error) {
	if gerr := structure(b, lim); gerr != nil {
		return nil, gerr, nil
	}
	return FindSignerBlock(b), nil, nil
}

// FindSignerBlock finds the signer block on the last page of a drafted
// document: in the right half of the page, the last two lines of text with a
// gap between them wide enough for a signature, as Decree 30 lays out the
// position line above and the signer's name below. It reads only glyph
// positions, so it works whatever the fonts' encodings. It runs in this
// process: call it on bytes from outside only through Guard.SignerBlock.
func FindSignerBlock(in []byte) (sb SignerBlock) {
	defer func() {
		if recover() != nil { // the content parser panics on some streams
			sb = SignerBlock{}
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return SignerBlock{}
	}
	page := r.NumPage()
	p := r.Page(page)
	for v := p.V; !v.IsNull(); v = v.Key("Parent") {
		if rot := v.Key("Rotate"); !rot.IsNull() {
			if rot.Int64()%360 != 0 {
				return SignerBlock{} // shown turned: its lines are not these
			}
			break
		}
	}
	box := pageBox(p.V)
	mid := (box[0] + box[2]) / 2
	// Glyphs by baseline, then split into runs where they are far apart:
	// the recipients list on the left may share a baseline with the block.
	byY := map[float64][]pdf.Text{}
	for _, t := range p.Content().Text {
		byY[t.Y] = append(byY[t.Y], t)
	}
	var lines []TextLine
	for y, ts := range byY {
		sort.Slice(ts, func(i, j int) bool { return ts[i].X < ts[j].X })
		run := TextLine{X0: ts[0].X, X1: ts[0].X + ts[0].W, Y: y}
		for _, t := range ts[1:] {
			if t.X-run.X1 > 20 {
				if run.X0 >= mid {
					lines = append(lines, run)
				}
				run = TextLine{X0: t.X, Y: y}
			}
			run.X1 = t.X + t.W
		}
		if run.X0 >= mid {
			lines = append(lines, run)
		}
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].Y < lines[j].Y })
	for i := 0; i+1 < len(lines); i++ {
		gap := lines[i+1].Y - lines[i].Y
		if gap >= 45 && gap <= 200 {
			return SignerBlock{Found: true, Page: page, Top: lines[i+1], Bottom: lines[i]}
		}
	}
	return SignerBlock{}
}

// pageBox is a page's media box, inherited or A4; the structural checks
// bounded the /Parent chain.
func pageBox(page pdf.Value) [4]float64 {
	for p := page; !p.IsNull(); p = p.Key("Parent") {
		if mb := p.Key("MediaBox"); mb.Len() == 4 {
			return [4]float64{mb.Index(0).Float64(), mb.Index(1).Float64(), mb.Index(2).Float64(), mb.Index(3).Float64()}
		}
	}
	return [4]float64{0, 0, 595, 842} // A4
}
