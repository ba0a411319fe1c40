package spoof

import (
	"image"
	"math"
	"math/bits"
)

// Signals are the per-frame measurements of one face. All are computed on
// the face box resampled to a fixed size (128×128 grey, 32×32 colour) and
// on a 64×64 grey view of the context around it (twice the box), so they
// do not depend on the camera resolution.
//
// The zero value means "nothing measured".
type Signals struct {
	// LaplacianVar is the variance of the Laplacian of the 128×128 grey
	// face (see LaplacianVar): a blur and fine-texture measure.
	LaplacianVar float64 `json:"laplacian_var"`
	// LBP is the histogram of uniform rotation-invariant local binary
	// patterns LBP(8,1)riu2 over the 128×128 grey face: bins 0–8 count the
	// uniform patterns by their number of brighter neighbours, bin 9 the
	// non-uniform ones. It sums to 1.
	LBP [10]float64 `json:"lbp"`
	// LBP2 is the same histogram on the face at half resolution (64×64),
	// a coarser texture scale.
	LBP2 [10]float64 `json:"lbp2"`
	// LBPCb and LBPCr are the same histogram on the chroma channels of
	// the face at 64×64 (zero without colour): print and screen
	// reproduction distort the fine structure of colour.
	LBPCb [10]float64 `json:"lbp_cb"`
	LBPCr [10]float64 `json:"lbp_cr"`
	// Contrast is the standard deviation of the grey face over its mean.
	Contrast float64 `json:"contrast"`
	// Range is the spread between the 2nd and 98th percentiles of the grey
	// face, over 255.
	Range float64 `json:"range"`
	// HighFreq and MidFreq are the fractions of the spectral energy of the
	// windowed grey face (DC excluded) at radii above half the Nyquist
	// frequency and between 1/8 and 1/2 of it.
	HighFreq float64 `json:"high_freq"`
	MidFreq  float64 `json:"mid_freq"`
	// Moire is log10 of the strongest off-axis spectral peak in the
	// high-frequency band over the mean power of that band: periodic
	// patterns (screen pixels, halftone) raise it.
	Moire float64 `json:"moire"`
	// Color reports whether the frame had colour; when false the colour
	// signals are zero and the grey-only model scores the frame.
	Color bool `json:"color"`
	// ChromaSpread is sqrt(var Cb + var Cr) over the 32×32 face.
	ChromaSpread float64 `json:"chroma_spread"`
	// Chroma is the mean distance of (Cb, Cr) from neutral grey.
	Chroma float64 `json:"chroma"`
	// Specular is the fraction of pixels in the central 60% of the face
	// that are bright (Y ≥ 235) and nearly colourless: specular
	// highlights on skin, or the glare of glossy paper or a screen.
	Specular float64 `json:"specular"`
	// Border measures two parallel straight edges flanking the face in
	// the context view (the sides of a sheet of paper or of a phone held
	// up to the camera), 0 (none) to 1 (both edges cross the whole view).
	Border float64 `json:"border"`
	// Context is the fraction of the context view that lies inside the
	// frame; Border is meaningful only when it is high.
	Context float64 `json:"context"`
	// CbMean and CrMean are the signed mean chroma of the face (64×64),
	// the colour cast of a display or of ink (zero without colour).
	CbMean float64 `json:"cb_mean"`
	CrMean float64 `json:"cr_mean"`
	// FaceLight is the log of the face's mean luma over that of the
	// context around it (within the frame): an emissive screen lights the
	// face apart from the room.
	FaceLight float64 `json:"face_light"`
	// ContextSharp is log(1 + mean squared Laplacian) of the context view
	// outside the face: bezels, hands and paper edges around the face.
	ContextSharp float64 `json:"context_sharp"`
	// ChromaHF is the log ratio of the high-frequency energy of the
	// chroma planes to that of the luma at the same scale: the colour
	// sub-pixel structure and colour moiré of a re-captured screen.
	ChromaHF float64 `json:"chroma_hf"`
	// LBPSat and LBPHue are the LBP histograms of the saturation and hue
	// (HSV) of the face at 64×64; LBPCbR2 and LBPCrR2 those of Cb and Cr
	// at 64×64 with the neighbours at distance 2 (all zero without
	// colour).
	LBPSat  [10]float64 `json:"lbp_sat"`
	LBPHue  [10]float64 `json:"lbp_hue"`
	LBPCbR2 [10]float64 `json:"lbp_cb_r2"`
	LBPCrR2 [10]float64 `json:"lbp_cr_r2"`
	// SatMean and SatSpread are the mean and standard deviation of the
	// saturation (0–1) of the face at 64×64 (zero without colour).
	SatMean   float64 `json:"sat_mean"`
	SatSpread float64 `json:"sat_spread"`
	// Skew is the skewness of the grey face's values and Clipped the
	// fraction at or beyond 3 and 252: the tone curve of a re-display.
	Skew    float64 `json:"skew"`
	Clipped float64 `json:"clipped"`
	// Mesh is the landmark network's mean response in each channel of
	// its first block over the centre of the face (face.Landmarks.Texture),
	// when the caller passed it (CheckOptions.Mesh); HasMesh says so.
	// Without it a model counts its mesh features as their training mean,
	// which costs accuracy (docs/spoof.md).
	Mesh    [MeshChannels]float64 `json:"mesh"`
	HasMesh bool                  `json:"has_mesh,omitempty"`
}

