package documents

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"slices"

	"github.com/digitorus/pdf"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/signing"
)

// errNoFreeSpace: the page has no room for the appearance that covers no
// text, and the caller did not choose a place.
var errNoFreeSpace = &domain.PreconditionError{Code: "no_free_space",
	Message: "Trang cuối không còn chỗ trống cho chữ ký mà không che chữ của văn bản; hãy chọn vị trí chữ ký (trang và vùng) ở chỗ trống"}

// box is a rectangle: llx, lly, urx, ury.
type box [4]float64

func (a box) overlaps(b box) bool {
	return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

// pageView is a page as it is shown: its crop box turned by /Rotate.
type pageView struct {
	crop   box
	rotate int
	w, h   float64 // shown size
}

func newPageView(crop box, rotate int) pageView {
	v := pageView{crop: crop, rotate: rotate, w: crop[2] - crop[0], h: crop[3] - crop[1]}
	if rotate == 90 || rotate == 270 {
		v.w, v.h = v.h, v.w
	}
	return v
}

// shown maps a point of user space to the page as shown (origin lower left).
func (v pageView) shown(x, y float64) (float64, float64) {
	c := v.crop
	switch v.rotate {
	case 90:
		return y - c[1], c[2] - x
	case 180:
		return c[2] - x, c[3] - y
	case 270:
		return c[3] - y, x - c[0]
	}
	return x - c[0], y - c[1]
}

// user maps a point of the page as shown back to user space.
func (v pageView) user(x, y float64) (float64, float64) {
	c := v.crop
	switch v.rotate {
	case 90:
		return c[2] - y, x + c[1]
	case 180:
		return c[2] - x, c[3] - y
	case 270:
		return y + c[0], c[3] - x
	}
	return x + c[0], y + c[1]
}

func (v pageView) mapBox(b box, f func(x, y float64) (float64, float64)) box {
	x0, y0 := f(b[0], b[1])
	x1, y1 := f(b[2], b[3])
	return box{min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)}
}

// occupied returns what is drawn on page n, as shown: words, small
// rectangles (rules, table cells) and annotations such as signatures.
func occupied(r *pdf.Reader, n int, v pageView) []box {
	var out []box
	lines, _, _ := pageLines(r, n)
	for _, ws := range lines {
		for _, w := range ws {
			out = append(out, v.mapBox(box{w.x0, w.y - 0.3*w.size, w.x1, w.y + w.size}, v.shown))
		}
	}
	p := r.Page(n)
	area := v.w * v.h
	for _, rc := range p.Content().Rect {
		b := box{min(rc.Min.X, rc.Max.X), min(rc.Min.Y, rc.Max.Y), max(rc.Min.X, rc.Max.X), max(rc.Min.Y, rc.Max.Y)}
		if (b[2]-b[0])*(b[3]-b[1]) < area/4 { // not a page frame or clip
			out = append(out, v.mapBox(b, v.shown))
		}
	}
	annots := p.V.Key("Annots")
	for i := 0; i < annots.Len(); i++ {
		if rc := annots.Index(i).Key("Rect"); rc.Len() == 4 {
			b := box{rc.Index(0).Float64(), rc.Index(1).Float64(), rc.Index(2).Float64(), rc.Index(3).Float64()}
			out = append(out, v.mapBox(box{min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])}, v.shown))
		}
	}
	return out
}

// Room kept free to the left of and below a person's appearance, as
// shown, for the seal the clerk later puts over the signature's left
// third (36 mm across, with its text beneath).
const sealRoomLeft, sealRoomBelow = 60.0, 72.0

// freePlace finds room for an appearance w x h points (as shown) on page
// n that covers nothing drawn there, with left and below points more kept
// free, preferring the bottom right as shown. It returns the rectangle in
// user space and the page's rotation, by which the appearance must be
// turned.
func freePlace(in []byte, n int, w, h, left, below float64) (rect [4]float64, rotate int, ok bool, err error) {
	return findPlace(in, n, w, h, left, below, false)
}

