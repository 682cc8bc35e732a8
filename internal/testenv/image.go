package testenv

import (
	"bytes"
	"image/png"
)

// PixelDifference counts the pixels that differ visibly (by more than 48
// of 255 in a channel) between two PNG renderings, and the pixels in all:
// the measure the rendering tests compare with a reviewed reference. Two
// images of different sizes differ everywhere.
func PixelDifference(a, b []byte) (differ, total int, err error) {
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		return 0, 0, err
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return 0, 0, err
	}
	r := ia.Bounds()
	total = r.Dx() * r.Dy()
	if r != ib.Bounds() {
		return total, total, nil
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := ia.At(x, y).RGBA()
			r2, g2, b2, _ := ib.At(x, y).RGBA()
			if apart(r1, r2) || apart(g1, g2) || apart(b1, b2) {
				differ++
			}
		}
	}
	return differ, total, nil
}

func apart(a, b uint32) bool {
	if a < b {
		a, b = b, a
	}
	return a-b > 48<<8
}