// MeshChannels is the length of Signals.Mesh and CheckOptions.Mesh.
const MeshChannels = 16

// work holds every buffer of one per-frame analysis; a Detector keeps
// them in a sync.Pool so a frame allocates nothing once warm.
type work struct {
	rs       resampler
	src      source
	gray     [faceSize * faceSize]uint8
	half     [faceSize / 2 * faceSize / 2]uint8
	cb, cr   [colorSize * colorSize]uint8
	cb2, cr2 [chromaSize * chromaSize]uint8
	ctx      [ctxSize * ctxSize]uint8
	grayImg  image.Gray
	re, im   [faceSize * faceSize]float64
	hough    [houghTheta * houghRho]int32
	ctxValid image.Rectangle
	fft      fftPlan
}

func newWork() *work {
	w := &work{}
	w.grayImg = image.Gray{Pix: w.gray[:], Stride: faceSize, Rect: image.Rect(0, 0, faceSize, faceSize)}
	w.fft.init(faceSize)
	return w
}

// normalize fills the face, colour and context views of box in img.
// It reports false when box does not overlap img.
func (w *work) normalize(img image.Image, box image.Rectangle) bool {
	b := img.Bounds()
	box = box.Canon()
	if box.Empty() || !box.Overlaps(b) {
		return false
	}
	// A box reaching outside the frame is cut to it: faces at the edge
	// are squeezed a little rather than padded with invented pixels.
	box = box.Intersect(b)
	// Context: the box scaled by ctxScale about its centre.
	cx := float64(box.Min.X+box.Max.X) / 2
	cy := float64(box.Min.Y+box.Max.Y) / 2
	bw, bh := float64(box.Dx()), float64(box.Dy())
	ctxW, ctxH := bw*ctxScale, bh*ctxScale
	// Images without planes are converted inside the box only; their
	// context is point-sampled from the image itself.
	w.rs.loadSource(img, box, &w.src)
	s := &w.src
	ox, oy := float64(s.origin.X), float64(s.origin.Y)

	// Grey face.
	w.rs.resample(s.y, float64(box.Min.X)-ox, float64(box.Min.Y)-oy,
		bw/faceSize, bh/faceSize, w.gray[:], faceSize, faceSize)
	halve(w.gray[:], w.half[:], faceSize)
	if s.color {
		fx, fy := float64(s.cdx), float64(s.cdy)
		// Chroma plane coordinates: x/cdx − ⌊Min.X/cdx⌋ for a YCbCr image
		// (its COffset), (x − origin)/cdx for a converted region.
		x0 := (float64(box.Min.X) - ox) / fx
		y0 := (float64(box.Min.Y) - oy) / fy
		if _, ok := img.(*image.YCbCr); ok {
			x0 = float64(box.Min.X)/fx - float64(s.origin.X/s.cdx)
			y0 = float64(box.Min.Y)/fy - float64(s.origin.Y/s.cdy)
		}
		w.rs.resample(s.cb, x0, y0, bw/fx/chromaSize, bh/fy/chromaSize, w.cb2[:], chromaSize, chromaSize)
		w.rs.resample(s.cr, x0, y0, bw/fx/chromaSize, bh/fy/chromaSize, w.cr2[:], chromaSize, chromaSize)
		halve(w.cb2[:], w.cb[:], chromaSize)
		halve(w.cr2[:], w.cr[:], chromaSize)
	}
	// Context, and the part of it inside the frame.
	if s.whole {
		pointSample(s.y, cx-ctxW/2-ox, cy-ctxH/2-oy, ctxW/ctxSize, ctxH/ctxSize, w.ctx[:], ctxSize, ctxSize)
	} else {
		pointSampleImage(img, cx-ctxW/2, cy-ctxH/2, ctxW/ctxSize, ctxH/ctxSize, w.ctx[:], ctxSize, ctxSize)
	}
	toCtx := func(v, lo, span float64) int {
		return int(math.Round((v - lo) / span * ctxSize))
	}
	w.ctxValid = image.Rect(
		toCtx(float64(b.Min.X), cx-ctxW/2, ctxW), toCtx(float64(b.Min.Y), cy-ctxH/2, ctxH),
		toCtx(float64(b.Max.X), cx-ctxW/2, ctxW), toCtx(float64(b.Max.Y), cy-ctxH/2, ctxH),
	).Intersect(image.Rect(0, 0, ctxSize, ctxSize))
	return true
}

