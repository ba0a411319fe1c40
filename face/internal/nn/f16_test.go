package nn

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFloat16(t *testing.T) {
	tests := []struct {
		name string
		h    uint16
		want float32
	}{
		{"one", 0x3c00, 1},
		{"minus two", 0xc000, -2},
		{"half", 0x3800, 0.5},
		{"largest normal", 0x7bff, 65504},
		{"smallest normal", 0x0400, 1.0 / (1 << 14)},
		{"largest subnormal", 0x03ff, 1023.0 / (1 << 24)},
		{"smallest subnormal", 0x0001, 1.0 / (1 << 24)},
		{"negative subnormal", 0x8200, -512.0 / (1 << 24)},
		{"2/47 as stored", 0x2972, 0.04254150390625},
		{"one third", 0x3555, 0.333251953125},
		{"positive zero", 0x0000, 0},
		{"infinity", 0x7c00, float32(math.Inf(1))},
		{"minus infinity", 0xfc00, float32(math.Inf(-1))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Float16to32(tt.h), "Float16to32(%#04x)", tt.h)
		})
	}
	t.Run("negative zero", func(t *testing.T) {
		require.Equal(t, uint32(0x80000000), math.Float32bits(Float16to32(0x8000)))
	})
	t.Run("NaN", func(t *testing.T) {
		for _, h := range []uint16{0x7e00, 0x7c01, 0xfe00} {
			require.True(t, math.IsNaN(float64(Float16to32(h))), "Float16to32(%#04x)", h)
		}
	})
	t.Run("all finite values round-trip through float64", func(t *testing.T) {
		// Every finite binary16 value is m·2^e exactly; rebuild it in
		// float64 from the bit fields and compare.
		for h := range 1 << 16 {
			exp, mant := (h>>10)&0x1f, h&0x3ff
			if exp == 0x1f {
				continue
			}
			var v float64
			if exp == 0 {
				v = math.Ldexp(float64(mant), -24)
			} else {
				v = math.Ldexp(float64(mant|0x400), exp-25)
			}
			if h&0x8000 != 0 {
				v = -v
			}
			require.Equal(t, v, float64(Float16to32(uint16(h))), "Float16to32(%#04x)", h)
		}
	})
}
