package face

import "image"

// Tight face crops (a face filling the whole image, as face datasets and
// presentation-attack crops are cut) give the cascade no margin to find
// the face in. When a small image has no detection, the search is repeated
// on a grey copy padded on every side by padFraction of its longer side,
// edges mirrored so the padding adds no strong new edge, and the boxes
// are moved back to img's coordinates (they may then reach outside img;
// the landmark crop samples outside pixels as black).
const (
	// padMaxSide is the longest image side the padded retry runs for:
	// camera frames are larger and show the face with margin, so a frame
	// without a face does not pay for a second search.
	padMaxSide  = 512
	padFraction = 0.3
)

// detect runs the detector on img, retrying on a padded copy when a small
// image shows no face; pause (if not nil) is called between the stages.
func (a *Analyzer) detect(img image.Image, pause func() error) ([]Detection, error) {
	g := Luma(img)
	dets, err := a.det.detectGray(g, pause)
	b := g.Bounds()
	if err != nil || len(dets) > 0 || max(b.Dx(), b.Dy()) > padMaxSide {
		return dets, err
	}
	p := padGray(g, int(padFraction*float64(max(b.Dx(), b.Dy()))+0.5))
	// p shares g's coordinates: its boxes need no mapping.
	return a.det.detectGray(p, pause)
}

// padGray returns g with m pixels of mirrored border on every side; the
// result's bounds are g's grown by m, so box coordinates are unchanged.
func padGray(g *image.Gray, m int) *image.Gray {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	m = min(m, w-1, h-1)
	out := image.NewGray(b.Inset(-m))
	mirror := func(v, n int) int {
		for v < 0 || v >= n {
			if v < 0 {
				v = -v
			}
			if v >= n {
				v = 2*(n-1) - v
			}
		}
		return v
	}
	for y := 0; y < h+2*m; y++ {
		sy := mirror(y-m, h)
		src := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+sy):]
		dst := out.Pix[y*out.Stride : y*out.Stride+w+2*m]
		copy(dst[m:m+w], src[:w])
		for x := 0; x < m; x++ {
			dst[x] = src[mirror(x-m, w)]
			dst[m+w+x] = src[mirror(w+x, w)]
		}
	}
	return out
}
