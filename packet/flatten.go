package packet

import (
	"fmt"
	"math"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// flattenSignatures turns the documents' signature fields, on pages from
// first to the last, into page content: each signature widget's normal
// appearance is drawn where the widget was, and the widget goes. The
// packet then still shows every document as signed on paper, while no
// reader finds a signature in it to check (it could only fail: the merge
// changes every byte range), and says so on its cover instead.
func flattenSignatures(ctx *model.Context, first int) error {
	for i := first; i <= ctx.PageCount; i++ {
		page, _, inh, err := ctx.PageDict(i, false)
		if err != nil {
			return fmt.Errorf("packet: page %d: %v", i, err)
		}
		o, ok := page.Find("Annots")
		if !ok {
			continue
		}
		annots, err := ctx.DereferenceArray(o)
		if err != nil || len(annots) == 0 {
			continue
		}
		var keep types.Array
		var draw []byte
		for _, a := range annots {
			d, err := ctx.DereferenceDict(a)
			if err != nil || d == nil || !isSignatureWidget(ctx, d) {
				keep = append(keep, a)
				continue
			}
			name, cm, ok := signatureAppearance(ctx, d)
			if !ok {
				continue // invisible or hidden: nothing to draw
			}
			res, err := pageResources(ctx, page, inh)
			if err != nil {
				return fmt.Errorf("packet: page %d: resources: %v", i, err)
			}
			xo, err := ctx.DereferenceDict(res["XObject"])
			if err != nil || xo == nil {
				xo = types.Dict{}
				res["XObject"] = xo
			}
			key := fmt.Sprintf("VBSig%d", name.ObjectNumber.Value())
			xo[key] = name
			draw = fmt.Appendf(draw, "q %s cm /%s Do Q\n", cm, key)
		}
		if len(keep) == len(annots) {
			continue
		}
		if len(keep) == 0 {
			page.Delete("Annots")
		} else {
			page["Annots"] = keep
		}
		if len(draw) > 0 {
			if err := appendContent(ctx, page, draw); err != nil {
				return fmt.Errorf("packet: page %d: %v", i, err)
			}
		}
	}
	return nil
}

// isSignatureWidget reports whether the annotation d is the widget of a
// signature field: /FT /Sig on itself or on its parent field.
func isSignatureWidget(ctx *model.Context, d types.Dict) bool {
	if st := d.NameEntry("Subtype"); st == nil || *st != "Widget" {
		return false
	}
	for f, depth := d, 0; f != nil && depth < 8; depth++ {
		if ft := f.NameEntry("FT"); ft != nil {
			return *ft == "Sig"
		}
		p, ok := f.Find("Parent")
		if !ok {
			break
		}
		f, _ = ctx.DereferenceDict(p)
	}
	return false
}

// signatureAppearance returns the widget's normal appearance (a form
// XObject) and the matrix that draws it in the widget's rectangle on the
// page (ISO 32000-1, 12.5.5). ok is false for a widget that shows nothing.
func signatureAppearance(ctx *model.Context, d types.Dict) (types.IndirectRef, string, bool) {
	if f := d.IntEntry("F"); f != nil && *f&(1<<1|1<<5) != 0 { // Hidden, NoView
		return types.IndirectRef{}, "", false
	}
	ap, err := ctx.DereferenceDict(d["AP"])
	if err != nil || ap == nil {
		return types.IndirectRef{}, "", false
	}
	n, ok := ap.Find("N")
	if !ok {
		return types.IndirectRef{}, "", false
	}
	if states, err := ctx.DereferenceDict(n); err == nil && states != nil {
		// Appearance states: the one /AS names.
		as := d.NameEntry("AS")
		if as == nil {
			return types.IndirectRef{}, "", false
		}
		if n, ok = states.Find(*as); !ok {
			return types.IndirectRef{}, "", false
		}
	}
	ref, ok := n.(types.IndirectRef)
	if !ok {
		return types.IndirectRef{}, "", false
	}
	sd, _, err := ctx.DereferenceStreamDict(ref)
	if err != nil || sd == nil {
		return types.IndirectRef{}, "", false
	}
	rect := numbers(ctx, d["Rect"], 4)
	bbox := numbers(ctx, sd.Dict["BBox"], 4)
	if rect == nil || bbox == nil {
		return types.IndirectRef{}, "", false
	}
	m := numbers(ctx, sd.Dict["Matrix"], 6)
	if m == nil {
		m = []float64{1, 0, 0, 1, 0, 0}
	}
	// The bounding box as the form's matrix places it...
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range [][2]float64{{bbox[0], bbox[1]}, {bbox[0], bbox[3]}, {bbox[2], bbox[1]}, {bbox[2], bbox[3]}} {
		x := m[0]*p[0] + m[2]*p[1] + m[4]
		y := m[1]*p[0] + m[3]*p[1] + m[5]
		x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
	}
	rx0, ry0, rx1, ry1 := min(rect[0], rect[2]), min(rect[1], rect[3]), max(rect[0], rect[2]), max(rect[1], rect[3])
	if x1-x0 <= 0 || y1-y0 <= 0 || rx1-rx0 <= 0 || ry1-ry0 <= 0 {
		return types.IndirectRef{}, "", false
	}
	// ...is scaled and moved onto the annotation's rectangle; Do applies
	// the form's own matrix.
	sx, sy := (rx1-rx0)/(x1-x0), (ry1-ry0)/(y1-y0)
	cm := fmt.Sprintf("%.6g 0 0 %.6g %.6g %.6g", sx, sy, rx0-sx*x0, ry0-sy*y0)
	return ref, cm, true
}

// numbers reads an array of n numbers, or nil.
func numbers(ctx *model.Context, o types.Object, n int) []float64 {
	a, err := ctx.DereferenceArray(o)
	if err != nil || len(a) != n {
		return nil
	}
	out := make([]float64, n)
	for i, v := range a {
		if out[i], err = ctx.DereferenceNumber(v); err != nil {
			return nil
		}
	}
	return out
}

// pageResources returns the page's own resource dictionary, made from the
// inherited one if the page has none.
func pageResources(ctx *model.Context, page types.Dict, inh *model.InheritedPageAttrs) (types.Dict, error) {
	if o, ok := page.Find("Resources"); ok {
		res, err := ctx.DereferenceDict(o)
		if err != nil {
			return nil, err
		}
		if res != nil {
			return res, nil
		}
	}
	res := types.Dict{}
	if inh != nil && inh.Resources != nil {
		res = inh.Resources.Clone().(types.Dict)
	}
	page["Resources"] = res
	return res, nil
}

// appendContent draws b over the page: the page's content streams become
// an array, the first wrapped in q … Q so that b starts from the default
// graphics state.
func appendContent(ctx *model.Context, page types.Dict, b []byte) error {
	var contents types.Array
	if o, ok := page.Find("Contents"); ok {
		if a, err := ctx.DereferenceArray(o); err == nil && a != nil {
			contents = append(contents, a...)
		} else {
			contents = append(contents, o)
		}
	}
	open, err := ctx.StreamDictIndRef([]byte("q\n"))
	if err != nil {
		return err
	}
	last, err := ctx.StreamDictIndRef(append([]byte("\nQ\n"), b...))
	if err != nil {
		return err
	}
	page["Contents"] = append(append(types.Array{*open}, contents...), *last)
	return nil
}
