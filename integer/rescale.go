package integer

import "t2c/tensor"

// The ops that rescale several terms (IntAdd, IntAvgPool) build t in an
// int64 buffer, a row at a time, and then store rshift(t) through a
// rescaleStore. The element types are resolved once per run into closures
// over generic loops, so the loops themselves are specialised.

// scaledRows accumulates (x − z)·m of a row of x into dst: dst[i] (+)=
// (x[off + i·step] − z)·m. Set replaces dst instead of adding to it.
type scaledRows func(dst []int64, off, step int, set bool)

// scaledRowsOf returns the scaledRows of tensor x.
func scaledRowsOf(x *tensor.Tensor, z, m int64) scaledRows {
	switch x.DType() {
	case tensor.Int8:
		return scaledRowsFor(x.Int8(), z, m)
	case tensor.Uint8:
		return scaledRowsFor(x.Uint8(), z, m)
	case tensor.Int16:
		return scaledRowsFor(tensor.Data[int16](x), z, m)
	case tensor.Uint16:
		return scaledRowsFor(tensor.Data[uint16](x), z, m)
	}
	return scaledRowsFor(x.Int32(), z, m)
}

func scaledRowsFor[T intElem](x []T, z, m int64) scaledRows {
	zm := z * m // (v − z)·m = v·m − z·m, exact in wrapping int64 (see productsFit)
	return func(dst []int64, off, step int, set bool) {
		if set {
			clear(dst)
		}
		switch step {
		case 0: // broadcast along the row
			v := int64(x[off])*m - zm
			for i := range dst {
				dst[i] += v
			}
		case 1:
			xs := x[off : off+len(dst)]
			for i, v := range xs {
				dst[i] += int64(v)*m - zm
			}
		default:
			for i := range dst {
				dst[i] += int64(x[off+i*step])*m - zm
			}
		}
	}
}

// rescaleStore writes y[off + i] = clamp(rshift(t[i], shift) + zp, lo, hi).
type rescaleStore func(t []int64, off int)

// rescaleStoreOf returns the rescaleStore into y of the given output grid
// zero point, shift and clamp limits.
func rescaleStoreOf(y *tensor.Tensor, shift int, zp, lo, hi int64) rescaleStore {
	switch y.DType() {
	case tensor.Int8:
		return rescaleStoreFor(y.Int8(), shift, zp, lo, hi)
	case tensor.Uint8:
		return rescaleStoreFor(y.Uint8(), shift, zp, lo, hi)
	case tensor.Int16:
		return rescaleStoreFor(tensor.Data[int16](y), shift, zp, lo, hi)
	case tensor.Uint16:
		return rescaleStoreFor(tensor.Data[uint16](y), shift, zp, lo, hi)
	}
	return rescaleStoreFor(y.Int32(), shift, zp, lo, hi)
}

func rescaleStoreFor[T intElem](y []T, shift int, zp, lo, hi int64) rescaleStore {
	half, s := roundingHalf(shift), uint(shift)&63
	lo, hi = lo-zp, hi-zp // clamp before adding the zero point
	return func(t []int64, off int) {
		ys := y[off : off+len(t)]
		for i, v := range t {
			ys[i] = T(min(max((v+half)>>s, lo), hi) + zp)
		}
	}
}
