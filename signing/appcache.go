// Visible signatures drawn from a cache: each distinct appearance PNG is
// validated and encoded into image XObject streams once, then drawn
// through pdfsign's appearance hook. pdfsign's own image path decodes the
// PNG and re-encodes it pixel by pixel on every signature.

package signing

import (
	"bytes"
	"compress/zlib"
	"container/list"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"image/png"
	"sync"

	"github.com/digitorus/pdfsign/sign"
)

// encodedImage is a PNG as pdfsign would embed it: 8-bit DeviceRGB samples
// (premultiplied by alpha, as pdfsign writes them) and, if any pixel is
// not opaque, an 8-bit DeviceGray soft mask, both Flate-compressed.
type encodedImage struct {
	width, height int
	rgb, alpha    []byte // alpha is nil for an opaque image
}

func (e *encodedImage) size() int { return len(e.rgb) + len(e.alpha) + 64 }

// imageCache is a least-recently-used cache of encoded images keyed by
// the PNG's SHA-256, bounded by entries and bytes.
type imageCache struct {
	mu         sync.Mutex
	maxEntries int
	maxBytes   int
	bytes      int
	order      *list.List // front: most recently used
	entries    map[[32]byte]*list.Element
}

type imageEntry struct {
	key [32]byte
	img *encodedImage
}

func newImageCache(maxEntries, maxBytes int) *imageCache {
	return &imageCache{maxEntries: maxEntries, maxBytes: maxBytes, order: list.New(), entries: map[[32]byte]*list.Element{}}
}

func (c *imageCache) get(key [32]byte) *encodedImage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*imageEntry).img
	}
	return nil
}

func (c *imageCache) put(key [32]byte, img *encodedImage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok || img.size() > c.maxBytes {
		return
	}
	c.entries[key] = c.order.PushFront(&imageEntry{key: key, img: img})
	c.bytes += img.size()
	for c.order.Len() > c.maxEntries || c.bytes > c.maxBytes {
		el := c.order.Back()
		e := el.Value.(*imageEntry)
		c.order.Remove(el)
		delete(c.entries, e.key)
		c.bytes -= e.img.size()
	}
}

