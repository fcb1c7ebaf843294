package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"google.golang.org/protobuf/proto"

	"t2c/onnx/onnxpb"
	"t2c/tensor"
)

// maxElems bounds the element count a TensorProto may declare. The data must
// still be present in the file, so this only guards the arithmetic.
const maxElems = 1 << 40

// onnxTypes maps ONNX TensorProto.DataType numbers to t2c dtypes.
var onnxTypes = map[onnxpb.TensorProto_DataType]tensor.DType{
	onnxpb.TensorProto_FLOAT:  tensor.Float32,
	onnxpb.TensorProto_DOUBLE: tensor.Float64,
	onnxpb.TensorProto_INT8:   tensor.Int8,
	onnxpb.TensorProto_UINT8:  tensor.Uint8,
	onnxpb.TensorProto_INT16:  tensor.Int16,
	onnxpb.TensorProto_UINT16: tensor.Uint16,
	onnxpb.TensorProto_INT32:  tensor.Int32,
	onnxpb.TensorProto_UINT32: tensor.Uint32,
	onnxpb.TensorProto_INT64:  tensor.Int64,
	onnxpb.TensorProto_UINT64: tensor.Uint64,
	onnxpb.TensorProto_BOOL:   tensor.Bool,
}

// typeName names an ONNX data type number ("FLOAT16", or "data type 42" for
// numbers this schema does not know).
func typeName(dt int32) string {
	if s, ok := onnxpb.TensorProto_DataType_name[dt]; ok {
		return s
	}
	return fmt.Sprintf("data type %d", dt)
}

// DTypeFromProto maps an ONNX element type (TensorProto.DataType) to a t2c
// dtype. FLOAT16, BFLOAT16, STRING, the complex types and types newer than
// ONNX 1.12 are not supported and return an error naming the type.
func DTypeFromProto(elemType int32) (tensor.DType, error) {
	if d, ok := onnxTypes[onnxpb.TensorProto_DataType(elemType)]; ok {
		return d, nil
	}
	if elemType == int32(onnxpb.TensorProto_UNDEFINED) {
		return tensor.Invalid, fmt.Errorf("element type is UNDEFINED")
	}
	return tensor.Invalid, fmt.Errorf("element type %s is not supported (t2c supports FLOAT, DOUBLE, BOOL and 8- to 64-bit integers)", typeName(elemType))
}

// DTypeToProto maps a t2c dtype to its ONNX element type.
func DTypeToProto(d tensor.DType) (int32, error) {
	for k, v := range onnxTypes {
		if v == d {
			return int32(k), nil
		}
	}
	return 0, fmt.Errorf("dtype %v has no ONNX element type", d)
}

// TensorFromProto converts an ONNX TensorProto to a tensor. Data may be in
// raw_data (little-endian) or in the typed field for the element type
// (float_data, double_data, int32_data for 8/16/32-bit integers and bool,
// int64_data, uint64_data for uint32/uint64). Errors name the tensor: a
// mismatch between dims and element count, an unsupported element type,
// external data or segments.
func TensorFromProto(tp *onnxpb.TensorProto) (*tensor.Tensor, error) {
	t, err := tensorFromProto(tp)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", tp.GetName(), err)
	}
	return t, nil
}

func tensorFromProto(tp *onnxpb.TensorProto) (*tensor.Tensor, error) {
	dt := tp.GetDataType()
	d, err := DTypeFromProto(dt)
	if err != nil {
		return nil, err
	}
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL || len(tp.GetExternalData()) > 0 {
		loc := ""
		for _, kv := range tp.GetExternalData() {
			if kv.GetKey() == "location" {
				loc = kv.GetValue()
			}
		}
		return nil, fmt.Errorf("external data (location %q) is not supported; re-save the model with all tensors embedded", loc)
	}
	if tp.GetSegment() != nil {
		return nil, fmt.Errorf("segmented tensors are not supported")
	}
	shape := make([]int, len(tp.GetDims()))
	n := int64(1)
	for i, x := range tp.GetDims() {
		if x < 0 {
			return nil, fmt.Errorf("negative dimension %d in dims %v", x, tp.GetDims())
		}
		if x > 0 && n > maxElems/x {
			return nil, fmt.Errorf("dims %v are too large", tp.GetDims())
		}
		n *= x
		shape[i] = int(x)
	}
	count := int(n)
	typeStr := typeName(dt)

	if raw := tp.GetRawData(); len(raw) > 0 {
		if len(raw) != count*d.Size() {
			return nil, fmt.Errorf("%s dims %v need %d elements (%d bytes), raw_data has %d bytes", typeStr, tp.GetDims(), count, count*d.Size(), len(raw))
		}
		return decodeRaw(d, shape, raw)
	}

	var field string
	var have int
	switch d {
	case tensor.Float32:
		field, have = "float_data", len(tp.GetFloatData())
	case tensor.Float64:
		field, have = "double_data", len(tp.GetDoubleData())
	case tensor.Int64:
		field, have = "int64_data", len(tp.GetInt64Data())
	case tensor.Uint32, tensor.Uint64:
		field, have = "uint64_data", len(tp.GetUint64Data())
	default:
		field, have = "int32_data", len(tp.GetInt32Data())
	}
	if have != count {
		return nil, fmt.Errorf("%s dims %v need %d elements, %s has %d (and raw_data is empty)", typeStr, tp.GetDims(), count, field, have)
	}
	switch d {
	case tensor.Float32:
		return tensor.New(shape, append([]float32{}, tp.GetFloatData()...)), nil
	case tensor.Float64:
		return tensor.New(shape, append([]float64{}, tp.GetDoubleData()...)), nil
	case tensor.Int64:
		return tensor.New(shape, append([]int64{}, tp.GetInt64Data()...)), nil
	case tensor.Uint64:
		return tensor.New(shape, append([]uint64{}, tp.GetUint64Data()...)), nil
	case tensor.Uint32:
		return tensor.New(shape, convertSlice[uint32](tp.GetUint64Data())), nil
	case tensor.Int32:
		return tensor.New(shape, append([]int32{}, tp.GetInt32Data()...)), nil
	case tensor.Int16:
		return tensor.New(shape, convertSlice[int16](tp.GetInt32Data())), nil
	case tensor.Uint16:
		return tensor.New(shape, convertSlice[uint16](tp.GetInt32Data())), nil
	case tensor.Int8:
		return tensor.New(shape, convertSlice[int8](tp.GetInt32Data())), nil
	case tensor.Uint8:
		return tensor.New(shape, convertSlice[uint8](tp.GetInt32Data())), nil
	case tensor.Bool:
		b := make([]bool, count)
		for i, v := range tp.GetInt32Data() {
			b[i] = v != 0
		}
		return tensor.New(shape, b), nil
	}
	return nil, fmt.Errorf("dtype %v not handled", d)
}

