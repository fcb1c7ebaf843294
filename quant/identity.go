package quant

import (
	"errors"

	"t2c/graph"
	"t2c/tensor"
)

func init() { Register("identity", newIdentity) }

// ErrNotQuantized is returned by QParams of quantizers that leave their
// operand in floating point (identity): a converter must keep that edge
// float or refuse the graph.
var ErrNotQuantized = errors.New("operand is not quantized (identity quantizer)")

// identity is Torch2Chip's _QBase: the operand passes unchanged.
type identity struct{ s Spec }

func newIdentity(s Spec, _ *graph.Attrs) (Quantizer, error) {
	s, err := s.withDefault("identity", PerTensor, PerChannel, PerToken, PerBlock)
	if err != nil {
		return nil, err
	}
	return identity{s}, nil
}

func (q identity) Spec() Spec                          { return q.s }
func (q identity) Init([]int) ([]Param, error)         { return nil, nil }
func (q identity) Observe(*tensor.Tensor, State) error { return nil }

func (q identity) Forward(_ *graph.Ctx, x *tensor.Tensor, _ State, _ bool) (*tensor.Tensor, *tensor.Tensor, error) {
	return x, nil, nil
}

func (q identity) Backward(_ *graph.Ctx, _ *tensor.Tensor, _ State, _ bool, _, dy *tensor.Tensor) (*tensor.Tensor, []*tensor.Tensor, error) {
	return dy, nil, nil
}

func (q identity) QParams(*tensor.Tensor, State) (*QParams, error) { return nil, ErrNotQuantized }