// halve writes the 2×2 means of the n×n image src into dst (n/2×n/2).
func halve(src, dst []uint8, n int) {
	hs := n / 2
	for y := 0; y < hs; y++ {
		r0 := src[2*y*n : (2*y+1)*n]
		r1 := src[(2*y+1)*n : (2*y+2)*n]
		out := dst[y*hs : (y+1)*hs]
		for x := range out {
			out[x] = uint8((int(r0[2*x]) + int(r0[2*x+1]) + int(r1[2*x]) + int(r1[2*x+1]) + 2) >> 2)
		}
	}
}

// measure computes every signal from the normalised views.
func (w *work) measure(sg *Signals) {
	*sg = Signals{}
	sg.LaplacianVar = LaplacianVar(&w.grayImg)
	lbpHist(w.gray[:], faceSize, &sg.LBP)
	lbpHist(w.half[:], faceSize/2, &sg.LBP2)
	w.greyStats(sg)
	w.spectrum(sg)
	sg.Color = w.src.color && w.colorStats(sg)
	if sg.Color {
		lbpHist(w.cb2[:], chromaSize, &sg.LBPCb)
		lbpHist(w.cr2[:], chromaSize, &sg.LBPCr)
	}
	w.specular(sg)
	w.border(sg)
	w.screenStats(sg)
	w.colorTexture(sg)
}

// lbpLabel maps an 8-bit neighbourhood pattern to its riu2 label: the
// number of set bits for uniform patterns (at most two 0/1 transitions
// around the circle), 9 otherwise. It is computed once and never written.
var lbpLabel = func() (t [256]uint8) {
	for p := range 256 {
		rot := uint8(p)<<1 | uint8(p)>>7
		if bits.OnesCount8(uint8(p)^rot) <= 2 {
			t[p] = uint8(bits.OnesCount8(uint8(p)))
		} else {
			t[p] = 9
		}
	}
	return t
}()

