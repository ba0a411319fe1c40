package spoof

import (
	"math"
	"strconv"
)

// The model's features, derived from Signals. The names are the ones a
// model file uses.
const (
	fLogLaplacian = iota
	fLBP          // 10 bins
	fLBP2         = fLBP + 10
	fContrast     = fLBP2 + 10
	fRange        = fContrast + 1
	fHighFreq     = fRange + 1
	fMidFreq      = fHighFreq + 1
	fMoire        = fMidFreq + 1
	fSpecular     = fMoire + 1
	fChromaSpread = fSpecular + 1
	fChroma       = fChromaSpread + 1
	fLBPCb        = fChroma + 1 // 10 bins
	fLBPCr        = fLBPCb + 10 // 10 bins
	fCbMean       = fLBPCr + 10
	fCrMean       = fCbMean + 1
	fFaceLight    = fCrMean + 1
	fContextSharp = fFaceLight + 1
	fChromaHF     = fContextSharp + 1
	fSkew         = fChromaHF + 1
	fClipped      = fSkew + 1
	fLBPSat       = fClipped + 1  // 10 bins, colour from here on
	fLBPHue       = fLBPSat + 10  // 10 bins
	fLBPCbR2      = fLBPHue + 10  // 10 bins
	fLBPCrR2      = fLBPCbR2 + 10 // 10 bins
	fSatMean      = fLBPCrR2 + 10
	fSatSpread    = fSatMean + 1
	fMesh         = fSatSpread + 1 // MeshChannels, from CheckOptions.Mesh
	numFeatures   = fMesh + MeshChannels
)

type featureVec [numFeatures]float64

// group gathers features for the Reason of a Result.
type group int

const (
	groupBlur group = iota
	groupTexture
	groupFrequency
	groupColor
	groupSpecular
	groupBorder
	groupLight
	numGroups
)

var groupReason = [numGroups]string{"blur", "texture", "frequency", "color", "specular", "border", "light"}

// Tables computed once and never written.
var (
	featureNames = func() (n [numFeatures]string) {
		n[fLogLaplacian] = "log_laplacian_var"
		for i := range 10 {
			n[fLBP+i] = "lbp_" + string(rune('0'+i))
			n[fLBP2+i] = "lbp2_" + string(rune('0'+i))
		}
		n[fContrast] = "contrast"
		n[fRange] = "range"
		n[fHighFreq] = "log_high_freq"
		n[fMidFreq] = "log_mid_freq"
		n[fMoire] = "moire"
		n[fSpecular] = "sqrt_specular"
		n[fChromaSpread] = "chroma_spread"
		n[fChroma] = "chroma"
		for i := range 10 {
			n[fLBPCb+i] = "lbp_cb_" + string(rune('0'+i))
			n[fLBPCr+i] = "lbp_cr_" + string(rune('0'+i))
		}
		n[fCbMean], n[fCrMean] = "cb_mean", "cr_mean"
		n[fFaceLight] = "face_light"
		n[fContextSharp] = "context_sharp"
		n[fChromaHF] = "chroma_hf"
		for i := range 10 {
			d := string(rune('0' + i))
			n[fLBPSat+i] = "lbp_sat_" + d
			n[fLBPHue+i] = "lbp_hue_" + d
			n[fLBPCbR2+i] = "lbp_cb_r2_" + d
			n[fLBPCrR2+i] = "lbp_cr_r2_" + d
		}
		n[fSkew], n[fClipped] = "skew", "sqrt_clipped"
		n[fSatMean], n[fSatSpread] = "sat_mean", "sat_spread"
		for i := range MeshChannels {
			n[fMesh+i] = "mesh_" + strconv.Itoa(i)
		}
		return n
	}()
	featureGroup = func() (g [numFeatures]group) {
		for i := range g {
			g[i] = groupTexture
		}
		g[fLogLaplacian] = groupBlur
		g[fHighFreq], g[fMidFreq], g[fMoire] = groupFrequency, groupFrequency, groupFrequency
		g[fSpecular] = groupSpecular
		g[fChromaSpread], g[fChroma] = groupColor, groupColor
		for i := range 10 {
			g[fLBPCb+i], g[fLBPCr+i] = groupColor, groupColor
		}
		g[fCbMean], g[fCrMean], g[fChromaHF] = groupColor, groupColor, groupColor
		g[fFaceLight] = groupLight
		g[fContextSharp] = groupBorder
		for i := fLBPSat; i < numFeatures; i++ {
			g[i] = groupColor
		}
		return g
	}()
	colorFeature = func() (c [numFeatures]bool) {
		c[fChromaSpread], c[fChroma] = true, true
		for i := range 10 {
			c[fLBPCb+i], c[fLBPCr+i] = true, true
		}
		c[fCbMean], c[fCrMean], c[fChromaHF] = true, true, true
		for i := fLBPSat; i < numFeatures; i++ {
			c[i] = true
		}
		return c
	}()
)

// featureIndex returns the index of a feature name, or −1.
func featureIndex(name string) int {
	for i, n := range featureNames {
		if n == name {
			return i
		}
	}
	return -1
}

// features derives the feature vector from the signals.
func features(sg *Signals, f *featureVec) {
	f[fLogLaplacian] = math.Log1p(sg.LaplacianVar)
	for i := range 10 {
		f[fLBP+i] = math.Sqrt(sg.LBP[i])
		f[fLBP2+i] = math.Sqrt(sg.LBP2[i])
	}
	f[fContrast] = sg.Contrast
	f[fRange] = sg.Range
	f[fHighFreq] = math.Log(sg.HighFreq + 1e-6)
	f[fMidFreq] = math.Log(sg.MidFreq + 1e-6)
	f[fMoire] = sg.Moire
	f[fSpecular] = math.Sqrt(sg.Specular)
	f[fChromaSpread] = sg.ChromaSpread
	f[fChroma] = sg.Chroma
	for i := range 10 {
		f[fLBPCb+i] = math.Sqrt(sg.LBPCb[i])
		f[fLBPCr+i] = math.Sqrt(sg.LBPCr[i])
	}
	f[fCbMean], f[fCrMean] = sg.CbMean, sg.CrMean
	f[fFaceLight] = sg.FaceLight
	f[fContextSharp] = sg.ContextSharp
	f[fChromaHF] = sg.ChromaHF
	for i := range 10 {
		f[fLBPSat+i] = math.Sqrt(sg.LBPSat[i])
		f[fLBPHue+i] = math.Sqrt(sg.LBPHue[i])
		f[fLBPCbR2+i] = math.Sqrt(sg.LBPCbR2[i])
		f[fLBPCrR2+i] = math.Sqrt(sg.LBPCrR2[i])
	}
	f[fSkew] = sg.Skew
	f[fClipped] = math.Sqrt(sg.Clipped)
	f[fSatMean], f[fSatSpread] = sg.SatMean, sg.SatSpread
	for i := range MeshChannels {
		// Without the landmark network's responses a model counts these
		// features as their training mean (Logistic.logit, design).
		f[fMesh+i] = math.NaN()
		if sg.HasMesh {
			f[fMesh+i] = sg.Mesh[i]
		}
	}
}
