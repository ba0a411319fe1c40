package padfit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/openliveness/openliveness/face"
	"github.com/openliveness/openliveness/spoof"
)

// Item is one face of the shared corpus (../shared/facedata): a crop, a
// NUAA image or a video frame, measured as the engine measures it (the
// face detector's box, tight crops padded before detection).
type Item struct {
	// Kind is "crop", "nuaa" or "video"; Source the crop source, NUAA
	// subject or video name; File the path below the data root and Frame
	// the 1-based frame of a video (0 otherwise).
	Kind   string `json:"kind"`
	Source string `json:"source"`
	File   string `json:"file"`
	Frame  int    `json:"frame,omitempty"`
	// Unit is the hold-out unit: every item of one person (or, for crop
	// sources, one source) shares it, so a model judged on an item was
	// fitted without its unit.
	Unit string `json:"unit"`
	Live bool   `json:"live"`
	// Analysed reports that the face analyser found a face with
	// landmarks; otherwise the whole image (crops) was measured, or the
	// frame is left out (videos).
	Analysed bool          `json:"analysed"`
	Signals  spoof.Signals `json:"signals"`
}

// Sample converts an item to a training sample grouped by its unit. The
// NUAA attacks are printed faces (spoof.Sample.Print); every other attack
// of the corpus is a screen replay.
func (it *Item) Sample() spoof.Sample {
	return spoof.Sample{Signals: it.Signals, Live: it.Live, Group: it.Unit, Print: it.Kind == "nuaa" && !it.Live}
}

// units maps people seen in several places of the corpus to one hold-out
// unit (pad/README.md "Same person live and attacked"): p04 is the person
// of the C07 crops, p28 of the C08 crops.
var units = map[string]string{"p04": "C07_krzysiek354", "p28": "C08_manikantha"}

// VideoStride is the frame stride of the video items: neighbouring frames
// are nearly the same sample.
const VideoStride = 2

// LoadCorpus measures every face of the shared corpus below root: the
// crops of pad/crops, the NUAA images and the frames (every VideoStride-th)
// of pad/bonafide, pad/attack and video/. Frames 1–50 of A01 (the live
// person sits beside the phone) are left out.
func LoadCorpus(ctx context.Context, root string, a *face.Analyzer, det *spoof.Detector) ([]Item, error) {
	var items []Item
	add := func(it Item, img image.Image) error {
		res, err := a.Analyze(ctx, img, nil)
		if err != nil {
			return err
		}
		box := img.Bounds()
		var o spoof.CheckOptions
		if len(res.Faces) > 0 && res.Faces[0].Landmarks != nil {
			box, it.Analysed = res.Faces[0].Box, true
			o.Mesh = &res.Faces[0].Landmarks.Texture
		} else if it.Kind == "video" {
			return nil
		}
		var r spoof.Result
		err = det.CheckWith(img, box, &o, &r)
		sg := r.Signals
		if err != nil {
			if it.Kind == "video" {
				return nil
			}
			return fmt.Errorf("%s: %w", it.File, err)
		}
		it.Signals = sg
		items = append(items, it)
		return nil
	}
	// Crops: <source>/{live,attack}/*.jpg.
	crops, _ := filepath.Glob(filepath.Join(root, "pad/crops/*/*/*.jpg"))
	nuaa, _ := filepath.Glob(filepath.Join(root, "spoof/nuaa/*/*/*.jpg"))
	if len(crops) == 0 && len(nuaa) == 0 {
		return nil, fmt.Errorf("fitdata: no crops under %s", root)
	}
	for _, p := range slices.Concat(crops, nuaa) {
		rel, _ := filepath.Rel(root, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		it := Item{File: rel}
		if parts[0] == "pad" {
			it.Kind, it.Source, it.Unit, it.Live = "crop", parts[2], parts[2], parts[3] == "live"
		} else {
			it.Kind, it.Source, it.Unit, it.Live = "nuaa", "nuaa/"+parts[3], "nuaa/"+parts[3], parts[2] == "live"
		}
		img, err := decode(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if err := add(it, img); err != nil {
			return nil, err
		}
	}
	vids, _ := filepath.Glob(filepath.Join(root, "pad/*/*.mjpeg"))
	more, _ := filepath.Glob(filepath.Join(root, "video/*.mjpeg"))
	for _, p := range slices.Concat(vids, more) {
		rel, _ := filepath.Rel(root, p)
		name := strings.TrimSuffix(filepath.Base(p), ".mjpeg")
		it := Item{Kind: "video", Source: name, File: rel, Live: !strings.HasPrefix(rel, "pad/attack/")}
		if f := strings.Split(name, "_"); strings.HasPrefix(rel, "pad/") && len(f) > 1 {
			it.Unit = f[1]
			if u, ok := units[f[1]]; ok {
				it.Unit = u
			}
		} else {
			it.Unit = "video/" + name
		}
		frames, err := face.ReadMJPEGFile(p)
		if err != nil {
			return nil, err
		}
		for k := 0; k < len(frames); k += VideoStride {
			if strings.HasPrefix(name, "A01_") && k < 50 {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			img, err := face.Decode(frames[k], nil)
			if err != nil {
				return nil, fmt.Errorf("%s frame %d: %w", p, k+1, err)
			}
			it.Frame = k + 1
			if err := add(it, img); err != nil {
				return nil, err
			}
		}
	}
	return items, nil
}

// WriteItems writes items as JSON lines (a cache of LoadCorpus).
func WriteItems(w io.Writer, items []Item) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for i := range items {
		if err := enc.Encode(&items[i]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ReadItems reads items written by WriteItems.
func ReadItems(r io.Reader) ([]Item, error) {
	var items []Item
	dec := json.NewDecoder(bufio.NewReader(r))
	for {
		var it Item
		err := dec.Decode(&it)
		if err == io.EOF {
			return items, nil
		}
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
}

func decode(path string) (image.Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return face.Decode(data, nil)
}

// LoadCached returns the corpus below root, read from the cache file when
// it exists, measured otherwise (and then written to cache, atomically, so
// that concurrent runs never read a partial file). An empty cache measures
// without caching.
func LoadCached(ctx context.Context, root, cache string) ([]Item, error) {
	if cache != "" {
		if f, err := os.Open(cache); err == nil {
			items, err := ReadItems(f)
			f.Close()
			if err != nil || !stale(items) {
				return items, err
			}
			// A cache written before the landmark network's responses
			// were measured: measure the corpus again.
		}
	}
	a, err := face.NewAnalyzer()
	if err != nil {
		return nil, err
	}
	det, err := spoof.NewDetector()
	if err != nil {
		return nil, err
	}
	items, err := LoadCorpus(ctx, root, a, det)
	if err != nil || cache == "" {
		return items, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(cache), filepath.Base(cache)+".*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if err := WriteItems(tmp, items); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	return items, os.Rename(tmp.Name(), cache)
}

// stale reports a cache written before Signals.Mesh was measured: an item
// with landmarks but no mesh responses.
func stale(items []Item) bool {
	for i := range items {
		if items[i].Analysed && !items[i].Signals.HasMesh {
			return true
		}
	}
	return false
}
