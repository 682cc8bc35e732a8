package signing

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"
)

func TestImageCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newImageCache(2, 1<<20)
	img := func(n int) *encodedImage { return &encodedImage{width: 1, height: 1, rgb: make([]byte, n)} }
	c.put([32]byte{1}, img(10))
	c.put([32]byte{2}, img(10))
	c.get([32]byte{1})
	c.put([32]byte{3}, img(10))
	if c.get([32]byte{2}) != nil || c.get([32]byte{1}) == nil || c.get([32]byte{3}) == nil || c.len() != 2 {
		t.Errorf("want 1 and 3 kept, 2 evicted; %d entries", c.len())
	}
	c = newImageCache(100, 1000)
	c.put([32]byte{1}, img(400))
	c.put([32]byte{2}, img(400))
	c.put([32]byte{3}, img(400))
	if c.len() != 2 || c.bytes > 1000 || c.get([32]byte{1}) != nil {
		t.Errorf("bytes bound: %d entries, %d bytes", c.len(), c.bytes)
	}
	c.put([32]byte{4}, img(5000))
	if c.get([32]byte{4}) != nil {
		t.Error("an image larger than the cache was kept")
	}
}

// A PNG is validated once: the second use is a cache hit; a bad PNG is
// refused every time and never cached.
func TestAppearanceImageValidatedOnce(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 7, 5))
	m.Set(3, 2, color.NRGBA{0, 0, 255, 128})
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	before := appearanceImages.len()
	first, err := appearanceImage(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	second, err := appearanceImage(bytes.Clone(b.Bytes()))
	if err != nil || second != first {
		t.Errorf("second use not from the cache (%v)", err)
	}
	if first.alpha == nil || first.width != 7 || first.height != 5 {
		t.Errorf("encoded %dx%d, alpha %v", first.width, first.height, first.alpha != nil)
	}
	bad := append(bytes.Clone(b.Bytes()[:40]), 0, 0, 0)
	for range 2 {
		if _, err := appearanceImage(bad); !errors.Is(err, ErrBadImage) {
			t.Errorf("bad PNG: %v", err)
		}
	}
	if got := appearanceImages.len(); got != before+1 {
		t.Errorf("cache holds %d entries, want %d", got, before+1)
	}
}