// lbpHist fills h with the normalised LBP(8,1)riu2 histogram of the
// interior of the n×n image pix (neighbours in circular order).
func lbpHist(pix []uint8, n int, h *[10]float64) {
	var cnt [10]int
	// ge is 1 when v ≥ c, without a branch.
	ge := func(v, c uint8) uint8 { return uint8(uint32(int32(c)-int32(v)-1) >> 31) }
	for y := 1; y < n-1; y++ {
		up := pix[(y-1)*n : y*n]
		row := pix[y*n : (y+1)*n]
		dn := pix[(y+1)*n : (y+2)*n]
		for x := 1; x < n-1; x++ {
			c := row[x]
			p := ge(up[x-1], c) | ge(up[x], c)<<1 | ge(up[x+1], c)<<2 | ge(row[x+1], c)<<3 |
				ge(dn[x+1], c)<<4 | ge(dn[x], c)<<5 | ge(dn[x-1], c)<<6 | ge(row[x-1], c)<<7
			cnt[lbpLabel[p]]++
		}
	}
	total := float64((n - 2) * (n - 2))
	for i, c := range cnt {
		h[i] = float64(c) / total
	}
}

// greyStats fills Contrast and Range.
func (w *work) greyStats(sg *Signals) {
	var hist [256]int
	var sum, sumsq uint64
	for _, v := range w.gray {
		hist[v]++
		sum += uint64(v)
		sumsq += uint64(v) * uint64(v)
	}
	n := float64(len(w.gray))
	mean := float64(sum) / n
	sd := math.Sqrt(math.Max(0, float64(sumsq)/n-mean*mean))
	sg.Contrast = sd / (mean + 1)
	lo, hi := percentile(&hist, len(w.gray), 0.02), percentile(&hist, len(w.gray), 0.98)
	sg.Range = float64(hi-lo) / 255
}

func percentile(hist *[256]int, n int, q float64) int {
	target := int(q * float64(n))
	acc := 0
	for v, c := range hist {
		acc += c
		if acc > target {
			return v
		}
	}
	return 255
}

// colorStats fills the chroma signals. It reports false when the chroma
// planes carry no colour (a grey frame stored as YCbCr).
func (w *work) colorStats(sg *Signals) bool {
	var sb, sr, sbb, srr, mag float64
	for i := range w.cb {
		b := float64(w.cb[i]) - 128
		r := float64(w.cr[i]) - 128
		sb += b
		sr += r
		sbb += b * b
		srr += r * r
		mag += math.Hypot(b, r)
	}
	n := float64(len(w.cb))
	mb, mr := sb/n, sr/n
	spread := math.Sqrt(math.Max(0, sbb/n-mb*mb) + math.Max(0, srr/n-mr*mr))
	sg.Chroma = mag / n
	sg.ChromaSpread = spread
	// A grey image stored as YCbCr has every chroma sample at 128.
	return sg.Chroma > 0.25 || spread > 0.25
}

// specular fills Specular: bright, nearly colourless pixels in the
// central part of the face (the skin of forehead, nose and cheeks, not
// the background the box may include).
func (w *work) specular(sg *Signals) {
	const (
		bright = 235
		lo, hi = faceSize / 5, faceSize - faceSize/5
		k      = faceSize / colorSize
	)
	cnt := 0
	for y := lo; y < hi; y++ {
		row := w.gray[y*faceSize+lo : y*faceSize+hi]
		for i, v := range row {
			if v < bright {
				continue
			}
			if sg.Color {
				j := (y/k)*colorSize + (lo+i)/k
				b, r := int(w.cb[j])-128, int(w.cr[j])-128
				if b*b+r*r > 15*15 {
					continue
				}
			}
			cnt++
		}
	}
	sg.Specular = float64(cnt) / float64((hi-lo)*(hi-lo))
}
