package mesh

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/openliveness/openliveness/internal/testenv"
)

// moduleRoot walks up from the package directory to the directory holding
// go.mod.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
}

// refDir returns ../shared/notes/facemesh-ref relative to the module root,
// or skips the test when it is absent.
func refDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "..", "shared", "notes", "facemesh-ref")
	if _, err := os.Stat(filepath.Join(dir, "expected.json")); err != nil {
		testenv.Missing(t, "reference vectors not available (%s): %v", dir, err)
	}
	return dir
}

func readF32(t testing.TB, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b)%4 != 0 {
		t.Fatalf("%s: %d bytes is not a float32 array", path, len(b))
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

type tensorStats struct {
	Shape  []int     `json:"shape"`
	Sum    float64   `json:"sum"`
	AbsSum float64   `json:"absSum"`
	First8 []float64 `json:"first8"`
}

type expectedFile struct {
	Attention map[string]tensorStats `json:"attention"`
}

func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// TestReference runs the reference crop and compares every output of the
// attention graph and two intermediate tensors with the values produced by
// TensorFlow.js.
func TestReference(t *testing.T) {
	dir := refDir(t)
	inter := []string{
		"StatefulPartitionedCall/functional_1/p_re_lu_3/Relu",
		"StatefulPartitionedCall/functional_1/p_re_lu_19/Relu",
	}
	m, err := load(modelJSON, modelBin, inter...)
	if err != nil {
		t.Fatal(err)
	}
	var exp expectedFile
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	in := readF32(t, filepath.Join(dir, "mesh_input_1x192x192x3.f32"))
	for _, mode := range kernelModes() {
		t.Run(mode.name, func(t *testing.T) {
			m.simd = mode.simd
			checkReference(t, m, &exp, dir, in, inter)
		})
	}
}

func checkReference(t *testing.T, m *Model, exp *expectedFile, dir string, in []float32, inter []string) {
	ws := m.newWorkspace()
	m.forward(ws, in, &Result{})
	var res Result
	m.merge(ws, &res)

	// Intermediates: relative agreement of sum and abs-sum.
	for _, name := range inter {
		want, ok := exp.Attention[name]
		if !ok {
			t.Fatalf("expected.json has no %s", name)
		}
		id, ok := m.p.byName[name]
		if !ok {
			t.Fatalf("no tensor %s", name)
		}
		got := m.tensorData(ws, id)
		var sum, abs float64
		for _, v := range got {
			sum += float64(v)
			abs += math.Abs(float64(v))
		}
		n := 1
		for _, d := range want.Shape {
			n *= d
		}
		if len(got) != n {
			t.Fatalf("%s: %d values, want %d", name, len(got), n)
		}
		var first float64
		for i, w := range want.First8 {
			first = max(first, math.Abs(float64(got[i])-w))
		}
		t.Logf("%s: sum %.6g (want %.6g, rel %.2g), abs-sum rel %.2g, first8 max diff %.2g",
			filepath.Base(filepath.Dir(name)), sum, want.Sum, math.Abs(sum-want.Sum)/want.AbsSum,
			math.Abs(abs-want.AbsSum)/want.AbsSum, first)
		if math.Abs(sum-want.Sum) > 1e-4*want.AbsSum || math.Abs(abs-want.AbsSum) > 1e-4*want.AbsSum || first > 1e-3 {
			t.Errorf("%s disagrees with the reference", name)
		}
	}

	mesh := m.tensorValues(ws, m.p.mesh)
	refined := func(reg int, j int) [2]float32 {
		p := res.Points[m.p.regions[reg].indices[j]]
		return [2]float32{p[0], p[1]}
	}
	cases := []struct {
		file string
		got  func() []float32
		tol  float64
	}{
		{"attention_output_mesh_1404.f32", func() []float32 { return mesh }, 1e-3},
		{"attention_output_left_eye_142.f32", func() []float32 { return flat(71, func(j int) [2]float32 { return refined(regionEye33, j) }) }, 1e-3},
		{"attention_output_right_eye_142.f32", func() []float32 { return flat(71, func(j int) [2]float32 { return refined(regionEye263, j) }) }, 1e-3},
		{"attention_output_lips_160.f32", func() []float32 { return flat(80, func(j int) [2]float32 { return refined(regionLips, j) }) }, 1e-3},
		{"attention_output_left_iris_10.f32", func() []float32 {
			return flat(5, func(j int) [2]float32 { return [2]float32{res.Points[468+j][0], res.Points[468+j][1]} })
		}, 1e-3},
		{"attention_output_right_iris_10.f32", func() []float32 {
			return flat(5, func(j int) [2]float32 { return [2]float32{res.Points[473+j][0], res.Points[473+j][1]} })
		}, 1e-3},
	}
	for _, c := range cases {
		want := readF32(t, filepath.Join(dir, c.file))
		got := c.got()
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", c.file, len(got), len(want))
		}
		d := maxAbsDiff(got, want)
		t.Logf("%s: max abs diff %.3g px", c.file, d)
		if d > c.tol {
			t.Errorf("%s: max abs diff %.3g px > %g", c.file, d, c.tol)
		}
	}
	t.Logf("face flag %.6f", res.FaceFlag)
	if math.Abs(float64(res.FaceFlag)-exp.Attention["Identity:0"].Sum) > 1e-4 {
		t.Errorf("face flag %v, want %v", res.FaceFlag, exp.Attention["Identity:0"].Sum)
	}
}

func flat(n int, f func(int) [2]float32) []float32 {
	out := make([]float32, 0, 2*n)
	for j := range n {
		p := f(j)
		out = append(out, p[0], p[1])
	}
	return out
}