// findPlace is freePlace, searching from the top right as shown when top.
func findPlace(in []byte, n int, w, h, left, below float64, top bool) (rect [4]float64, rotate int, ok bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrBadPDF, p)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return rect, 0, false, fmt.Errorf("%w: %v", ErrBadPDF, err)
	}
	_, crop, rotate := pageLines(r, n)
	if rotate%90 != 0 {
		rotate = 0
	}
	v := newPageView(box(crop), rotate)
	taken := occupied(r, n, v)
	const margin, step, pad = 28.0, 6.0, 3.0
	var ys []float64
	for y := margin + below; y+h <= v.h-margin; y += step {
		ys = append(ys, y)
	}
	if top {
		slices.Reverse(ys)
	}
	for _, y := range ys {
		for x := v.w - margin - w; x >= margin+left; x -= step {
			cand := box{x - left - pad, y - below - pad, x + w + pad, y + h + pad}
			free := true
			for _, t := range taken {
				if cand.overlaps(t) {
					free = false
					break
				}
			}
			if free {
				return [4]float64(v.mapBox(box{x, y, x + w, y + h}, v.user)), rotate, true, nil
			}
		}
	}
	return rect, rotate, false, nil
}

// coversText reports whether rect (user space) on page n lies over words.
func coversText(in []byte, n int, rect [4]float64) (covers bool) {
	defer func() {
		if recover() != nil {
			covers = false
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil || n < 1 || n > r.NumPage() {
		return false
	}
	lines, _, _ := pageLines(r, n)
	for _, ws := range lines {
		for _, w := range ws {
			if (box{w.x0, w.y - 0.2*w.size, w.x1, w.y + 0.7*w.size}).overlaps(box(rect)) {
				return true
			}
		}
	}
	return false
}

// turnPNG turns an appearance counter-clockwise by a page's /Rotate, so
// that it reads upright on the page as shown.
func turnPNG(b []byte, rotate int) ([]byte, error) {
	if rotate == 0 {
		return b, nil
	}
	src, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	sb := src.Bounds()
	W, H := sb.Dx(), sb.Dy()
	var dst *image.NRGBA
	if rotate == 180 {
		dst = image.NewNRGBA(image.Rect(0, 0, W, H))
	} else {
		dst = image.NewNRGBA(image.Rect(0, 0, H, W))
	}
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			c := src.At(sb.Min.X+x, sb.Min.Y+y)
			switch rotate {
			case 90: // counter-clockwise
				dst.Set(y, W-1-x, c)
			case 180:
				dst.Set(W-1-x, H-1-y, c)
			case 270: // clockwise
				dst.Set(H-1-y, x, c)
			}
		}
	}
	var out bytes.Buffer
	if err := png.Encode(&out, dst); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// placeAppearance puts a person appearance where the signer chose, if it
// covers no text there, or in free space on the page (the last by
// default), turned upright for the page's /Rotate.
func placeAppearance(in []byte, req SignRequest, a personAppearance) (int, [4]float64, []byte, signing.Rect, error) {
	if req.Rect != nil {
		page, rect, err := placement(in, req.Page, req.Rect, a.w, a.h, bottomRight)
		if err == nil && coversText(in, page, rect) {
			err = &domain.ValidationError{Fields: map[string]string{"rect": "vùng chữ ký che lên chữ của văn bản; hãy chọn chỗ trống"}}
		}
		return page, rect, a.png, a.inner, err
	}
	page, _, err := placement(in, req.Page, nil, a.w, a.h, bottomRight)
	if err != nil {
		return 0, [4]float64{}, nil, signing.Rect{}, err
	}
	rect, rotate, ok, err := freePlace(in, page, a.w, a.h, sealRoomLeft, sealRoomBelow)
	if err != nil {
		return 0, rect, nil, signing.Rect{}, err
	}
	if !ok {
		return 0, rect, nil, signing.Rect{}, errNoFreeSpace
	}
	img, err := turnPNG(a.png, rotate)
	if err != nil {
		return 0, rect, nil, signing.Rect{}, fmt.Errorf("documents: unable to turn the appearance: %v", err)
	}
	return page, rect, img, a.inner, nil
}

// copyMarkPlace puts the copy mark at the top right of page 1 as shown,
// below the top margin, where it covers no text; without room, in the
// corner as before.
func copyMarkPlace(in []byte, mark []byte, w, h float64) (int, [4]float64, []byte, error) {
	rect, rotate, ok, err := findPlace(in, 1, w, h, 0, 0, true)
	if err != nil {
		return 0, rect, nil, err
	}
	if !ok {
		page, rect, err := placement(in, 1, nil, w, h, topRight)
		return page, rect, mark, err
	}
	img, err := turnPNG(mark, rotate)
	if err != nil {
		return 0, rect, nil, fmt.Errorf("documents: unable to turn the mark: %v", err)
	}
	return 1, rect, img, nil
}
