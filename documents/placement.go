package documents

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/digitorus/pdf"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/signing"
)

// personPlacement decides where the person's signature goes and what it
// shows. Where the document already has its signer block (the position
// line and the name, typed in the draft), the handwritten signature alone
// goes between them; otherwise, or when the caller gives a place, the
// appearance carries the position and the name too.
func personPlacement(in []byte, req SignRequest, img []byte, p auth.Principal) (int, [4]float64, []byte, signing.Rect, error) {
	if err := checkImageOnce(img); err != nil {
		return 0, [4]float64{}, nil, signing.Rect{}, err
	}
	if req.Rect == nil && req.Page == 0 {
		if page, top, bottom, ok := guardedSignerBlock(in); ok {
			if rect, ok := signatureInBlock(img, top, bottom); ok {
				return page, rect, img, signing.Rect{W: rect[2] - rect[0], H: rect[3] - rect[1]}, nil
			}
		}
	}
	position := p.Position
	if position == "" {
		position = "Người ký"
	}
	a, err := appearances.person(img, position, p.FullName)
	if err != nil {
		return 0, [4]float64{}, nil, signing.Rect{}, err
	}
	return placeAppearance(in, req, a)
}

// checkedImages are the SHA-256 of images signing.CheckSignatureImage
// accepted: the check decodes the whole PNG, and a signer's image is the
// same at each signature.
var checkedImages = struct {
	sync.Mutex
	m map[[32]byte]bool
}{m: map[[32]byte]bool{}}

// checkImageOnce is signing.CheckSignatureImage, run once per image.
func checkImageOnce(img []byte) error {
	sum := sha256.Sum256(img)
	checkedImages.Lock()
	ok := checkedImages.m[sum]
	checkedImages.Unlock()
	if ok {
		return nil
	}
	if err := signing.CheckSignatureImage(img); err != nil {
		return err
	}
	checkedImages.Lock()
	if len(checkedImages.m) >= 4096 {
		clear(checkedImages.m)
	}
	checkedImages.m[sum] = true
	checkedImages.Unlock()
	return nil
}

// appearanceCache keeps rendered person appearances: rendering one at
// print resolution costs tens of milliseconds, and a signer's image,
// position and name rarely change.
type appearanceCache struct {
	mu sync.Mutex
	m  map[[32]byte]personAppearance
}

type personAppearance struct {
	png   []byte
	w, h  float64
	inner signing.Rect
}

var appearances = &appearanceCache{m: map[[32]byte]personAppearance{}}

func (c *appearanceCache) person(img []byte, position, name string) (personAppearance, error) {
	h := sha256.New()
	for _, part := range [][]byte{img, []byte(position), []byte(name)} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	var key [32]byte
	h.Sum(key[:0])
	c.mu.Lock()
	a, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return a, nil
	}
	png, w, hh, err := signing.PersonAppearance(img, position, name)
	if err != nil {
		return a, err
	}
	inner, err := signing.PersonSignatureRect(img, position, name)
	if err != nil {
		return a, err
	}
	a = personAppearance{png: png, w: w, h: hh, inner: inner}
	c.mu.Lock()
	if len(c.m) >= 256 {
		clear(c.m)
	}
	c.m[key] = a
	c.mu.Unlock()
	return a, nil
}

// Corners a default appearance goes to.
const (
	bottomRight = iota
	topRight
)

// placement returns the page and rectangle of an appearance w x h points:
// the caller's, or a default corner of the page (the last page, or page 1).
func placement(in []byte, page int, rect *[4]float64, w, h float64, corner int) (int, [4]float64, error) {
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return 0, [4]float64{}, fmt.Errorf("%w: %v", ErrBadPDF, err)
	}
	n := r.NumPage()
	if page == 0 {
		page = n
	}
	if page < 1 || page > n {
		return 0, [4]float64{}, &domain.ValidationError{Fields: map[string]string{"page": fmt.Sprintf("trang phải từ 1 đến %d", n)}}
	}
	box := mediaBox(r.Page(page).V)
	if rect != nil {
		q := *rect
		if q[2] <= q[0] || q[3] <= q[1] || q[0] < box[0] || q[1] < box[1] || q[2] > box[2] || q[3] > box[3] {
			return 0, q, &domain.ValidationError{Fields: map[string]string{"rect": "vùng chữ ký phải nằm trong trang, dạng [llx, lly, urx, ury] (điểm)"}}
		}
		return page, q, nil
	}
	const margin = 56 // about 2 cm
	switch corner {
	case topRight:
		return page, [4]float64{box[2] - 28 - w, box[3] - 20 - h, box[2] - 28, box[3] - 20}, nil
	default:
		x := box[2] - margin - w
		y := box[1] + 1.5*margin
		return page, [4]float64{x, y, x + w, y + h}, nil
	}
}

func mediaBox(page pdf.Value) [4]float64 {
	for p := page; !p.IsNull(); p = p.Key("Parent") {
		if mb := p.Key("MediaBox"); mb.Len() == 4 {
			return [4]float64{mb.Index(0).Float64(), mb.Index(1).Float64(), mb.Index(2).Float64(), mb.Index(3).Float64()}
		}
	}
	return [4]float64{0, 0, 595, 842} // A4
}

// addSignedVersion stores the signed bytes as the next version with its
