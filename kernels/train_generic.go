//go:build !amd64

package kernels

// Off amd64 the assembly loops of train_amd64.s do nothing (trainSIMD is
// false, so callers use the Go loops of train.go instead).

func reluGradF32(dx, dy, x []float32) int                    { return 0 }
func sumF32(x []float32) float32                             { return sumGo(x) }
func sumSqDevF32(x []float32, m float32) float32             { return sumSqDevGo(x, m) }
func sumDevDotF32(dy, x []float32, m float32) (s, d float32) { return sumDevDotGo(dy, x, m) }
func affineF32(y, x []float32, a, b float32) int             { return 0 }
func affine2F32(y, u, v []float32, a, b, c float32) int      { return 0 }
func padRowsF32(dst, src []float32, rows, w, ld int)         {}
func affineReluF32(y, x []float32, a, b float32) int         { return 0 }
func addF32(y, a, b []float32, relu bool) int                { return 0 }
func sumDevDotMaskF32(dy, y, x []float32, m float32) (s, d float32) {
	return sumDevDotMaskGo(dy, y, x, m)
}
func affine2MaskF32(r, dy, y, x []float32, a, b, c float32) int { return 0 }
func expShiftF32(y, x []float32, shift float32) int             { return 0 }
func geluF32(y, x []float32) int                                { return 0 }
func geluGradF32(dx, dy, x []float32) int                       { return 0 }