type integer interface {
	~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~uint32 | ~int64 | ~uint64
}

func convertSlice[D, S integer](src []S) []D {
	out := make([]D, len(src))
	for i, v := range src {
		out[i] = D(v)
	}
	return out
}

// decodeRaw reads little-endian raw_data (length already checked).
func decodeRaw(d tensor.DType, shape []int, raw []byte) (*tensor.Tensor, error) {
	n := tensor.NumElems(shape)
	t := tensor.Zeros(d, shape...)
	switch v := t.Raw().(type) {
	case []float32:
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case []float64:
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	case []int8:
		for i := range v {
			v[i] = int8(raw[i])
		}
	case []uint8:
		copy(v, raw[:n])
	case []int16:
		for i := range v {
			v[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	case []uint16:
		for i := range v {
			v[i] = binary.LittleEndian.Uint16(raw[2*i:])
		}
	case []int32:
		for i := range v {
			v[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case []uint32:
		for i := range v {
			v[i] = binary.LittleEndian.Uint32(raw[4*i:])
		}
	case []int64:
		for i := range v {
			v[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	case []uint64:
		for i := range v {
			v[i] = binary.LittleEndian.Uint64(raw[8*i:])
		}
	case []bool:
		for i := range v {
			v[i] = raw[i] != 0
		}
	default:
		return nil, fmt.Errorf("dtype %v not handled", d)
	}
	return t, nil
}

// encodeRaw returns t's elements as little-endian bytes (bools one byte each).
func encodeRaw(t *tensor.Tensor) ([]byte, error) {
	n := t.Len()
	out := make([]byte, n*t.DType().Size())
	switch v := t.Raw().(type) {
	case []float32:
		for i, x := range v[:n] {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
		}
	case []float64:
		for i, x := range v[:n] {
			binary.LittleEndian.PutUint64(out[8*i:], math.Float64bits(x))
		}
	case []int8:
		for i, x := range v[:n] {
			out[i] = byte(x)
		}
	case []uint8:
		copy(out, v[:n])
	case []int16:
		for i, x := range v[:n] {
			binary.LittleEndian.PutUint16(out[2*i:], uint16(x))
		}
	case []uint16:
		for i, x := range v[:n] {
			binary.LittleEndian.PutUint16(out[2*i:], x)
		}
	case []int32:
		for i, x := range v[:n] {
			binary.LittleEndian.PutUint32(out[4*i:], uint32(x))
		}
	case []uint32:
		for i, x := range v[:n] {
			binary.LittleEndian.PutUint32(out[4*i:], x)
		}
	case []int64:
		for i, x := range v[:n] {
			binary.LittleEndian.PutUint64(out[8*i:], uint64(x))
		}
	case []uint64:
		for i, x := range v[:n] {
			binary.LittleEndian.PutUint64(out[8*i:], x)
		}
	case []bool:
		for i, x := range v[:n] {
			if x {
				out[i] = 1
			}
		}
	default:
		return nil, fmt.Errorf("dtype %v has no ONNX encoding", t.DType())
	}
	return out, nil
}

// TensorToProto converts a tensor to an ONNX TensorProto named name, with
// the data in raw_data (little-endian, bools one byte each).
func TensorToProto(name string, t *tensor.Tensor) (*onnxpb.TensorProto, error) {
	if t == nil {
		return nil, fmt.Errorf("tensor %q is nil", name)
	}
	dt, err := DTypeToProto(t.DType())
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	raw, err := encodeRaw(t)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	dims := make([]int64, t.Rank())
	for i, x := range t.Shape() {
		dims[i] = int64(x)
	}
	tp := &onnxpb.TensorProto{Dims: dims, DataType: proto.Int32(dt), RawData: raw}
	if name != "" {
		tp.Name = proto.String(name)
	}
	return tp, nil
}

// LoadTensor reads a serialized TensorProto (the input_0.pb / output_0.pb
// files of the ONNX test suites). Errors name the file.
func LoadTensor(path string) (*tensor.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var tp onnxpb.TensorProto
	if err := proto.Unmarshal(data, &tp); err != nil {
		return nil, fmt.Errorf("%s: truncated or corrupt protobuf: %w", path, err)
	}
	t, err := TensorFromProto(&tp)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}
