package ops

import "t2c/kernels"

// Float32 exp and erf for the hot activations (softmax, GELU) of training
// and inference, from package kernels (which also has them 8 at a time):
// relative error of exp ≤ 3e-7, absolute error of erf ≤ 3e-7 (see
// fastmath_test.go), far inside what float32 models and the 1e-4 fidelity
// checks against PyTorch need.

func exp32(x float32) float32 { return kernels.Exp32(x) }

func erf32(x float32) float32 { return kernels.Erf32(x) }

// gelu32 is x·Φ(x) = 0.5·x·(1 + erf(x/√2)) and gelu32Grad its derivative
// Φ(x) + x·φ(x).
func gelu32(x float32) float32 { return kernels.Gelu32(x) }

func gelu32Grad(x float32) float32 { return kernels.Gelu32Grad(x) }
