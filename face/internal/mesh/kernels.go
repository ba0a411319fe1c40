package mesh

// zeroBorder clears the one-pixel border of a bordered tensor.
func zeroBorder(a []float32, t *tensor) {
	rs := t.rowStride()
	base := a[t.off : t.off+t.size()]
	clear(base[:rs])
	clear(base[(t.h+1)*rs:])
	for y := 1; y <= t.h; y++ {
		row := base[y*rs : (y+1)*rs]
		clear(row[:t.c])
		clear(row[rs-t.c:])
	}
}

// view is a read-only window on an activation without its border.
type view struct {
	data    []float32 // starts at pixel (0, 0)
	h, w, c int
	stride  int // floats per row
}

// im2colRow gathers the k×k patches of output row oy, from output column
// from on, into col, laid out as [ox−from][ky][kx][c] to match the filter
// layout. Outside pixels are zero.
func im2colRow(col []float32, src *view, L *convLayer, oy, from int) {
	c, k := src.c, L.k
	run := k * c // one kernel row of one patch
	for ky := range k {
		iy := oy*L.stride - L.padTop + ky
		if iy < 0 || iy >= src.h {
			for ox := from; ox < L.outW; ox++ {
				n := ((ox-from)*k + ky) * run
				clear(col[n : n+run])
			}
			continue
		}
		row := src.data[iy*src.stride : iy*src.stride+src.w*c]
		for ox := from; ox < L.outW; ox++ {
			n := ((ox-from)*k + ky) * run
			d := col[n : n+run]
			ix0 := ox*L.stride - L.padLeft
			if ix0 >= 0 && ix0+k <= src.w {
				s := row[ix0*c : ix0*c+run]
				if run == 9 {
					// The stem's 3×3 patch rows of 3 channels: inline moves
					// are much cheaper than a memmove call.
					d, s := d[:9], s[:9]
					d[0], d[1], d[2], d[3], d[4] = s[0], s[1], s[2], s[3], s[4]
					d[5], d[6], d[7], d[8] = s[5], s[6], s[7], s[8]
				} else {
					copy(d, s)
				}
				continue
			}
			for kx := range k {
				ix := ix0 + kx
				dd := d[kx*c : kx*c+c]
				if ix < 0 || ix >= src.w {
					clear(dd)
				} else {
					copy(dd, row[ix*c:ix*c+c])
				}
			}
		}
	}
}
