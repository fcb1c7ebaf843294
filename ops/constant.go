package ops

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

func init() {
	graph.Register("Constant", buildConstant)
	graph.Register("ConstantOfShape", buildConstantOfShape)
}

// constantKernel is Constant: it returns its attribute value, so Compile
// always folds it into a parameter.
type constantKernel struct{ value *tensor.Tensor }

func buildConstant(n *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	for _, name := range []string{"sparse_value", "value_string", "value_strings"} {
		if a.Has(name) {
			a.Fail(name, "is not supported (only numeric dense values are)")
		}
	}
	var found []string
	var v *tensor.Tensor
	if a.Has("value") {
		found, v = append(found, "value"), a.Tensor("value")
	}
	if a.Has("value_float") {
		found, v = append(found, "value_float"), tensor.Scalar(a.Float("value_float", 0))
	}
	if a.Has("value_floats") {
		found, v = append(found, "value_floats"), tensor.FromSlice(a.Floats("value_floats", nil))
	}
	if a.Has("value_int") {
		found, v = append(found, "value_int"), tensor.Scalar(a.Int("value_int", 0))
	}
	if a.Has("value_ints") {
		is := a.Ints("value_ints", nil)
		v64 := make([]int64, len(is))
		for i, x := range is {
			v64[i] = int64(x)
		}
		found, v = append(found, "value_ints"), tensor.FromSlice(v64)
	}
	if len(found) > 1 {
		a.Fail(found[1], "Constant has both %s and %s", found[0], found[1])
	}
	if v == nil {
		return nil, fmt.Errorf("Constant has no value attribute")
	}
	return constantKernel{value: v}, nil
}

func (k constantKernel) Run(*graph.Ctx, []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return []*tensor.Tensor{k.value}, nil
}

// constantOfShapeKernel is ConstantOfShape: a tensor of the shape given by
// the input, filled with the one-element value attribute (default float32 0).
type constantOfShapeKernel struct{ value *tensor.Tensor }

func buildConstantOfShape(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	v := a.Tensor("value")
	if v == nil {
		v = tensor.Scalar[float32](0)
	} else if v.Len() != 1 {
		a.Fail("value", "must hold exactly one element, has %d", v.Len())
	} else {
		v = v.MustReshape()
	}
	return constantOfShapeKernel{value: v}, nil
}

func (k constantOfShapeKernel) InferShapes(in []graph.ValueInfo, consts []*tensor.Tensor) ([]graph.ValueInfo, error) {
	shape, err := constInput(in, consts, 0, true)
	if err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: k.value.DType(), Shape: ints(shape)}}, nil
}

func (k constantOfShapeKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	shape := ints(in[0])
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("negative dimension in shape %v", shape)
		}
	}
	return []*tensor.Tensor{tensor.BroadcastTo(k.value, shape)}, nil
}
