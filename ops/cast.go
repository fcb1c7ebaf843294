package ops

import (
	"t2c/graph"
	"t2c/tensor"
)

func init() { graph.Register("Cast", buildCast) }

// onnxTypes maps ONNX TensorProto.DataType numbers to t2c dtypes.
var onnxTypes = map[int64]tensor.DType{
	1: tensor.Float32, 2: tensor.Uint8, 3: tensor.Int8, 4: tensor.Uint16, 5: tensor.Int16,
	6: tensor.Int32, 7: tensor.Int64, 9: tensor.Bool, 11: tensor.Float64, 12: tensor.Uint32, 13: tensor.Uint64,
}

// onnxTypeNames names the ONNX data types t2c does not support, for errors.
var onnxTypeNames = map[int64]string{
	0: "UNDEFINED", 8: "STRING", 10: "FLOAT16", 14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16",
	17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ", 19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ", 21: "UINT4", 22: "INT4",
}

// castKernel is Cast to the ONNX data type number in attribute to.
// Float-to-integer casts truncate toward zero; NaN and infinities cast to
// integers are out of scope (their results are platform-defined).
type castKernel struct{ to tensor.DType }

func buildCast(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	if !a.Has("to") {
		a.Fail("to", "is required")
	}
	code := a.Int("to", 1)
	to, ok := onnxTypes[code]
	if !ok {
		name, known := onnxTypeNames[code]
		if !known {
			name = "unknown"
		}
		a.Fail("to", "data type %d (%s) is not supported", code, name)
	}
	return castKernel{to: to}, nil
}

func (k castKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	out, err := sameInfo(in)
	if err == nil {
		out[0].DType = k.to
	}
	return out, err
}

func (k castKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	if in[0].DType() == k.to {
		return []*tensor.Tensor{in[0]}, nil
	}
	return []*tensor.Tensor{tensor.Cast(in[0], k.to)}, nil
}
