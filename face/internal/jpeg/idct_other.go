//go:build !amd64 || purego

package jpeg

// haveAVX2 is false: this build has no assembly.
const haveAVX2 = false

func idctAVX2(b *block) { panic("jpeg: no assembly in this build") }

func idctStoreAVX2(b *block, dst *byte, stride int) { panic("jpeg: no assembly in this build") }

// idct is the 2-D inverse DCT; see idctGo.
func idct(b *block, simd bool) { idctGo(b) }
