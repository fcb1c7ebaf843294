package quant

import (
	"fmt"

	"t2c/tensor"
)

// Granularity says which elements share one scale (and zero point).
type Granularity string

// Granularities. Tensor: one scale. Channel: one per index of Spec.Axis
// (output channels of a weight). Token: one per row of the last axis (a
// token of a [.., tokens, features] activation). Block: one shared exponent
// per Spec.Block consecutive elements along Spec.Axis (MXINT).
const (
	PerTensor  Granularity = "tensor"
	PerChannel Granularity = "channel"
	PerToken   Granularity = "token"
	PerBlock   Granularity = "block"
)

// Role says what a quantizer sits on.
type Role string

// Roles: a weight parameter or an activation flowing between nodes.
const (
	Weight     Role = "weight"
	Activation Role = "activation"
)

// Mode selects which path a FakeQuant node runs (its "mode" attribute).
type Mode string

// Modes. ModeAuto (the default) runs the training path when the run
// context has Training set and the inference path otherwise; the other
// modes force one behaviour regardless of the context, so that PTQ can
// optimise quantizers while BatchNormalization stays in inference mode.
const (
	// ModeAuto follows graph.Ctx.Training.
	ModeAuto Mode = "auto"
	// ModeObserve updates the quantizer's statistics from its input and
	// passes the input through unchanged (float).
	ModeObserve Mode = "observe"
	// ModeTrain always runs the training path: AdaRound's soft rounding,
	// QDrop's random drop.
	ModeTrain Mode = "train"
	// ModeQuantize always runs the inference path: hard rounding, no drop.
	ModeQuantize Mode = "quantize"
	// ModeFloat passes the input through: the quantizer is disabled.
	ModeFloat Mode = "float"
)

func (m Mode) valid() bool {
	switch m {
	case ModeAuto, ModeObserve, ModeTrain, ModeQuantize, ModeFloat:
		return true
	}
	return false
}

// MinBits and MaxBits bound the integer width of every quantizer.
const (
	MinBits = 2
	MaxBits = 16
)

// Spec is the integer format a quantizer produces.
type Spec struct {
	Bits        int         // integer width, MinBits..MaxBits
	Signed      bool        // range [−2ⁿ⁻¹, 2ⁿ⁻¹−1] if set, else [0, 2ⁿ−1]
	Granularity Granularity // "" asks the algorithm for its default
	// Axis is the channel axis (PerChannel) or the axis blocks run along
	// (PerBlock); negative values count from the end. Ignored otherwise.
	Axis  int
	Block int  // block size (PerBlock); 0 asks the algorithm for its default
	Role  Role // Weight or Activation
}

// QMin is the smallest integer of the format.
func (s Spec) QMin() int {
	if s.Signed {
		return -(1 << (s.Bits - 1))
	}
	return 0
}

// QMax is the largest integer of the format.
func (s Spec) QMax() int {
	if s.Signed {
		return 1<<(s.Bits-1) - 1
	}
	return 1<<s.Bits - 1
}

// StorageType is the smallest integer dtype holding [QMin, QMax]:
// int8/uint8 up to 8 bits, int16/uint16 up to 16.
func (s Spec) StorageType() tensor.DType {
	switch {
	case s.Bits <= 8 && s.Signed:
		return tensor.Int8
	case s.Bits <= 8:
		return tensor.Uint8
	case s.Signed:
		return tensor.Int16
	default:
		return tensor.Uint16
	}
}

// Validate checks what holds for every algorithm: bit width, a known
// granularity, a role, no token granularity on weights, a positive block.
func (s Spec) Validate() error {
	if s.Bits < MinBits || s.Bits > MaxBits {
		return fmt.Errorf("bits must be in %d..%d, got %d", MinBits, MaxBits, s.Bits)
	}
	switch s.Role {
	case Weight, Activation:
	default:
		return fmt.Errorf("role must be %q or %q, got %q", Weight, Activation, s.Role)
	}
	switch s.Granularity {
	case PerTensor, PerChannel:
	case PerToken:
		if s.Role == Weight {
			return fmt.Errorf("token granularity applies to activations, not weights")
		}
	case PerBlock:
		if s.Block < 1 {
			return fmt.Errorf("block granularity needs a positive block size, got %d", s.Block)
		}
	default:
		return fmt.Errorf("unknown granularity %q (want tensor, channel, token or block)", s.Granularity)
	}
	return nil
}

// String is a short description such as "int4 signed per-channel(axis 0)".
func (s Spec) String() string {
	sign := "unsigned"
	if s.Signed {
		sign = "signed"
	}
	g := string(s.Granularity)
	switch s.Granularity {
	case PerChannel:
		g = fmt.Sprintf("channel(axis %d)", s.Axis)
	case PerBlock:
		g = fmt.Sprintf("block(%d, axis %d)", s.Block, s.Axis)
	}
	return fmt.Sprintf("%d-bit %s per-%s", s.Bits, sign, g)
}

// withDefault returns s with granularity g when none was asked for, and
// fails if another granularity was asked for and is not in allowed.
func (s Spec) withDefault(algo string, g Granularity, allowed ...Granularity) (Spec, error) {
	if s.Granularity == "" {
		s.Granularity = g
	}
	if s.Granularity != g && !contains(allowed, s.Granularity) {
		return s, fmt.Errorf("%s does not support %s granularity", algo, s.Granularity)
	}
	return s, s.Validate()
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