func (c *imageCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// appearanceImages holds the appearances in use: a person's signature and
// an organisation's seal change rarely, so a few hundred cover a busy day.
var appearanceImages = newImageCache(256, 64<<20)

// appearanceImage returns the encoded image of an appearance PNG,
// validating and encoding it on first use; only valid PNGs are cached.
func appearanceImage(data []byte) (*encodedImage, error) {
	key := sha256.Sum256(data)
	if img := appearanceImages.get(key); img != nil {
		return img, nil
	}
	img, err := encodeAppearance(data)
	if err != nil {
		return nil, err
	}
	appearanceImages.put(key, img)
	return img, nil
}

// encodeAppearance checks that data is an acceptable PNG and encodes it.
func encodeAppearance(data []byte) (*encodedImage, error) {
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		return nil, fmt.Errorf("%w: the appearance is not a PNG", ErrBadImage)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width*cfg.Height > maxAppearancePixels {
		return nil, fmt.Errorf("%w: %dx%d pixels", ErrBadImage, cfg.Width, cfg.Height)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	return encodeImage(img)
}

// encodeImage writes img's samples as pdfsign's render.RegisterImage does
// (color.Color.RGBA, high bytes), a row at a time.
func encodeImage(img image.Image) (*encodedImage, error) {
	return encodeImageLevel(img, zlib.DefaultCompression)
}

// encodeImageLevel is encodeImage at a zlib level: an image drawn for one
// signature (Appearance.Image) is compressed for speed, not cached.
func encodeImageLevel(img image.Image, level int) (*encodedImage, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	rgbRow, alphaRow := make([]byte, 3*w), make([]byte, w)
	var rgbBuf, alphaBuf bytes.Buffer
	zr, _ := zlib.NewWriterLevel(&rgbBuf, level)
	za, _ := zlib.NewWriterLevel(&alphaBuf, level)
	translucent := false
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := 0; x < w; x++ {
			var r, g, bl, a uint32
			switch m := img.(type) {
			case *image.NRGBA:
				r, g, bl, a = m.NRGBAAt(b.Min.X+x, y).RGBA()
			case *image.RGBA:
				r, g, bl, a = m.RGBAAt(b.Min.X+x, y).RGBA()
			case *image.Gray:
				r, g, bl, a = m.GrayAt(b.Min.X+x, y).RGBA()
			default:
				r, g, bl, a = img.At(b.Min.X+x, y).RGBA()
			}
			rgbRow[3*x], rgbRow[3*x+1], rgbRow[3*x+2] = uint8(r>>8), uint8(g>>8), uint8(bl>>8)
			alphaRow[x] = uint8(a >> 8)
			if alphaRow[x] < 255 {
				translucent = true
			}
		}
		if _, err := zr.Write(rgbRow); err != nil {
			return nil, err
		}
		if _, err := za.Write(alphaRow); err != nil {
			return nil, err
		}
	}
	if err := zr.Close(); err != nil {
		return nil, err
	}
	if err := za.Close(); err != nil {
		return nil, err
	}
	e := &encodedImage{width: w, height: h, rgb: rgbBuf.Bytes()}
	if translucent {
		e.alpha = alphaBuf.Bytes()
	}
	return e, nil
}

// imageAppearance draws img stretched over the signature's rectangle: the
// same objects and content stream as pdfsign's builder with one image
// element (Rect(0, 0, w, h), ScaleStretch), the image streams copied from
// the cache. The image objects are written before the signature
// dictionary (preSign): pdfsign concatenates the bytes before and after
// the signature's /Contents to sign them, and a large tail makes it grow
// that copy of the whole file once more.
type imageAppearance struct {
	img   *encodedImage
	imgID uint32
}

func (a *imageAppearance) preSign(sc *sign.SignContext) error {
	var smaskID uint32
	if a.img.alpha != nil {
		obj := imageObject(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n",
			a.img.width, a.img.height, len(a.img.alpha)), a.img.alpha)
		id, err := sc.AddObject(obj)
		if err != nil {
			return err
		}
		smaskID = id
	}
	var dict bytes.Buffer
	dict.WriteString("<< /Type /XObject /Subtype /Image\n")
	fmt.Fprintf(&dict, "  /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8\n", a.img.width, a.img.height)
	if smaskID != 0 {
		fmt.Fprintf(&dict, "  /SMask %d 0 R\n", smaskID)
	}
	fmt.Fprintf(&dict, "  /Filter /FlateDecode /Length %d >>\nstream\n", len(a.img.rgb))
	id, err := sc.AddObject(imageObject(dict.String(), a.img.rgb))
	a.imgID = id
	return err
}

func (a *imageAppearance) render(_ *sign.SignContext, rect [4]float64) ([]byte, error) {
	if a.imgID == 0 {
		return nil, errors.New("signing: the appearance image was not written")
	}
	w, h := rect[2]-rect[0], rect[3]-rect[1]
	stream := fmt.Sprintf("q\n  %f 0 0 %f %f %f cm\n  /Im1 Do\nQ\n", w, h, 0.0, 0.0)
	var buf bytes.Buffer
	buf.WriteString("<<\n  /Type /XObject\n  /Subtype /Form\n")
	fmt.Fprintf(&buf, "  /BBox [0 0 %f %f]\n", w, h)
	buf.WriteString("  /Matrix [1 0 0 1 0 0]\n  /Resources <<\n")
	fmt.Fprintf(&buf, "    /XObject <<\n      /Im1 %d 0 R\n    >>\n", a.imgID)
	buf.WriteString("  >>\n  /FormType 1\n")
	fmt.Fprintf(&buf, "  /Length %d\n", len(stream))
	buf.WriteString(">>\nstream\n")
	buf.WriteString(stream)
	buf.WriteString("\nendstream\n")
	return buf.Bytes(), nil
}

func imageObject(dict string, data []byte) []byte {
	obj := make([]byte, 0, len(dict)+len(data)+len("\nendstream"))
	obj = append(obj, dict...)
	obj = append(obj, data...)
	return append(obj, "\nendstream"...)
}
