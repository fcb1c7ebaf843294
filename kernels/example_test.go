package kernels_test

import (
	"fmt"

	"t2c/kernels"
)

// The integer GEMMs are exact: here a 2×3 uint8 matrix times a 3×2 int8
// matrix with the extreme values a saturating int16 path would get wrong.
func ExampleGemmU8S8() {
	a := []uint8{255, 255, 255, 1, 2, 3}
	b := []int8{-128, 127, -128, 127, -128, 127}
	c := make([]int32, 4)
	kernels.GemmU8S8(2, 2, 3, a, 3, b, 2, c, 2)
	fmt.Println(c)
	// Output: [-97920 97155 -768 762]
}

// Weights used again and again are packed once; the padding value of the
// input is its zero point, here 128.
func ExampleConvU8S8Packed() {
	p := kernels.ConvParams{N: 1, C: 1, H: 3, W: 3, K: 1, R: 3, S: 3, Groups: 1,
		StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1}
	w := kernels.PackConv(p, []int8{0, 0, 0, 0, 1, 0, 0, 0, 1}) // centre + bottom-right tap
	x := []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9}
	y := make([]int32, 9)
	kernels.ConvU8S8Packed(p, x, 128, w, []int32{1000}, y)
	fmt.Println(y)
	// Output: [1006 1008 1131 1012 1014 1134 1135 1136 1137]
}
